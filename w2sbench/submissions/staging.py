"""Staging a submission's code: the copy a worker imports from, never the folder itself.

A submission folder holds code, not data. What a worker sees is exactly what the code hash
covers (STAGED, and the metadata's parameters, which pass to the method), and every other file
is either one of a few known kinds that are never staged (NOT_STAGED) or an error naming the
file and the rule; nothing is dropped silently. The caps bound what code can carry as data:
test labels in a literal, a comment or a text file, or the public source data a task is built
from. Every literal counts (strings, bytes, docstrings, f-string parts, numbers) and every
comment, by its source text.
"""

from __future__ import annotations

import ast
import hashlib
import io
import shutil
import tokenize
from pathlib import Path
from typing import Any

from w2sbench.core.errors import SubmissionError
from w2sbench.submissions.metadata import parameters_json

FOLDER_CAP = 256 * 1024  # bytes of staged files, all together
LITERAL_CAP = 4 * 1024  # source bytes of any one literal or comment, or bytes of one staged text file
DATA_CAP = 16 * 1024  # source bytes of every literal and comment, and bytes of every text file, all together
LITERAL_COUNT_CAP = 1000  # literals in all staged modules together
TEXT_SUFFIXES = (".txt", ".json", ".yaml", ".yml", ".toml", ".csv", ".tsv", ".cfg", ".ini")
DOC_SUFFIXES = (".md", ".rst")
# Python 3.12 splits an f-string into tokens, its text parts FSTRING_MIDDLE ones (3.11: one STRING)
FSTRING_PART = getattr(tokenize, "FSTRING_MIDDLE", -1)
DATA_TOKENS = {tokenize.STRING, tokenize.NUMBER, tokenize.COMMENT, FSTRING_PART}  # tokens whose text is data

RULES = (
    f"a submission folder holds Python source (*.py) and small UTF-8 text files ({', '.join(TEXT_SUFFIXES)}), "
    f"which are staged for the method; at most {FOLDER_CAP // 1024} kB staged in all; no literal (string, bytes, "
    f"docstring, f-string part, number) or comment over {LITERAL_CAP // 1024} kB of source, no text file over "
    f"{LITERAL_CAP // 1024} kB, at most {DATA_CAP // 1024} kB of literals, comments and text files together and "
    f"at most {LITERAL_COUNT_CAP} literals. Not staged: metadata.yaml, results/, "
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


def _kind(token: tokenize.TokenInfo) -> str:
    """What a data token is, for an error message: "a str literal", "an int literal", "a comment", ..."""
    if token.type in (tokenize.COMMENT, FSTRING_PART):
        return "a comment" if token.type == tokenize.COMMENT else "an f-string part"
    try:
        kind = type(ast.literal_eval(token.string)).__name__
    except (ValueError, SyntaxError):
        return "an f-string"  # not a constant
    return f"{'an' if kind == 'int' else 'a'} {kind} literal"


def _literals(name: str, rel: Path, source: bytes) -> tuple[int, int]:
    """The source bytes of a module's literals and comments, and how many literals it has; a module
    that is not valid Python, or holds one literal or comment over LITERAL_CAP, is refused."""
    try:
        ast.parse(source, filename=str(rel))
        tokens = [t for t in tokenize.tokenize(io.BytesIO(source).readline) if t.type in DATA_TOKENS]
    except (SyntaxError, ValueError, tokenize.TokenError) as e:
        raise _refuse(name, rel, f"not valid Python ({e.__class__.__name__}: {e})") from None
    size = 0
    for t in tokens:
        n = len(t.string.encode())
        if n > LITERAL_CAP:
            raise _refuse(
                name,
                rel,
                f"line {t.start[0]}: {_kind(t)} of {n} bytes, over the {LITERAL_CAP} byte cap "
                "(data belongs in what fit receives, not in the code)",
            )
        size += n
    return size, sum(t.type != tokenize.COMMENT for t in tokens)


def _check_total(name: str, per_file: dict[Path, int], cap: int, what: str) -> None:
    """A cap on the folder as a whole (data split over files is still data), naming the file with the most."""
    amount = sum(per_file.values())
    if amount > cap:
        top = max(per_file, key=per_file.get)
        raise _refuse(name, ".", f"{amount} {what}, over the cap of {cap} (the most in {top}: {per_file[top]})")


def staged_files(folder: Path) -> list[Path]:
    """The files a worker sees, checked against the rules; a broken rule is a SubmissionError."""
    folder = Path(folder)
    name = folder.name
    staged, total, data, literals = [], 0, {}, {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if p.is_symlink():
            raise _refuse(
                name, rel, "symbolic links are not allowed in a submission (a link would carry what it points to)"
            )
        if p.is_dir() or _not_staged(rel):
            continue
        if any(part.startswith(".") for part in rel.parts):
            raise _refuse(name, rel, "hidden files are not allowed (remove it)")
        if not p.is_file():
            raise _refuse(name, rel, "not a regular file")
        content = p.read_bytes()
        if rel.suffix == ".py":
            data[rel], literals[rel] = _literals(name, rel, content)
        elif rel.suffix in TEXT_SUFFIXES:
            if len(content) > LITERAL_CAP:
                raise _refuse(name, rel, f"a text file of {len(content)} bytes, over the {LITERAL_CAP} byte cap")
            try:
                content.decode("utf-8")
            except UnicodeDecodeError:
                raise _refuse(name, rel, "not UTF-8 text") from None
            data[rel] = len(content)
        else:
            raise _refuse(name, rel, f"files of this kind ({rel.suffix or 'no suffix'}) are not allowed")
        total += len(content)
        staged.append(p)
    if total > FOLDER_CAP:
        raise _refuse(name, ".", f"{total} bytes of staged files, over the {FOLDER_CAP} byte cap")
    _check_total(name, data, DATA_CAP, "bytes of literals, comments and text files")
    _check_total(name, literals, LITERAL_COUNT_CAP, "literals")
    return staged


def code_hash(folder: Path, parameters: dict[str, Any] | None = None) -> str:
    """The hash of every staged file, path and content, and of the parameters the method is given:
    a method's code identity. A folder run without parameters keeps the hash of its files alone."""
    folder = Path(folder)
    h = hashlib.sha256()
    for p in staged_files(folder):
        h.update(p.relative_to(folder).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    if parameters:  # framed as a file whose path no staged file can have
        h.update(b"metadata.yaml:parameters\0" + parameters_json(parameters).encode() + b"\0")
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
