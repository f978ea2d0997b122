"""`w2sbench curve`: prints a board's pairs from the records, writes nothing, and names an unknown track."""

from click.testing import CliRunner

from tests.leaderboard.test_scoring import root as root  # noqa: F401 (the fixture: two hand-made entries)
from tests.reporting.records import TOY_TRACK
from w2sbench.cli import main


def test_curve_prints_the_pairs_and_writes_nothing(root, monkeypatch):  # noqa: F811
    from w2sbench import leaderboard

    monkeypatch.setattr(leaderboard, "all_tracks", lambda: {"toy": TOY_TRACK})
    before = sorted(p for p in root.rglob("*"))
    out = CliRunner().invoke(main, ["curve", "--track", "toy", "--submissions", str(root)])
    assert out.exit_code == 0, out.output
    assert out.output.startswith("| task ") and "naive PGR [95% CI]" in out.output
    assert sorted(p for p in root.rglob("*")) == before
    out = CliRunner().invoke(main, ["curve", "--track", "nope", "--submissions", str(root)])
    assert out.exit_code != 0 and "--track nope: no such board" in out.output
