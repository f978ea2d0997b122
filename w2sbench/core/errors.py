"""User-facing errors: the CLI prints these as one line, without a traceback."""

import difflib


class W2SError(Exception):
    """An error caused by the user's input (a file, a name, a missing package), not a bug."""


def unknown_name(kind: str, name: str, known) -> W2SError:
    """An error for an unknown registry name that suggests the close ones."""
    known = sorted(known)
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    return W2SError(f"unknown {kind} {name!r}.{hint} Known: {', '.join(known) or '(none)'}.")
