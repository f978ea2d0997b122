"""The weak and ceiling accuracies of every board are the harness's own: submissions/naive's records,
never another copy of builtin:naive, whatever its name sorts before.

Hand-made records (tests/reporting/records.py) on one task of 400 test examples, two seeds, one
pair: the harness's weak supervisor is right on the first 280 examples and its ceiling on the
first 360. "atk-forge" is a builtin:naive copy whose records claim a ceiling right on the first
300 only (a gap of 0.05 instead of 0.20), which would raise every entry's PGR were it read.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.reporting.records import correct_on, record
from tests.submissions.conftest import write_submission
from w2sbench.core.result import ResultStore
from w2sbench.leaderboard import generate
from w2sbench.leaderboard.board import build_leaderboard
from w2sbench.running.tracks import Track

N = 400
TRACK = Track(
    name="toy",
    title="toy track",
    status="provisional",
    description="hand-made records",
    suite="toy",
    tasks=["a"],
    ladder="fake",
    pairs=["weak:strong"],
    seeds=[0, 1],
    time_limit_s=60,
)
TRACKS = {"toy": TRACK}


def write_entry(root, name, w2s, ceiling=360, seeds=TRACK.seeds, params=None):
    folder = write_submission(root, name, builtin="naive", parameters=params)
    store = ResultStore(folder / "results")
    first = lambda k: np.arange(N) < k  # noqa: E731
    labels = np.random.default_rng(7).integers(0, 2, N)
    for seed in seeds:
        store.write(
            record(
                "a",
                seed,
                labels,
                correct_on(labels, first(280)),
                correct_on(labels, first(w2s)),
                correct_on(labels, first(ceiling)),
                params=params,
                ladder="fake",
            )
        )


@pytest.fixture
def root(tmp_path):
    write_entry(tmp_path, "atk-forge", 320, ceiling=300)  # sorts before naive
    write_entry(tmp_path, "naive", 320)
    write_entry(tmp_path, "hard", 328, params={"hard": True})
    return tmp_path


def test_the_reference_is_submissions_naive_never_a_copy(root):
    [board] = build_leaderboard(root, TRACKS).boards
    assert board.reference == "naive"
    rows = {r.name: r for r in board.rows}
    assert rows["naive"].pgr == pytest.approx(0.5) and rows["hard"].pgr == pytest.approx(0.6)
    assert rows["atk-forge"].pgr == pytest.approx(0.5)  # its own ceiling is not read
    assert board.notes == [
        "atk-forge: weak-supervisor or ceiling predictions differ from naive's in 2 experiment(s) "
        "(another environment or harness version?)"
    ]
    md = generate(root, TRACKS)["README.md"].decode()
    assert "Weak and ceiling accuracies from naive's records" in md and "from atk-forge's records" not in md


def test_without_complete_naive_records_nothing_is_scored_and_no_copy_stands_in(root):
    for f in sorted((root / "naive" / "results").glob("*.json"))[:1]:
        f.unlink()
    [board] = build_leaderboard(root, TRACKS).boards
    assert board.reference is None and board.incomplete == [("naive", 1, 2)]
    assert all(r.pgr is None and r.rank is None for r in board.rows)
    assert board.notes[0].startswith("no reference: submissions/naive has no complete, valid records")
    md = generate(root, TRACKS)["README.md"].decode()
    assert "No reference records (the harness's own naive entry): nothing on this board is scored" in md
    assert "atk-forge's records" not in md


def test_a_naive_entry_with_parameters_is_not_the_harness(tmp_path):
    write_entry(tmp_path, "atk-forge", 320, ceiling=300)
    write_entry(tmp_path, "naive", 320, params={"hard": True})
    [board] = build_leaderboard(tmp_path, TRACKS).boards
    assert board.reference is None and "is not builtin:naive without parameters" in board.notes[0]
