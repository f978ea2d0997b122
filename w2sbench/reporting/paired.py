"""The hierarchical paired bootstrap behind every interval and rank of the leaderboard and `compare`.

Per task one draw of resamples (seeds, then test examples, whole groups of examples that share a
source where the records give groups; core.metrics.Resamples), seeded by
the task id alone: every cell of the task, every entry and every track read the same
resamples, so differences between entries are paired. The weak supervisor and the ceiling of a
cell come from one reference (the harness's records: method-independent), so a resample's gap
is the same for every entry and the resamples where it vanishes are the same too.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from w2sbench.core.errors import W2SError
from w2sbench.core.metrics import Resamples, pgr_samples
from w2sbench.core.result import Result, groups_of

N_PAIRED = 20_000  # smallest two-sided p = 2 / 20,001 = 1.0e-4, under Holm's 0.05 / 91 = 5.5e-4 for 14 entries


def task_seed(task: str) -> int:
    return int(hashlib.sha256(f"w2sbench-paired/{task}".encode()).hexdigest()[:8], 16)


@dataclass(frozen=True)
class CellSamples:
    """(B,) resampled seed-mean accuracies of the reference's weak and ceiling, and each entry's PGR
    (nan where the resample's gap is under MIN_GAP)."""

    weak: np.ndarray
    ceiling: np.ndarray
    pgr: dict[str, np.ndarray]

    @property
    def gap(self) -> np.ndarray:
        return self.ceiling - self.weak


class PairedBootstrap:
    """Resamples per task, drawn once and shared by every cell and entry that reads them; each
    record's resampled accuracies are computed once (tracks share records) and in one product per batch."""

    def __init__(self, n_boot: int = N_PAIRED):
        self.n_boot = n_boot
        self._resamples: dict[tuple, Resamples] = {}
        self._accuracy: dict[tuple[str, str], np.ndarray] = {}  # (record key, model) -> (B,) on its task's resamples

    def resamples(self, task: str, k: int, n: int, groups: np.ndarray | None = None) -> Resamples:
        """The task's resamples of k seeds and n test examples (whole groups, where groups are given)."""
        key = (task, k, n, None if groups is None else groups.tobytes())
        if key not in self._resamples:
            self._resamples[key] = Resamples.draw(k, n, self.n_boot, task_seed(task), groups)
        return self._resamples[key]

    def cell(self, reference: list[Result], entries: dict[str, list[Result]]) -> CellSamples:
        """One cell: the reference's weak and ceiling, every entry's student, on the same resamples.

        Every list holds one record per seed, sorted by seed, all on the reference's test set.
        """
        first = reference[0]
        seeds = [r.seed for r in reference]
        for name, records in entries.items():
            if [r.seed for r in records] != seeds or any(
                r.predictions.ids_sha256 != first.predictions.ids_sha256 for r in records
            ):
                raise W2SError(
                    f"{name}: {first.task.id} {first.weak.name}->{first.strong.name} records are not on "
                    f"the reference's seeds {seeds} and test set; cannot pair them"
                )
            if any(r.predictions.groups != first.predictions.groups for r in records):
                raise W2SError(
                    f"{name}: {first.task.id} {first.weak.name}->{first.strong.name} records give other test "
                    "groups than the reference's (records made before groups were recorded?): re-make them"
                )
        res = self.resamples(first.task.id, len(seeds), len(first.predictions.labels), groups_of(first))
        wanted = [(reference, "weak"), (reference, "ceiling")] + [(records, "w2s") for records in entries.values()]
        self._compute(res, np.asarray(first.predictions.labels), [(r, m) for rs, m in wanted for r in rs])
        acc = [res.seed_mean(np.vstack([self._accuracy[(r.key, m)] for r in rs])) for rs, m in wanted]
        weak, ceiling = acc[0], acc[1]
        return CellSamples(
            weak, ceiling, {name: pgr_samples(a, weak, ceiling) for name, a in zip(entries, acc[2:], strict=False)}
        )

    def _compute(self, res: Resamples, labels: np.ndarray, wanted: list[tuple[Result, str]]) -> None:
        todo = list(dict.fromkeys((r.key, m) for r, m in wanted if (r.key, m) not in self._accuracy))
        if not todo:
            return
        probs = {(r.key, m): getattr(r.predictions, m) for r, m in wanted}
        correct = (np.asarray([probs[t] for t in todo], dtype=np.float32) > 0.5) == labels
        for t, row in zip(todo, res.per_seed_accuracy(correct), strict=False):
            self._accuracy[t] = row


def mean_over_cells(samples: list[np.ndarray]) -> np.ndarray:
    """(B,) mean over cells on each resample; nan where any cell's gap vanished."""
    return np.mean(np.vstack(samples), axis=0)
