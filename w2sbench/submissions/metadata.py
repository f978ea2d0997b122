"""A submission folder: its metadata.yaml schema, loading it, and listing the entries."""

from __future__ import annotations

import ast
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator

from w2sbench.core.errors import SubmissionError, unknown_name
from w2sbench.core.schema import Strict, read_yaml_mapping, validation_problems
from w2sbench.running.tracks import NAME_PATTERN, Track, all_tracks

METHOD_PATTERN = r"^(builtin:[a-z0-9_.-]+|[A-Za-z0-9_./-]+\.py:[A-Za-z_][A-Za-z0-9_]*)$"
PLACEHOLDERS = {"authors": ["Your Name"], "contact": "you@example.org"}
# Parameters are code (staging.code_hash covers them), so they are capped like code: a few small values
PARAMETER_KEYS = 16  # parameters in the table
PARAMETER_CHARS = 64  # characters of a parameter's name, and of a string value
PARAMETER_ITEMS = 16  # items of a list value (a flat list of scalars)
PARAMETERS_BYTES = 1024  # the whole table as canonical JSON (parameters_json)
INT_BOUND = 2**63  # an int value is within int64
FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# ---------------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------------


def parameters_json(parameters: dict[str, Any]) -> str:
    """The canonical text of a parameters table: what the code hash covers and the size cap counts."""
    return json.dumps(parameters, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _scalar_problem(value: Any) -> str | None:
    """Why a value is not a small scalar (a bool, int64, finite float, null or short string), or None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return None if -INT_BOUND <= value < INT_BOUND else "an int outside int64"
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{value!r}, not a finite number"
    if isinstance(value, str):
        return None if len(value) <= PARAMETER_CHARS else f"a string of {len(value)} characters, over {PARAMETER_CHARS}"
    return f"a {type(value).__name__}"


def parameter_problems(parameters: dict[str, Any]) -> list[str]:
    """Every way a parameters table breaks the caps, each naming the parameter: a table is code,
    so it holds a few small values, never data."""
    problems = []
    if len(parameters) > PARAMETER_KEYS:
        problems.append(f"{len(parameters)} parameters, over the cap of {PARAMETER_KEYS}")
    for key, value in parameters.items():
        if not FIELD_NAME.fullmatch(key) or len(key) > PARAMETER_CHARS:
            problems.append(f"{key[:PARAMETER_CHARS]!r}: not a field name of at most {PARAMETER_CHARS} characters")
        items = value if isinstance(value, list) else [value]
        if len(items) > PARAMETER_ITEMS:
            problems.append(f"{key}: a list of {len(items)} items, over {PARAMETER_ITEMS}")
        why = next(filter(None, map(_scalar_problem, items)), None)  # the first bad item stands for the rest
        if why:
            problems.append(f"{key}: {why}")
    if not problems and (size := len(parameters_json(parameters).encode())) > PARAMETERS_BYTES:
        problems.append(f"{size} bytes as JSON, over the {PARAMETERS_BYTES} byte cap on the whole table")
    return problems


PARAMETER_RULE = (
    f"expected at most {PARAMETER_KEYS} parameters named like dataclass fields, each a bool, an int64, a finite "
    f"float, null, a string of at most {PARAMETER_CHARS} characters or a flat list of at most {PARAMETER_ITEMS} of "
    f"these; at most {PARAMETERS_BYTES} bytes in all as JSON"
)


# ---------------------------------------------------------------------------------------------
# Schemas
# ---------------------------------------------------------------------------------------------


class Metadata(Strict):
    """``submissions/NAME/metadata.yaml``. Every field is required except ``paper`` (null allowed)
    and ``parameters``; unknown fields are errors."""

    name: str = Field(pattern=NAME_PATTERN, description="the folder's name; a submitted class registers under it")
    authors: list[str] = Field(min_length=1)
    description: str = Field(min_length=10, description="what the method does, in a few sentences")
    paper: str | None = Field(description="http(s) link to the paper or write-up, or null")
    licence: str = Field(min_length=2, description="licence of the code in the folder (e.g. MIT)")
    method: str = Field(pattern=METHOD_PATTERN, description="FILE.py:Class in the folder, or builtin:NAME")
    parameters: dict[str, Any] = Field(default_factory=dict, description="values of the method's dataclass fields")
    contact: str = Field(min_length=3, description="an email address or a URL")
    tracks: list[str] = Field(min_length=1, description="the tracks the entry enters (w2sbench/running/tracks.yaml)")

    @field_validator("paper")
    @classmethod
    def _http(cls, v):
        if v is not None and not re.match(r"^https?://[^\s<>\"']+$", v):
            raise ValueError("must be an http(s) link or null")
        return v

    @field_validator("authors")
    @classmethod
    def _authors(cls, v):
        if any(not a.strip() for a in v):
            raise ValueError("author names must not be empty")
        return v

    @field_validator("parameters")
    @classmethod
    def _capped(cls, v):
        problems = parameter_problems(v)
        if problems:
            raise ValueError(f"{', '.join(problems)} ({PARAMETER_RULE})")
        return v

    @field_validator("tracks")
    @classmethod
    def _unique(cls, v):
        if len(set(v)) != len(v):
            raise ValueError("a track is listed twice")
        return v

    @property
    def builtin(self) -> str | None:
        return self.method.removeprefix("builtin:") if self.method.startswith("builtin:") else None

    def placeholders(self) -> list[str]:
        """Fields still holding the new-method template's placeholder values."""
        return [k for k, v in PLACEHOLDERS.items() if getattr(self, k) == v]


# ---------------------------------------------------------------------------------------------
# Loading a submission
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    folder: Path
    metadata: Metadata

    @property
    def name(self) -> str:
        return self.metadata.name

    @property
    def results_dir(self) -> Path:
        return self.folder / "results"

    @property
    def builtin(self) -> str | None:
        return self.metadata.builtin

    def module_and_class(self) -> tuple[str, str]:
        path, _, cls = self.metadata.method.rpartition(":")
        return path, cls

    def reproduce_command(self, track: str) -> str:
        return f"w2sbench evaluate submissions/{self.name} --track {track}"


def load_metadata(folder: Path) -> Metadata:
    """Parse and validate metadata.yaml; one error lists every problem, each naming its field."""
    path = Path(folder) / "metadata.yaml"
    return _checked(path, _raw_metadata(path), [])


def load_submission(folder: Path | str, tracks: dict[str, Track] | None = None) -> Submission:
    """A submission folder, checked: metadata schema, name = folder name, known tracks, the method's
    module and class exist. One error lists every problem found, so one round shows them all."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SubmissionError(f"{folder}: no such submission folder")
    path = folder / "metadata.yaml"
    raw = _raw_metadata(path)
    meta = _checked(path, raw, _folder_problems(folder.resolve(), raw, all_tracks() if tracks is None else tracks))
    return Submission(folder.resolve(), meta)


def _raw_metadata(path: Path) -> dict:
    """metadata.yaml as a mapping; without one there is nothing else to check."""
    if not path.exists():
        raise SubmissionError(
            f"{path}: missing (every submission needs metadata.yaml; `w2sbench new-method NAME` writes one)"
        )
    return read_yaml_mapping(path, "metadata")


def _checked(path: Path, raw: dict, problems: list[str]) -> Metadata:
    """The Metadata of raw, or one error with the schema's problems and the given ones; the
    template's placeholders join them (validate refuses those too), so no mistake waits a round."""
    try:
        meta = Metadata.model_validate(raw)
    except ValidationError as e:
        problems = validation_problems(e, fields=list(Metadata.model_fields)) + problems
    if not problems:
        return meta
    problems += [f"{k}: still the template's placeholder {v!r}" for k, v in PLACEHOLDERS.items() if raw.get(k) == v]
    raise SubmissionError(
        f"{path}: " + (f"{len(problems)} problems: " if len(problems) > 1 else "") + "; ".join(problems)
    )


def _folder_problems(folder: Path, raw: dict, known: dict[str, Track]) -> list[str]:
    """What the schema cannot know: the name is the folder's, the tracks exist, the method is
    there. A field is checked here when it has the right type (else the schema reports it)."""
    problems = []
    name, tracks, method = raw.get("name"), raw.get("tracks"), raw.get("method")
    if isinstance(name, str) and name != folder.name:
        problems.append(f"name: {name!r} must equal the folder name {folder.name!r}")
    for t in tracks if isinstance(tracks, list) else []:
        if isinstance(t, str) and t not in known:
            problems.append(f"tracks: {unknown_name('track', t, known)}")
    if isinstance(method, str) and re.match(METHOD_PATTERN, method) and not method.startswith("builtin:"):
        problems += _method_problems(folder, method)
    return problems


def _method_problems(folder: Path, method: str) -> list[str]:
    """The module is a file in the folder and binds the class at its top level (read, never run)."""
    module, _, cls = method.rpartition(":")
    target = (folder / module).resolve()
    if not target.is_file() or not _inside(target, folder):
        return [f"method: method module {module!r} not found in the folder"]
    try:
        names = _top_level_names(ast.parse(target.read_bytes(), filename=module))
    except (SyntaxError, ValueError):  # staging refuses it, with the rules
        return []
    if cls in names or "*" in names:  # a star import may bind it
        return []
    return [f"method: no class {cls!r} at the top level of {module}"]


def _top_level_names(tree: ast.Module) -> set[str]:
    """Names a module binds at its top level: classes, functions, assignments, imports ("*" for a
    star import)."""
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def list_submissions(root: Path) -> list[Path]:
    """The submission folders under root (every folder holding metadata.yaml), sorted."""
    root = Path(root)
    return sorted(p for p in root.iterdir() if p.is_dir() and (p / "metadata.yaml").exists()) if root.is_dir() else []
