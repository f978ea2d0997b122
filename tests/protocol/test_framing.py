"""The Framing protocol is what its callers use: every framing has each of its members, and a
member a caller reads is declared on the protocol."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from w2sbench.protocol.framing import FRAMINGS, Framing, framing_of
from w2sbench.tasks.task import get_task

PACKAGE = Path(__file__).resolve().parents[2] / "w2sbench"


def members() -> set[str]:
    declared = set(Framing.__annotations__) | {n for n, v in vars(Framing).items() if inspect.isfunction(v)}
    return {n for n in declared if not n.startswith("_")}


@pytest.mark.parametrize("name", sorted(FRAMINGS))
def test_every_framing_has_every_member_of_the_protocol(name):
    missing = [m for m in members() if not hasattr(FRAMINGS[name], m)]
    assert not missing, f"framing {name} lacks {missing}"


def test_every_member_read_off_a_framing_is_declared_on_the_protocol():
    """Attributes read off framing_of(...) anywhere in the package."""
    read = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Call)
                and getattr(node.value.func, "id", None) == "framing_of"
            ):
                read.add(node.attr)
    assert read and read <= members(), f"read but not declared on Framing: {read - members()}"


def test_a_task_gets_the_framing_its_converter_names():
    assert framing_of(get_task("wordnet_gloss")).name == "binary"
