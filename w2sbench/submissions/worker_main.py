"""The worker side of an isolated method call (runs inside the sandbox): read one job, import
the submitted class, fit and predict, answer with JSON.

Prediction is inductive: every test batch is answered from the state fit left, and nothing of
one batch reaches the next (see :func:`_isolation`). After a successful fit the worker (W) forks
a process T that holds the fitted state and stops W, with every thread a method started in it;
T never runs method code again. For each batch T forks a child C; C reads the batch, shuts
itself in (no file writes, no new processes, no sockets or IPC, no signals or ptrace to other
processes: a seccomp filter), predicts, writes its answer into a memory file and exits; T hands
the answer on. Module globals, class attributes, caches, threads, files: whatever the predictor
changes dies with C, so a batch gets the same answer whatever batches came before it.
"""

from __future__ import annotations

import json
import os
import pickle
import sys
from pathlib import Path

import numpy as np

from w2sbench.submissions.contract import FitJob, MethodSpec, PredictJob
from w2sbench.submissions.stateless import _isolation

# ---------------------------------------------------------------------------------------------
# The worker side (runs inside the sandbox)
# ---------------------------------------------------------------------------------------------


_LOADED: dict[tuple[str, str], type] = {}
_FITTED: dict = {}  # this worker's one experiment: the predictor fit returned, the feature sources


def _load_class(spec: MethodSpec):
    """Import the submission's module (once per worker) and check its class follows the method API."""
    key = (spec.module_file, spec.class_name)
    if key not in _LOADED:
        _LOADED[key] = _import_class(spec)
    cls = _LOADED[key]
    fields = {f.name for f in __import__("dataclasses").fields(cls)}
    unknown = set(spec.params) - fields
    if unknown:
        raise TypeError(
            f"metadata parameters {sorted(unknown)} are not fields of {spec.class_name} "
            f"(fields: {sorted(fields) or 'none'})"
        )
    return cls


def _import_class(spec: MethodSpec):
    import dataclasses
    import importlib.util

    from w2sbench.methods.api import _METHODS, Method

    path = Path(spec.module_file)
    if not path.exists():
        raise FileNotFoundError(f"method module {path.name} not found in the submission")
    mod_name = "w2s_submission_" + "".join(c if c.isalnum() else "_" for c in spec.name)
    module_spec = importlib.util.spec_from_file_location(mod_name, path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[mod_name] = module
    module_spec.loader.exec_module(module)
    cls = getattr(module, spec.class_name, None)
    if cls is None:
        raise AttributeError(f"{path.name} defines no class {spec.class_name!r}")
    if not isinstance(cls, type) or not issubclass(cls, Method):
        raise TypeError(f"{spec.class_name} is not a subclass of w2sbench.methods.api.Method")
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{spec.class_name} is not a dataclass (its fields are its parameters)")
    if getattr(cls, "name", None) != spec.name:
        raise ValueError(
            f"{spec.class_name}.name is {getattr(cls, 'name', None)!r}; it must be the submission's name {spec.name!r}"
        )
    if _METHODS.get(spec.name) is not cls:
        raise ValueError(
            f"{spec.class_name} is not registered: decorate it with @register (w2sbench.methods.api.register)"
        )
    if cls.fit is Method.fit:
        raise TypeError(f"{spec.class_name} does not implement fit(self, ctx)")
    return cls


def _describe(spec: MethodSpec) -> dict:
    cls = _load_class(spec)
    method = cls(**spec.params)
    params = method.params()
    json.dumps(params)  # parameters must be JSON (they are part of every cache key)
    return {
        "name": cls.name,
        "params": params,
        "oracle": bool(cls.oracle),
        "citation": str(cls.citation or ""),
        "class_code_hash": cls.code_hash(),
    }


def _fit(job: FitJob) -> dict:
    import torch

    torch.set_num_threads(max(1, job.threads))
    cls = _load_class(job.spec)
    method = cls(**job.spec.params)
    ctx = job.context
    predictor = method.fit(ctx)
    if not callable(predictor):
        raise TypeError(f"fit returned {type(predictor).__name__}, expected a predictor (a callable on Inputs)")
    _FITTED.update(predictor=predictor, sources={s.name: s.store for s in (ctx.student, *ctx.intermediates)})
    return {}


def _predict(job: PredictJob) -> dict:
    """The fitted predictor on one test batch (its features added to the students' sources first)."""
    if "predictor" not in _FITTED:
        raise RuntimeError("predict before fit")
    for rung, (texts, vectors) in job.features.items():
        _FITTED["sources"][rung].add(texts, vectors)
    raw = _FITTED["predictor"](job.inputs)
    try:
        probs = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"predictor returned {type(raw).__name__}, expected an array of floats") from None
    return {"shape": list(probs.shape), "values": [float(x) for x in probs.ravel()]}


def _read_exactly(stream, n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _warm_up() -> None:
    """Import what a first head training would import lazily, before any clock starts."""
    import torch

    import w2sbench.methods.api  # noqa: F401  (the API)

    torch.optim.AdamW([torch.zeros(1, requires_grad=True)])


def main() -> None:
    """Entry point of a worker: framed pickled requests on stdin, JSON lines on the original stdout."""
    import traceback

    proto = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # anything the method prints (or C code writes to fd 1) goes to stderr
    sys.stdout = sys.stderr
    stdin = sys.stdin.buffer

    def send(obj) -> None:
        proto.write(json.dumps(obj) + "\n")
        proto.flush()

    serve = _isolation(os.environ.get("W2SBENCH_WORKER") == "bwrap", _predict)  # before any submitted code
    _warm_up()
    send({"ready": True})
    while True:
        try:
            size = int.from_bytes(_read_exactly(stdin, 8), "big")
            kind, payload = pickle.loads(_read_exactly(stdin, size))
        except EOFError:
            break
        fitted = False
        try:
            if kind == "describe":
                reply = {"ok": True, "identity": _describe(payload)}
            elif kind == "fit":
                reply, fitted = {"ok": True, **_fit(payload)}, True
            elif kind == "predict":  # only before a fit succeeded: after it, T answers (serve)
                reply = {"ok": True, **_predict(payload)}
            else:
                reply = {"ok": False, "error": f"unknown request {kind!r}"}
        except BaseException as e:  # noqa: BLE001 - every failure of submitted code becomes an answer
            reply = {"ok": False, "error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()[-6000:]}
        if fitted:  # every test batch from here on is predicted from this state, each in a fresh fork
            sys.stderr.flush()
            serve(proto.fileno(), (json.dumps(reply) + "\n").encode())
        try:
            send(reply)
        except (TypeError, ValueError) as e:
            send({"ok": False, "error": f"the answer cannot be sent: {e}"})
    os._exit(0)
