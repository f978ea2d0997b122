"""A submission folder: its metadata.yaml schema, loading it, and listing the entries."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from w2sbench.core.errors import W2SError, unknown_name
from w2sbench.core.schema import validation_problems
from w2sbench.running.tracks import NAME_PATTERN, Track, all_tracks

METHOD_PATTERN = r"^(builtin:[a-z0-9_.-]+|[A-Za-z0-9_./-]+\.py:[A-Za-z_][A-Za-z0-9_]*)$"
PLACEHOLDERS = {"authors": ["Your Name"], "contact": "you@example.org"}
# Schemas
# ---------------------------------------------------------------------------------------------


class Metadata(BaseModel):
    """``submissions/NAME/metadata.yaml``. Every field is required except ``paper`` (null allowed)
    and ``parameters``; unknown fields are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NAME_PATTERN, description="the folder's name; a submitted class registers under it")
    authors: list[str] = Field(min_length=1)
    description: str = Field(min_length=10, description="what the method does, in a few sentences")
    paper: str | None = Field(description="http(s) link to the paper or write-up, or null")
    licence: str = Field(min_length=2, description="licence of the code in the folder (e.g. MIT)")
    method: str = Field(pattern=METHOD_PATTERN, description="FILE.py:Class in the folder, or builtin:NAME")
    parameters: dict[str, Any] = Field(default_factory=dict, description="values of the method's dataclass fields")
    contact: str = Field(min_length=3, description="an email address or a URL")
    tracks: list[str] = Field(min_length=1, description="the tracks the entry enters (w2sbench/tracks.yaml)")

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
    """Parse and validate metadata.yaml; every problem names the file and the field."""
    path = Path(folder) / "metadata.yaml"
    if not path.exists():
        raise W2SError(f"{path}: missing (every submission needs metadata.yaml; `w2sbench new-method NAME` writes one)")
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as e:
        raise W2SError(f"{path}: not valid YAML: {str(e).splitlines()[0]}") from None
    if not isinstance(raw, dict):
        raise W2SError(f"{path}: expected a mapping of fields, got {type(raw).__name__}")
    try:
        return Metadata.model_validate(raw)
    except ValidationError as e:
        raise W2SError(f"{path}: {validation_problems(e)} (fields: {', '.join(Metadata.model_fields)})") from None


def load_submission(folder: Path | str, tracks: dict[str, Track] | None = None) -> Submission:
    """A submission folder, checked: metadata schema, name = folder name, known tracks, the module exists."""
    folder = Path(folder)
    if not folder.is_dir():
        raise W2SError(f"{folder}: no such submission folder")
    meta = load_metadata(folder)
    sub = Submission(folder.resolve(), meta)
    where = f"submission {meta.name} ({folder / 'metadata.yaml'})"
    if meta.name != folder.resolve().name:
        raise W2SError(f"{where}: name {meta.name!r} must equal the folder name {folder.resolve().name!r}")
    known = all_tracks() if tracks is None else tracks
    for t in meta.tracks:
        if t not in known:
            raise W2SError(f"{where}: {unknown_name('track', t, known)}")
    if meta.builtin is None:
        module, _ = sub.module_and_class()
        target = (folder / module).resolve()
        if not target.is_file() or not _inside(target, sub.folder):
            raise W2SError(f"{where}: method module {module!r} not found in the folder")
    return sub


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
