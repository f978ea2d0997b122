"""Method comparison: paired differences against the baseline, oracles apart."""

import pytest

from tests.protocol.test_experiment import grid, workspace
from w2sbench.methods.api import make_method
from w2sbench.reporting.compare import compare, comparison_table
from w2sbench.running.sweep import run_grid


def test_paired_difference_is_exact_for_identical_methods(tasks_env, tmp_path):
    methods = [make_method("naive"), make_method("naive", {"hard": True}), make_method("early-stop-gt")]
    results = run_grid(workspace(tmp_path), grid(methods, seeds=(0, 1, 2)), show_progress=False)
    rows = {c.method: c for c in compare(results)}
    assert rows["naive(hard=True)"].n == 3 and rows["naive(hard=True)"].diff is not None
    soft = [r for r in results if r.method.params.get("hard") is not True]
    assert rows["naive"].diff is None and rows["naive"].n == 3
    oracle = rows["early-stop-gt"]
    assert oracle.oracle and oracle.n == 3
    expected = sum(
        o.scores.pgr - n.scores.pgr
        for o in soft if o.method.name == "early-stop-gt"
        for n in soft if n.method.name == "naive" and n.seed == o.seed
    ) / 3
    assert oracle.diff == pytest.approx(expected)
    table = comparison_table(list(rows.values()))
    assert table.index("naive") < table.index("early-stop-gt (oracle)")  # oracles listed last


def test_ensemble_supervised_runs_are_rows_of_their_own_paired_with_the_ensemble_baseline(tasks_env, tmp_path):
    from tests.conftest import fake_ladder
    from w2sbench.running.sweep import Grid
    from w2sbench.tasks.task import get_task

    ladder = fake_ladder()
    methods = [make_method("naive"), make_method("naive", {"hard": True})]
    pairs = [(ladder.rungs[0], ladder.rungs[2]), (ladder.supervisor("weak+mid"), ladder.rungs[2])]
    g = Grid([get_task("toy")], ladder, pairs, methods, [0, 1, 2])
    results = run_grid(workspace(tmp_path), g, show_progress=False)
    rows = {c.method: c for c in compare(results)}
    assert set(rows) == {"naive", "naive(hard=True)", "naive [weak ensemble]", "naive(hard=True) [weak ensemble]"}
    assert all(c.n == 3 for c in rows.values())  # no row mixes the two supervisions
    ens = [r for r in results if "+" in r.weak.name]
    expected = sum(
        h.scores.pgr - n.scores.pgr
        for h in ens if h.method.params["hard"]
        for n in ens if not n.method.params["hard"] and n.seed == h.seed
    ) / 3
    assert rows["naive(hard=True) [weak ensemble]"].diff == pytest.approx(expected)
    order = [c.method for c in compare(results)]
    assert order.index("naive [weak ensemble]") > max(order.index("naive"), order.index("naive(hard=True)"))


def test_compare_command_reads_several_folders_and_filters_pairs(tasks_env, tmp_path):
    from click.testing import CliRunner

    from tests.conftest import fake_ladder
    from w2sbench.cli import main
    from w2sbench.running.sweep import Grid
    from w2sbench.tasks.task import get_task

    ladder = fake_ladder()
    pairs = [(ladder.rungs[0], ladder.rungs[2]), (ladder.rungs[1], ladder.rungs[2])]
    for name, method in (("a", make_method("naive")), ("b", make_method("naive", {"hard": True}))):
        ws = workspace(tmp_path / name)
        run_grid(ws, Grid([get_task("toy")], ladder, pairs, [method], [0, 1]), show_progress=False)
    args = ["compare", "--results", str(tmp_path / "a" / "results"), "--results", str(tmp_path / "b" / "results")]
    both = CliRunner().invoke(main, args)
    assert both.exit_code == 0, both.output
    assert "naive(hard=True)" in both.output
    one = CliRunner().invoke(main, [*args, "--pairs", "weak:strong"])
    rows = {line.split("|")[1].strip(): line.split("|")[2].strip() for line in one.output.splitlines()[2:]}
    assert rows == {"naive": "2", "naive(hard=True)": "2"}  # 2 seeds of one pair, out of 4 units
    none = CliRunner().invoke(main, [*args, "--pairs", "mid:weak"])
    assert none.exit_code != 0 and "no result records for pairs mid:weak" in none.output
