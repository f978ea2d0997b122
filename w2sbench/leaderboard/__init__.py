"""The generated leaderboard: ``leaderboard/README.md`` and ``leaderboard/index.html``.

Built from the result records of ``submissions/*/results/`` (and each entry's metadata) only,
one board per track (w2sbench/running/tracks.yaml). Generation is deterministic, the same records
give the same bytes, so CI can check that the committed files match their inputs
(``w2sbench leaderboard --check``). Rules: w2sbench.leaderboard.board.
"""

from __future__ import annotations

from pathlib import Path

from w2sbench.leaderboard.board import Board, Leaderboard, build_leaderboard
from w2sbench.running.tracks import Track, all_tracks

FILES = ("README.md", "index.html")


def generate(root: Path | str = "submissions", tracks: dict[str, Track] | None = None) -> dict[str, bytes]:
    """The leaderboard files' bytes, by file name."""
    from w2sbench.leaderboard.page import html
    from w2sbench.leaderboard.render import markdown

    lb = build_leaderboard(Path(root), tracks if tracks is not None else all_tracks())
    return {"README.md": markdown(lb).encode(), "index.html": html(lb).encode()}


def write(files: dict[str, bytes], out: Path | str = "leaderboard") -> list[Path]:
    """Write the files that changed; return the paths written."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in sorted(files.items()):
        path = out / name
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
            written.append(path)
    return written


def stale(files: dict[str, bytes], out: Path | str = "leaderboard") -> list[str]:
    """Names of the committed files that differ from what the records give (missing ones included)."""
    out = Path(out)
    return [
        name for name, data in sorted(files.items()) if not (out / name).exists() or (out / name).read_bytes() != data
    ]


def entry_markdown_of(name: str, root: Path | str = "submissions", tracks: dict[str, Track] | None = None) -> str:
    """Markdown: the entry's rows next to the baselines' (for a pull-request comment)."""
    from w2sbench.leaderboard.comment import entry_markdown

    return entry_markdown(build_leaderboard(Path(root), tracks if tracks is not None else all_tracks()), name)


def curve_markdown_of(track: str, root: Path | str = "submissions", tracks: dict[str, Track] | None = None) -> str:
    """Markdown: the track's board PGR pair by pair (the paper's curve), from the records it ranks."""
    from w2sbench.core.errors import W2SError
    from w2sbench.leaderboard.render import PAIRS_NOTE, pairs_table

    boards = {
        b.track.name: b for b in build_leaderboard(Path(root), tracks if tracks is not None else all_tracks()).boards
    }
    if track not in boards:
        raise W2SError(f"--track {track}: no such board (boards: {', '.join(boards)})")
    board = boards[track]
    if not board.pairs:
        raise W2SError(f"track {track}: its board has no scored pair yet (no complete reference entry)")
    return f"{pairs_table(board)}\n\n{PAIRS_NOTE}\n"


__all__ = [
    "Board",
    "FILES",
    "Leaderboard",
    "build_leaderboard",
    "curve_markdown_of",
    "entry_markdown_of",
    "generate",
    "stale",
    "write",
]
