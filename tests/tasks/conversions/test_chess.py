"""Chess converters on both schemas: Lichess (opponent's move first) and the generated puzzles.

Pitfall guarded (measured while building the task): with random legal moves as negatives, "the move is a capture or
gives check" scores 78% and text encoders learn that instead of chess. Distractors must match
the best move on such surface features whenever the position allows it.
"""

import random
from pathlib import Path

import chess
import pyarrow.parquet as pq
import pytest

from w2sbench.tasks.conversions import get_converter
from w2sbench.tasks.conversions.chess import (
    CANDIDATE,
    capture_or_check,
    matched_distractor,
    puzzle_position,
    surface,
)
from w2sbench.tasks.loading import load_task_data
from w2sbench.tasks.task import load_task_file

TASKS = Path(__file__).resolve().parents[3] / "tasks"

# Lichess puzzle 00008, the database's first row, every column as in the Lichess puzzle database
# (Hub Lichess/chess-puzzles); Rating, RatingDeviation, Popularity and NbPlays are one monthly
# snapshot's values (they change every month; the converter does not read them).
LICHESS_ROW = {
    "PuzzleId": "00008",
    "FEN": "r6k/pp2r2p/4Rp1Q/3p4/8/1N1P2R1/PqP2bPP/7K b - - 0 24",
    "Moves": "f2g3 e6e7 b2b1 b3c1 b1c1 h6c1",
    "Rating": 1913,
    "RatingDeviation": 75,
    "Popularity": 94,
    "NbPlays": 6302,
    "Themes": "crushing hangingPiece long middlegame",
    "GameUrl": "https://lichess.org/787zsVup/black#47",
    "OpeningTags": "",
}


def convert(row, seed=0, name="chess_binary", **params):
    return list(get_converter(name)(row, 0, "train", random.Random(seed), **params))


def test_lichess_row_applies_the_opponents_move_then_scores_the_first_solution_move():
    best, alt = convert(LICHESS_ROW, opponent_first=True)
    assert (best.label, alt.label) == (1, 0)
    assert best.text_pair == "Rxe7"  # e6e7 after Black's f2g3 (Bxg3)
    assert "White to move" in best.text and "Black just played Bxg3" in best.text
    assert "r6k/pp2r2p/4Rp1Q/3p4/8/1N1P2b1/PqP3PP/7K w - - 0 25" in best.text
    assert best.text == alt.text and best.group == alt.group == "00008"
    assert best.id != alt.id and "best" not in best.id  # ids do not give the label away
    board, move, _ = puzzle_position(LICHESS_ROW["FEN"], LICHESS_ROW["Moves"], True)
    assert surface(board, chess.Move.from_uci(alt.id.split("/")[1]))[:2] == surface(board, move)[:2]


def test_without_opponent_first_the_first_move_is_the_solution():
    row = {"PuzzleId": "g1", "FEN": "r6k/pp2r2p/4Rp1Q/3p4/8/1N1P2b1/PqP3PP/7K w - - 0 25", "Moves": "e6e7 b2b1"}
    best, _ = convert(row)
    assert best.text_pair == "Rxe7" and "just played" not in best.text


def test_reading_a_schema_with_the_wrong_opponent_first_is_an_error_not_a_wrong_label():
    # f2g3 is legal for Black in the stored FEN, so legality alone would not notice.
    with pytest.raises(ValueError, match="opponent_first"):
        convert(LICHESS_ROW)
    generated = {
        "PuzzleId": "g1",
        "FEN": "r6k/pp2r2p/4Rp1Q/3p4/8/1N1P2b1/PqP3PP/7K w - - 0 25",
        "Moves": "e6e7 b2b1",
        "BestSan": "Rxe7",
    }
    with pytest.raises(ValueError, match="opponent_first"):
        convert(generated, opponent_first=True)


def test_mate_sign_hidden_by_default():
    # Constructed Lichess-format row: after ...Nf6??, Qxf7 is mate.
    row = {
        "PuzzleId": "m1",
        "FEN": "r1bqkbnr/pppp1ppp/2n5/4p2Q/2B1P3/8/PPPP1PPP/RNB1K1NR b KQkq - 3 3",
        "Moves": "g8f6 h5f7",
    }
    best, alt = convert(row, opponent_first=True)
    assert best.text_pair == "Qxf7+" and "#" not in alt.text_pair
    assert convert(row, opponent_first=True, hide_mate=False)[0].text_pair == "Qxf7#"


def test_emit_one_and_board_context():
    labels = {convert(LICHESS_ROW, seed=s, opponent_first=True, emit="one")[0].label for s in range(20)}
    assert labels == {0, 1}
    (one,) = convert(LICHESS_ROW, opponent_first=True, emit="one")
    assert one.group == "00008"
    board_text = convert(LICHESS_ROW, opponent_first=True, context="board")[0].text
    assert "\nr . . . . . . k" in board_text


def test_same_rng_same_distractor():
    assert convert(LICHESS_ROW, seed=3, opponent_first=True) == convert(LICHESS_ROW, seed=3, opponent_first=True)


def test_first_move_prompt_offers_every_legal_move_and_marks_the_solution():
    (p,) = convert(LICHESS_ROW, name="chess_first_move", opponent_first=True)
    board, _, _ = puzzle_position(LICHESS_ROW["FEN"], LICHESS_ROW["Moves"], True)
    assert p.choices[p.answer] == "Rxe7" and p.group == p.id == "00008"
    assert len(p.choices) == board.legal_moves.count()
    assert p.prompt.endswith("\nBest move:") and "Black just played Bxg3" in p.prompt
    assert "Rxe7" not in p.prompt  # the answer is not in the prompt
    ucis = sorted(m.uci() for m in board.legal_moves)  # ordered by UCI: the index is not a tell
    assert p.choices == tuple(board.san(chess.Move.from_uci(u)).replace("#", "+") for u in ucis)


def test_first_move_hides_the_mate_sign_unless_asked():
    row = {"PuzzleId": "m1", "FEN": "6k1/5ppp/8/8/8/8/5PPP/R5K1 w - - 0 1", "Moves": "a1a8"}
    (hidden,) = convert(row, name="chess_first_move")
    (shown,) = convert(row, name="chess_first_move", hide_mate=False)
    assert hidden.choices[hidden.answer] == "Ra8+" and shown.choices[shown.answer] == "Ra8#"
    assert not any("#" in c for c in hidden.choices)


def test_first_move_refuses_a_lichess_row_read_as_generated():
    with pytest.raises(ValueError, match="opponent_first"):
        convert(LICHESS_ROW, name="chess_first_move")


def _shipped_rows(limit=400):
    task = load_task_file(TASKS / "chess_puzzles.yaml")
    rows = pq.read_table(TASKS / task.source.splits["train"].path).to_pylist()
    return rows[:limit]


def test_distractors_match_capture_and_check_whenever_the_position_allows():
    mismatched_without_excuse = 0
    for i, row in enumerate(_shipped_rows()):
        board, best, _ = puzzle_position(row["FEN"], row["Moves"], False)
        d, _ = matched_distractor(board, best, random.Random(i))
        target = surface(board, best)
        exists = any(surface(board, m)[:2] == target[:2] for m in board.legal_moves if m != best)
        if exists and surface(board, d)[:2] != target[:2]:
            mismatched_without_excuse += 1
        exists_rule = any(
            capture_or_check(board, m) == capture_or_check(board, best) for m in board.legal_moves if m != best
        )
        if exists_rule:
            assert capture_or_check(board, d) == capture_or_check(board, best)
    assert mismatched_without_excuse == 0


def test_surface_rule_is_near_chance_on_the_shipped_task():
    """'capture or check => best move' must not solve the task (it scored 78% with random negatives)."""
    task = load_task_file(TASKS / "chess_puzzles.yaml")
    data = load_task_data(task)
    examples = data.pool + data.test
    hits = 0
    for e in examples:
        san = e.text.rsplit(CANDIDATE, 1)[1]  # the shipped task writes the candidate inline
        rule = "x" in san or "+" in san  # what a reader of the SAN sees
        hits += int(rule == bool(e.label))
    accuracy = hits / len(examples)
    assert accuracy == 0.5, accuracy  # require_match: capture_check makes it exact
    assert sum(e.label for e in data.test) * 2 == len(data.test)
    groups = {e.group for e in data.pool} & {e.group for e in data.test}
    assert not groups


def test_lichess_task_parameters_fit_the_lichess_row():
    task = load_task_file(TASKS / "chess_lichess.yaml")
    assert task.source.revision and task.conversion.params["opponent_first"] is True
    examples = convert(LICHESS_ROW, name=task.conversion.name, **task.conversion.params)
    assert [e.label for e in examples] == [1, 0] and examples[0].text.endswith(f"{CANDIDATE}Rxe7")


def test_require_match_drops_puzzles_only_the_surface_rule_could_solve():
    # White to move: Rxa5 is the only capture and no move gives check.
    row = {"PuzzleId": "h1", "FEN": "7k/6pp/8/n7/8/8/8/R6K w - - 0 1", "Moves": "a1a5"}
    assert convert(row) == []
    best, alt = convert(row, require_match="none")
    assert best.text_pair == "Rxa5" and "x" not in alt.text_pair and "+" not in alt.text_pair
    with pytest.raises(ValueError, match="require_match"):
        convert(row, require_match="loose")


def test_inline_candidate_puts_position_and_move_in_one_text():
    pair = convert(LICHESS_ROW, opponent_first=True)
    inline = convert(LICHESS_ROW, opponent_first=True, candidate="inline")
    assert [e.id for e in inline] == [e.id for e in pair] and [e.label for e in inline] == [1, 0]
    for p, i in zip(pair, inline, strict=False):
        assert i.text_pair is None and i.text == f"{p.text} {CANDIDATE}{p.text_pair}"
    assert inline[0].text.endswith("Candidate move: Rxe7")
    with pytest.raises(ValueError, match="candidate pair or inline"):
        convert(LICHESS_ROW, opponent_first=True, candidate="both")


def test_lichess_fixture_loads_through_the_real_path_with_its_fixture_slices():
    from tests.tasks.conversions.helpers import load

    data = load("chess_lichess")  # 240 Lichess-layout rows; splits.yaml: test train[:60], pool train[60:]
    assert len(data.test) == 90 and len(data.pool) == 264  # puzzles without a matched distractor dropped
    for examples in (data.pool, data.test):
        assert sum(e.label for e in examples) * 2 == len(examples)
        assert all("just played" in e.text and CANDIDATE in e.text for e in examples)
    assert not {e.group for e in data.pool} & {e.group for e in data.test}
    assert {int(e.group[1:]) for e in data.test} <= set(range(60))


def test_lichess_first_move_fixture_asks_for_the_move_the_binary_task_labels_best():
    from tests.tasks.conversions.helpers import load

    prompts = load("chess_lichess_first_move")
    binary = load("chess_lichess")
    assert (len(prompts.pool), len(prompts.test)) == (180, 60)  # every puzzle: all have two or more legal moves
    best = {e.group: e.text.split(CANDIDATE)[1] for e in binary.pool + binary.test if e.label == 1}
    answers = {p.group: p.choices[p.answer] for p in prompts.pool + prompts.test}
    assert best and all(answers[g] == san for g, san in best.items())
    assert all("just played" in p.prompt and p.prompt.endswith("Best move:") for p in prompts.test)
