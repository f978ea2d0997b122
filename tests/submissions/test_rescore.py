"""A private track: entries rescored by the maintainers on a test split drawn from a secret.

The acceptance test of the private split: a submission carrying 60 of the public test labels
(short literals, within the caps) beats the honest entry on the public split, and on the private
split does exactly what the honest method does. (On the toy task even naive passes the fake
ceiling's interval, so the tests accept every entry as a maintainer would, in reviewed.yaml:
what is tested is the split, not the review flag.)
"""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow.parquet as pq
import pytest

from tests.conftest import write_toy_task
from tests.submissions.conftest import accept_all, method_source, toy_harness, toy_track, write_submission
from w2sbench.core.errors import SubmissionError
from w2sbench.leaderboard.board import build_leaderboard
from w2sbench.submissions.evaluate import evaluate
from w2sbench.submissions.private_records import SPLIT_FILE, read_private_records
from w2sbench.submissions.rescore import rescore

SECRET = "maintainers-only-0123456789"
TRACKS = {"toy-private": toy_track("toy-private").model_copy(update={"private": True}), "toy": toy_track()}
CARRIED = 60  # of the 300 public test rows: a table of 60 short literals, far below the ceiling's bound


def carrier_source(comment: str = "") -> str:
    prelude = f"import hashlib\nTABLE = {{}}  # filled below\n{comment}\n"
    body = """
    def fit(self, ctx):
        student = ctx.student.fit(ctx.transfer, ctx.weak_labels)

        def predict(inputs):
            honest = np.asarray(student(inputs), dtype=float)
            keys = [hashlib.sha256(t.encode()).hexdigest()[:8] for t in inputs.texts]
            return np.array([float(TABLE[k]) if k in TABLE else p for k, p in zip(keys, honest)])
        return predict
    """
    return method_source("carrier", body=body, prelude=prelude)


@pytest.fixture(scope="module")
def private_arena(tmp_path_factory):
    from w2sbench.tasks.task import _registry

    base = tmp_path_factory.mktemp("private")
    tasks = write_toy_task(base / "tasks", private={"builder": "tests.conftest", "size": 300})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("W2SBENCH_TASKS", str(tasks))
        _registry.cache_clear()
        root = base / "submissions"
        harness = toy_harness(base / "cache", TRACKS, unsandboxed=True, time_limit_s=120)
        rows = pq.read_table(tasks / "data/toy/test.parquet").to_pydict()
        table = {
            hashlib.sha256(t.encode()).hexdigest()[:8]: y
            for t, y in list(zip(rows["text"], rows["label"], strict=False))[:CARRIED]
        }
        entries = {
            "honest": write_submission(root, "honest", builtin="naive", tracks=("toy-private",)),
            "carrier": write_submission(
                root, "carrier", carrier_source().replace("TABLE = {}", f"TABLE = {table!r}"), tracks=("toy-private",)
            ),
        }
        public = {n: evaluate(f, harness, show_progress=False).results["toy-private"][0] for n, f in entries.items()}
        accept_all(root)
        report = rescore(root, "toy-private", harness, SECRET, out=base / "private", show_progress=False)
        yield {
            "root": root,
            "harness": harness,
            "out": base / "private",
            "public": public,
            "report": report,
            "entries": entries,
            "table": table,
        }
    _registry.cache_clear()


def _private(arena, name):
    """The entry's committed private record, as the board reads it (correctness only: labels 1)."""
    [record] = read_private_records(arena["out"] / "toy-private" / name)[0].values()
    return record


def test_carried_labels_raise_the_public_score_and_not_the_private_one(private_arena):
    public = private_arena["public"]
    assert public["carrier"].scores.acc_w2s > public["honest"].scores.acc_w2s + 0.02  # the attack works in public
    honest, carrier = _private(private_arena, "honest"), _private(private_arena, "carrier")
    assert carrier.task.data_revision == honest.task.data_revision != public["honest"].task.data_revision
    assert carrier.task.data_source.startswith("private:test sha256 ")
    same = np.mean((np.array(carrier.predictions.w2s) > 0.5) == (np.array(honest.predictions.w2s) > 0.5))
    assert same >= 0.99 and abs(carrier.scores.acc_w2s - honest.scores.acc_w2s) <= 0.01  # right on the same examples


def test_the_private_board_ranks_on_the_maintainers_records_and_names_the_split(private_arena):
    board = {b.track.name: b for b in build_leaderboard(private_arena["root"], TRACKS, private_arena["out"]).boards}[
        "toy-private"
    ]
    split = private_arena["report"].split["toy"]
    assert board.private_split["toy"]["test_sha256"] == split["test_sha256"]
    rows = {r.name: r for r in board.rows}
    assert set(rows) == {"honest", "carrier"}
    assert rows["carrier"].acc_w2s == pytest.approx(_private(private_arena, "carrier").scores.acc_w2s)
    assert abs(rows["carrier"].acc_w2s - rows["honest"].acc_w2s) <= 0.01
    from w2sbench.leaderboard.render import markdown

    text = markdown(build_leaderboard(private_arena["root"], TRACKS, private_arena["out"]))
    assert "Ranked on a private test split drawn from the maintainers' secret" in text
    assert f"sha256 {split['test_sha256'][:16]}" in text


def test_a_rescore_resumes_and_writes_nothing_new(private_arena):
    folder = private_arena["out"] / "toy-private"
    before = {p: p.stat().st_mtime_ns for p in folder.rglob("*.json") if p.name != SPLIT_FILE}
    again = rescore(
        private_arena["root"],
        "toy-private",
        private_arena["harness"],
        SECRET,
        out=private_arena["out"],
        show_progress=False,
    )
    assert again.split == private_arena["report"].split and again.removed == []
    assert {p: p.stat().st_mtime_ns for p in folder.rglob("*.json") if p.name != SPLIT_FILE} == before


def test_changed_code_waits_unranked_for_the_next_rescore(private_arena, tmp_path):
    import shutil

    root = tmp_path / "submissions"
    shutil.copytree(private_arena["root"], root)
    out = tmp_path / "private"
    shutil.copytree(private_arena["out"], out)
    source = (root / "carrier" / "method.py").read_text()
    (root / "carrier" / "method.py").write_text(source.replace("# filled below", "# filled below (v2)"))
    evaluate(root / "carrier", private_arena["harness"], prune=True, show_progress=False)
    accept_all(root)
    board = {b.track.name: b for b in build_leaderboard(root, TRACKS, out).boards}["toy-private"]
    assert [r.name for r in board.rows] == ["honest"]
    assert [n for n, _, _ in board.incomplete] == ["carrier"]
    rescore(root, "toy-private", private_arena["harness"], SECRET, out=out, names=["carrier"], show_progress=False)
    board = {b.track.name: b for b in build_leaderboard(root, TRACKS, out).boards}["toy-private"]
    assert {r.name for r in board.rows} == {"honest", "carrier"}


def test_only_a_private_track_is_rescored(private_arena):
    with pytest.raises(SubmissionError, match="track toy is not private"):
        rescore(private_arena["root"], "toy", private_arena["harness"], SECRET, out=private_arena["out"])
    with pytest.raises(SubmissionError, match="no entry nobody"):
        rescore(
            private_arena["root"],
            "toy-private",
            private_arena["harness"],
            SECRET,
            out=private_arena["out"],
            names=["nobody"],
        )


def test_check_reproduces_committed_records_and_catches_a_forged_one(private_arena, tmp_path):
    import json
    import shutil

    out = tmp_path / "private"
    shutil.copytree(private_arena["out"], out)
    ok = rescore(
        private_arena["root"], "toy-private", private_arena["harness"], SECRET, out=out, check=True, show_progress=False
    )
    assert ok.problems == []
    path = next((out / "toy-private" / "carrier").glob("*.json"))
    record = json.loads(path.read_text())
    bits = record["correct"]["w2s"]
    record["correct"]["w2s"] = "".join("1" if b == "0" else "0" for b in bits[:5]) + bits[5:]
    record["scores"]["acc_w2s"] = record["correct"]["w2s"].count("1") / len(bits)
    from w2sbench.submissions.private_records import PrivateRecord

    path.write_bytes(PrivateRecord.model_validate(record).sealed().dump())
    before = {p: p.read_bytes() for p in out.rglob("*.json")}
    bad = rescore(
        private_arena["root"], "toy-private", private_arena["harness"], SECRET, out=out, check=True, show_progress=False
    )
    assert len(bad.problems) == 1 and path.name in bad.problems[0] and "hard prediction(s) changed" in bad.problems[0]
    assert {p: p.read_bytes() for p in out.rglob("*.json")} == before  # a check writes nothing
    other = rescore(
        private_arena["root"],
        "toy-private",
        private_arena["harness"],
        "another-secret-0123456789",
        out=out,
        check=True,
        show_progress=False,
    )
    assert any("does not name the split this secret draws" in p for p in other.problems)
