"""What the harness chooses its settings on: seeds no board reports, and the reference heads.

A harness setting (the heads' training budget, which cells a board keeps) is chosen on the
pool's validation split of seeds outside every track's reported ones, so no scored example and
no reported split decides it. The reference heads are the ones the protocol trains with ground
truth: each weak rung on supervisor_train, each strong rung on transfer.
"""

from __future__ import annotations

from dataclasses import dataclass

from w2sbench.core.errors import W2SError
from w2sbench.models.ladder import Ladder, Rung, members_of

SELECTION_SEEDS = (100, 101, 102, 103, 104)


@dataclass(frozen=True)
class Head:
    """A reference head the protocol trains: a rung and the split it learns from."""

    rung: Rung
    role: str  # "weak" (trained on supervisor_train) or "ceiling" (trained on transfer)


def reference_heads(ladder: Ladder) -> list[Head]:
    """The heads behind the ladder's pairs: every weak rung as a supervisor, every strong one as a ceiling."""
    weak = {m.name: m for w, _ in ladder.pairs() for m in members_of(w)}
    strong = {s.name: s for _, s in ladder.pairs()}
    return [Head(r, "weak") for r in weak.values()] + [Head(r, "ceiling") for r in strong.values()]


def reported_seeds() -> set[int]:
    """Every seed a track reports (w2sbench/running/tracks.yaml)."""
    from w2sbench.running.tracks import all_tracks

    return {s for track in all_tracks().values() for s in track.seeds}


def selection_seeds(text: str | None, default=SELECTION_SEEDS) -> list[int]:
    """'100-104' or '100,101' (default when None); a seed some track reports is refused."""
    if text is None:
        seeds = list(default)
    else:
        try:
            if "-" in text:
                lo, hi = text.split("-")
                seeds = list(range(int(lo), int(hi) + 1))
            else:
                seeds = [int(s) for s in text.split(",")]
        except ValueError:
            raise W2SError(f"--seeds {text!r}: expected a range such as 100-104 or integers such as 100,101") from None
    clash = sorted(set(seeds) & reported_seeds())
    if clash:
        raise W2SError(
            f"--seeds: {', '.join(map(str, clash))} are seeds a track reports; choose settings on others "
            f"(for example {SELECTION_SEEDS[0]}-{SELECTION_SEEDS[-1]})"
        )
    return seeds
