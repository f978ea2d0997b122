"""docs/concepts.md's glossary: each type it names exists where it says, and no other module of
the package defines a type (a class or a module-level alias) of the same name."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "docs" / "concepts.md"
TYPE = re.compile(r"\| `(w2sbench[\w.]*):(\w+)` \|$")


def glossary_types() -> list[tuple[str, str]]:
    return [m.groups() for line in GLOSSARY.read_text().splitlines() if (m := TYPE.search(line))]


def definitions(name: str) -> list[str]:
    """Modules of the package that define `name` at their top level."""
    found = []
    for path in sorted((ROOT / "w2sbench").rglob("*.py")):
        for node in ast.parse(path.read_text()).body:
            names = (
                [node.name]
                if isinstance(node, ast.ClassDef)
                else [t.id for t in node.targets if isinstance(t, ast.Name)]
                if isinstance(node, ast.Assign)
                else [node.target.id]
                if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
                else []
            )
            if name in names:
                found.append(".".join(path.relative_to(ROOT).with_suffix("").parts))
    return found


def test_the_glossary_names_the_concepts_the_brief_lists():
    named = {n for _, n in glossary_types()}
    assert {
        "Task",
        "Rung",
        "Ladder",
        "Cell",
        "Experiment",
        "Track",
        "Result",
        "Framing",
        "Regime",
        "Method",
        "WeakLabelSet",
        "Submission",
        "Entry",
    } <= named


@pytest.mark.parametrize("module,name", glossary_types(), ids=lambda v: v)
def test_each_glossary_type_is_defined_once_where_the_glossary_says(module, name):
    assert hasattr(importlib.import_module(module), name), f"{module} has no {name}"
    assert definitions(name) == [module], f"{name} is defined in {definitions(name)}, the glossary says {module}"
