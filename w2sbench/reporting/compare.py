"""Comparing methods against a baseline across tasks, rung pairs and seeds.

Each method's unit of evidence is one experiment's PGR (task, weak, strong, seed). A method's
mean PGR gets a t-interval over those units; its difference from the baseline is paired on
the same units (same weak labels, same ceiling), tested with a paired t-test and a Wilcoxon
signed-rank test. Oracle methods are reported apart and never ranked with fair ones, and so
are runs supervised by an ensemble of weak rungs (a different supervision, paired with the
baseline's ensemble runs).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats
from tabulate import tabulate

from w2sbench.core.result import Result
from w2sbench.models.ladder import is_ensemble_name


@dataclass(frozen=True)
class Comparison:
    method: str
    oracle: bool
    n: int
    mean_pgr: float
    ci: tuple[float, float]
    diff: float | None
    diff_ci: tuple[float, float] | None
    p_ttest: float | None
    p_wilcoxon: float | None


def method_label(r: Result) -> str:
    """The method's name, plus any parameter that differs from its registered default."""
    from w2sbench.methods.api import all_methods

    cls = all_methods().get(r.method.name)
    defaults = cls().params() if cls else {}
    changed = {k: v for k, v in sorted(r.method.params.items()) if defaults.get(k) != v}
    return r.method.name + ("(" + ", ".join(f"{k}={v}" for k, v in changed.items()) + ")" if changed else "")


ENSEMBLE = " [weak ensemble]"


def row_label(r: Result) -> str:
    """The method's label, marked when its weak supervisor is an ensemble (never pooled with single)."""
    return method_label(r) + (ENSEMBLE if is_ensemble_name(r.weak.name) else "")


def _unit(r: Result) -> tuple:
    return (r.task.id, r.weak.name, r.strong.name, r.seed)


def _t_interval(values: np.ndarray) -> tuple[float, float]:
    if len(values) < 2:
        return (float("nan"), float("nan"))
    half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return (float(values.mean() - half), float(values.mean() + half))


def compare(results: list[Result], baseline: str = "naive") -> list[Comparison]:
    """One Comparison per method (experiments with an undefined PGR are left out, and counted)."""
    by_method: dict[str, dict[tuple, float]] = {}
    oracle: dict[str, bool] = {}
    for r in results:
        if r.scores.pgr is not None:
            by_method.setdefault(row_label(r), {})[_unit(r)] = r.scores.pgr
            oracle[row_label(r)] = r.method.oracle
    out = []
    for name, units in sorted(by_method.items()):
        base_name = baseline + (ENSEMBLE if name.endswith(ENSEMBLE) else "")
        base = by_method.get(base_name, {})
        values = np.array(list(units.values()))
        shared = sorted(set(units) & set(base))
        diff = diff_ci = p_t = p_w = None
        if name != base_name and len(shared) >= 2:
            d = np.array([units[u] - base[u] for u in shared])
            diff, diff_ci = float(d.mean()), _t_interval(d)
            p_t = float(stats.ttest_1samp(d, 0.0).pvalue)
            p_w = float(stats.wilcoxon(d).pvalue) if np.any(d != 0) else 1.0
        out.append(Comparison(name, oracle[name], len(values), float(values.mean()), _t_interval(values),
                              diff, diff_ci, p_t, p_w))
    return sorted(out, key=lambda c: (c.oracle, c.method.endswith(ENSEMBLE), -c.mean_pgr))


def comparison_table(rows: list[Comparison], baseline: str = "naive") -> str:
    def ci(pair):
        return "" if pair is None else f"[{pair[0]:+.3f}, {pair[1]:+.3f}]"

    def num(x, fmt):
        return "" if x is None else format(x, fmt)

    table = [
        [c.method + (" (oracle)" if c.oracle else ""), c.n, f"{c.mean_pgr:.3f}", ci(c.ci),
         num(c.diff, "+.3f"), ci(c.diff_ci), num(c.p_ttest, ".3g"), num(c.p_wilcoxon, ".3g")]
        for c in rows
    ]
    headers = ["method", "n", "mean PGR", "95% CI", f"minus {baseline}", "95% CI", "p (paired t)", "p (Wilcoxon)"]
    return tabulate(table, headers=headers, tablefmt="github", disable_numparse=True)
