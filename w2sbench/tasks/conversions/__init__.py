"""Registry of conversions from upstream rows to standard examples.

A conversion is a function ``(row, index, split, rng, **params) -> Iterable[Example]`` (or,
registered with ``framing="generative"``, ``Iterable[Prompt]``: see w2sbench.generative).
It must give each example an id that is stable across runs (derived from the row's own id
or its index within its split), set ``group`` to what examples share (a passage, a question),
and draw any randomness (which distractor, which order) from ``rng``, a ``random.Random``
seeded from the task id and the row's index so a conversion is deterministic.
Adding a task family means adding one module here that registers its converters.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Callable, Iterable, Literal

from w2sbench.core.errors import unknown_name
from w2sbench.core.example import Example

Converter = Callable[..., Iterable[Example]]
Framing = Literal["binary", "generative"]
_CONVERTERS: dict[str, Converter] = {}
_FRAMINGS: dict[str, Framing] = {}


def converter(name: str, framing: Framing = "binary"):
    """Register a conversion under ``name`` (the task file's conversion.name); ``framing`` says
    what it yields: binary Examples or generative Prompts."""

    def register(fn: Converter) -> Converter:
        if name in _CONVERTERS:
            raise ValueError(f"conversion {name!r} registered twice")
        _CONVERTERS[name] = fn
        _FRAMINGS[name] = framing
        return fn

    return register


def get_converter(name: str) -> Converter:
    _import_all()
    if name not in _CONVERTERS:
        raise unknown_name("conversion", name, _CONVERTERS)
    return _CONVERTERS[name]


def framing_of(name: str) -> Framing:
    get_converter(name)
    return _FRAMINGS[name]


def _import_all() -> None:
    for mod in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{mod.name}")
