"""Helpers the task-family converters share: field templates, explicit label maps, group keys.

Templates are ``str.format`` strings over the upstream row: ``"{question}\\n\\n{passage}"``.
A list value (DREAM's dialogue turns) renders as its items joined by newlines; a nested
struct is indexed the format way, ``"{idx[paragraph]}"``.
"""

from __future__ import annotations

import hashlib
import re

_SPACE = re.compile(r"\s+")


def _flat(value):
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "\n".join(str(v) for v in value)
    return value


def render(template: str, row) -> str:
    """Fill a template from a row; a missing column raises KeyError naming it."""
    return template.format_map({k: _flat(v) for k, v in row.items()}).strip()


def get_path(row, path: str):
    """A column or a nested field: ``"choices.text"`` is ``row["choices"]["text"]``."""
    value = row
    for part in path.split("."):
        value = value[part]
    return value


def normalise(text: str) -> str:
    return _SPACE.sub(" ", str(text)).strip().lower()


def group_key(text: str) -> str:
    """A short, stable key for what examples share (a passage, a question), compared
    across splits: equal text (up to case and spacing) gives the same key."""
    return hashlib.sha1(normalise(text).encode()).hexdigest()[:16]


def map_label(value, label_map: dict | None, unlabeled=()):
    """Map an upstream label through an explicit table; None for a hidden label.

    An upstream value that is neither in the table nor declared unlabeled is an error,
    so a changed label coding (say 0/4 instead of 0/1) fails loudly instead of silently.
    """
    if any(value == u and type(value) is type(u) for u in unlabeled):
        return None
    if label_map is None:
        return value
    for key, mapped in label_map.items():
        if value == key and (type(value) is type(key) or {type(value), type(key)} <= {int, float}):
            return mapped
    raise ValueError(f"label {value!r} is not in the task's label_map {list(label_map)}")
