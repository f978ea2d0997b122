"""An export of standard weak labels on the fake ladder and the toy task, shared by the label tests."""

from __future__ import annotations

import pytest
import torch

from tests.conftest import FakeEncoder, fake_ladder
from w2sbench.labels.export import export_labels
from w2sbench.protocol.workspace import Workspace
from w2sbench.tasks.task import get_task

SEEDS = [0, 1]

# heads here are tiny: one thread is several times faster than two on a shared, loaded machine
torch.set_num_threads(1)


def workspace(root) -> Workspace:
    return Workspace(root / "cache", root / "results", encoder_factory=FakeEncoder)


@pytest.fixture
def exported(tasks_env, tmp_path):
    """(workspace that produced it, export folder, manifest) for rungs weak and mid, seeds 0 and 1."""
    ws = workspace(tmp_path / "producer")
    ladder = fake_ladder()
    out = tmp_path / "export"
    manifest = export_labels(ws, [get_task("toy")], ladder, ladder.rungs[:2], SEEDS, out)
    return ws, out, manifest
