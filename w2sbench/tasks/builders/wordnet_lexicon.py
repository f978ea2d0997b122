"""WordNet 3.0 as the task builders read it: synsets, their pointers, and each lemma's senses.

Parsed from Debian's wordnet-base database files (format: wndb(5WN)); nothing else is needed.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from pathlib import Path

POS_FILES = {"n": "noun", "v": "verb", "a": "adj", "r": "adv"}


@dataclass(frozen=True)
class Pointer:
    """One pointer of a synset (wndb(5WN) pointer_symbol: "@" hypernym, "#p" part holonym, ...)."""

    symbol: str
    target: str  # synset key


@dataclass
class Synset:
    key: str  # "<pos>:<offset>", pos being the data file's (satellites are "a")
    lexfile: int
    lemmas: list[str]
    definition: str
    examples: list[str]
    hypernyms: list[str] = field(default_factory=list)
    pointers: list[Pointer] = field(default_factory=list)


@dataclass(repr=False)
class WordNet:
    synsets: dict[str, Synset]
    senses: dict[str, list[str]]  # lowercase lemma -> synset keys, in WordNet's sense order
    familiar: dict[str, set[str]]  # lemma -> parts of speech with a SemCor tag count above zero


def _key(pos: str, offset: str) -> str:
    return f"{'a' if pos == 's' else pos}:{offset}"


def parse_data_file(path: Path, pos: str) -> dict[str, Synset]:
    """One data.<pos> file (format: wndb(5WN)); license header lines start with spaces."""
    synsets = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith(" "):
            continue
        head, _, gloss = line.partition(" | ")
        f = head.split()
        n_words = int(f[3], 16)
        lemmas = [re.sub(r"\(.*\)$", "", f[4 + 2 * i]).replace("_", " ") for i in range(n_words)]
        i = 4 + 2 * n_words
        pointers = [Pointer(f[j], _key(f[j + 2], f[j + 1])) for j in range(i + 1, i + 1 + 4 * int(f[i]), 4)]
        hypernyms = [p.target for p in pointers if p.symbol in ("@", "@i")]
        parts = [p.strip() for p in gloss.split(";")]
        definition = "; ".join(p for p in parts if p and not p.startswith('"'))
        examples = [e.strip() for e in re.findall(r'"([^"]+)"', gloss)]
        key = f"{pos}:{f[0]}"
        synsets[key] = Synset(key, int(f[1]), lemmas, definition, examples, hypernyms, pointers)
    return synsets


def load_wordnet(folder: Path) -> WordNet:
    synsets, senses, familiar = {}, {}, {}
    for pos, name in POS_FILES.items():
        synsets.update(parse_data_file(folder / f"data.{name}", pos))
        for line in (folder / f"index.{name}").read_text(encoding="utf-8").splitlines():
            if not line or line.startswith(" "):
                continue
            f = line.split()
            n_ptr_types = int(f[3])
            lemma = f[0].replace("_", " ")
            if int(f[5 + n_ptr_types]) > 0:
                familiar.setdefault(lemma, set()).add(pos)
            senses.setdefault(lemma, []).extend(f"{pos}:{off}" for off in f[6 + n_ptr_types :])
    return WordNet(synsets, senses, familiar)


def derange(items: list, bucket, rng: random.Random, ok) -> list[tuple]:
    """Pair each item with the next one of its bucket in a shuffled cycle, keeping the
    (item, other) pairs that pass ok(item, other): each item is a partner at most once, so a
    text used in a negative is as often used in a positive."""
    buckets = {}
    for item in items:
        buckets.setdefault(bucket(item), []).append(item)
    pairs = []
    for _, members in sorted(buckets.items()):
        rng.shuffle(members)
        for i, item in enumerate(members):
            other = members[(i + 1) % len(members)]
            if other is not item and ok(item, other):
                pairs.append((item, other))
    return pairs
