"""Staging a submission's code: the copy a worker imports from, never the folder itself.

A submission folder holds code, not data. What a worker sees is exactly what the code hash
covers (STAGED), and every other file is either one of a few known kinds that are never
staged (NOT_STAGED) or an error naming the file and the rule; nothing is dropped silently.
The caps bound what code can carry: test labels in a string literal or a text file, or the
public source data a task is built from.
"""

from __future__ import annotations

import ast
import hashlib
import shutil
from pathlib import Path

from w2sbench.core.errors import SubmissionError

FOLDER_CAP = 256 * 1024  # bytes of staged files, all together
LITERAL_CAP = 4 * 1024  # bytes of any one string or bytes literal, or one staged text file
TEXT_SUFFIXES = (".txt", ".json", ".yaml", ".yml", ".toml", ".csv", ".tsv", ".cfg", ".ini")
DOC_SUFFIXES = (".md", ".rst")

RULES = (
    f"a submission folder holds Python source (*.py) and small UTF-8 text files ({', '.join(TEXT_SUFFIXES)}), "
    f"which are staged for the method; at most {FOLDER_CAP // 1024} kB staged in all, no string or bytes "
    f"literal and no text file over {LITERAL_CAP // 1024} kB. Not staged: metadata.yaml, results/, "
    f"documentation ({', '.join(DOC_SUFFIXES)}, LICENSE), tests (test_*.py, *_test.py, conftest.py) and __pycache__/. "
    "Anything else (data, weights, binaries, hidden files, links) is refused: a method learns from what fit "
    "receives, not from files it brings"
)


def _is_test(rel: Path) -> bool:
    return rel.name.startswith("test_") or rel.name.endswith("_test.py") or rel.name == "conftest.py"


def _not_staged(rel: Path) -> bool:
    """Files a submission may hold that its method never sees (and the code hash never covers)."""
    if rel.parts[0] == "results" or "__pycache__" in rel.parts[:-1]:
        return True
    if rel.as_posix() == "metadata.yaml" or rel.suffix in DOC_SUFFIXES or rel.name.startswith("LICENSE"):
        return True
    return rel.suffix == ".py" and _is_test(rel)


def _refuse(name: str, rel: Path | str, rule: str) -> SubmissionError:
    return SubmissionError(f"submission {name}: {rel}: {rule}. Rules: {RULES}")


def _check_literals(name: str, rel: Path, source: bytes) -> None:
    try:
        tree = ast.parse(source, filename=str(rel))
    except (SyntaxError, ValueError) as e:
        raise _refuse(name, rel, f"not valid Python ({e.__class__.__name__}: {e})") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
            size = len(node.value.encode() if isinstance(node.value, str) else node.value)
            if size > LITERAL_CAP:
                raise _refuse(
                    name,
                    rel,
                    f"line {node.lineno}: a {type(node.value).__name__} literal of {size} bytes, over the "
                    f"{LITERAL_CAP} byte cap (data belongs in what fit receives, not in the code)",
                )


def staged_files(folder: Path) -> list[Path]:
    """The files a worker sees, checked against the rules; a broken rule is a SubmissionError."""
    folder = Path(folder)
    name = folder.name
    staged, total = [], 0
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if p.is_symlink():
            raise _refuse(name, rel, "symbolic links are not allowed in a submission (a link would carry what it points to)")
        if p.is_dir() or _not_staged(rel):
            continue
        if any(part.startswith(".") for part in rel.parts):
            raise _refuse(name, rel, "hidden files are not allowed (remove it)")
        if not p.is_file():
            raise _refuse(name, rel, "not a regular file")
        data = p.read_bytes()
        if rel.suffix == ".py":
            _check_literals(name, rel, data)
        elif rel.suffix in TEXT_SUFFIXES:
            if len(data) > LITERAL_CAP:
                raise _refuse(name, rel, f"a text file of {len(data)} bytes, over the {LITERAL_CAP} byte cap")
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                raise _refuse(name, rel, "not UTF-8 text") from None
        else:
            raise _refuse(name, rel, f"files of this kind ({rel.suffix or 'no suffix'}) are not allowed")
        total += len(data)
        staged.append(p)
    if total > FOLDER_CAP:
        raise _refuse(name, ".", f"{total} bytes of staged files, over the {FOLDER_CAP} byte cap")
    return staged


def code_hash(folder: Path) -> str:
    """The hash of every staged file, path and content: a method's code identity."""
    folder = Path(folder)
    h = hashlib.sha256()
    for p in staged_files(folder):
        h.update(p.relative_to(folder).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def stage_code(folder: Path, into: Path) -> Path:
    """Copy exactly the staged files of a submission to a fresh folder (see RULES)."""
    folder = Path(folder)
    for p in staged_files(folder):
        target = into / p.relative_to(folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(p, target)
    into.mkdir(parents=True, exist_ok=True)
    return into
