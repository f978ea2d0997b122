"""What a whole run costs, measured in one process:

(a) a cold run of the suite (fresh cache and result folders) against the bare forward passes of
    the same rungs over the same texts (transformers only: load, tokenize, forward, mean-pool;
    the same batch size, canonical lengths and numeric setting as the harness). Goal: cold / bare <= 1.15.
(b) a new method on the fully cached suite (features, weak labels and ceilings all cached; only
    step 4 and the records run) against the cold run. Goal: cold / cached >= 50.
(c) the peak resident memory of the run. Goal: <= 4 GiB.

    python benchmarks/ratios.py                                   # offline suite, embedded ladder
    python benchmarks/ratios.py --pairs minilm-l3:minilm-l6 --seeds 0
    python benchmarks/ratios.py --fake                            # fake ladder, toy task: checks the script

Packaged models are prepared (w2sbench.models.packaged.materialize) and every model is loaded
once before anything is timed, so neither side pays one-time preparation or imports. The bare
passes run before and after the cold run and their mean is the reference (the ratio against
the fastest one is printed too). On a shared machine wall time swings with other load: the
ratios are also given in CPU time.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

GIB = 1024**3


class PeakRSS:
    """Peak resident set size of this process while the block runs (sampled every 20 ms)."""

    def __init__(self):
        import psutil

        self.process = psutil.Process()
        self.peak = 0

    def __enter__(self):
        self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)


def suite_texts(ws, tasks) -> list[str]:
    """Exactly the texts a run embeds per rung: every pool and test text (and pair), deduplicated."""
    texts = set()
    for task in tasks:
        data = ws.task_data(task)
        for e in data.pool + data.test:
            texts.add(e.text)
            if e.text_pair is not None:
                texts.add(e.text_pair)
    return sorted(texts)


_sources: dict[str, str] = {}


def _model_dir(rung) -> str:
    """Where the weights are (a prepared packaged copy, verified once here, outside the timing)."""
    from w2sbench.models.encoder import model_dir

    return model_dir(rung)


def bare_forward(rung, texts: list[str], batch_size: int = 64) -> tuple[float, float]:
    """(total seconds, of which loading) for load + tokenize + forward + masked mean pool."""
    import torch
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    from w2sbench.models import numerics
    from w2sbench.models.batches import canonical_batches

    hf_logging.set_verbosity_error()  # as the harness's encoder does
    hf_logging.disable_progress_bar()

    source = _sources.get(rung.name) or _sources.setdefault(rung.name, _model_dir(rung))
    start = time.perf_counter()
    kwargs = {} if rung.packaged else {"revision": rung.revision}
    tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
    model = AutoModel.from_pretrained(source, **kwargs).eval()
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    loaded = time.perf_counter()
    setting = numerics.current("cpu")
    lengths = [len(ids) for ids in tokenizer(texts, truncation=True, max_length=rung.max_length)["input_ids"]]
    with torch.inference_mode():
        for length, idx in canonical_batches(lengths, batch_size, rung.max_length):
            batch = tokenizer(
                [texts[i] for i in idx], padding="max_length", truncation=True, max_length=length, return_tensors="pt"
            )
            with setting.autocast("cpu"):
                hidden = model(**batch).last_hidden_state.float()
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
    end = time.perf_counter()
    return end - start, loaded - start


def fake_forward(rung, texts: list[str]) -> tuple[float, float]:
    from tests.conftest import FakeEncoder

    start = time.perf_counter()
    FakeEncoder(rung).embed(texts)
    return time.perf_counter() - start, 0.0


@dataclass
class Setup:
    grid: object
    encoder_factory: object
    forward: object


def _new_method():
    from dataclasses import dataclass as frozen_dataclass

    from w2sbench.methods.api import Method

    @frozen_dataclass(frozen=True)
    class RatiosNewMethod(Method):
        """Naive training under a name no cache has seen: a "new method" on a cached suite."""

        name = "ratios-new-method"

        def fit(self, ctx):
            return ctx.student.fit(ctx.transfer, ctx.weak_labels)

    return RatiosNewMethod()


def setup(args, scratch: Path) -> Setup:
    from w2sbench.models.encoder import Encoder
    from w2sbench.running.grid import build_grid

    if args.fake:
        import os

        from tests.conftest import FakeEncoder, fake_ladder, write_toy_task
        from w2sbench.methods.api import make_method
        from w2sbench.running.grid import Grid
        from w2sbench.tasks.task import get_task

        folder = write_toy_task(scratch / "tasks")
        os.environ["W2SBENCH_TASKS"] = str(folder)
        ladder = fake_ladder()
        grid = Grid(
            [get_task("toy")],
            ladder,
            ladder.pairs(),
            [make_method(m) for m in args.methods.split(",")],
            [int(s) for s in args.seeds.split(",")],
        )
        return Setup(grid, FakeEncoder, fake_forward)
    grid = build_grid(
        args.suite,
        args.tasks.split(",") if args.tasks else None,
        args.ladder,
        args.pairs.split(",") if args.pairs else None,
        args.methods.split(","),
        [int(s) for s in args.seeds.split(",")],
    )
    return Setup(grid, Encoder, bare_forward)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--suite", default="offline")
    parser.add_argument("--tasks", default=None, help="comma-separated task ids (overrides --suite)")
    parser.add_argument("--ladder", default="embedded")
    parser.add_argument("--pairs", default=None, help="comma-separated weak:strong pairs (default: every pair)")
    parser.add_argument("--methods", default="naive", help="methods of the cold run")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--bare-repeats", type=int, default=2, help="bare passes (before and after the cold run)")
    parser.add_argument("--fake", action="store_true", help="fake ladder and toy task (checks the script in seconds)")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch threads for both sides (sets W2SBENCH_THREADS; default: torch's)",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the measurements here")
    parser.add_argument("--keep", action="store_true", help="keep the scratch cache and results (printed)")
    args = parser.parse_args()
    if args.threads:
        import os

        import torch

        os.environ["W2SBENCH_THREADS"] = str(args.threads)
        torch.set_num_threads(args.threads)
    scratch = Path(tempfile.mkdtemp(prefix="w2sbench-ratios-"))
    try:
        measure(args, scratch)
    finally:
        if args.keep:
            print(f"scratch kept in {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


def measure(args, scratch: Path) -> None:
    from w2sbench.protocol.workspace import Workspace
    from w2sbench.running.grid import Grid
    from w2sbench.running.sweep import run_grid

    s = setup(args, scratch)
    grid = s.grid
    rungs = grid.rungs()
    print(
        f"grid: {len(grid.tasks)} tasks x {len(grid.pairs)} pairs x {len(grid.methods)} methods x "
        f"{len(grid.seeds)} seeds = {len(grid.experiments())} experiments; rungs {[r.name for r in rungs]}",
        flush=True,
    )

    # texts and one-time preparation, outside every timing
    probe = Workspace(scratch / "probe-cache", scratch / "probe-results", encoder_factory=s.encoder_factory)
    texts = suite_texts(probe, grid.tasks)
    print(f"{len(texts)} distinct texts per rung", flush=True)
    for rung in rungs:
        s.forward(rung, texts[:8])  # prepares packaged weights, imports the model classes, warms the disk cache

    bare: dict[str, list[float]] = {r.name: [] for r in rungs}
    loads: dict[str, list[float]] = {r.name: [] for r in rungs}
    bare_cpu: list[float] = []

    def bare_pass():
        cpu = time.process_time()
        for rung in rungs:
            total, load = s.forward(rung, texts)
            bare[rung.name].append(total)
            loads[rung.name].append(load)
        bare_cpu.append(time.process_time() - cpu)

    with PeakRSS() as bare_mem:
        bare_pass()
    print(f"bare forward: {sum(v[-1] for v in bare.values()):.1f} s", flush=True)

    cold_ws = Workspace(scratch / "cache", scratch / "results", encoder_factory=s.encoder_factory)
    with PeakRSS() as cold_mem:
        start, cpu = time.perf_counter(), time.process_time()
        cold_results = run_grid(cold_ws, grid, show_progress=False)
        cold, cold_cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"cold run: {cold:.1f} s, {len(cold_results)} records", flush=True)

    for _ in range(args.bare_repeats - 1):
        bare_pass()

    new = Grid(grid.tasks, grid.ladder, grid.pairs, [_new_method()], grid.seeds)
    cached_ws = Workspace(scratch / "cache", scratch / "results", encoder_factory=s.encoder_factory)
    with PeakRSS() as cached_mem:
        start, cpu = time.perf_counter(), time.process_time()
        cached_results = run_grid(cached_ws, new, show_progress=False)
        cached, cached_cpu = time.perf_counter() - start, time.process_time() - cpu
    assert len(cached_results) == len(new.experiments())

    # the bare passes bracket the cold run: their mean cancels drift in the machine's other load
    bare_total = sum(sum(v) / len(v) for v in bare.values())
    bare_min = sum(min(v) for v in bare.values())
    load_total = sum(sum(v) / len(v) for v in loads.values())
    peak_run = max(cold_mem.peak, cached_mem.peak)
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    report = {
        "experiments": len(grid.experiments()),
        "texts_per_rung": len(texts),
        "rungs": [r.name for r in rungs],
        "bare_forward_s": {k: [round(x, 2) for x in v] for k, v in bare.items()},
        "bare_load_s": {k: [round(x, 2) for x in v] for k, v in loads.items()},
        "bare_total_s": round(bare_total, 2),
        "cold_run_s": round(cold, 2),
        "cold_timings_s": _timing_sums(cold_results),
        "cached_new_method_s": round(cached, 3),
        "ratio_cold_over_bare": round(cold / bare_total, 3) if bare_total else None,
        "ratio_cold_over_fastest_bare": round(cold / bare_min, 3) if bare_min else None,
        "ratio_cold_over_cached": round(cold / cached, 1),
        "cpu_s": {"bare": [round(x, 2) for x in bare_cpu], "cold": round(cold_cpu, 2), "cached": round(cached_cpu, 2)},
        "cpu_ratio_cold_over_bare": round(cold_cpu / (sum(bare_cpu) / len(bare_cpu)), 3) if bare_cpu else None,
        "cpu_ratio_cold_over_cached": round(cold_cpu / cached_cpu, 1) if cached_cpu else None,
        "peak_rss_run_gib": round(peak_run / GIB, 3),
        "peak_rss_bare_gib": round(bare_mem.peak / GIB, 3),
        "process_maxrss_gib": round(maxrss / GIB, 3),
    }
    print()
    print(
        f"(a) cold run / bare forward passes: {cold:.1f} s / {bare_total:.1f} s = "
        f"{report['ratio_cold_over_bare']}  (goal <= 1.15; bare loading {load_total:.1f} s of it; "
        f"against the fastest bare pass: {report['ratio_cold_over_fastest_bare']})"
    )
    print(
        f"(b) cold run / new method on the cached suite: {cold:.1f} s / {cached:.2f} s = "
        f"{report['ratio_cold_over_cached']}x cheaper  (goal >= 50)"
    )
    print(
        f"    the same in CPU time (robust to other load on the machine): (a) {report['cpu_ratio_cold_over_bare']}, "
        f"(b) {report['cpu_ratio_cold_over_cached']}x  {report['cpu_s']}"
    )
    print(
        f"(c) peak resident memory of the run: {report['peak_rss_run_gib']} GiB  (goal <= 4; "
        f"whole process incl. bare passes {report['process_maxrss_gib']} GiB)"
    )
    print(f"    step timings summed over the cold run's records: {report['cold_timings_s']}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


def _timing_sums(results) -> dict:
    sums: dict[str, float] = {}
    for r in results:
        for k, v in r.timings_s.items():
            sums[k] = round(sums.get(k, 0.0) + v, 2)
    return sums


if __name__ == "__main__":
    main()
