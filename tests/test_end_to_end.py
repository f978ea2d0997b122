"""The whole protocol with the real packaged rungs (MiniLM-L3 -> MiniLM-L6) on a slice of a real
offline task, through the command line, cold and then warm."""

import json
import shutil

import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner

from w2sbench.cli import main
from w2sbench.core.paths import tasks_dir
from w2sbench.tasks.loading import sha256_file


@pytest.fixture
def small_gloss(tmp_path, monkeypatch):
    """wordnet_gloss cut to 300 pool / 150 test rows, as its own task folder."""
    from w2sbench.tasks.task import _registry, read_task_mapping

    folder = tmp_path / "tasks"
    definition = read_task_mapping(tasks_dir() / "wordnet_gloss.yaml")  # its include merged in: the copy stands alone
    for split, rows in (("train", 300), ("test", 150)):
        target = folder / "data" / "wordnet_gloss" / f"{split}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(
            pq.read_table(tasks_dir() / "data" / "wordnet_gloss" / f"{split}.parquet").slice(0, rows), target
        )
        definition["source"]["splits"][split]["sha256"] = sha256_file(target)
    definition["sizes"] = {"pool": 300, "test": 150}
    (folder / "wordnet_gloss.yaml").write_text(yaml.safe_dump(definition))
    monkeypatch.setenv("W2SBENCH_TASKS", str(folder))
    monkeypatch.setenv("W2SBENCH_CACHE", str(tmp_path / "cache"))
    _registry.cache_clear()
    yield tmp_path
    _registry.cache_clear()


def test_run_cold_then_warm_with_real_rungs(small_gloss, monkeypatch):
    results = small_gloss / "results"
    args = [
        "run",
        "--tasks",
        "wordnet_gloss",
        "--pairs",
        "minilm-l3:minilm-l6",
        "--seeds",
        "0,1",
        "--results",
        str(results),
        "--no-progress",
    ]
    cold = CliRunner().invoke(main, args)
    assert cold.exit_code == 0, cold.output
    assert "wordnet_gloss" in cold.output and "minilm-l3 -> minilm-l6" in cold.output
    records = sorted(results.glob("*.json"))
    assert len(records) == 2
    record = json.loads(records[0].read_text())
    assert record["strong"]["parameters"] > record["weak"]["parameters"] > 10_000_000  # measured from weights
    assert record["provenance"]["libraries"]["torch"].startswith("2.13.0")
    assert 0.5 < record["scores"]["acc_ceiling"] <= 1.0
    before = {p.name: p.read_bytes() for p in records}

    # warm: nothing is recomputed, so no model may even be loaded
    import w2sbench.models.encoder

    monkeypatch.setattr(w2sbench.models.encoder.Encoder, "embed", lambda *a, **k: pytest.fail("re-embedded"))
    warm = CliRunner().invoke(main, args)
    assert warm.exit_code == 0, warm.output
    assert {p.name: p.read_bytes() for p in sorted(results.glob("*.json"))} == before
    shutil.rmtree(results)
