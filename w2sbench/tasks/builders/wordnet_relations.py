"""WordNet relations as word-pair tasks: does Y stand in the relation to X? (offline suite)

Each task is one WordNet pointer type read as a pair (text X, text_pair Y), grouped by X:

- wordnet_meronym: X is a part of Y (part holonym "#p", nouns);
- wordnet_member: X is a member of Y (member holonym "#m": a species of its genus, a
  country of its alliance);
- wordnet_instance: X is an instance of Y (instance hypernym "@i": a person's occupation, a
  city's kind);
- wordnet_domain: X is a term of Y's topic domain (";c");
- wordnet_troponym: to X is a way to Y (verb hypernym "@": "whisper" / "talk");
- wordnet_similar: adjective X is similar in meaning to Y (similar to "&", from a satellite
  adjective to the head of its cluster: "ravenous" / "hungry").

Each also comes as a one-text question, task id + "_q" ("Is bulkhead part of ship?", "Is Suva
a national capital?", "Is stokehold a term of seafaring?", "Is to snicker a way to laugh?"):
same groups and pairs, measured to open wider gaps than the word pairs (docs/results/offline-suite.md).

Antonymy is not among them: after the stem exclusion WordNet has 1,366 words with an antonym,
about 700 pairs once "a"/"b" and "b"/"a" share a group, too few for a 2,000-example test set.

Each X brings one positive (a Y it relates to) and one negative: the Y drawn for another X of
the same kind (part of speech or lexicographer file), related to no sense of X through the
relation, hypernyms or similarity within three steps. So every Y is once a positive and once a
negative partner, and neither text alone gives the label away. Pairs whose texts share a stem
(four characters in one run: "door"/"doorknob", "Canis"/"Canidae", "happy"/"unhappy") are left
out: spelling would answer them (w2sbench.tasks.shortcuts probes the rest in the audit).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from w2sbench.tasks.builders.wordnet_lexicon import Synset, WordNet, derange
from w2sbench.tasks.shortcuts import shared_stem

_WORDS = re.compile(r"[A-Za-z][A-Za-z'.-]*( [A-Za-z][A-Za-z'.-]*){0,2}")  # one to three words
EXPAND = ("@", "@i", "&")  # hypernym, instance hypernym, similar to: what also counts as related
DEPTH = 3


@dataclass(frozen=True)
class Relation:
    symbols: tuple[str, ...]
    kind: str  # what negatives are drawn within: "pos" of X, "lexfile" of X or "target_lexfile" of Y
    pos: str | None = None  # the part of speech of X, if only one


RELATIONS = {
    "wordnet_meronym": Relation(("#p",), kind="target_lexfile"),
    "wordnet_member": Relation(("#m",), kind="lexfile"),
    "wordnet_instance": Relation(("@i",), kind="lexfile"),
    "wordnet_domain": Relation((";c",), kind="pos"),
    "wordnet_troponym": Relation(("@",), kind="lexfile", pos="v"),
    "wordnet_similar": Relation(("&",), kind="pos", pos="a"),
}


def _kind(relation: Relation, source: Synset, target: Synset) -> str:
    if relation.kind == "pos":
        return source.key[0]
    return str((target if relation.kind == "target_lexfile" else source).lexfile)


def related_pairs(wn: WordNet, task_id: str) -> dict[str, list[tuple[str, str, str]]]:
    """Lowercase X -> its (X, Y, kind) pairs, sorted: X and Y of one to three words, different,
    sharing no stem. X keeps its first spelling in sorted order ("Mercury" before "mercury")."""
    relation = RELATIONS[task_id]
    found: dict[str, set[tuple[str, str, str]]] = {}
    for source in wn.synsets.values():
        if relation.pos not in (None, source.key[0]):
            continue
        for p in source.pointers:
            if p.symbol not in relation.symbols:
                continue
            target = wn.synsets[p.target]
            x, y = source.lemmas[0], target.lemmas[0]
            if _WORDS.fullmatch(x) and _WORDS.fullmatch(y) and not shared_stem(x, y):
                found.setdefault(x.lower(), set()).add((x, y, _kind(relation, source, target)))
    out = {}
    for key, pairs in sorted(found.items()):
        spelling = min(x for x, _, _ in pairs)
        out[key] = sorted(p for p in pairs if p[0] == spelling)
    return out


def related_names(wn: WordNet, x: str, symbols: tuple[str, ...]) -> set[str]:
    """Every lowercase name the relation reaches from any sense of x, then up to DEPTH steps
    further through the relation, hypernyms and similarity: what a negative must not name."""
    frontier = {p.target for k in wn.senses.get(x.lower(), []) for p in wn.synsets[k].pointers if p.symbol in symbols}
    reached = set(frontier)
    for _ in range(DEPTH):
        frontier = {
            p.target for k in frontier for p in wn.synsets[k].pointers if p.symbol in symbols + EXPAND
        } - reached
        reached |= frontier
    return {name.lower() for k in reached for name in wn.synsets[k].lemmas} | {x.lower()}


QUESTIONS = {  # the one-text form (task id + "_q"): the encoder reads X and Y together
    "wordnet_meronym": "Is {x} part of {y}?",
    "wordnet_member": "Is {x} a member of {y}?",
    "wordnet_instance": "Is {x} {a} {y}?",
    "wordnet_domain": "Is {x} a term of {y}?",
    "wordnet_troponym": "Is to {x} a way to {y}?",
    "wordnet_similar": "Does {x} mean nearly the same as {y}?",
}


def _text(task_id: str, x: str, y: str, question: bool) -> tuple[str, str | None]:
    if not question:
        return x, y
    return QUESTIONS[task_id].format(x=x, y=y, a="an" if y[0].lower() in "aeiou" else "a"), None


def relation_examples(task_id: str, question: bool = False):
    """The rows function of one relation task (the builder's TASKS interface): pairs (X, Y), or
    with ``question`` one text asking whether the relation holds."""
    symbols = RELATIONS[task_id].symbols

    def make(wn: WordNet, groups: list[str], rng: random.Random) -> list[dict]:
        pairs = related_pairs(wn, task_id)
        items = [rng.choice(pairs[g]) for g in groups]
        barred = {x: related_names(wn, x, symbols) for x, _, _ in items}
        kept = derange(
            items, lambda it: it[2], rng, lambda a, b: b[1].lower() not in barred[a[0]] and not shared_stem(a[0], b[1])
        )
        rows = []
        for (x, y, _), (_, other, _) in kept:
            for partner, label in ((y, 1), (other, 0)):
                text, text_pair = _text(task_id, x, partner, question)
                rows.append({"text": text, "text_pair": text_pair, "label": label, "group": x.lower()})
        return rows

    return make


def relation_groups(task_id: str):
    """The candidate groups of one relation task: every X with a pair."""
    return lambda wn: list(related_pairs(wn, task_id))
