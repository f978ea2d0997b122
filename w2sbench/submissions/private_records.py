"""Private records: the committed form of a record scored on a private test split, and reading it back.

**What is committed carries nothing back.** A full record holds every test example's label and
each model's probability, in the split's order; a method that writes a hash of each input into
the last digits of its probabilities could read, from its own committed records, a label for
every private input. So the committed file of a private record (``PrivateRecord``) holds what
the board's numbers are made of and nothing else: per test example, whether each model's hard
prediction was right (one character each), the record's aggregate scores, its identity, and a
commitment to the full record (``tasks.private.record_commitment``), which the maintainers can
open later to prove what was scored. No label, no probability, no input. The examples are
listed in an order keyed by the secret (``tasks.private.example_order``): the split's own order
is a hash of each example's id, which its input gives away, so an attacker who knows its own
answers would read a label off every position. The board reads a private record as a record
whose labels are all 1 and whose predictions are 1.0 where right and 0.0 where wrong (the
convention of generative records): the same correctness, so the same accuracies, PGR and
agreement, with intervals and ranks from the same bootstrap over the examples in that order.
The full records stay in the maintainers' cache (beside the private draw), from which a
rescore resumes (a machine without them re-runs). ``python -m w2sbench.submissions.rescore
--reduce FOLDER`` turns full records already committed into the committed form without the
secret: in the split's order (the board's numbers stay exactly what they were) and with the
full record's own checksum as commitment. Those records protect nothing: the full ones are in
the repository's history, so their split must be redrawn (a new secret), and the rescore on it
writes keyed records; until every entry is rescored, records in the two orders are never paired.

What a committed private record still tells: whether each model was right on each (unnamed)
example. An entry whose hard answers differ between its own records by a function of the input
ties (its records - 1) bits of that function to each position; only a bootstrap whose draw is
secret (per-resample accuracies committed instead) would close that.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import ValidationError

from w2sbench.core.errors import SubmissionError
from w2sbench.core.metrics import group_index
from w2sbench.core.result import (
    Predictions,
    Provenance,
    Record,
    RecordIdentity,
    Result,
    Scores,
    duplicates,
    record_file_name,
)
from w2sbench.core.store import atomic_write_bytes
from w2sbench.tasks.private import example_order, record_commitment

PRIVATE_DIR = Path("leaderboard") / "private"
SPLIT_FILE = "split.json"
PRIVATE_SCHEMA = "w2sbench-private-record/1"
MODELS = ("weak", "w2s", "ceiling")

# ---------------------------------------------------------------------------------------------
# The committed form of a private record
# ---------------------------------------------------------------------------------------------


class Correct(Record):
    """Per test example: "1" where the model's hard prediction is right, "0" where it is wrong.

    order: ``keyed``, the examples in tasks.private.example_order (keyed by the secret: without it
    a position says nothing of which input sits there), as a rescore writes them; ``split``, in
    the split's own order, which its inputs give away (examples are sorted by a hash of their
    ids), as in records converted from ones committed in full (their split was public with
    them: it must be redrawn, and its rescore writes keyed records)."""

    order: Literal["keyed", "split"]
    ids_sha256: str
    weak: str
    w2s: str
    ceiling: str
    # which positions share a source (a puzzle's best move and its distractor), renumbered by first
    # appearance in this order, so intervals resample them as units; it says nothing of the inputs
    groups: list[int] | None = None


class PrivateScores(Record):
    """The record's scores that its correctness gives (no AUROC: that needs the probabilities)."""

    acc_weak: float
    acc_w2s: float
    acc_ceiling: float
    pgr: float | None
    pgr_ci: tuple[float | None, float | None]
    agreement: dict[str, float | None]


class Commitment(Record):
    """sha256: tasks.private.record_commitment of the full record (salted: keyed by the secret);
    for a record converted from one committed in full, that record's own checksum (salted: false)."""

    sha256: str
    salted: bool


class PrivateRecord(RecordIdentity):
    """A private record as committed: what the board's numbers need and nothing that ties a
    position to an input (see the module docstring)."""

    format: Literal["w2sbench-private-record/1"] = PRIVATE_SCHEMA
    scores: PrivateScores
    correct: Correct
    provenance: Provenance
    commitment: Commitment
    sha256: str = ""

    def content_sha256(self) -> str:
        body = self.model_dump(mode="json", exclude={"sha256"})
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()

    def sealed(self) -> PrivateRecord:
        return self.model_copy(update={"sha256": self.content_sha256()})

    def dump(self) -> bytes:
        return (self.model_dump_json(indent=1) + "\n").encode()


def reduce_record(r: Result, secret: str | None, order: Literal["keyed", "split"] | None = None) -> PrivateRecord:
    """The committed form of a full private record. With the secret: its examples in the keyed
    order and its commitment keyed by the secret. Without (converting a record that was
    committed in full): the split's order, and the record's own checksum as its commitment."""
    if r.sha256 != r.content_sha256():
        raise SubmissionError(f"record {r.key[:32]}: its checksum does not match its content; not reduced")
    order = order or ("keyed" if secret else "split")
    if order == "keyed" and not secret:
        raise SubmissionError("the keyed order of a private split's examples needs the secret")
    labels = np.asarray(r.predictions.labels)
    where = (
        example_order(secret, r.task.id, r.predictions.ids_sha256, len(labels))
        if order == "keyed"
        else range(len(labels))
    )
    right = {m: (np.asarray(getattr(r.predictions, m)) > 0.5) == labels for m in MODELS}
    bits = {m: "".join("1" if right[m][i] else "0" for i in where) for m in MODELS}
    groups = None if r.predictions.groups is None else group_index([r.predictions.groups[i] for i in where])
    sc = r.scores
    proof = (
        Commitment(sha256=record_commitment(secret, r.content_sha256()), salted=True)
        if secret
        else Commitment(sha256=r.sha256, salted=False)
    )
    return PrivateRecord(
        **identity(r),
        scores=PrivateScores(
            acc_weak=sc.acc_weak,
            acc_w2s=sc.acc_w2s,
            acc_ceiling=sc.acc_ceiling,
            pgr=sc.pgr,
            pgr_ci=sc.pgr_ci,
            agreement=sc.agreement,
        ),
        correct=Correct(
            order=order,
            ids_sha256=r.predictions.ids_sha256,
            **bits,
            groups=None if groups is None else groups.tolist(),
        ),
        provenance=r.provenance,
        commitment=proof,
    ).sealed()


def identity(r: RecordIdentity) -> dict:
    """The identity fields of a record, to build the other kind of record of the same experiment."""
    return {name: getattr(r, name) for name in RecordIdentity.model_fields}


def expand(p: PrivateRecord) -> Result:
    """The private record as the board reads records: every label 1, each prediction 1.0 where
    right and 0.0 where wrong, so accuracy, the paired bootstrap and agreement see exactly the
    full record's correctness. (Its sha256 is the private record's, not a Result checksum.)"""
    c, sc = p.correct, p.scores
    n = len(c.w2s)
    return Result(
        **identity(p),
        scores=Scores(
            acc_weak=sc.acc_weak,
            acc_w2s=sc.acc_w2s,
            acc_ceiling=sc.acc_ceiling,
            auroc_weak=None,
            auroc_w2s=None,
            auroc_ceiling=None,
            pgr=sc.pgr,
            pgr_ci=sc.pgr_ci,
            pgr_auroc=None,
            agreement=sc.agreement,
        ),
        predictions=Predictions(
            ids_sha256=c.ids_sha256,
            labels=[1] * n,
            **{m: [1.0 if b == "1" else 0.0 for b in getattr(c, m)] for m in MODELS},
            groups=c.groups,
        ),
        timings_s={},
        provenance=p.provenance,
        sha256=p.sha256,
    )


def opens(p: PrivateRecord, full: Result, secret: str | None = None) -> bool:
    """Whether the full record is the one the private record commits to (and reduces to it)."""
    try:
        again = reduce_record(full, secret if p.commitment.salted else None, p.correct.order)
    except SubmissionError:
        return False
    return again.commitment == p.commitment and again.correct == p.correct and again.key == p.key


def _problem(p: PrivateRecord) -> str | None:
    """Why a private record is not self-consistent (None when it is)."""
    n = p.task.n_test
    for m in MODELS:
        bits = getattr(p.correct, m)
        if len(bits) != n or set(bits) - {"0", "1"}:
            return f"correct.{m} is not {n} characters 0 or 1"
    g = p.correct.groups
    if g is not None and (len(g) != n or group_index(g) is None or group_index(g).tolist() != g):
        return f"correct.groups is not {n} group numbers, numbered by first appearance, some shared"
    for m in MODELS:
        acc = getattr(p.correct, m).count("1") / n if n else 0.0
        if abs(acc - getattr(p.scores, f"acc_{m}")) > 1e-9:
            return (
                f"scores.acc_{m} {getattr(p.scores, f'acc_{m}'):.6f} is not the accuracy its correctness gives "
                f"({acc:.6f})"
            )
    return None


def read_private(folder: Path) -> tuple[dict[str, PrivateRecord], list[tuple[Path, str]]]:
    """The committed private records of a folder by file stem, without changing it, and each bad
    file with why (a full record, with probabilities, is bad here: it must be reduced)."""
    found, bad = {}, []
    for p in sorted(Path(folder).glob("*")):
        if p.is_dir() or p.suffix != ".json":
            bad.append((p, "unexpected " + ("folder" if p.is_dir() else "file") + " (only private records, *.json)"))
            continue
        try:
            raw = p.read_bytes()
        except OSError as e:
            bad.append((p, f"unreadable: {e}"))
            continue
        try:
            record = PrivateRecord.model_validate_json(raw)
        except (ValidationError, ValueError) as e:
            bad.append((p, _not_private(raw, e, Path(folder).parent.parent)))
            continue
        if record.sha256 != record.content_sha256():
            bad.append((p, "checksum mismatch (edited by hand?)"))
        elif p.name != record_file_name(record.key):
            bad.append((p, f"its key names {record_file_name(record.key)}, not {p.name}"))
        elif why := _problem(record):
            bad.append((p, why))
        else:
            found[p] = record
    twice = duplicates({path: expand(r) for path, r in found.items()})
    for path, _ in twice:
        found.pop(path, None)
    return {path.stem: r for path, r in found.items()}, bad + twice


def _not_private(raw: bytes, error: Exception, root: Path) -> str:
    try:
        Result.model_validate_json(raw)
    except (ValidationError, ValueError):
        return f"not a valid private record: {str(error).splitlines()[0]}"
    return (
        "a full record, with every test example's label and probabilities: a private board commits "
        f"reduced records only (python -m w2sbench.submissions.rescore --reduce {root})"
    )


def read_private_records(folder: Path) -> tuple[dict[str, Result], list[tuple[Path, str]]]:
    """read_private, each record as the board reads records (``expand``)."""
    found, bad = read_private(folder)
    return {stem: expand(r) for stem, r in found.items()}, bad


def reduce_committed(root: Path | str) -> list[Path]:
    """Rewrite every full record under root/TRACK/ENTRY/ in the committed form; the files already
    reduced are left as they are. Returns the files rewritten."""
    done = []
    for path in sorted(Path(root).glob("*/*/*.json")):
        raw = path.read_bytes()
        try:
            PrivateRecord.model_validate_json(raw)
            continue
        except (ValidationError, ValueError):
            pass
        try:
            full = Result.model_validate_json(raw)
        except (ValidationError, ValueError) as e:
            raise SubmissionError(
                f"{path}: neither a private record nor a full one ({str(e).splitlines()[0]})"
            ) from None
        atomic_write_bytes(path, reduce_record(full, None).dump())
        done.append(path)
    return done
