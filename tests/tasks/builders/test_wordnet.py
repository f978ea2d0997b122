"""The WordNet builder (offline suite): known answers on a hand-made data line and on Debian's
WordNet 3.0, group-disjoint splits, balance, byte-identical rebuilds, shipped checksums.

Pitfalls guarded: a lemma straddling train and test (grouped splits matter: we measured it),
a negative that is in fact a true gloss / hypernym / same sense, a second text that alone
gives the label away, and parquet files that differ from build to build (pinned checksums).
"""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from w2sbench.tasks.builders import wordnet as W
from w2sbench.tasks.builders import wordnet_relations as R
from w2sbench.tasks.builders.wordnet_lexicon import parse_data_file
from w2sbench.tasks.loading import load_task_data, sha256_file
from w2sbench.tasks.task import load_task_file

WORDNET = Path("/usr/share/wordnet")
TASKS = Path(__file__).resolve().parents[3] / "tasks"
needs_wordnet = pytest.mark.skipif(
    not (WORDNET / "data.noun").exists(),
    reason="Debian's WordNet 3.0 is not installed (apt-get install wordnet-base); CI installs it",
)

LINE = (
    "02084071 05 n 03 dog 0 domestic_dog 0 Canis_familiaris 0 002 @ 02083346 n 0000 "
    '@i 01317541 n 0000 | a member of the genus Canis; "the dog barked all night"; '
    '"a dog is a good friend"  \n'
)


def test_parses_a_data_line(tmp_path):
    path = tmp_path / "data.noun"
    path.write_text("  1 This is a licence header line\n" + LINE)
    s = parse_data_file(path, "n")["n:02084071"]
    assert s.lemmas == ["dog", "domestic dog", "Canis familiaris"]
    assert s.lexfile == 5 and s.hypernyms == ["n:02083346", "n:01317541"]
    assert s.definition == "a member of the genus Canis"
    assert s.examples == ["the dog barked all night", "a dog is a good friend"]


@pytest.fixture(scope="module")
def wn():
    if not (WORDNET / "data.noun").exists():
        pytest.skip("Debian's WordNet 3.0 is not installed (apt-get install wordnet-base)")
    return W.load_wordnet(WORDNET)


@pytest.fixture(scope="module")
def built(wn):
    return {task: W.build_rows(task, wn) for task in W.TASKS}


def test_known_senses(wn):
    assert len(wn.synsets) == 117659  # WordNet 3.0's synset count
    dog = [wn.synsets[k] for k in wn.senses["dog"]]
    assert dog[0].definition.startswith("a member of the genus Canis")
    assert "n" in wn.familiar["dog"] and "v" in wn.familiar["run"]
    assert any("canine" in wn.synsets[a].lemmas for a in W._ancestors(wn, dog[0].key, 1))


def test_known_gloss_pair(wn):
    rows = W.gloss_examples(wn, ["cat", "dog", "horse", "sheep"], random.Random(0))
    dog = {r["label"]: r["text_pair"] for r in rows if r["text"] == "dog"}
    definitions = {wn.synsets[k].definition for k in wn.senses["dog"]}
    assert dog[1] in definitions and dog[0] not in definitions


def test_known_hypernym_question(wn):
    rows = W.hypernym_examples(wn, ["cat", "dog", "horse", "sheep"], random.Random(0))
    dog = {r["label"]: r["text"] for r in rows if r["group"] == "dog"}
    within_three = ("canine", "domestic animal", "carnivore", "animal", "placental", "organism")
    assert dog[1] in {f"Is a dog a kind of {y}?" for y in within_three}
    assert dog[0].startswith("Is a dog a kind of ") and dog[0] != dog[1]


@pytest.mark.parametrize(
    ("task", "x", "y"),
    [
        ("wordnet_meronym", "bulkhead", "ship"),
        ("wordnet_meronym", "finger", "hand"),
        ("wordnet_member", "dog", "Canis"),
        ("wordnet_member", "margay", "Felis"),
        ("wordnet_instance", "Mozart", "composer"),
        ("wordnet_instance", "Suva", "national capital"),
        ("wordnet_domain", "bunt", "baseball"),
        ("wordnet_domain", "fry", "cooking"),
        ("wordnet_troponym", "snicker", "laugh"),
        ("wordnet_troponym", "stroll", "walk"),
    ],
)
def test_known_relation_pairs(wn, task, x, y):
    assert (x, y) in {(a, b) for a, b, _ in R.related_pairs(wn, task)[x.lower()]}


def test_pairs_that_share_a_stem_are_left_out(wn):
    """ "Canis" is a member of "Canidae" in WordNet, "doorknob" a part of "door": spelling answers those."""
    members = {b for _, b, _ in R.related_pairs(wn, "wordnet_member").get("canis", [])}
    assert "Canidae" not in members
    assert "doorknob" not in R.related_pairs(wn, "wordnet_meronym")
    assert any(
        p.symbol == "#m" and "Canidae" in wn.synsets[p.target].lemmas
        for k in wn.senses["canis"]
        for p in wn.synsets[k].pointers
    )


def test_relation_negative_is_another_items_partner(wn):
    rows = R.relation_examples("wordnet_instance")(wn, ["mozart", "einstein"], random.Random(0))
    mozart = {r["label"]: r["text_pair"] for r in rows if r["group"] == "mozart"}
    assert mozart[1] == "composer" and mozart[0] not in R.related_names(wn, "Mozart", ("@i",))
    assert sorted(r["text_pair"] for r in rows if r["label"] == 1) == sorted(
        r["text_pair"] for r in rows if r["label"] == 0
    )


def _gloss_truth(wn, r):
    return r["text_pair"] in {wn.synsets[k].definition for k in wn.senses[r["text"]]}


def _hypernym_truth(wn, r):
    x, y = re.fullmatch(r"Is an? (\w+) a kind of (.+)\?", r["text"]).groups()
    up = {n for k in wn.senses[x] if k[0] == "n" for a in W._ancestors(wn, k, 30) for n in wn.synsets[a].lemmas}
    return y in up


def _wic_truth(wn, r):
    lemma = r["group"]
    return any(
        r["text"] in W._marked(wn, lemma, k) and r["text_pair"] == wn.synsets[k].definition for k in wn.senses[lemma]
    )


_FIRST_LEMMA: dict[int, dict[str, list]] = {}


def _synsets_named(wn, x):
    """The synsets whose first lemma is x (an index built once per WordNet, not a scan per row)."""
    if id(wn) not in _FIRST_LEMMA:
        index = {}
        for s in wn.synsets.values():
            index.setdefault(s.lemmas[0], []).append(s)
        _FIRST_LEMMA[id(wn)] = index
    return _FIRST_LEMMA[id(wn)].get(x, [])


def _relation_truth(task):
    symbols = R.RELATIONS[task].symbols

    def truth(wn, r):
        x, y = r["text"], r["text_pair"]
        pointed = {
            wn.synsets[p.target].lemmas[0] for s in _synsets_named(wn, x) for p in s.pointers if p.symbol in symbols
        }
        if y in pointed:
            return True
        assert y.lower() not in R.related_names(wn, x, symbols), r  # a negative names nothing related
        return False

    return truth


def _question_truth(task):
    pattern = re.escape(R.QUESTIONS[task]).replace(r"\{x\}", "(?P<x>.+)").replace(r"\{y\}", "(?P<y>.+)")
    pattern = pattern.replace(r"\{a\}", "an?")
    pair_truth = _relation_truth(task)

    def truth(wn, r):
        m = re.fullmatch(pattern, r["text"])
        assert m and r["text_pair"] is None, r
        return pair_truth(wn, {"text": m["x"], "text_pair": m["y"]})

    return truth


TRUTH = {
    "wordnet_gloss": _gloss_truth,
    "wordnet_hypernym": _hypernym_truth,
    "wordnet_wic": _wic_truth,
    **{task: _relation_truth(task) for task in R.RELATIONS},
    **{f"{task}_q": _question_truth(task) for task in R.QUESTIONS},
}


def test_questions_ask_the_same_pairs(wn):
    groups = ["mozart", "einstein", "suva", "everest"]
    pairs = R.relation_examples("wordnet_instance")(wn, groups, random.Random(0))
    questions = R.relation_examples("wordnet_instance", question=True)(wn, groups, random.Random(0))
    assert [(r["label"], r["group"]) for r in pairs] == [(r["label"], r["group"]) for r in questions]
    assert {"text": "Is Mozart a composer?", "text_pair": None, "label": 1, "group": "mozart"} in questions


@pytest.mark.parametrize("task", sorted(W.TASKS))
def test_every_label_agrees_with_wordnet(wn, built, task):
    for split in built[task].values():
        for r in split:
            assert TRUTH[task](wn, r) == bool(r["label"]), r


@pytest.mark.parametrize("task", sorted(W.TASKS))
def test_splits_grouped_balanced_sized(built, task):
    rows = built[task]
    groups = {split: {r["group"] for r in rs} for split, rs in rows.items()}
    assert not groups["train"] & groups["test"]
    assert all(W.in_test(g) for g in groups["test"]) and not any(W.in_test(g) for g in groups["train"])
    for split, rs in rows.items():
        assert len(rs) == W.SIZES[split]
        assert 2 * sum(r["label"] for r in rs) == len(rs)
        for g in groups[split]:  # each lemma brings as many positives as negatives
            labels = [r["label"] for r in rs if r["group"] == g]
            assert 2 * sum(labels) == len(labels)
    ids = [r["id"] for rs in rows.values() for r in rs]
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("task", sorted(W.TASKS))
def test_unique_texts_stay_cheap_to_embed(built, task):
    """MPNet embeds ~30 texts/s on 2 cores: a cold default run must stay under 15 minutes."""
    texts = {t for rs in built[task].values() for r in rs for t in (r["text"], r["text_pair"]) if t}
    assert len(texts) <= 4500


@needs_wordnet
def test_building_twice_is_byte_identical_and_matches_the_shipped_files(tmp_path):
    for out in ("a", "b"):
        W.main(["--wordnet-dir", str(WORDNET), "--out", str(tmp_path / out), "--no-update"])
    for task in W.TASKS:
        for split in ("train", "test"):
            a, b = (tmp_path / out / task / f"{split}.parquet" for out in ("a", "b"))
            assert a.read_bytes() == b.read_bytes()
            # content, not bytes: another pyarrow or zstd version may encode the same table differently
            assert pq.read_table(a).equals(pq.read_table(TASKS / "data" / task / f"{split}.parquet")), (
                f"{task}/{split}: the shipped file is stale; rebuild it with python -m w2sbench.tasks.builders.wordnet"
            )


def test_update_task_file_rewrites_only_the_checksum(tmp_path):
    text = (TASKS / "wordnet_gloss.yaml").read_text()
    (tmp_path / "data/wordnet_gloss").mkdir(parents=True)
    shutil.copytree(TASKS / "_base", tmp_path / "_base")  # the base file it includes
    (tmp_path / "wordnet_gloss.yaml").write_text(text)
    paths = {s: tmp_path / f"data/wordnet_gloss/{s}.parquet" for s in ("train", "test")}
    for s, p in paths.items():
        p.write_bytes(s.encode())
    W.update_task_file(tmp_path / "wordnet_gloss.yaml", paths)
    new = (tmp_path / "wordnet_gloss.yaml").read_text()
    changed = [b for a, b in zip(text.splitlines(), new.splitlines(), strict=False) if a != b]
    assert len(changed) == 2 and all(line.strip().startswith("sha256:") for line in changed)
    source = load_task_file(tmp_path / "wordnet_gloss.yaml").source
    assert {s: f.sha256 for s, f in source.splits.items()} == {s: sha256_file(p) for s, p in paths.items()}


@pytest.mark.parametrize("task", sorted(W.TASKS))
def test_shipped_files_match_their_task_file_and_load(task):
    definition = load_task_file(TASKS / f"{task}.yaml")
    for shipped in definition.source.splits.values():
        path = TASKS / shipped.path
        assert sha256_file(path) == shipped.sha256, f"{path}: rebuild with {definition.source.build_command}"
        assert pq.read_schema(path).names == ["id", "text", "text_pair", "label", "group"]
    data = load_task_data(definition)
    assert len(data.pool) == definition.sizes.pool and len(data.test) == definition.sizes.test
    assert {e.group for e in data.pool}.isdisjoint({e.group for e in data.test})
    assert (TASKS / "data" / "WORDNET-LICENSE").read_text().startswith("The files under tasks/data/wordnet_*")
