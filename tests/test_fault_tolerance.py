"""A killed sweep resumes to exactly the records of an uninterrupted one; corrupted files are
detected by their hash and recomputed, never used.

Pitfalls guarded ("a killed run resumes losing nothing"): a half-written record or
cache file read back as if complete; temporaries of killed writes piling up; a resumed run
that differs from an uninterrupted one; a corrupted cache entry silently scoring a run.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from tests.conftest import FakeEncoder, fake_ladder
from w2sbench.core.result import ResultStore
from w2sbench.core.store import load_arrays
from w2sbench.methods.api import make_method
from w2sbench.protocol.workspace import Workspace
from w2sbench.running.grid import Grid
from w2sbench.running.sweep import run_grid
from w2sbench.tasks.task import get_task

REPO = Path(__file__).resolve().parent.parent


def records(results_dir: Path) -> dict:
    """Records by key, without timings (and so without their seal, which covers timings)."""
    return {r.key: r.model_dump(exclude={"timings_s", "sha256"}) for r in ResultStore(results_dir).all()}


def assert_clean(root: Path) -> None:
    """No temporary left, and every cache file and record verifies against its checksum."""
    leftovers = sorted(str(p.relative_to(root)) for p in root.rglob("*.tmp"))
    assert not leftovers, f"temporaries left behind: {leftovers}"
    for path in (root / "cache").rglob("*.npz"):
        assert load_arrays(path) is not None, f"{path} does not verify"
    for path in (root / "results").glob("*.json"):
        assert ResultStore(root / "results")._load(path) is not None, f"{path} does not verify"
    assert not list((root / "results").glob("*.corrupt")), "a killed write produced a corrupted record"


def test_kill_9_at_random_points_then_resume_gives_the_uninterrupted_records(tasks_env, tmp_path):
    env = {
        **os.environ,
        "PYTHONHASHSEED": "0",
        "HF_DATASETS_CACHE": str(tmp_path / "hf-datasets"),
        "OMP_NUM_THREADS": "1",
    }
    seed = int(os.environ.get("W2SBENCH_FAULT_SEED", "20231214"))
    proc = subprocess.run(
        [
            sys.executable,
            str(REPO / "tests" / "fault_sweep.py"),
            str(tmp_path),
            "--seed",
            str(seed),
            "--kills",
            "12",
            "--write-kills",
            "3",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    schedule = json.dumps(summary, indent=1)
    events = [e for chain in summary["chains"] for e in chain["events"]]
    timed = [e for e in events if e["kind"] == "timed" and e["killed"]]
    assert len({e["delay"] for e in timed}) >= 10, f"fewer than ten distinct kill times:\n{schedule}"
    assert any(e["kind"] == "write" and e["killed"] for e in events), schedule

    reference = records(tmp_path / "reference" / "results")
    assert len(reference) == 8
    for chain in summary["chains"]:
        root = tmp_path / chain["root"]
        assert records(root / "results") == reference, f"{chain['root']} differs after resuming:\n{schedule}"
        assert_clean(root)


def workspace(root: Path) -> Workspace:
    return Workspace(root / "cache", root / "results", encoder_factory=FakeEncoder)


def small_grid() -> Grid:
    ladder = fake_ladder()
    return Grid([get_task("toy")], ladder, [(ladder.rungs[0], ladder.rungs[2])], [make_method("naive")], [0])


def _rewrite_npz_keeping_its_checksum(path: Path, change) -> None:
    """Change an array inside a verified npz but keep the recorded checksum: only the hash can tell."""
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    change(arrays)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    path.write_bytes(buf.getvalue())


def test_corrupted_cache_entries_and_records_are_detected_and_recomputed(tasks_env, tmp_path, capfd):
    import torch

    torch.set_num_threads(1)
    reference = run_grid(workspace(tmp_path), small_grid(), show_progress=False)
    expected = records(tmp_path / "results")
    [record] = reference

    # a feature shard of the strong rung: its vectors scaled, its checksum left as it was
    [shard] = [p for p in workspace(tmp_path).features(fake_ladder().rungs[2]).folder.glob("*.npz")]
    _rewrite_npz_keeping_its_checksum(shard, lambda a: a.__setitem__("vectors", a["vectors"] * 100))
    # the weak labels: flipped (a perfectly readable file); the ceiling: truncated
    weak = next((tmp_path / "cache" / "artifacts" / "weak").glob("*.npz"))
    _rewrite_npz_keeping_its_checksum(weak, lambda a: a.__setitem__("transfer", 1 - a["transfer"]))
    ceiling = next((tmp_path / "cache" / "artifacts" / "ceiling").glob("*.npz"))
    ceiling.write_bytes(ceiling.read_bytes()[: ceiling.stat().st_size // 2])
    # the record: a better PGR written in, valid JSON, old seal
    path = ResultStore(tmp_path / "results").path(record.key)
    body = json.loads(path.read_text())
    body["scores"]["pgr"] = 0.99
    path.write_text(json.dumps(body))
    capfd.readouterr()

    FakeEncoder.calls = 0
    again = run_grid(workspace(tmp_path), small_grid(), show_progress=False)
    err = capfd.readouterr().err
    for corrupted in (shard, weak, ceiling, path):
        assert f"{corrupted} is corrupted" in err, err
    assert FakeEncoder.calls > 0, "the corrupted shard was not recomputed"
    assert records(tmp_path / "results") == expected  # nothing corrupted reached a score
    assert again[0].scores == record.scores
    assert path.with_suffix(".corrupt").exists()  # set aside for inspection, never read as a record
    assert not list(tmp_path.rglob("*.tmp"))
