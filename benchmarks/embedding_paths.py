"""The ways a rung could embed on this CPU, side by side in one process: speed, how far each moves
the features from fp32, and whether canonical batches keep it exact.

    python benchmarks/embedding_paths.py                      # 512 offline-suite texts, every rung
    python benchmarks/embedding_paths.py --texts 128 --rungs minilm-l6 --paths fp32,bf16

Paths (each on the same texts, same canonical batches of 64, unless named otherwise):
  fp32-longest   today's code before canonical batches: sorted by characters, padded to the batch's longest
  fp32           canonical batches, fp32 (the reference of every difference)
  bf16           canonical batches under torch.autocast(bfloat16): the harness's default where the CPU has it
  fp32-eager     fp32 with eager attention instead of transformers' default (sdpa where the model has it)
  int8           torch dynamic quantization of every Linear to int8 (VNNI), fp32 elsewhere
  compile-bf16   torch.compile of the bf16 path (its compile time is reported apart)
  onnxruntime    the model exported to ONNX and run by onnxruntime (pip install onnxruntime), fp32

Per (rung, path): texts/s after one warm-up batch, the largest absolute feature difference and
the smallest cosine to fp32, and "exact": whether embedding the texts reversed and in batches
of 7 gives bit-identical rows (what the feature cache needs). What each path does to scores is
a separate measurement: studies/numerics_scores.py on records made with two settings.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from w2sbench.models.batches import canonical_batches  # noqa: E402
from w2sbench.models.encoder import model_dir, pool  # noqa: E402

PATHS = ("fp32-longest", "fp32", "bf16", "fp32-eager", "int8", "compile-bf16", "onnxruntime")


def offline_texts(n: int, seed: int = 0) -> list[str]:
    """A seeded sample of the texts the offline suite embeds (every pool and test text)."""
    from w2sbench.protocol.workspace import Workspace
    from w2sbench.running.jobs import task_texts
    from w2sbench.tasks.task import suite_tasks

    ws = Workspace(Path("/nonexistent"), Path("/nonexistent"))
    texts = sorted({t for task in suite_tasks("offline") for t in task_texts(ws, task)})
    return random.Random(seed).sample(texts, min(n, len(texts)))


class Path_:
    """One way to run a rung: a forward function over (input_ids, attention_mask) batches."""

    def __init__(self, name: str, rung, tokenizer, model):
        self.name, self.rung, self.tokenizer = name, rung, tokenizer
        self.setup_s = 0.0
        start = time.perf_counter()
        self.forward = getattr(self, "_" + name.replace("-", "_"))(model)
        self.setup_s = time.perf_counter() - start

    def _fp32(self, model):
        return lambda batch: model(**batch).last_hidden_state

    _fp32_longest = _fp32

    def _bf16(self, model):
        def run(batch):
            with torch.autocast("cpu", dtype=torch.bfloat16):
                return model(**batch).last_hidden_state

        return run

    def _fp32_eager(self, model):
        from transformers import AutoModel

        eager = AutoModel.from_pretrained(model_dir(self.rung), attn_implementation="eager").eval()
        return lambda batch: eager(**batch).last_hidden_state

    def _int8(self, model):
        import copy

        quantized = torch.ao.quantization.quantize_dynamic(copy.deepcopy(model), {torch.nn.Linear}, dtype=torch.qint8)
        return lambda batch: quantized(**batch).last_hidden_state

    def _compile_bf16(self, model):
        compiled = torch.compile(model, dynamic=True)

        def run(batch):
            with torch.autocast("cpu", dtype=torch.bfloat16):
                return compiled(**batch).last_hidden_state

        run(self._batch(["warm up the compiler"] * 4, 16))  # compile once, outside the timing
        return run

    def _onnxruntime(self, model):
        import tempfile

        import onnxruntime

        batch = self._batch(["export this"] * 2, 16)
        names = list(batch.keys())
        path = Path(tempfile.mkdtemp()) / "model.onnx"

        class Positional(torch.nn.Module):  # the exporter passes inputs by position
            def __init__(self):
                super().__init__()
                self.model = model

            def forward(self, *tensors):
                return self.model(**dict(zip(names, tensors, strict=False))).last_hidden_state

        with torch.no_grad():
            torch.onnx.export(
                Positional(),
                tuple(batch[n] for n in names),
                str(path),
                input_names=names,
                output_names=["hidden"],
                dynamo=False,
                dynamic_axes={n: {0: "b", 1: "t"} for n in [*names, "hidden"]},
            )
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = torch.get_num_threads()
        session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        return lambda b: torch.from_numpy(session.run(None, {n: b[n].numpy() for n in names})[0])

    def _batch(self, texts: list[str], length: int):
        return self.tokenizer(texts, padding="max_length", max_length=length, truncation=True, return_tensors="pt")

    @torch.inference_mode()
    def embed(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        out = np.zeros((len(texts), self.rung_width), dtype=np.float32)
        if self.name == "fp32-longest":
            order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
            batches = [(None, order[s : s + batch_size]) for s in range(0, len(order), batch_size)]
        else:
            lengths = [
                len(ids) for ids in self.tokenizer(texts, truncation=True, max_length=self.rung.max_length)["input_ids"]
            ]
            batches = canonical_batches(lengths, batch_size, self.rung.max_length)
        for length, idx in batches:
            batch = self.tokenizer(
                [texts[i] for i in idx],
                truncation=True,
                max_length=length or self.rung.max_length,
                return_tensors="pt",
                padding="max_length" if length else True,
            )
            out[idx] = pool(self.forward(batch).float(), batch["attention_mask"], self.rung.pooling).numpy()
        return out


def measure(rung, names: list[str], texts: list[str]) -> list[dict]:
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    source = model_dir(rung)
    tokenizer = AutoTokenizer.from_pretrained(source)
    model = AutoModel.from_pretrained(source).eval()
    rows, reference = [], None
    for name in ["fp32", *[n for n in names if n != "fp32"]]:
        try:
            path = Path_(name, rung, tokenizer, model)
        except Exception as e:  # a path this machine lacks (onnxruntime not installed, no compiler)
            rows.append(
                {"rung": rung.name, "path": name, "error": f"{type(e).__name__}: {str(e).splitlines()[0][:120]}"}
            )
            continue
        path.rung_width = model.config.hidden_size
        path.embed(texts[:64])  # warm-up
        start = time.perf_counter()
        features = path.embed(texts)
        seconds = time.perf_counter() - start
        again = np.concatenate([path.embed(list(reversed(texts)), batch_size=7)])[::-1]
        if reference is None:
            reference = features
        cosine = (features * reference).sum(1) / np.linalg.norm(features, axis=1) / np.linalg.norm(reference, axis=1)
        rows.append(
            {
                "rung": rung.name,
                "path": name,
                "texts_per_s": round(len(texts) / seconds, 1),
                "setup_s": round(path.setup_s, 1),
                "max_abs_diff": float(np.abs(features - reference).max()),
                "min_cosine": float(cosine.min()),
                "exact": bool(np.array_equal(features, again)),
                "attention": model.config._attn_implementation,
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", type=int, default=512)
    parser.add_argument("--rungs", default="minilm-l3,minilm-l6,mpnet-base")
    parser.add_argument("--paths", default=",".join(PATHS))
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    from w2sbench.models import numerics
    from w2sbench.models.ladder import get_ladder

    texts = offline_texts(args.texts)
    rows = []
    for name in args.rungs.split(","):
        rows += measure(get_ladder("embedded").rung(name), args.paths.split(","), texts)
    fp32 = {r["rung"]: r["texts_per_s"] for r in rows if r["path"] == "fp32"}
    print(f"\n{len(texts)} offline-suite texts, {torch.get_num_threads()} threads, {numerics.kernels('cpu')}\n")
    print("| rung | path | texts/s | x fp32 | max abs diff | min cosine | exact | setup s |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "error" in r:
            print(f"| {r['rung']} | {r['path']} | not run: {r['error']} | | | | | |")
            continue
        print(
            f"| {r['rung']} | {r['path']} | {r['texts_per_s']} | {r['texts_per_s'] / fp32[r['rung']]:.2f} | "
            f"{r['max_abs_diff']:.2g} | {r['min_cosine']:.6f} | {'yes' if r['exact'] else 'no'} | {r['setup_s']} |"
        )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "kernels": numerics.kernels("cpu"),
                    "threads": torch.get_num_threads(),
                    "texts": len(texts),
                    "rows": rows,
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
