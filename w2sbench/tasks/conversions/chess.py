"""Chess puzzles as binary examples: is this candidate the puzzle's best first move?

Both the Lichess puzzle database (Hub ``Lichess/chess-puzzles``) and the puzzles this project
generates (``w2sbench.tasks.builders.chess_puzzles``) have the columns ``PuzzleId``, ``FEN`` and ``Moves``
(UCI, space separated). They differ in one thing, which the ``opponent_first`` parameter says:

- Lichess: ``FEN`` is the position *before* the opponent's move; ``Moves[0]`` is that move and
  the solution starts at ``Moves[1]`` (``opponent_first: true``).
- generated: ``FEN`` is the puzzle position and ``Moves[0]`` is the solution's first move
  (``opponent_first: false``).

A wrong setting would silently score the wrong move (the opponent's move is usually legal for
the side to move too), so a row with Lichess's ``GameUrl`` column read without
``opponent_first``, or a generated row whose ``BestSan`` disagrees, is an error.

Only the first solution move is scored, as in the paper. Each puzzle gives (``emit: both``) a
positive example, the best move, and a negative one, a *distractor*: a legal move chosen with
``rng`` among those that look like the best move on the surface. Measured while building it: with a
uniformly random legal move as the negative, the rule "the move is a capture or gives check"
scores 78% and text encoders learn that rule, not chess. So the distractor matches the best
move on, in order of preference:

1. capture or not, check or not, promotion or not, and the moving piece's type;
2. capture, check and promotion, any piece;
3. capture and check;
4. the value of "capture or check" (what the rule above sees);
5. any other legal move (only when the position has nothing closer).

``require_match`` drops the puzzles whose best distractor is not alike enough:
``capture_check`` (the default) keeps tiers 1-3, so "is a capture", "gives check" and their
disjunction are each exactly at chance on the kept examples; ``rule`` keeps tiers 1-4;
``none`` keeps every puzzle. What is dropped is mostly the shallowest kind of puzzle (the best
move is the only capture or check on the board), which the surface rule would solve outright:
on the shipped generated puzzles, keeping them lifts "capture or check" from 50% to 57%.

Mate is not matched (a second mating move would make the puzzle ambiguous), so by default
the SAN's ``#`` is written as ``+`` (``hide_mate: true``): otherwise the mate sign alone would
give away every mate-in-one.

Example texts: ``text`` is the position (side to move and FEN; ``context: board`` adds an
ASCII diagram; with ``opponent_first`` the opponent's last move in SAN is named too),
``text_pair`` is the candidate move in SAN; with ``candidate: inline`` the candidate is
appended to ``text`` instead ("... Candidate move: Nf3.") and there is no text_pair, so a rung
reads position and move together (an engine rung needs both; an encoder embedding them
separately can only combine them linearly). Both examples share ``group`` = the puzzle id, so a
puzzle never straddles splits, and their ids are ``<PuzzleId>/<uci>``, which reveal nothing
that ``text_pair`` does not.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Literal

import chess

from w2sbench.core.example import Example
from w2sbench.core.prompt import Prompt
from w2sbench.tasks.conversions import converter


def surface(board: chess.Board, move: chess.Move) -> tuple[bool, bool, bool, int]:
    """(capture, gives check, promotion, piece type) of a legal move: what its SAN shows."""
    return (
        board.is_capture(move),
        board.gives_check(move),
        move.promotion is not None,
        board.piece_type_at(move.from_square),
    )


def capture_or_check(board: chess.Board, move: chess.Move) -> bool:
    """The surface rule that random distractors let a classifier learn (it scores 78% with them)."""
    return board.is_capture(move) or board.gives_check(move)


# How alike a distractor must be for the puzzle to be kept: the last tier (1-5 above) allowed.
REQUIRE_MATCH = {"capture_check": 3, "rule": 4, "none": 5}


def matched_distractor(board: chess.Board, best: chess.Move, rng: random.Random) -> tuple[chess.Move | None, int]:
    """A legal move other than ``best``, as alike to it on the surface as the position allows,
    and the tier (1-5, see the module docstring) it matched at; (None, 0) without another move."""
    others = sorted((m for m in board.legal_moves if m != best), key=lambda m: m.uci())
    if not others:
        return None, 0
    target = surface(board, best)
    feats = {m: surface(board, m) for m in others}
    tiers = (
        lambda f: f == target,
        lambda f: f[:3] == target[:3],
        lambda f: f[:2] == target[:2],
        lambda f: (f[0] or f[1]) == (target[0] or target[1]),
    )
    for tier, keep in enumerate(tiers, start=1):
        pool = [m for m in others if keep(feats[m])]
        if pool:
            return rng.choice(pool), tier
    return rng.choice(others), 5


def puzzle_position(fen: str, moves: str, opponent_first: bool) -> tuple[chess.Board, chess.Move, chess.Move | None]:
    """The position to solve, its best first move and (Lichess) the opponent's move before it."""
    board = chess.Board(fen)
    uci = moves.split()
    last = None
    if opponent_first:
        last = chess.Move.from_uci(uci[0])
        if last not in board.legal_moves:
            raise ValueError(f"opponent's move {uci[0]} is illegal in {fen}")
        board.push(last)
        uci = uci[1:]
    if not uci:
        raise ValueError(f"no solution move in Moves {moves!r}")
    best = chess.Move.from_uci(uci[0])
    if best not in board.legal_moves:
        raise ValueError(f"solution move {uci[0]} is illegal in {board.fen()}")
    return board, best, last


CANDIDATE = "Candidate move: "  # how an inline candidate is written (w2sbench.models.chess_engine reads it back)


def _san(board: chess.Board, move: chess.Move, hide_mate: bool) -> str:
    san = board.san(move)
    return san.replace("#", "+") if hide_mate else san


def puzzle_of(row: dict, opponent_first: bool, hide_mate: bool) -> tuple[str, chess.Board, chess.Move, str | None]:
    """(puzzle id, position to solve, best move, the opponent's last move in SAN) of a row of
    either schema; a row read with the wrong ``opponent_first`` is an error (module docstring)."""
    if not opponent_first and "GameUrl" in row:
        raise ValueError("a Lichess row (it has GameUrl): its first move is the opponent's; set opponent_first: true")
    board, best, last = puzzle_position(row["FEN"], row["Moves"], opponent_first)
    if row.get("BestSan") is not None and board.san(best) != row["BestSan"]:
        raise ValueError(
            f"Moves gives {board.san(best)}, the row's BestSan is {row['BestSan']}: "
            "a generated puzzle read with opponent_first: true?"
        )
    last_san = None
    if last is not None:
        before = board.copy()
        before.pop()
        last_san = _san(before, last, hide_mate)
    return str(row["PuzzleId"]), board, best, last_san


def position_text(board: chess.Board, last_san: str | None, context: str) -> str:
    side = "White" if board.turn == chess.WHITE else "Black"
    parts = [f"{side} to move."]
    if last_san:
        parts.append(f"{'Black' if board.turn == chess.WHITE else 'White'} just played {last_san}.")
    parts.append(f"FEN: {board.fen()}")
    text = " ".join(parts)
    if context == "board":
        text += "\n" + str(board)
    return text


@converter("chess_binary")
def chess_binary(
    row,
    index,
    split,
    rng: random.Random,
    *,
    opponent_first: bool = False,
    emit: Literal["both", "one"] = "both",
    context: Literal["fen", "board"] = "fen",
    hide_mate: bool = True,
    require_match: Literal["capture_check", "rule", "none"] = "capture_check",
    candidate: Literal["pair", "inline"] = "pair",
) -> Iterable[Example]:
    """Best move (label 1) and a surface-matched distractor (label 0) for one puzzle row.

    emit: ``both`` gives the pair (balanced by construction); ``one`` gives one of them, drawn
    with rng. A puzzle gives nothing when its position has a single legal move or no distractor
    as alike as ``require_match`` asks.
    """
    if (
        emit not in ("both", "one")
        or context not in ("fen", "board")
        or require_match not in REQUIRE_MATCH
        or candidate not in ("pair", "inline")
    ):
        raise ValueError(
            f"emit must be both or one, context fen or board, candidate pair or inline, require_match "
            f"one of {sorted(REQUIRE_MATCH)}; got {emit!r}, {context!r}, {candidate!r}, {require_match!r}"
        )
    pid, board, best, last_san = puzzle_of(row, opponent_first, hide_mate)
    distractor, tier = matched_distractor(board, best, rng)
    if distractor is None or tier > REQUIRE_MATCH[require_match]:
        return
    text = position_text(board, last_san, context)
    candidates = [(best, 1), (distractor, 0)]
    if emit == "one":
        candidates = [candidates[rng.randrange(2)]]
    for move, label in candidates:
        san = _san(board, move, hide_mate)
        if candidate == "inline":
            yield Example(id=f"{pid}/{move.uci()}", text=f"{text} {CANDIDATE}{san}", label=label, group=pid)
        else:
            yield Example(id=f"{pid}/{move.uci()}", text=text, label=label, text_pair=san, group=pid)


FIRST_MOVE_CUE = "Best move:"  # ends a first-move prompt; the language model writes the move after it


@converter("chess_first_move", framing="generative")
def chess_first_move(
    row,
    index,
    split,
    rng: random.Random,
    *,
    opponent_first: bool = False,
    context: Literal["fen", "board"] = "fen",
    hide_mate: bool = True,
) -> Iterable[Prompt]:
    """The paper's framing: the model writes the puzzle's best first move.

    One Prompt per puzzle: the position (as in chess_binary) and the cue "Best move:"; the
    choices are every legal move in SAN, ordered by UCI (so the answer's index says nothing),
    with ``#`` written as ``+`` under hide_mate (else the one mating move would be marked).
    A position with a single legal move is dropped (nothing to choose). rng is unused: the
    conversion has no randomness.
    """
    if context not in ("fen", "board"):
        raise ValueError(f"context must be fen or board, got {context!r}")
    pid, board, best, last_san = puzzle_of(row, opponent_first, hide_mate)
    moves = sorted(board.legal_moves, key=lambda m: m.uci())
    if len(moves) < 2:
        return
    yield Prompt(
        id=pid,
        prompt=f"{position_text(board, last_san, context)}\n{FIRST_MOVE_CUE}",
        choices=tuple(_san(board, m, hide_mate) for m in moves),
        answer=moves.index(best),
        group=pid,
    )
