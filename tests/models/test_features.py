"""The feature cache holds the same bits however it was filled: task A then B, B then A, an
extraction killed with SIGKILL and resumed, a process pool, Ray (the executors' test runs whole
grids that way). Real packaged rungs, so these are slow."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

from w2sbench.models import numerics
from w2sbench.models.features import FeatureStore
from w2sbench.models.ladder import Rung, get_ladder

WORDS = "a heron waits by the quiet river bank while the money in the old bank grows at dawn".split()


def sentences(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 60))) for _ in range(n)]


TASK_A = sentences(90, 0)
TASK_B = TASK_A[30:60] + sentences(60, 1)  # B shares a third of A's texts
EVERY = sorted(set(TASK_A + TASK_B))


def rung() -> Rung:
    return get_ladder("embedded").rung("minilm-l6")


def filled(root, *text_sets) -> np.ndarray:
    store = FeatureStore(root, rung())
    for texts in text_sets:
        store.compute(texts)
    return FeatureStore(root, rung()).get(EVERY)  # read back from disk, a new process's view


@pytest.mark.slow
def test_task_a_then_b_equals_b_then_a(tmp_path):
    assert np.array_equal(filled(tmp_path / "ab", TASK_A, TASK_B), filled(tmp_path / "ba", TASK_B, TASK_A))


KILLED = textwrap.dedent("""
    import os, signal, sys
    from w2sbench.models import features
    from w2sbench.models.ladder import get_ladder
    features.SHARD_SIZE = 16
    texts = sys.stdin.read().split("\\n")
    done = [0]
    def progress(n):
        done[0] += n
        if done[0] >= 40:
            os.kill(os.getpid(), signal.SIGKILL)
    features.FeatureStore(sys.argv[1], get_ladder("embedded").rung("minilm-l6")).compute(texts, progress)
""")


@pytest.mark.slow
def test_an_extraction_killed_and_resumed_equals_one_in_one_go(tmp_path):
    root = tmp_path / "killed"
    done = subprocess.run([sys.executable, "-c", KILLED, str(root)], input="\n".join(EVERY), text=True)
    assert done.returncode == -signal.SIGKILL
    store = FeatureStore(root, rung())
    shards = list(store.folder.glob("*.npz"))
    assert shards and len(store.missing(EVERY)) < len(EVERY)  # it did die half way, with shards written
    store.compute(list(reversed(EVERY)))
    assert np.array_equal(FeatureStore(root, rung()).get(EVERY), filled(tmp_path / "once", EVERY))


def _fill_in_worker(root: str, texts: list[str]) -> None:
    FeatureStore(root, rung()).compute(texts)


@pytest.mark.slow
def test_a_process_pool_fills_the_same_bits(tmp_path):
    import multiprocessing

    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(_fill_in_worker, [str(tmp_path / "pool")] * 2, [TASK_B, TASK_A]))
    assert np.array_equal(FeatureStore(tmp_path / "pool", rung()).get(EVERY), filled(tmp_path / "here", TASK_A, TASK_B))


@pytest.mark.slow
def test_ray_workers_fill_the_same_bits(tmp_path):
    ray = pytest.importorskip("ray")
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join(sys.path)}},
    )
    try:
        fill = ray.remote(_fill_in_worker)
        ray.get([fill.remote(str(tmp_path / "ray"), TASK_B), fill.remote(str(tmp_path / "ray"), TASK_A)])
    finally:
        ray.shutdown()
    assert np.array_equal(FeatureStore(tmp_path / "ray", rung()).get(EVERY), filled(tmp_path / "here", TASK_A, TASK_B))


@pytest.mark.slow
def test_the_folder_names_the_setting_and_the_kernels(tmp_path):
    """fp32 and bf16 features never share a folder, nor features of other kernels."""
    with numerics.using("fp32"):
        fp32 = FeatureStore(tmp_path, rung())
    with numerics.using("bf16"):
        bf16 = FeatureStore(tmp_path, rung())
    assert fp32.folder.parent != bf16.folder.parent  # the rung key holds the setting
    assert fp32.folder.parent.name == rung().key() or bf16.folder.parent.name == rung().key()
    assert len(fp32.folder.name) == 16  # the kernels' digest
