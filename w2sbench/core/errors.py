"""User-facing errors: the CLI prints these as one line, without a traceback, and exits with the
error class's code. Each class names what went wrong; the message names the file, field or name
at fault, what was expected, and the command that fixes it."""

import difflib


class W2SError(Exception):
    """An error caused by the user's input (a file, a name, a missing package), not a bug."""

    exit_code = 2


class TaskDefinitionError(W2SError):
    """A task file (tasks/*.yaml) or track/ladder definition that does not follow its schema."""

    exit_code = 3


class DataError(W2SError):
    """A task's data: a missing or malformed split file, rows its conversion cannot read, an empty split."""

    exit_code = 4


class MethodError(W2SError):
    """A method that crashed, returned the wrong shape, NaN, or is of the wrong framing."""

    exit_code = 5


class SubmissionError(W2SError):
    """A submission folder or record that breaks a rule of the leaderboard."""

    exit_code = 6


class CacheError(W2SError):
    """A corrupted or unreadable cache entry, record or packaged weight file."""

    exit_code = 7


class HubError(W2SError):
    """The Hugging Face Hub: a missing repository or revision, a failed download, no token."""

    exit_code = 8


class WeakLabelsError(W2SError):
    """A weak-label set (an export folder or a Hub download) that is corrupted, incomplete or made
    for other data, another task version or another rung than the run's."""

    exit_code = 9


def unknown_name(kind: str, name: str, known) -> W2SError:
    """An error for an unknown registry name that suggests the close ones."""
    known = sorted(known)
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    return W2SError(f"unknown {kind} {name!r}.{hint} Known: {', '.join(known) or '(none)'}.")


def error_classes() -> list[type[W2SError]]:
    """W2SError and the classes defined here, by exit code (what README's table and ``--help``
    list); a class defined elsewhere narrows one of these and keeps its code."""
    return sorted(
        (c for c in globals().values() if isinstance(c, type) and issubclass(c, W2SError)), key=lambda c: c.exit_code
    )
