"""conversion.params against each converter's keyword-only parameters: unknown, missing and
mistyped parameters are found when a task file is read, each named with what was expected."""

import inspect

from w2sbench.tasks.conversions import _CONVERTERS, _import_all, accepted, param_problems, parameters


def test_binary_parameters_unknown_missing_and_mistyped():
    problems = dict(param_problems("binary", {"text": 3, "lable": "label", "label_map": {0: 0, 1: 1}}))
    assert problems == {
        "lable": "unknown parameter (did you mean label or unlabeled?)",
        "text": "expected a string, got 3",
        "label": "missing (a required parameter)",
    }
    assert accepted("binary") == (
        "conversion 'binary' takes text, label, label_map (required) and text_pair, unlabeled, group, id (optional)"
    )


def test_types_are_checked_strictly():
    """A YAML "yes" or "1" is a string: read as a boolean or a position it would silently change the task."""
    assert dict(param_problems("chess_binary", {"opponent_first": "true", "emit": "all"})) == {
        "opponent_first": "expected true or false, got 'true'",
        "emit": "expected one of 'both', 'one', got 'all'",
    }
    assert dict(param_problems("multiple_choice", {"text": "{q}", "choices": [1, 2], "label_map": {"0": "0"}})) == {
        "choices": "expected a string or a list (each a string), got [1, 2]",
        "label_map": "expected a mapping to an integer or null, got {'0': '0'}",
    }
    assert param_problems("multiple_choice", {"text": "{q}", "choices": ["a", "b"], "answer_is": "first"}) == []


def test_a_conversion_without_parameters_takes_none():
    assert param_problems("standard", {}) == []
    assert param_problems("standard", {"id": "{id}"}) == [("id", "unknown parameter")]
    assert accepted("ethics_justice") == "conversion 'ethics_justice' takes no parameters (leave params out)"


def test_every_converter_takes_row_index_split_rng_then_keyword_only_parameters():
    """What param_problems reads: a parameter that is not keyword-only would not be checked."""
    _import_all()
    for name, fn in _CONVERTERS.items():
        params = list(inspect.signature(fn).parameters.values())
        assert [p.name for p in params[:4]] == ["row", "index", "split", "rng"], name
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params[4:]), name
        assert set(parameters(name)) == {p.name for p in params[4:]}
