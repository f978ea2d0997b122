"""The generated leaderboard: built from records only, deterministic, robust to bad entries.

Pitfalls guarded (met in other leaderboards): partial coverage averaged in (mteb #5101: an
incomplete entry is listed, never scored), rankings with no uncertainty (mteb #5208, HELM
#4336: intervals are shown and ranks tie where paired differences are not significant), oracles ranked with fair
methods (paper section 5.1.1), results that never appear until a rebuild (results PR #74:
`--check` fails on a stale committed board), and one broken entry taking the board down.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import FakeEncoder, fake_ladder, latent_rows, write_rows
from tests.submissions.conftest import toy_track, write_submission
from w2sbench.core.result import Result
from w2sbench.leaderboard import entry_markdown_of, generate, stale, write
from w2sbench.leaderboard.board import build_leaderboard
from w2sbench.methods.api import Method, make_method

TRACK = toy_track("toy", seeds=(0, 1), pairs=("weak:mid", "weak:strong"))
TRACKS = {"toy": TRACK}
REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class GroundTruthPeek(Method):
    """Test oracle: trains on the validation split's ground truth (not registered: records only)."""

    name = "test-gt-peek"
    oracle = True

    def fit(self, ctx):
        return ctx.student.fit(ctx.validation, ctx.validation_labels.astype(float))


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    """Records of three methods on the toy track (two seeds, two pairs), computed once."""
    import yaml

    from w2sbench.protocol.workspace import Workspace
    from w2sbench.running.grid import Grid
    from w2sbench.running.sweep import run_grid
    from w2sbench.tasks.task import _registry, get_task

    base = tmp_path_factory.mktemp("lb")
    folder = base / "tasks"
    shas = {
        "train": write_rows(folder / "data/toy/train.parquet", latent_rows(600, 0, "a")),
        "test": write_rows(folder / "data/toy/test.parquet", latent_rows(300, 1, "b")),
    }
    (folder / "toy.yaml").write_text(
        yaml.safe_dump(
            {
                "id": "toy",
                "version": 1,
                "description": "toy",
                "conversion": {"name": "standard"},
                "source": {
                    "kind": "files",
                    "build_command": "fixture",
                    "splits": {s: {"path": f"data/toy/{s}.parquet", "sha256": h} for s, h in shas.items()},
                },
                "splits": {"pool": "train", "test": "test"},
                "sizes": {"pool": 600, "test": 300},
                "suites": ["toy"],
                "licence": "CC0-1.0",
                "citation": "none",
                "homepage": "none",
            }
        )
    )
    methods = {
        "naive": make_method("naive"),
        "naive-hard": make_method("naive", {"hard": True}),
        "gt-peek": GroundTruthPeek(),
    }
    out = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("W2SBENCH_TASKS", str(folder))
        _registry.cache_clear()
        ladder = fake_ladder()
        pairs = [(ladder.rung(w), ladder.rung(s)) for w, s in TRACK.pair_names()]
        for name, method in methods.items():
            ws = Workspace(base / "cache", base / "results" / name, encoder_factory=FakeEncoder)
            run_grid(ws, Grid([get_task("toy")], ladder, pairs, [method], [0, 1]), show_progress=False)
            out[name] = sorted((base / "results" / name).glob("*.json"))
    _registry.cache_clear()
    return out


def make_root(tmp_path: Path, records, entries=("naive", "naive-hard", "gt-peek")) -> Path:
    root = tmp_path / "submissions"
    builtin = {"naive": ("naive", None), "naive-hard": ("naive", {"hard": True}), "gt-peek": ("test-gt-peek", None)}
    for name in entries:
        method, params = builtin[name]
        folder = write_submission(root, name, builtin=method, parameters=params)
        (folder / "results").mkdir()
        for f in records[name]:
            shutil.copy(f, folder / "results" / f.name)
    # naive beats the fake encoder's ceiling (flagged by submissions.review): accepted, as a maintainer would
    accepted = {
        n: sorted({Result.model_validate_json(f.read_bytes()).method.code_hash for f in records[n]}) for n in entries
    }
    (root / "reviewed.yaml").write_text(json.dumps({"accepted": accepted}))
    return root


def test_rows_ranks_oracles_and_plots(records, tmp_path):
    lb = build_leaderboard(make_root(tmp_path, records), TRACKS)
    [board] = lb.boards
    assert [r.name for r in board.rows] == sorted(
        [r.name for r in board.rows], key=lambda n: [r.rank for r in board.rows if r.name == n][0]
    )
    assert {r.name for r in board.rows} == {"naive", "naive-hard"}
    assert [r.name for r in board.oracle_rows] == ["gt-peek"] and board.oracle_rows[0].rank is None
    for r in board.rows:
        assert r.pgr is not None and r.ci[0] <= r.pgr <= r.ci[1]
        assert set(r.per_strong) == {"mid", "strong"}
        assert r.per_strong["strong"][0] == 3 and r.per_strong["mid"][0] == 2  # parameters from records
    # ranks from the Holm-corrected paired test (one pair here: Holm changes nothing)
    a, b = board.rows
    rk = board.ranking
    p = rk.p[rk.names.index(a.name)][rk.names.index(b.name)]
    assert rk.n_comparisons == 1 and (a.rank == b.rank) == (p >= 0.05)
    files = generate(make_root(tmp_path / "again", records), TRACKS)
    md, page = files["README.md"].decode(), files["index.html"].decode()
    assert "| [naive](../submissions/naive/)" in md and "### Oracle methods" in md
    assert "`w2sbench evaluate submissions/naive --track toy`" in md
    assert page.count('<tr class="entry"') == 3 and page.count("<svg") == 5
    assert 'href="../submissions/naive-hard/"' in page and "http://" not in page.replace("http://www.w3.org", "")


def test_compare_and_the_board_agree_on_every_number_they_share(records, tmp_path):
    from w2sbench.core.records import read_records
    from w2sbench.reporting.compare import compare as compare_methods

    root = make_root(tmp_path, records)
    [board] = build_leaderboard(root, TRACKS).boards
    results = [
        r for name in ("naive", "naive-hard", "gt-peek") for r in read_records(root / name / "results")[0].values()
    ]
    rows = {c.method: c for c in compare_methods(results).rows}
    for row in board.rows + board.oracle_rows:
        c = rows[{"naive": "naive", "naive-hard": "naive(hard=True)", "gt-peek": "test-gt-peek"}[row.name]]
        assert (c.mean_pgr, c.median_pgr) == pytest.approx((row.pgr, row.median))
        assert (c.ci.low, c.ci.high) == pytest.approx(row.ci)
        assert c.n_cells == len(board.scored_cells)


def test_same_records_give_the_same_bytes(records, tmp_path):
    first = generate(make_root(tmp_path / "a", records), TRACKS)
    second = generate(make_root(tmp_path / "b", records, entries=("gt-peek", "naive-hard", "naive")), TRACKS)
    assert first == second


def test_incomplete_entries_are_listed_never_averaged(records, tmp_path):
    root = make_root(tmp_path, records)
    for f in sorted((root / "naive-hard" / "results").glob("*.json"))[:3]:
        f.unlink()
    [board] = build_leaderboard(root, TRACKS).boards
    assert [r.name for r in board.rows] == ["naive"]
    assert board.incomplete == [("naive-hard", 1, 4)]
    md = generate(root, TRACKS)["README.md"].decode()
    assert "naive-hard](../submissions/naive-hard/): 1/4 records" in md


@pytest.mark.parametrize(
    "breakage,problem",
    [
        ("metadata-unknown-field", "unknown field 'homepage'"),
        ("metadata-missing-field", "missing field 'licence'"),
        ("corrupt-record", "not a valid result record"),
        ("edited-record", "checksum mismatch"),
        ("unknown-track", "unknown track(s) nope"),
    ],
)
def test_a_bad_entry_is_listed_and_nothing_else_changes(records, tmp_path, breakage, problem):
    import yaml

    root = make_root(tmp_path, records)
    before = build_leaderboard(root, TRACKS)
    bad = write_submission(root, "bad-entry", builtin="naive")
    (bad / "results").mkdir()
    for f in records["naive"]:
        shutil.copy(f, bad / "results" / f.name)
    meta = yaml.safe_load((bad / "metadata.yaml").read_text())
    victim = sorted((bad / "results").glob("*.json"))[0]
    if breakage == "metadata-unknown-field":
        meta["homepage"] = "x"
    elif breakage == "metadata-missing-field":
        meta.pop("licence")
    elif breakage == "corrupt-record":
        victim.write_text("{not json")
    elif breakage == "edited-record":
        victim.write_text(victim.read_text().replace('"acc_w2s": 0.', '"acc_w2s": 0.9', 1))
    elif breakage == "unknown-track":
        meta["tracks"] = ["toy", "nope"]
    (bad / "metadata.yaml").write_text(yaml.safe_dump(meta))
    after = build_leaderboard(root, TRACKS)
    listed = after.invalid + after.boards[0].invalid
    assert [n for n, _ in listed] == ["bad-entry"] and problem in listed[0][1]
    strip = lambda b: [(r.name, r.pgr, r.ci, r.rank) for r in b.rows + b.oracle_rows]  # noqa: E731
    assert strip(after.boards[0]) == strip(before.boards[0])


def test_submitted_text_is_escaped(records, tmp_path):
    import yaml

    root = make_root(tmp_path, records, entries=("naive",))
    meta_path = root / "naive" / "metadata.yaml"
    meta = yaml.safe_load(meta_path.read_text())
    meta["description"] = "<script>alert(1)</script> | pipes | and [links](javascript:x)"
    meta["authors"] = ["<img src=x onerror=alert(1)>"]
    meta_path.write_text(yaml.safe_dump(meta))
    files = generate(root, TRACKS)
    page, md = files["index.html"].decode(), files["README.md"].decode()
    assert "<script>alert" not in page and "<img src=x" not in page and "&lt;script&gt;" in page
    row = next(line for line in md.splitlines() if line.startswith("| 1"))
    assert row.count(" | ") == md.splitlines()[md.splitlines().index(row) - 2].count(" | ")  # no injected columns


def test_write_and_check(records, tmp_path, monkeypatch):
    import w2sbench.leaderboard as lb_module
    from w2sbench.cli import main

    root = make_root(tmp_path, records)
    out = tmp_path / "leaderboard"
    monkeypatch.setattr(lb_module, "all_tracks", lambda: TRACKS)
    runner = CliRunner()
    check = ["leaderboard", "--submissions", str(root), "--out", str(out), "--check"]
    result = runner.invoke(main, check)
    assert result.exit_code == 1 and "stale" in result.output
    assert runner.invoke(main, ["leaderboard", "--submissions", str(root), "--out", str(out)]).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "index.html"]
    assert runner.invoke(main, check).exit_code == 0
    next(iter((root / "naive" / "results").glob("*.json"))).unlink()  # a record removed: the board is stale
    result = runner.invoke(main, check)
    assert result.exit_code == 1 and "w2sbench leaderboard" in result.output
    comparison = runner.invoke(main, ["leaderboard", "--submissions", str(root), "--entry", "naive-hard"])
    assert comparison.exit_code == 0 and "naive-hard" in comparison.output


def test_entry_markdown_shows_the_entry_against_the_baselines(records, tmp_path):
    root = make_root(tmp_path, records)
    text = entry_markdown_of("gt-peek", root, TRACKS)
    assert "gt-peek" in text and "[naive](../submissions/naive/)" in text


def test_committed_leaderboard_is_current():
    """What CI runs: the committed leaderboard/ matches the committed submissions' records."""
    files = generate(REPO / "submissions")
    assert stale(files, REPO / "leaderboard") == [], "run `w2sbench leaderboard` and commit leaderboard/"


def test_committed_entries_are_valid_and_baselines_complete():
    """Every committed entry is readable; every baseline is complete on each track it enters."""
    from w2sbench.running.tracks import all_tracks

    lb = build_leaderboard(REPO / "submissions", all_tracks())
    assert lb.invalid == []
    for board in lb.boards:
        assert board.invalid == [], board.invalid
        assert board.incomplete == [], board.incomplete
    assert any(r.name == "naive" for b in lb.boards for r in b.rows)


@pytest.mark.browser
def test_the_page_renders_in_a_real_browser(records, tmp_path):
    """Headless Debian chromium: rows present, plots drawn with a non-zero size, a screenshot."""
    if not (shutil.which("chromium") or Path("/usr/bin/chromium").exists()):
        pytest.skip("chromium is not installed (Debian: apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install selenium)")
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    root = make_root(tmp_path, records)
    (tmp_path / "submissions" / "incomplete").mkdir()
    # the main board opens the page even where tracks.yaml lists a provisional one first
    tracks = {"side": toy_track("side"), "toy": TRACK.model_copy(update={"status": "main"})}
    write(generate(root, tracks), tmp_path / "leaderboard")
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'chrome-profile'}",
        "--window-size=1280,2000",
    ):
        options.add_argument(flag)
    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        driver.get((tmp_path / "leaderboard" / "index.html").as_uri())
        assert driver.title == "w2sbench leaderboard"
        # the first screen (1280 x 800): the main board's one-line summary and its ranked table, the rules folded
        assert driver.find_element(By.CSS_SELECTOR, "section.board").get_attribute("id") == "track-toy"
        assert driver.find_element(By.CSS_SELECTOR, "p.summary").text.startswith("toy: best PGR ")
        assert not driver.find_element(By.CSS_SELECTOR, "details.rules p").is_displayed()
        assert not driver.find_element(By.CSS_SELECTOR, "details.about p").is_displayed()
        first_row = driver.find_element(By.CSS_SELECTOR, "table.ranked tr.entry")
        assert first_row.location["y"] + first_row.size["height"] < 800
        rows = driver.find_elements(By.CSS_SELECTOR, "table.ranked tr.entry")
        assert [r.get_attribute("data-name") for r in rows] == [
            r.name for r in build_leaderboard(root, TRACKS).boards[0].rows
        ]
        assert len(driver.find_elements(By.CSS_SELECTOR, "table.oracle tr.entry")) == 1
        plots = driver.find_elements(By.CSS_SELECTOR, "#track-toy svg.plot")
        assert len(plots) == 5  # forest, size, heatmap, pairs against the weak rung and against the gap
        pairs = driver.find_element(By.CSS_SELECTOR, "#track-toy svg.pairs")
        kept = len(build_leaderboard(root, TRACKS).boards[0].pairs)
        assert len(pairs.find_elements(By.CSS_SELECTOR, "circle")) == kept  # naive per pair (no bootstrap entry)
        for svg_el in plots:
            assert svg_el.size["width"] > 100 and svg_el.size["height"] > 50
            assert svg_el.find_elements(By.CSS_SELECTOR, "circle, rect")
        # the CI marks are drawn: one error bar (line) per complete entry in the forest plot
        forest = driver.find_element(By.CSS_SELECTOR, "#track-toy svg.forest")
        assert len(forest.find_elements(By.CSS_SELECTOR, "circle")) == 3
        shot = tmp_path / "leaderboard.png"
        assert driver.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    finally:
        driver.quit()
    assert re.search(r"PGR \[95% CI\]", (tmp_path / "leaderboard" / "index.html").read_text())


def test_records_that_disagree_with_the_metadata_are_not_scored(records, tmp_path):
    """Parameters edited in metadata.yaml after evaluating: the old records no longer describe the entry."""
    import yaml

    root = make_root(tmp_path, records)
    meta_path = root / "naive-hard" / "metadata.yaml"
    meta = yaml.safe_load(meta_path.read_text())
    meta["parameters"] = {"hard": False}
    meta_path.write_text(yaml.safe_dump(meta))
    [board] = build_leaderboard(root, TRACKS).boards
    assert [n for n, _ in board.invalid] == ["naive-hard"] and "other parameters" in board.invalid[0][1]
    assert "naive-hard" not in [r.name for r in board.rows]


def test_the_main_board_comes_first_with_its_summary_line(records, tmp_path):
    from w2sbench.leaderboard.render import markdown, summary

    root = make_root(tmp_path, records)
    lb = build_leaderboard(root, {"side": toy_track("side"), "toy": TRACK.model_copy(update={"status": "main"})})
    assert [b.track.name for b in lb.boards] == ["toy", "side"]
    b = lb.boards[0]
    lead, line = b.rows[0], summary(b)
    assert line.startswith(f"toy: best PGR {lead.name} {lead.pgr:.2f} [{lead.ci[0]:.2f}, {lead.ci[1]:.2f}]")
    assert line.endswith(f"; {len(b.rows)} entries ranked on {len(b.scored_cells)} cells of 1 task.")
    assert summary(lb.boards[1]) == "side: no entry ranked yet."
    md = markdown(lb)
    assert md.index("## toy") < md.index("## side") and f"**{summary(b)}**".replace("[", "\\[") in md.replace(
        "\\]", "]"
    )
