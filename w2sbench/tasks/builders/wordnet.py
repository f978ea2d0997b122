"""Build the offline suite's WordNet tasks from Debian's WordNet 3.0 (package wordnet-base).

    python -m w2sbench.tasks.builders.wordnet [--wordnet-dir /usr/share/wordnet] [--out tasks/data]

Real lexical data, not templated synthetic text. Three pair or question tasks built here, each
chosen (among measured variants) for the gap it opens between MiniLM-L3 and MPNet-base probes,
and the relation tasks of w2sbench.tasks.builders.wordnet_relations (one WordNet pointer each):

- wordnet_gloss: a word and a definition; is the definition one of the word's senses? The
  words are the less common ones (never tagged in WordNet's SemCor counts); negatives are
  definitions of other words with the same part of speech.
- wordnet_wic: word in context, target sense verification (as WiC-TSV): an example sentence
  prefixed by its target word ("bank: ...") and a definition; is the word used in this sense?
  Negatives are another sense of the same word from a different lexicographer file.
- wordnet_hypernym: "Is a X a kind of Y?"; is Y a hypernym one to three steps above X's
  first noun sense? Negatives name a hypernym drawn for another noun.

Every example is grouped by its lemma, and the train/test split is by a hash of the group,
so no lemma straddles splits. Each group brings as many positives as negatives, and a
negative reuses a text that is a positive elsewhere (a definition, a hypernym), so neither
text alone gives the label away. Output is deterministic (byte-identical parquet for the
same WordNet files) and the task files' sha256 fields are updated.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from w2sbench.core.paths import tasks_dir
from w2sbench.tasks.builders.wordnet_lexicon import (
    Synset,
    WordNet,
    derange,
    load_wordnet,
)
from w2sbench.tasks.builders.wordnet_relations import (
    QUESTIONS,
    RELATIONS,
    relation_examples,
    relation_groups,
)

SIZES = {"train": 2400, "test": 2000}  # rows per task and split: 2,000 test rows narrow PGR's interval
TEST_FRACTION = 0.25
SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("text", pa.string()),
        ("text_pair", pa.string()),
        ("label", pa.int64()),
        ("group", pa.string()),
    ]
)


def _lemmas(wn: WordNet, familiar: bool = True, pos: str | None = None) -> list[str]:
    """Single-word lemmas, sorted: familiar ones (tagged in SemCor; in this part of speech,
    if given), or with familiar=False the ones never tagged."""
    if not familiar:
        return sorted(w for w in wn.senses if w.isalpha() and w.islower() and w not in wn.familiar)
    return sorted(
        w for w, tagged in wn.familiar.items() if w.isalpha() and w.islower() and (pos is None or pos in tagged)
    )


def gloss_examples(wn: WordNet, groups: list[str], rng: random.Random) -> list[dict]:
    """Word / definition: one of the word's senses (1), or another drawn word's sense with the
    same part of speech that is no sense of this word (0)."""
    items = [(w, wn.synsets[rng.choice(wn.senses[w])]) for w in groups]
    own = {w: {wn.synsets[k].definition for k in wn.senses[w]} for w in groups}
    pairs = derange(items, lambda it: it[1].key[0], rng, lambda a, b: b[1].definition not in own[a[0]])
    rows = []
    for (word, synset), (_, other) in pairs:
        rows.append({"text": word, "text_pair": synset.definition, "label": 1, "group": word})
        rows.append({"text": word, "text_pair": other.definition, "label": 0, "group": word})
    return rows


def _ancestors(wn: WordNet, key: str, depth: int) -> list[str]:
    found, frontier = [], [key]
    for _ in range(depth):
        frontier = [h for k in frontier for h in wn.synsets[k].hypernyms]
        found.extend(frontier)
    return found


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _first_noun(wn: WordNet, lemma: str) -> Synset:
    return wn.synsets[next(k for k in wn.senses[lemma] if k.startswith("n:"))]


def hypernym_examples(wn: WordNet, groups: list[str], rng: random.Random) -> list[dict]:
    """Is a X a kind of Y? Y names a hypernym one to three steps above X's first noun sense
    (1), or the hypernym drawn for another noun, naming no hypernym of any of X's noun senses
    at any depth (0)."""
    items = []
    for x in groups:
        names = sorted({wn.synsets[a].lemmas[0] for a in _ancestors(wn, _first_noun(wn, x).key, 3)} - {x})
        if names:
            items.append((x, rng.choice(names)))
    closure = {
        x: {
            name.lower()
            for k in wn.senses[x]
            if k.startswith("n:")
            for a in _ancestors(wn, k, 30)
            for name in wn.synsets[a].lemmas
        }
        | {x}
        for x, _ in items
    }
    pairs = derange(items, lambda it: 0, rng, lambda a, b: b[1].lower() not in closure[a[0]])
    rows = []
    for (x, y), (_, other) in pairs:
        for name, label in ((y, 1), (other, 0)):
            rows.append(
                {"text": f"Is {_article(x)} {x} a kind of {name}?", "text_pair": None, "label": label, "group": x}
            )
    return rows


def _marked(wn: WordNet, lemma: str, key: str) -> list[str]:
    """The sense's example sentences that contain the lemma as a whole word, prefixed by the
    lemma (the harness mean-pools every token, so the prefix says which word matters)."""
    return sorted(
        {
            f"{lemma}: {e}"
            for e in wn.synsets[key].examples
            if re.search(rf"\b{re.escape(lemma)}\b", e, flags=re.IGNORECASE)
        }
    )


def _sense_pairs(wn: WordNet, lemma: str) -> list[tuple[tuple[str, list[str]], tuple[str, list[str]]]]:
    """Pairs of the lemma's senses from different lexicographer files, each with a sentence
    (sentences that WordNet gives for two senses of the lemma are left out)."""
    marked = {k: _marked(wn, lemma, k) for k in dict.fromkeys(wn.senses[lemma])}
    count = Counter(e for m in marked.values() for e in m)
    senses = [(k, u) for k, m in marked.items() if (u := [e for e in m if count[e] == 1])]
    return [
        (x, y)
        for i, x in enumerate(senses)
        for y in senses[i + 1 :]
        if wn.synsets[x[0]].lexfile != wn.synsets[y[0]].lexfile
        and wn.synsets[x[0]].definition != wn.synsets[y[0]].definition
    ]


def wic_examples(wn: WordNet, groups: list[str], rng: random.Random) -> list[dict]:
    """Sentence / definition: two senses A and B of the word (different lexicographer files),
    a sentence of each; each sentence with A's and with B's definition: two positives and two
    negatives per word, every text once in each."""
    rows = []
    for lemma in groups:
        (k1, m1), (k2, m2) = rng.choice(_sense_pairs(wn, lemma))
        g1, g2 = wn.synsets[k1].definition, wn.synsets[k2].definition
        a, c = rng.choice(m1), rng.choice(m2)
        for sentence, definition, label in ((a, g1, 1), (a, g2, 0), (c, g2, 1), (c, g1, 0)):
            rows.append({"text": sentence, "text_pair": definition, "label": label, "group": lemma})
    return rows


TASKS = {  # task id -> (candidate groups, rows for the drawn groups)
    "wordnet_gloss": (lambda wn: _lemmas(wn, familiar=False), gloss_examples),
    "wordnet_wic": (lambda wn: [w for w in _lemmas(wn) if _sense_pairs(wn, w)], wic_examples),
    "wordnet_hypernym": (
        lambda wn: [w for w in _lemmas(wn, pos="n") if _first_noun(wn, w).hypernyms],
        hypernym_examples,
    ),
    **{task_id: (relation_groups(task_id), relation_examples(task_id)) for task_id in RELATIONS},
    **{f"{task_id}_q": (relation_groups(task_id), relation_examples(task_id, question=True)) for task_id in QUESTIONS},
}


def in_test(group: str) -> bool:
    """The train/test assignment of a group (a lemma): a hash, never a list position."""
    return int(hashlib.sha256(f"split/{group}".encode()).hexdigest()[:8], 16) / 2**32 < TEST_FRACTION


def build_rows(task_id: str, wn: WordNet, sizes: dict[str, int] | None = None) -> dict[str, list[dict]]:
    """Rows per split: groups in a hashed order, whole groups until the split's size is met.

    Negatives are paired inside the drawn groups, so the draw grows until it yields enough
    rows; then whole groups are kept in draw order up to the size. Rows get ids in sorted order.
    """
    candidates, make = TASKS[task_id]
    every = candidates(wn)
    out = {}
    for split, size in (sizes or SIZES).items():
        groups = sorted(
            (g for g in every if in_test(g) == (split == "test")),
            key=lambda g: hashlib.sha256(f"{task_id}/{g}".encode()).hexdigest(),
        )
        n = size // 2
        while True:
            drawn = groups[:n]
            rows = make(wn, sorted(drawn), random.Random(f"{task_id}/{split}/{n}"))
            if len(rows) >= size or n >= len(groups):
                break
            n = min(len(groups), n + max(1, (size - len(rows)) // 2))
        by_group = {}
        for r in rows:
            by_group.setdefault(r["group"], []).append(r)
        kept = []
        for g in drawn:
            if g in by_group and len(kept) + len(by_group[g]) <= size:
                kept += by_group[g]
        kept.sort(key=lambda r: (r["group"], r["text"], r["text_pair"] or "", r["label"]))
        out[split] = [{"id": f"{task_id}-{split}-{i:05d}", **r} for i, r in enumerate(kept)]
    return out


def write_parquet(rows: list[dict], path: Path) -> None:
    """Byte-stable parquet: fixed schema, no pandas/schema metadata, no statistics."""
    table = pa.Table.from_pylist(rows, schema=SCHEMA).replace_schema_metadata(None)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(
        table,
        path,
        compression="zstd",
        compression_level=9,
        write_statistics=False,
        store_schema=False,
        use_dictionary=False,
    )


def build_task(task_id: str, wn: WordNet, out: Path) -> dict[str, Path]:
    """Write train/test parquet for one task; returns the paths by split."""
    paths = {}
    for split, rows in build_rows(task_id, wn).items():
        paths[split] = out / task_id / f"{split}.parquet"
        write_parquet(rows, paths[split])
    return paths


def update_task_file(task_file: Path, paths: dict[str, Path]) -> None:
    """Record the new files' sha256 in the task definition (only those values change)."""
    from w2sbench.tasks.loading import sha256_file

    if not task_file.exists():
        return
    text = task_file.read_text()
    splits = yaml.safe_load(text)["source"]["splits"]
    for split, path in paths.items():
        text = text.replace(splits[split]["sha256"], sha256_file(path), 1)
    task_file.write_text(text)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wordnet-dir", type=Path, default=Path("/usr/share/wordnet"))
    parser.add_argument("--out", type=Path, default=tasks_dir() / "data")
    parser.add_argument("--tasks", nargs="*", default=sorted(TASKS), choices=sorted(TASKS))
    parser.add_argument("--no-update", action="store_true", help="leave the task files' sha256 alone")
    args = parser.parse_args(argv)
    if not (args.wordnet_dir / "data.noun").exists():
        raise SystemExit(
            f"{args.wordnet_dir}/data.noun not found: install Debian's wordnet-base "
            "(apt-get install wordnet-base) or pass --wordnet-dir"
        )
    wn = load_wordnet(args.wordnet_dir)
    from w2sbench.tasks.loading import sha256_file

    for task_id in args.tasks:
        paths = build_task(task_id, wn, args.out)
        if not args.no_update:
            update_task_file(args.out.parent / f"{task_id}.yaml", paths)
        for split, path in paths.items():
            print(f"{task_id} {split}: {pq.read_metadata(path).num_rows} rows, sha256 {sha256_file(path)}")


if __name__ == "__main__":
    main()
