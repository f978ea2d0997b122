"""Shared by every file schema: turning pydantic's errors into one readable line."""

from __future__ import annotations

from pydantic import ValidationError


def validation_problems(e: ValidationError) -> str:
    out = []
    for err in e.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(top)"
        if err["type"] == "extra_forbidden":
            out.append(f"unknown field {where!r}")
        elif err["type"] == "missing":
            out.append(f"missing field {where!r}")
        else:
            out.append(f"{where}: {err['msg']}")
    return "; ".join(out)
