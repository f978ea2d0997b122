"""Fixtures for submission tests: the toy task on the fake ladder as a one-cell track, and
submission folders written from source text.

The toy task's parquet files, the feature/weak-label cache and the result stores are real
files under a temporary folder, so the adversarial tests attack real ground truth on disk.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from tests.conftest import FakeEncoder, fake_ladder, write_toy_task
from w2sbench.core.records import read_records
from w2sbench.running.tracks import Track
from w2sbench.submissions.evaluate import evaluate
from w2sbench.submissions.harness import Harness
from w2sbench.submissions.sandbox import Sandbox, probe_sandbox

HAS_SANDBOX = isinstance(probe_sandbox(), Sandbox)
needs_sandbox = pytest.mark.skipif(not HAS_SANDBOX, reason=f"bubblewrap does not work here: {probe_sandbox()}")


def toy_track(name: str = "toy", seeds=(0,), pairs=("weak:strong",)) -> Track:
    return Track(
        name=name,
        title="toy track",
        status="provisional",
        description="test track on the fake ladder",
        suite="toy",
        tasks=["toy"],
        ladder="fake",
        pairs=list(pairs),
        seeds=list(seeds),
        time_limit_s=60,
    )


def toy_harness(
    cache: Path, tracks=None, unsandboxed: bool = False, time_limit_s: float | None = None, extra_forbidden=()
) -> Harness:
    from w2sbench.tasks.task import get_task

    tracks = tracks or {"toy": toy_track()}
    return Harness(
        cache,
        tracks=tracks,
        ladder=lambda name: fake_ladder(),
        task=get_task,
        encoder_factory=FakeEncoder,
        unsandboxed=unsandboxed,
        time_limit_s=time_limit_s,
        threads=1,
        extra_forbidden=tuple(extra_forbidden),
    )


NAIVE_BODY = """
    def fit(self, ctx):
        return ctx.student.fit(ctx.transfer, ctx.weak_labels)
"""


def method_source(name: str, body: str = NAIVE_BODY, fields: str = "", prelude: str = "", oracle: bool = False) -> str:
    cls = "".join(p.capitalize() for p in name.split("-"))
    return (
        "from dataclasses import dataclass\n\nimport numpy as np\n\n"
        "from w2sbench.methods.api import Method, register\n"
        + textwrap.dedent(prelude)
        + f"\n\n@register\n@dataclass(frozen=True)\nclass {cls}(Method):\n"
        + f'    name = "{name}"\n    oracle = {oracle}\n'
        + textwrap.indent(textwrap.dedent(fields), "    ")
        + textwrap.indent(textwrap.dedent(body), "    ")
    )


def write_submission(
    root: Path,
    name: str,
    source: str | None = None,
    *,
    tracks=("toy",),
    parameters=None,
    builtin: str | None = None,
    extra: dict | None = None,
    drop: tuple[str, ...] = (),
) -> Path:
    folder = Path(root) / name
    folder.mkdir(parents=True, exist_ok=True)
    cls = "".join(p.capitalize() for p in name.split("-"))
    meta = {
        "name": name,
        "authors": ["Test Author"],
        "description": f"the {name} test submission",
        "paper": None,
        "licence": "MIT",
        "method": f"builtin:{builtin}" if builtin else f"method.py:{cls}",
        "parameters": parameters or {},
        "contact": "test@example.com",
        "tracks": list(tracks),
    }
    meta.update(extra or {})
    for k in drop:
        meta.pop(k)
    (folder / "metadata.yaml").write_text(yaml.safe_dump(meta, sort_keys=False))
    if builtin is None:
        (folder / "method.py").write_text(source if source is not None else method_source(name))
    return folder


@pytest.fixture(scope="module")
def toy_env(tmp_path_factory):
    """A module-wide toy task folder (W2SBENCH_TASKS) and cache; returns (tasks folder, cache)."""
    from w2sbench.tasks.task import _registry

    base = tmp_path_factory.mktemp("toy")
    folder = write_toy_task(base / "tasks")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("W2SBENCH_TASKS", str(folder))
        _registry.cache_clear()
        yield folder, base / "cache"
    _registry.cache_clear()


TRACKS = {"toy": toy_track()}


@pytest.fixture(scope="module")
def arena(toy_env, tmp_path_factory):
    """A submissions root with a finished honest entry, so records (with labels) exist on disk."""
    tasks, cache = toy_env
    root = tmp_path_factory.mktemp("arena") / "submissions"
    honest = write_submission(root, "honest", builtin="naive")
    evaluate(honest, toy_harness(cache, TRACKS), show_progress=False)
    assert list((honest / "results").glob("*.json")) and list((cache / "artifacts" / "ceiling").glob("*.npz"))
    return {"tasks": tasks, "cache": cache, "root": root}


def attack(arena, name: str, body: str, unsandboxed: bool = False, prelude: str = ""):
    """Evaluate an adversary; returns its record, or raises the W2SError its failure became."""
    constants = (
        f"import json\nTASKS = {str(arena['tasks'])!r}\nCACHE = {str(arena['cache'])!r}\n"
        f"SUBS = {str(arena['root'])!r}\nREPO_TASKS = {str(Path(__file__).resolve().parents[2] / 'tasks')!r}\n"
    )
    folder = write_submission(arena["root"], name, method_source(name, body=body, prelude=constants + prelude))
    harness = toy_harness(
        arena["cache"], TRACKS, unsandboxed=unsandboxed, time_limit_s=120, extra_forbidden=(arena["root"],)
    )
    [record] = evaluate(folder, harness, show_progress=False).results["toy"]
    return record


def accept_all(root) -> None:
    """What a maintainer writes after looking: on the toy task the fake ladder's ceiling is weak and
    even naive passes its interval, so every entry here would be flagged needs review."""
    hashes = {
        f.name: sorted({r.method.code_hash for r in read_records(f / "results")[0].values()})
        for f in root.iterdir()
        if f.is_dir()
    }
    (root / "reviewed.yaml").write_text(yaml.safe_dump({"accepted": hashes}))
