"""The guides work as written: docs/tasks.md's worked example, followed from an empty folder,
gives a task that loads and passes its audit; README and docs point only at files that exist
in the repository."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from w2sbench.cli import main
from w2sbench.methods.api import MethodContext
from w2sbench.models.ladder import Rung
from w2sbench.tasks import conversions
from w2sbench.tasks.task import Task

ROOT = Path(__file__).resolve().parents[1]
GUIDES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "docs" / "results").glob("*.md"))]


def _block(text: str, language: str, first_line: str) -> str:
    blocks = re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)
    (found,) = [b for b in blocks if b.startswith(first_line)]
    return found


def test_the_worked_example_of_docs_tasks_md_loads_and_passes_its_audit(tmp_path, monkeypatch):
    guide = (ROOT / "docs" / "tasks.md").read_text()
    (tmp_path / "make_arith_check.py").write_text(_block(guide, "python", "# make_arith_check.py"))
    out = subprocess.run(
        [sys.executable, "make_arith_check.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=True
    ).stdout
    printed = dict(re.findall(r"^(train|test) \d+ rows, sha256 ([0-9a-f]{64})$", out, flags=re.MULTILINE))
    assert set(printed) == {"train", "test"}
    for line in out.splitlines():
        assert line.split(", sha256")[0] in guide  # the row counts the guide announces
    definition = _block(guide, "yaml", "id: arith_check")
    definition = definition.replace("TRAIN_SHA256", printed["train"]).replace("TEST_SHA256", printed["test"])
    (tmp_path / "arith_check.yaml").write_text(definition)

    from w2sbench.tasks.task import _registry

    monkeypatch.setenv("W2SBENCH_TASKS", str(tmp_path))
    _registry.cache_clear()
    try:
        listed = CliRunner().invoke(main, ["tasks"])
        assert listed.exit_code == 0 and "arith_check" in listed.output and "arithmetic" in listed.output
        audit = CliRunner().invoke(main, ["tasks", "audit", "arith_check"])
        assert audit.exit_code == 0, audit.output
        assert "FAIL" not in audit.output and audit.output.count("PASS") >= 8
    finally:
        _registry.cache_clear()


# the package's own files, anything outside the repository, and markdown links (examples of
# folders a reader creates, such as submissions/my-method/, are not references)
PATH_LIKE = re.compile(r"`((?:\.\./|w2sbench/)[^`\s]*)`")
LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("guide", GUIDES, ids=lambda p: p.name)
def test_guides_point_only_at_files_inside_the_repository(guide):
    text = guide.read_text()
    assert "../shared" not in text
    missing = []
    for target in PATH_LIKE.findall(text) + [t for t in LINK.findall(text) if not re.match(r"\w+:", t)]:
        target = re.sub(r"\b[A-Z][A-Z_]+\b", "*", target.split("#")[0])  # tasks/ID.yaml: some task file
        if "*" in target:
            if not list(ROOT.glob(target)):
                missing.append(target)
            continue
        here = (guide.parent / target).resolve()
        there = (ROOT / target).resolve()
        if not (here.is_relative_to(ROOT) and here.exists()) and not there.exists():
            missing.append(target)
    assert missing == [], f"{guide.name} names files that are not in the repository: {missing}"


def test_the_ladder_of_docs_ladders_md_is_valid_and_shares_the_embedded_rungs():
    import yaml

    from w2sbench.models.ladder import Ladder, get_ladder

    guide = (ROOT / "docs" / "ladders.md").read_text()
    ladder = Ladder.model_validate(yaml.safe_load(_block(guide, "yaml", "name: embedded-wide")))
    embedded = get_ladder("embedded")
    assert [r.key() for r in ladder.rungs] == [embedded.rung(r.name).key() for r in ladder.rungs]  # same cache
    assert [(w.name, s.name) for w, s in ladder.pairs()] == [("minilm-l3", "mpnet-base")]


def test_the_method_of_docs_methods_md_passes_a_mock_run(tmp_path):
    from w2sbench.submissions.evaluate import mock_run
    from w2sbench.submissions.scaffold import new_method

    guide = (ROOT / "docs" / "methods.md").read_text()
    new_method("confident-half", tmp_path / "submissions")
    folder = tmp_path / "submissions" / "confident-half"
    (folder / "method.py").write_text(_block(guide, "python", '"""confident-half:'))
    report = mock_run(folder)
    assert report.submission == "confident-half" and report.results
    assert all(r.method.name == "confident-half" and r.method.params == {"keep": 0.5} for r in report.results)


def _fields(model) -> list[str]:
    return (
        sorted(f.name for f in dataclasses.fields(model))
        if dataclasses.is_dataclass(model)
        else sorted(model.model_fields)
    )


def _conversions() -> list[str]:
    conversions.get_converter("standard")  # imports every converter module
    return sorted(conversions._CONVERTERS)


@pytest.mark.parametrize(
    "guide, names",
    [
        ("tasks.md", _conversions),
        ("tasks.md", lambda: _fields(Task)),
        ("ladders.md", lambda: _fields(Rung)),
        ("methods.md", lambda: _fields(MethodContext)),
    ],
    ids=["conversions", "task fields", "rung fields", "context fields"],
)
def test_the_guides_name_every_conversion_and_field(guide, names):
    """A converter, a schema field or a context field added to the code without a word in its
    guide fails here."""
    text = (ROOT / "docs" / guide).read_text()
    assert [n for n in names() if f"`{n}`" not in text] == []


# Documents the project was built from, which are not in the repository: nothing may point at them.
OUTSIDE = re.compile(
    r"research/\w+\.md|\bdatasets\.md|\bfindings\.md|models-offline\.md|rung-probe\.md|DESIGN\.md|/work/shared"
)
# A builtin method's docstring is part of its source and so of its code hash (methods.api.code_hash):
# rewording these re-makes every record of the method, so they wait for that re-make.
HASHED = {
    "w2sbench/methods/confidence.py",
    "w2sbench/methods/targets.py",
    "w2sbench/methods/refinement.py",
    "w2sbench/core/losses.py",
}


def test_no_file_points_at_documents_outside_the_repository():
    import subprocess

    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    found = []
    for name in files:
        path = ROOT / name
        if (
            name in HASHED
            or name == "tests/test_docs.py"
            or path.suffix not in {".py", ".md", ".yaml", ".yml", ".toml", ".html", ".txt", ""}
        ):
            continue
        try:
            text = path.read_text()
        except (UnicodeDecodeError, IsADirectoryError, FileNotFoundError):
            continue
        found += [f"{name}:{i}" for i, line in enumerate(text.splitlines(), 1) if OUTSIDE.search(line)]
    assert found == [], f"references to documents outside the repository: {found}"
    assert all((ROOT / n).exists() for n in HASHED)
