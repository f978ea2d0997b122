"""Tracks: a leaderboard's grid (a suite's tasks, a ladder, rung pairs, seeds), declared in tracks.yaml."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Literal

from pydantic import Field, field_validator

from w2sbench.core.cell import Cell
from w2sbench.core.errors import TaskDefinitionError, unknown_name
from w2sbench.core.schema import Strict, load_yaml_model

NAME_PATTERN = r"^[a-z][a-z0-9-]{1,39}$"


class TrackBudget(Strict):
    """A track's own head-training budget (models.probe.TrainConfig's fields; the batch size stays the harness's)."""

    epochs: int = Field(gt=0)
    lr: float = Field(gt=0)
    weight_decay: float = Field(ge=0)


class Track(Strict):
    """One leaderboard's grid: a suite's tasks (pinned), a ladder, rung pairs and seeds."""

    name: str = Field(pattern=NAME_PATTERN)
    title: str
    status: Literal["main", "provisional"]
    description: str
    suite: str
    tasks: list[str] = Field(min_length=1)
    ladder: str
    pairs: list[str] = Field(min_length=1, description="weak:strong rung names")
    seeds: list[int] = Field(min_length=1)
    time_limit_s: float = Field(600, gt=0, description="limit on one method call (fit and predict)")
    budget_s: float = Field(
        3600,
        gt=0,
        description="limit on validate's re-run of one entry's records of the "
        "track, every experiment together (weak, ceiling and method): past it the entry fails",
    )
    keep_cells: Literal["test-gap", "held-out-gap"] = Field(
        "test-gap",
        description="test-gap: a cell is kept when the reference's gap on the scored test set is clear; "
        "held-out-gap: when its gap on validation splits of unreported seeds is (w2sbench.running.held_out_gaps), "
        "so no test example decides which cells are scored",
    )
    train: TrackBudget | None = Field(
        None,
        description="the heads' training budget on this track (weak supervisors, ceilings, students), chosen "
        "on its suite's validation data by studies.budget_selection; unset: the harness's (models.probe.TrainConfig)",
    )
    private: bool = Field(
        False,
        description="ranked on the private test split (w2sbench.tasks.private): every "
        "task has a private draw, and the board reads the maintainers' rescored records",
    )

    @field_validator("pairs")
    @classmethod
    def _pairs(cls, v):
        for p in v:
            if p.count(":") != 1:
                raise ValueError(f"{p!r} is not weak:strong")
        return v

    def pair_names(self) -> list[tuple[str, str]]:
        return [tuple(p.split(":")) for p in self.pairs]

    def train_config(self):
        """The TrainConfig every head of this track trains with."""
        from w2sbench.models.probe import TrainConfig

        return TrainConfig() if self.train is None else TrainConfig(**self.train.model_dump())

    def cells(self) -> list[Cell]:
        """The grid's cells, in grid order."""
        return [Cell(t, w, s, self.ladder) for t in self.tasks for (w, s) in self.pair_names()]

    def experiments(self) -> list[tuple[Cell, int]]:
        """(cell, seed) for every experiment of the grid, in grid order."""
        return [(c, seed) for c in self.cells() for seed in self.seeds]


class _TrackFile(Strict):
    default_tracks: list[str]
    tracks: list[Track]


@lru_cache(maxsize=1)
def _track_file() -> _TrackFile:
    text = (resources.files("w2sbench.running") / "tracks.yaml").read_text()
    parsed = load_yaml_model(_TrackFile, "w2sbench/running/tracks.yaml", "track file", text=text)
    names = [t.name for t in parsed.tracks]
    if len(set(names)) != len(names):
        raise TaskDefinitionError("w2sbench/running/tracks.yaml: a track name is used twice")
    return parsed


def all_tracks() -> dict[str, Track]:
    return {t.name: t for t in _track_file().tracks}


def default_tracks() -> list[str]:
    return list(_track_file().default_tracks)


def get_track(name: str, tracks: dict[str, Track] | None = None) -> Track:
    tracks = all_tracks() if tracks is None else tracks
    if name not in tracks:
        raise unknown_name("track", name, tracks)
    return tracks[name]
