"""A validation's outcome: named checks (pass, fail, warn, skip) and the options that steer them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Status = Literal["pass", "fail", "warn", "skip"]


@dataclass
class Check:
    name: str
    status: Status
    detail: str = ""


@dataclass
class ValidationReport:
    submission: str
    checks: list[Check] = field(default_factory=list)
    # called with each check as it is added: a long validation shows where it is (the CLI prints a line)
    progress: Callable[[str, Check], None] | None = field(default=None, repr=False, compare=False)
    # called with each step inside a long check (a record re-run): minutes of work are not silent
    steps: Callable[[str, str], None] | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return all(c.status != "fail" for c in self.checks)

    def add(self, name: str, status: Status, detail: str = "") -> Check:
        c = Check(name, status, detail)
        self.checks.append(c)
        if self.progress:
            self.progress(self.submission, c)
        return c

    def step(self, text: str) -> None:
        if self.steps:
            self.steps(self.submission, text)


# What validate checks, in order; the command's help text is built from this list.


@dataclass
class ValidateOptions:
    rerun: bool = True  # re-run every record; False checks the files only (local use, never CI)
    base: str | None = None
    accept_changes: bool = False
    allow_incomplete: bool = False
    repo: Path | None = None  # git working tree (default: the folder's repository)
