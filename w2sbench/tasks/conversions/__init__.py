"""Registry of conversions from upstream rows to standard examples.

A conversion is a function ``(row, index, split, rng, **params) -> Iterable[Example]`` (or,
registered with ``framing="generative"``, ``Iterable[Prompt]``: see w2sbench.generative).
It must give each example an id that is stable across runs (derived from the row's own id
or its index within its split), set ``group`` to what examples share (a passage, a question),
and draw any randomness (which distractor, which order) from ``rng``, a ``random.Random``
seeded from the task id and the row's index so a conversion is deterministic.
Adding a task family means adding one module here that registers its converters.

A converter's keyword-only parameters, with their annotations and defaults, are the
``conversion.params`` a task file may give: ``param_problems`` checks a task's parameters
against them when the task file is read, so an unknown, missing or mistyped parameter is an
error naming the field, not a TypeError at the first row.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import pkgutil
import types
import typing
from collections.abc import Callable, Iterable
from typing import Any, Literal, Union

from pydantic import ConfigDict, TypeAdapter, ValidationError

from w2sbench.core.errors import unknown_name
from w2sbench.core.example import Example

Converter = Callable[..., Iterable[Example]]
FramingName = Literal["binary", "generative"]  # the protocol's framing (w2sbench.protocol.framing) of this name runs it
_CONVERTERS: dict[str, Converter] = {}
_FRAMINGS: dict[str, FramingName] = {}


def converter(name: str, framing: FramingName = "binary"):
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


def _describe(annotation) -> str:
    """A parameter's annotation as a task author reads it: "a string", "one of 'fen', 'board'"."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if annotation is Any or annotation is inspect.Parameter.empty:
        return "any value"
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if origin in (Union, types.UnionType):
        return " or ".join(_describe(a) for a in args)
    if origin is dict:
        return "a mapping" + (f" to {_describe(args[1])}" if args and args[1] is not Any else "")
    if origin is list:
        return "a list" + (f" (each {_describe(args[0])})" if args else "")
    simple = {
        str: "a string",
        bool: "true or false",
        int: "an integer",
        float: "a number",
        dict: "a mapping",
        list: "a list",
        type(None): "null",
    }
    return simple.get(annotation, getattr(annotation, "__name__", str(annotation)))


def parameters(name: str) -> dict[str, inspect.Parameter]:
    """The parameters a task file may give conversion ``name``: its keyword-only arguments."""
    fn = get_converter(name)
    hints = typing.get_type_hints(fn)
    return {
        p.name: p.replace(annotation=hints.get(p.name, Any))
        for p in inspect.signature(fn).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    }


def accepted(name: str) -> str:
    """What conversion ``name`` takes, for an error message."""
    params = parameters(name).values()
    required = [p.name for p in params if p.default is inspect.Parameter.empty]
    optional = [p.name for p in params if p.default is not inspect.Parameter.empty]
    if not required and not optional:
        return f"conversion {name!r} takes no parameters (leave params out)"
    parts = [
        f"{', '.join(required)} (required)" if required else "",
        f"{', '.join(optional)} (optional)" if optional else "",
    ]
    return f"conversion {name!r} takes " + " and ".join(p for p in parts if p)


def param_problems(name: str, params: dict) -> list[tuple[str, str]]:
    """(parameter, what is wrong and what was expected) for each way ``params`` do not fit
    conversion ``name``'s keyword-only parameters: unknown, missing, or of the wrong type
    (checked strictly against the annotation, so ``"yes"`` is no boolean). Empty when they fit;
    ``accepted(name)`` says what the conversion takes."""
    expected = parameters(name)
    problems = []
    for key in params:
        if key not in expected:
            close = difflib.get_close_matches(str(key), list(expected), n=3, cutoff=0.6)
            hint = f" (did you mean {' or '.join(close)}?)" if close else ""
            problems.append((str(key), f"unknown parameter{hint}"))
    for key, p in expected.items():
        if key not in params:
            if p.default is inspect.Parameter.empty:
                problems.append((key, "missing (a required parameter)"))
            continue
        try:
            TypeAdapter(p.annotation, config=ConfigDict(strict=True)).validate_python(params[key])
        except ValidationError:
            problems.append((key, f"expected {_describe(p.annotation)}, got {params[key]!r}"))
    return problems


def framing_name(name: str) -> FramingName:
    """The framing a converter's examples are run in."""
    get_converter(name)
    return _FRAMINGS[name]


def _import_all() -> None:
    for mod in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{mod.name}")
