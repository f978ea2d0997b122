"""The smoke test behind `w2sbench mock-run`: two tiny generated tasks on a hashing ladder.

SMOKE TEST ONLY, NEVER A RESULT. The "rungs" here are not models: each embeds a text as the
mean of per-word random vectors (seeded by a hash of rung and word) plus rung-specific noise,
so the weak rung (12 dimensions, more noise) is measurably worse than the strong one (64,
little noise). The tasks are generated word puzzles, not data. All of it runs in seconds
with no model and no file, so a new method's plumbing (loading, the method API, the
sandbox, the output checks) is exercised before any real, slow run. Numbers printed by a
mock run say only that the method ran.
"""

from __future__ import annotations

import hashlib
import random
from functools import lru_cache

import numpy as np

from w2sbench.core.example import Example
from w2sbench.models.ladder import Ladder, Rung
from w2sbench.protocol.workspace import Workspace
from w2sbench.tasks.loading import TaskData
from w2sbench.tasks.task import Task

SMOKE_LABEL = "SMOKE TEST (hashing rungs, generated tasks): checks that the method runs; not a result"

# rung name -> (dimensions, noise scale)
SMOKE_RUNGS = {"smoke-weak": (12, 0.3), "smoke-mid": (24, 0.2), "smoke-strong": (64, 0.05)}

POSITIVE = "bright calm clever glad happy kind sunny warm".split()
NEGATIVE = "bleak cold cruel dull gloomy grim rotten sad".split()
NEUTRAL = [f"{a}{b}" for a in ("ba", "de", "ki", "lo", "mu") for b in ("k", "l", "m", "n", "p", "r")]


class HashingEncoder:
    """Mean of per-word random vectors plus per-text noise: a stand-in for a rung, for smoke tests."""

    def __init__(self, rung: Rung):
        if rung.name not in SMOKE_RUNGS:
            raise ValueError(f"not a smoke rung: {rung.name}")
        self.rung = rung
        self.dims, self.noise = SMOKE_RUNGS[rung.name]
        self.parameter_count = self.dims

    def _vector(self, token: str) -> np.ndarray:
        seed = int(hashlib.sha256(f"{self.rung.name}/{token}".encode()).hexdigest()[:8], 16)
        return np.random.default_rng(seed).normal(size=self.dims)

    def embed(self, texts, progress=None) -> np.ndarray:
        rows = []
        for text in texts:
            words = text.split()
            mean = np.mean([self._vector(w) for w in words], axis=0) if words else np.zeros(self.dims)
            rows.append(mean + self.noise * self._vector("#noise/" + text))
        if progress:
            progress(len(texts))
        return np.asarray(rows, dtype=np.float32)


def smoke_ladder() -> Ladder:
    rungs = [Rung(name=n, model=f"smoke/{n}", unpinned_reason="smoke test double, not a model") for n in SMOKE_RUNGS]
    return Ladder(name="smoke", description=SMOKE_LABEL, rungs=rungs)


def _task(task_id: str, description: str) -> Task:
    return Task.model_validate(
        {
            "id": task_id,
            "version": 1,
            "description": f"{description} ({SMOKE_LABEL})",
            "source": {
                "kind": "files",
                "build_command": "generated in memory by w2sbench.submissions.smoke",
                "splits": {"train": {"path": "none", "sha256": "0" * 64}, "test": {"path": "none", "sha256": "0" * 64}},
            },
            "splits": {"pool": "train", "test": "test"},
            "conversion": {"name": "standard"},
            "sizes": {"pool": 400, "test": 200},
            "suites": ["smoke"],
            "licence": "CC0-1.0",
            "citation": "none (generated)",
            "homepage": "none",
        }
    )


def _sentiment(rng: random.Random, i: int, prefix: str) -> Example:
    cues = [rng.choice(POSITIVE if rng.random() < 0.5 else NEGATIVE) for _ in range(3)]
    words = cues + [rng.choice(NEUTRAL) for _ in range(4)]
    rng.shuffle(words)
    label = int(sum(w in POSITIVE for w in cues) >= 2)
    return Example(id=f"{prefix}{i}", text=" ".join(words), label=label, group=f"{prefix}{i}")


def _paraphrase(rng: random.Random, i: int, prefix: str) -> Example:
    words = rng.sample(NEUTRAL, 6)
    if rng.random() < 0.5:
        pair = words[:]
        rng.shuffle(pair)
        pair[0] = rng.choice(NEUTRAL)
        label = 1
    else:
        pair = rng.sample(NEUTRAL, 5) + [words[0]]
        rng.shuffle(pair)
        label = 0
    return Example(id=f"{prefix}{i}", text=" ".join(words), text_pair=" ".join(pair), label=label, group=f"{prefix}{i}")


@lru_cache(maxsize=1)
def smoke_tasks() -> dict[str, TaskData]:
    """Two generated tasks: one single-text (word sentiment), one pair (shuffled-paraphrase)."""
    out = {}
    for task_id, make, what in (
        ("smoke_sentiment", _sentiment, "majority sentiment of three cue words among nonsense words"),
        ("smoke_pairs", _paraphrase, "is the second text the first one shuffled, with one word changed?"),
    ):
        rng = random.Random(task_id)
        task = _task(task_id, what)
        pool = [make(rng, i, "p") for i in range(400)]
        test = [make(rng, i, "t") for i in range(200)]
        out[task_id] = TaskData(task=task, pool=pool, test=test, data_revision="generated:smoke-v1")
    return out


class SmokeWorkspace(Workspace):
    """A Workspace whose tasks are the generated smoke tasks and whose rungs hash words."""

    def __init__(self, cache_root, results_dir, **kwargs):
        super().__init__(cache_root, results_dir, encoder_factory=HashingEncoder, **kwargs)

    def task_data(self, task: Task) -> TaskData:
        return smoke_tasks()[task.id]
