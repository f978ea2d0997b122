"""docs/tasks.md documents every check `w2sbench tasks audit` runs. The check names are read from
the audit's code, so a check added without a word in the guide fails here."""

from __future__ import annotations

import ast
from pathlib import Path

from w2sbench.tasks import audit, shortcuts

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "tasks.md"
MAKERS = {"Check", "make_check", "_probe"}  # what builds a check from a name given as its first argument


def _prefix(node: ast.expr) -> str | None:
    """A name given literally ("group_leakage"), or the literal start of an f-string name
    (f"balance/{role}" gives "balance/")."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
        return node.values[0].value
    return None


def check_names() -> set[str]:
    """Every check name (or, for a family such as balance/ROLE, its start) the audit can print."""
    names = set()
    for module in (audit, shortcuts):
        for node in ast.walk(ast.parse(Path(module.__file__).read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in MAKERS and node.args:
                name = _prefix(node.args[0])
                if name is not None:
                    names.add(name)
    names.discard("shortcut/")  # one check per spelling rule
    return names | {f"shortcut/{rule}" for rule in shortcuts.RULES}


def test_the_check_names_are_read_from_the_code():
    names = check_names()
    assert {
        "balance/",
        "majority_baseline",
        "duplicates/",
        "duplicates/across_roles",
        "group_leakage",
        "surface_leak",
        "id_leak",
        "position_leak",
        "answer_baseline",
        "ceiling_above_floor/",
        "shortcut/negating_prefix",
        "shortcut/shared_stem",
    } <= names


def test_every_check_the_audit_runs_on_a_task_is_among_them():
    """What the names are read from covers what the audit prints (else a check could escape the guide)."""
    from tests.tasks.test_audit import _data, _examples

    task, data = _data(_examples("pool", 100, 0), _examples("test", 60, 1))
    names = check_names()
    printed = [c.name for c in audit.audit_task(task, data)]
    assert printed and all(p in names or any(n.endswith("/") and p.startswith(n) for n in names) for p in printed)


def test_docs_tasks_md_documents_every_audit_check():
    text = GUIDE.read_text()
    assert [n for n in sorted(check_names()) if f"`{n}" not in text] == []
    section = text[text.index("## The audit") : text.index("## Matched pairs")]
    for said in ("1.000", "hash of the content", "shuffled index assigned after splitting", "per label"):
        assert said in section, said
