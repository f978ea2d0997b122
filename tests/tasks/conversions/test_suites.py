"""Every task of the nlp22 and preference suites validates, carries its provenance, and has fixtures.

The Hub is unreachable in CI, so a task without fixture rows would ship untested; and a
fixture file that drifted from the rows declared in tests/fixtures/make_task_fixtures.py
would test something nobody can read.
"""

import importlib.util
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.tasks.conversions.helpers import FIXTURES, TASKS
from w2sbench.tasks.task import HubSource, load_task_file

SUITES = {"nlp22", "preference"}
PAPER_NLP = {
    "boolq",
    "cosmos_qa",
    "dream",
    "ethics_justice",
    "ethics_deontology",
    "ethics_virtue",
    "ethics_utilitarianism",
    "anli_r2",
    "glue_cola",
    "glue_sst2",
    "hellaswag",
    "mc_taco",
    "openbookqa",
    "paws",
    "quail",
    "piqa",
    "quartz",
    "sciq",
    "social_iqa",
    "superglue_multirc",
    "superglue_wic",
    "twitter_sentiment",
}


def _suite_files():
    return sorted(p for p in TASKS.glob("*.yaml") if SUITES & set(load_task_file(p).suites))


def _declared():
    spec = importlib.util.spec_from_file_location("make_task_fixtures", FIXTURES.parent / "make_task_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.FIXTURES


def test_the_paper_suite_is_complete():
    nlp22 = {load_task_file(p).id for p in _suite_files() if "nlp22" in load_task_file(p).suites}
    assert nlp22 == PAPER_NLP
    preference = [load_task_file(p) for p in _suite_files() if "preference" in load_task_file(p).suites]
    assert preference and all("paper" in t.suites for t in preference)
    assert all("not public" in t.description for t in preference)


@pytest.mark.parametrize("path", _suite_files(), ids=lambda p: p.stem)
def test_task_validates_and_has_fixtures(path: Path):
    task = load_task_file(path)
    assert task.licence.strip() and task.citation.strip() and task.homepage.strip()
    assert isinstance(task.source, HubSource) and "/" in task.source.dataset
    if task.source.revision is None:
        assert len(task.source.unpinned_reason) > 40  # says why, not just "unpinned"
    assert task.sizes.pool == 10000 and task.sizes.test == 1000
    for split in task.upstream_splits():
        assert (FIXTURES / task.id / f"{split}.parquet").exists(), f"no fixture for split {split!r}"


@pytest.mark.parametrize("task_id", sorted(_declared()))
def test_fixture_files_match_the_declared_rows(task_id):
    features, splits = _declared()[task_id]
    for split, rows in splits.items():
        table = pq.read_table(FIXTURES / task_id / f"{split}.parquet")
        assert table.column_names == list(features), f"{task_id}/{split}: columns"
        assert table.to_pylist() == rows, f"{task_id}/{split}: rerun tests/fixtures/make_task_fixtures.py"
