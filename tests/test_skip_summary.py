"""A test run ends by listing its skips grouped by reason (tests/conftest.py), so a machine
without bubblewrap, stockfish, WordNet or chromium cannot pass for a full green run."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SKIPPING = """
import pytest

@pytest.mark.skipif(True, reason="stockfish is not installed")
def test_engine_a(): pass

@pytest.mark.skipif(True, reason="stockfish is not installed")
def test_engine_b(): pass

def test_sandbox(): pytest.skip("bubblewrap does not work here")

def test_runs(): pass
"""


def test_the_run_ends_with_skips_grouped_by_reason(tmp_path):
    (tmp_path / "conftest.py").write_text("from tests.conftest import pytest_terminal_summary  # noqa: F401\n")
    (tmp_path / "test_skipping.py").write_text(SKIPPING)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    ).stdout
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if "3 tests SKIPPED, by reason" in line)
    assert lines[header + 1].split() == ["2", "skipped:", "stockfish", "is", "not", "installed"]
    assert lines[header + 2].strip().endswith("test_skipping.py::test_engine_a")
    assert "1 skipped: bubblewrap does not work here" in out and "1 passed, 3 skipped" in out
