"""What every file schema shares: the strict base, reading a YAML mapping, and pydantic's errors
as one readable line naming each field (what was expected and, for a scalar, what was given)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from w2sbench.core.errors import W2SError

M = TypeVar("M", bound=BaseModel)
SHA40 = re.compile(r"^[0-9a-f]{40}$")  # a git (and Hub) commit
SHA256 = re.compile(r"^[0-9a-f]{64}$")  # a file's content


class Strict(BaseModel):
    """Base for every schema: unknown fields are an error, objects are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def validation_problems(
    e: ValidationError, union_tags: dict[str, set[str]] | None = None, fields: list[str] | None = None
) -> list[str]:
    """Each error as one problem naming its field path (``sizes.pool``, ``source.splits.train.sha256``).

    union_tags: per field, the tags that say which form of a union it is in (left out of the path);
    fields: the schema's fields, listed after an unknown one."""
    out = []
    for err in e.errors():
        loc, kind, msg = [str(p) for p in err["loc"]], err["type"], err["msg"].removeprefix("Value error, ")
        given = err.get("input")
        if len(loc) > 1 and loc[1] in (union_tags or {}).get(loc[0], ()):
            del loc[1]
        if loc[-1:] == ["[key]"]:  # a mapping's key: name the mapping, and the key given
            loc, msg, given = loc[:-2], f"unknown key {given!r} ({msg})", None
        if kind in ("union_tag_not_found", "union_tag_invalid"):  # source.kind
            loc.append(err["ctx"]["discriminator"].strip("'"))
            kind = "missing" if kind == "union_tag_not_found" else kind
            msg, given = f"expected one of {err['ctx'].get('expected_tags')}", err["ctx"].get("tag")
        where = ".".join(loc)
        if kind == "extra_forbidden":
            out.append(f"unknown field {where!r}" + (f" (fields: {', '.join(fields)})" if fields else ""))
        elif kind == "missing":
            out.append(f"missing field {where!r}")
        elif not where:  # a check across fields: its message names them
            out.append(msg)
        else:
            shown = f" (got {given!r})" if isinstance(given, (str, int, float, bool)) else ""
            out.append(f"{where}: {msg}{shown}")
    return out


def read_yaml_mapping(
    path: Path | str, what: str, error: type[W2SError] = W2SError, text: str | None = None, empty_ok: bool = False
) -> dict:
    """A YAML file's top-level mapping (text: its content, when read from package resources);
    errors name the file and say what it should hold."""
    try:
        raw = yaml.safe_load(Path(path).read_text() if text is None else text)
    except OSError as e:
        raise error(f"{path}: cannot read {what}: {e}") from None
    except yaml.YAMLError as e:
        raise error(f"{path}: {what} is not valid YAML: {str(e).splitlines()[0]}") from None
    if raw is None and empty_ok:
        return {}
    if not isinstance(raw, dict):
        raise error(f"{path}: expected a mapping of {what} fields, got {type(raw).__name__}")
    return raw


def load_yaml_model(
    model: type[M],
    path: Path | str,
    what: str,
    error: type[W2SError] = W2SError,
    text: str | None = None,
    empty_ok: bool = False,
    **problem_options,
) -> M:
    """A YAML file read and validated as the model; every error names the file and each field that is wrong."""
    raw = read_yaml_mapping(path, what, error, text, empty_ok)
    try:
        return model.model_validate(raw)
    except ValidationError as e:
        raise error(f"{path}: invalid {what}: {'; '.join(validation_problems(e, **problem_options))}") from None
