"""What a private board commits carries nothing back (w2sbench.submissions.rescore: PrivateRecord).

An entry wrote a hash of each input into the last decimals of its probabilities and, from its
own committed private records (labels and probabilities in the split's order), read back a
label for every private test input. A committed private record now holds, per example, only
whether each model was right, in an order keyed by the secret; the board reads it as a record
with the same correctness, so every number it shows is what the full records give.
"""

from __future__ import annotations

import hashlib
import json
import shutil

import numpy as np
import pyarrow.parquet as pq
import pytest

from tests.conftest import write_toy_task
from tests.submissions.conftest import (
    accept_all,
    method_source,
    toy_harness,
    toy_track,
    write_submission,
)
from w2sbench.core.metrics import group_index
from w2sbench.core.records import read_records
from w2sbench.leaderboard.board import build_board, build_leaderboard, load_entries
from w2sbench.leaderboard.private import private_entries
from w2sbench.submissions.evaluate import evaluate
from w2sbench.submissions.private_records import (
    PrivateRecord,
    expand,
    opens,
    read_private,
    reduce_committed,
    reduce_record,
)
from w2sbench.submissions.rescore import full_records_dir, rescore
from w2sbench.submissions.review import load_reviewed
from w2sbench.tasks.private import example_order, folder_of

SECRET = "maintainers-only-0123456789"
TRACKS = {
    "toy-private": toy_track("toy-private", seeds=(0, 1)).model_copy(update={"private": True}),
    "toy": toy_track(),
}


def code(text: str) -> int:
    """The 5 decimal digits (16.6 bits) of an input's hash that the exfiltrating entry writes."""
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) % 100_000


EXFILTRATE = """
def fit(self, ctx):
    import hashlib
    student = ctx.student.fit(ctx.transfer, ctx.weak_labels)

    def predict(inputs):  # its own hard answer, with a hash of the input in the last five decimals
        honest = np.asarray(student(inputs), dtype=float)
        codes = [int(hashlib.sha256(t.encode()).hexdigest()[:8], 16) % 100_000 for t in inputs.texts]
        return np.where(honest > 0.5, 0.7, 0.2) + np.array(codes) * 1e-6
    return predict
"""


def decode(text: str) -> dict[int, int]:
    """The attack on a record file: every probability's last five decimals as an input's code,
    with the label at the same position. Nothing else in a file looks like a probability list."""
    predictions = json.loads(text).get("predictions", {})
    return {round(p * 1e6) % 100_000: predictions["labels"][i] for i, p in enumerate(predictions.get("w2s", []))}


def floats(node, path: str = "") -> list[str]:
    """Where a JSON document holds non-integer numbers."""
    if isinstance(node, dict):
        return [w for k, v in node.items() for w in floats(v, f"{path}.{k}")]
    if isinstance(node, list):
        return [w for v in node for w in floats(v, path)]
    return [path] if isinstance(node, float) else []


@pytest.fixture(scope="module")
def board_env(tmp_path_factory):
    from w2sbench.tasks.task import _registry

    base = tmp_path_factory.mktemp("private-board")
    tasks = write_toy_task(base / "tasks", private={"builder": "tests.conftest", "size": 300})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("W2SBENCH_TASKS", str(tasks))
        _registry.cache_clear()
        root = base / "submissions"
        harness = toy_harness(base / "cache", TRACKS, unsandboxed=True, time_limit_s=120)
        folders = [
            write_submission(root, "naive", builtin="naive", tracks=("toy-private",)),
            write_submission(root, "exfil", method_source("exfil", body=EXFILTRATE), tracks=("toy-private",)),
        ]
        for f in folders:
            evaluate(f, harness, show_progress=False)
        accept_all(root)
        out = base / "private"
        rescore(root, "toy-private", harness, SECRET, out=out, show_progress=False)
        mirror = folder_of(SECRET, base / "cache" / "private") / "toy"
        rows = pq.read_table(mirror / "test.parquet").to_pydict()
        yield {
            "root": root,
            "out": out,
            "harness": harness,
            "base": base,
            "full": full_records_dir(SECRET, harness, TRACKS["toy-private"]),
            "truth": {code(t): y for t, y in zip(rows["text"], rows["label"], strict=False)},
        }
    _registry.cache_clear()


def test_an_exfiltrating_entry_decodes_nothing_from_its_committed_records(board_env):
    """From the full records (kept in the maintainers' cache) the attack reads a label for every
    private input; from the committed ones, nothing: no probability, no label."""
    committed = sorted((board_env["out"] / "toy-private" / "exfil").glob("*.json"))
    full = sorted((board_env["full"] / "exfil").glob("*.json"))
    assert len(committed) == len(full) == 2
    truth = board_env["truth"]
    for path in full:  # the control: where the full record is, the attack works
        keys, n = decode(path.read_text()), json.loads(path.read_text())["task"]["n_test"]
        assert len(keys) >= 0.95 * n and sum(truth.get(k) == y for k, y in keys.items()) >= 0.95 * n
    for path in committed:
        text = path.read_text()
        assert decode(text) == {}
        record = json.loads(text)
        where = {".".join(w.split(".")[:3]) for w in floats(record)}  # a few aggregates, nothing per example
        assert where <= {
            ".scores.acc_weak",
            ".scores.acc_w2s",
            ".scores.acc_ceiling",
            ".scores.pgr",
            ".scores.pgr_ci",
            ".scores.agreement",
            ".provenance.budget",
        }
        assert "predictions" not in record and '"labels"' not in text and "timings_s" not in record
        assert record["correct"]["order"] == "keyed"
        assert all(set(record["correct"][m]) <= {"0", "1"} for m in ("weak", "w2s", "ceiling"))


def test_the_committed_order_says_nothing_of_which_input_is_where(board_env):
    """The split's own order can be recomputed from the inputs (a hash of their ids). An attacker
    who knows it exactly, and its own hard answers, reads every label off records in that order;
    off the committed ones, whose order is keyed by the secret, it reads less than its own
    answers already give (a right answer paired with another input's correctness)."""
    full = next(iter(read_records(board_env["full"] / "exfil")[0].values()))
    committed = next(iter(read_private(board_env["out"] / "toy-private" / "exfil")[0].values()))
    mine = np.asarray(full.predictions.w2s) > 0.5  # what the attacker knows: its own answers, in split order
    labels = np.asarray(full.predictions.labels)

    def read_off(bits: str) -> float:  # label = own answer where right, its opposite where wrong
        right = np.array([b == "1" for b in bits])
        return float(np.mean(np.where(right, mine, ~mine) == labels))

    assert read_off(reduce_record(full, None).correct.w2s) == 1.0  # the split's order: every label
    acc = float(np.mean(mine == labels))
    assert read_off(committed.correct.w2s) < acc  # the keyed order: worse than its own answers alone
    assert abs(read_off(committed.correct.w2s) - (acc**2 + (1 - acc) ** 2)) < 0.08  # what chance pairing gives
    order = example_order(SECRET, full.task.id, full.predictions.ids_sha256, len(labels))
    right = (np.asarray(full.predictions.w2s) > 0.5) == labels
    assert committed.correct.w2s == "".join("1" if right[i] else "0" for i in order)
    # the pairs of a puzzle stay pairs in the keyed order (intervals resample them together), renumbered
    assert committed.correct.groups == group_index([full.predictions.groups[i] for i in order]).tolist()
    assert committed.correct.groups[0] == 0 and full.predictions.groups is not None


def test_the_board_gives_the_full_records_numbers(board_env, tmp_path):
    """The board from committed records ranks and scores as the board from the full records:
    exactly so in the split's order; in the keyed order the same accuracies and PGR, and
    intervals from the same bootstrap applied to the examples in another order."""
    track = TRACKS["toy-private"]
    root = board_env["root"]

    reviewed = load_reviewed(root)  # the toy ceiling is weak: every entry here is accepted after review

    def board(private_root):
        entries = [e for e in load_entries(root) if e.name in ("naive", "exfil")]
        return build_board(track, private_entries(entries, track, private_root, root), reviewed=reviewed)

    split = tmp_path / "split-order"
    for name in ("naive", "exfil"):
        (split / track.name / name).mkdir(parents=True)
        for r in read_records(board_env["full"] / name)[0].values():
            (split / track.name / name / f"{r.key[:32]}.json").write_bytes(reduce_record(r, None).dump())
    shutil.copy(board_env["out"] / track.name / "split.json", split / track.name / "split.json")

    full_entries = [e for e in load_entries(root) if e.name in ("naive", "exfil")]
    for e in full_entries:  # the full records, read as the board read them before
        e.records[:] = list(read_records(board_env["full"] / e.name)[0].values())
    reference = build_board(track, full_entries, reviewed=reviewed)
    same, keyed = board(split), board(board_env["out"])

    def numbers(b, intervals=True):
        return [
            (r.name, r.pgr, r.acc_w2s, r.agreement_wrong, *((r.ci, r.rank, r.per_strong) if intervals else ()))
            for r in b.rows
        ]

    assert numbers(reference) and numbers(same) == numbers(reference)
    assert numbers(keyed, intervals=False) == numbers(reference, intervals=False)


def test_the_commitment_opens_with_the_secret_and_that_full_record_only(board_env):
    full = next(iter(read_records(board_env["full"] / "exfil")[0].values()))
    committed = next(
        p for p in read_private(board_env["out"] / "toy-private" / "exfil")[0].values() if p.key == full.key
    )
    assert committed.commitment.salted and opens(committed, full, SECRET)
    assert not opens(committed, full, "another-secret-0123456789")
    changed = full.model_copy(update={"timings_s": {**full.timings_s, "method_s": 0.0}})
    assert not opens(committed, changed.model_copy(update={"sha256": changed.content_sha256()}), SECRET)


def test_records_committed_in_full_are_converted_once_and_refused_unconverted(board_env, tmp_path):
    """``python -m w2sbench.submissions.rescore --reduce`` turns full records into committed ones
    (the split's order, the record's checksum as commitment) and leaves reduced ones alone; a
    full record where a private record belongs is a problem of its entry, not read."""
    folder = tmp_path / "private" / "toy-private" / "exfil"
    shutil.copytree(board_env["full"] / "exfil", folder)
    before = {p.name: p.read_bytes() for p in folder.glob("*.json")}
    _, bad = read_private(folder)
    assert len(bad) == 2 and all("a full record" in why for _, why in bad)
    assert len(reduce_committed(tmp_path / "private")) == 2 and reduce_committed(tmp_path / "private") == []
    found, bad = read_private(folder)
    assert bad == [] and len(found) == 2
    for name, raw in before.items():
        p = PrivateRecord.model_validate_json((folder / name).read_bytes())
        full = next(iter(read_records(board_env["full"] / "exfil")[0].values()))
        assert p.correct.order == "split" and not p.commitment.salted
        assert p.commitment.sha256 == json.loads(raw)["sha256"]
        if p.key == full.key:
            assert opens(p, full) and expand(p).scores.acc_w2s == full.scores.acc_w2s


def test_records_in_two_orders_are_never_paired(board_env, tmp_path):
    """After a conversion, a rescore of one entry (the secret's order) next to converted records
    (the split's order): the converted entry is a problem until every entry is rescored."""
    track = TRACKS["toy-private"]
    out = tmp_path / "private"
    shutil.copytree(board_env["out"], out)
    for r in read_records(board_env["full"] / "naive")[0].values():
        (out / track.name / "naive" / f"{r.key[:32]}.json").write_bytes(reduce_record(r, None).dump())
    board = {b.track.name: b for b in build_leaderboard(board_env["root"], TRACKS, out).boards}[track.name]
    assert [n for n, _ in board.invalid] == ["naive"]
    assert "rescore every entry" in dict(board.invalid)["naive"]
