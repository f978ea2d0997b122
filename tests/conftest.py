"""Shared fixtures: a small real-schema task on disk and a fake encoder with a known gap.

The fake encoder reads a latent value written in each text and adds rung-specific noise, so
a "weak" rung is measurably worse than a "strong" one and protocol tests run in seconds.
Tests that need the packaged models are marked slow and use the real encoders.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from w2sbench.models.ladder import Ladder, Rung
from w2sbench.tasks.loading import sha256_file

pytest_plugins = ["tests.tiny_lms"]  # tiny causal LMs for the generative tests

NOISE = {"weak": 1.2, "mid": 0.7, "strong": 0.25}


class FakeEncoder:
    """Features = [value + noise, 7 nuisance dims], deterministic per (rung, text)."""

    calls = 0

    def __init__(self, rung: Rung):
        self.rung = rung
        self.parameter_count = {"weak": 1, "mid": 2, "strong": 3}[rung.name]

    def embed(self, texts, progress=None):
        FakeEncoder.calls += len(texts)
        rows = []
        for t in texts:
            seed = int(hashlib.sha256(f"{self.rung.name}/{t}".encode()).hexdigest()[:8], 16)
            rng = np.random.default_rng(seed)
            match = re.search(r"value (-?[\d.]+)", t)
            value = float(match.group(1)) if match else 0.0
            rows.append(np.concatenate([[value + rng.normal() * NOISE[self.rung.name]], rng.normal(size=7)]))
        if progress:
            progress(len(texts))
        return np.array(rows, dtype=np.float32)


def fake_ladder() -> Ladder:
    rungs = [Rung(name=n, model=f"fake/{n}", unpinned_reason="test double") for n in ("weak", "mid", "strong")]
    return Ladder(name="fake", description="test ladder", rungs=rungs)


def use_fake_models(monkeypatch, cache: Path) -> None:
    """Commands run on the fake ladder and encoder and cache in ``cache`` (their loaders patched)."""
    monkeypatch.setattr("w2sbench.models.ladder.get_ladder", lambda name: fake_ladder())
    monkeypatch.setattr("w2sbench.models.encoder.Encoder", FakeEncoder)
    monkeypatch.setenv("W2SBENCH_CACHE", str(cache))


def write_rows(path: Path, rows: list[dict]) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path)
    return sha256_file(path)


def latent_rows(n: int, seed: int, prefix: str) -> list[dict]:
    rng = np.random.default_rng(seed)
    values = rng.normal(size=n)
    return [
        {
            "id": f"{prefix}{i}",
            "text": f"item {prefix}{i} value {v:.3f}",
            "text_pair": None,
            "label": int(v > 0),
            "group": f"g{prefix}{i // 2}",
        }
        for i, v in enumerate(values)
    ]


def draw_private(n: int, seed: int, shipped: list) -> pa.Table:
    """The toy task's private draw (w2sbench.tasks.private's builder API): n fresh latent rows
    whose ids and texts no shipped row has."""
    taken = {t for table in shipped for t in table.column("text").to_pylist()}
    rows = [r for r in latent_rows(n, seed % 2**32, f"p{seed % 10_000}-") if r["text"] not in taken]
    return pa.Table.from_pylist(rows)


def write_task(
    folder: Path, task_id: str, train: list[dict], test: list[dict], description: str, private: dict | None = None
) -> Path:
    """Write a shipped-file task in the standard schema (its rows, their sha256 and its YAML) into folder."""
    shas = {
        split: write_rows(folder / f"data/{task_id}/{split}.parquet", rows)
        for split, rows in (("train", train), ("test", test))
    }
    definition = {
        "id": task_id,
        "version": 1,
        "description": description,
        "source": {
            "kind": "files",
            "build_command": "pytest fixture",
            "splits": {s: {"path": f"data/{task_id}/{s}.parquet", "sha256": h} for s, h in shas.items()},
        },
        "splits": {"pool": "train", "test": "test"},
        "conversion": {"name": "standard"},
        "sizes": {"pool": 600, "test": 300},
        "suites": ["toy"],
        "licence": "CC0-1.0",
        "citation": "none",
        "homepage": "none",
        **({"private": private} if private else {}),
    }
    (folder / f"{task_id}.yaml").write_text(yaml.safe_dump(definition))
    return folder


def write_toy_task(folder: Path, private: dict | None = None) -> Path:
    """Write the 'toy' shipped-file task (standard schema, 600 pool / 300 test rows) into folder;
    ``private`` is its private: field (e.g. {"builder": "tests.conftest", "size": 300})."""
    return write_task(
        folder, "toy", latent_rows(600, 0, "a"), latent_rows(300, 1, "b"), "latent-value toy task for tests", private
    )


@pytest.fixture
def one_thread():
    """One torch thread for the test (tiny models on 2 shared cores run much slower with two);
    a folder's conftest makes it autouse where its tests train tiny models."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def task_folder(tmp_path) -> Path:
    """A tasks/ folder with one shipped-file task ('toy') in the standard schema."""
    return write_toy_task(tmp_path / "tasks")


@pytest.fixture
def tasks_env(task_folder, monkeypatch):
    """Point the registry at task_folder for the test."""
    from w2sbench.tasks.task import _registry

    monkeypatch.setenv("W2SBENCH_TASKS", str(task_folder))
    _registry.cache_clear()
    yield task_folder
    _registry.cache_clear()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """End every run by listing what it skipped, grouped by reason: a missing tool (bubblewrap,
    stockfish, WordNet, chromium) must never pass for a green run of the whole suite."""
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped:
        return
    reasons: dict[str, list[str]] = {}
    for report in skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reasons.setdefault(reason.removeprefix("Skipped: "), []).append(report.nodeid)
    terminalreporter.write_sep("!", f"{len(skipped)} tests SKIPPED, by reason", yellow=True, bold=True)
    for reason, ids in sorted(reasons.items(), key=lambda item: -len(item[1])):
        terminalreporter.write_line(f"{len(ids):4d} skipped: {reason}", yellow=True, bold=True)
        for nodeid in ids[:5]:
            terminalreporter.write_line(f"       {nodeid}")
        if len(ids) > 5:
            terminalreporter.write_line(f"       ... and {len(ids) - 5} more")
