"""metadata.yaml: every mistake in one error, and parameters capped like the code they are part of."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.submissions.conftest import toy_track, write_submission
from w2sbench.core.errors import W2SError
from w2sbench.submissions.metadata import (
    PARAMETER_CHARS,
    PARAMETER_ITEMS,
    PARAMETER_KEYS,
    PARAMETERS_BYTES,
    list_submissions,
    load_submission,
)

TRACKS = {"toy": toy_track()}
REFERENCE = Path(__file__).resolve().parents[2] / "submissions"


def test_four_mistakes_are_one_error(tmp_path):
    """A schema error, a name that is not the folder's, an unknown track and a placeholder used to
    take three validate rounds; all four are in the first error, each naming its field."""
    folder = write_submission(
        tmp_path,
        "four-bad",
        tracks=("toi",),
        drop=("licence",),
        extra={"name": "other-name", "contact": "you@example.org"},
    )
    with pytest.raises(W2SError) as e:
        load_submission(folder, TRACKS)
    message = str(e.value)
    assert message.startswith(f"{folder / 'metadata.yaml'}: 4 problems: ")
    assert "missing field 'licence'" in message
    assert "name: 'other-name' must equal the folder name 'four-bad'" in message
    assert "tracks: unknown track 'toi'. Did you mean: toy?" in message
    assert "contact: still the template's placeholder 'you@example.org'" in message
    assert "\n" not in message  # one line: the CLI and the board print it as such


def test_a_missing_module_and_a_missing_class_join_the_schema_errors(tmp_path):
    folder = write_submission(tmp_path, "no-module", extra={"method": "gone.py:Gone", "authors": []})
    with pytest.raises(W2SError, match=r"2 problems: authors: .*; method: method module 'gone.py' not found"):
        load_submission(folder, TRACKS)
    folder = write_submission(tmp_path, "no-class", extra={"method": "method.py:Missing"})
    with pytest.raises(W2SError, match="method: no class 'Missing' at the top level of method.py"):
        load_submission(folder, TRACKS)


def test_a_class_bound_by_an_import_is_found(tmp_path):
    folder = write_submission(
        tmp_path,
        "imports-it",
        "from impl import ImportsIt as Alias\nfrom star import *\n",
        extra={"method": "method.py:Alias"},
    )
    assert load_submission(folder, TRACKS).module_and_class() == ("method.py", "Alias")


def test_placeholders_alone_load(tmp_path):
    """The template's placeholders are validate's to refuse: a fresh folder still mock-runs."""
    folder = write_submission(tmp_path, "fresh", extra={"contact": "you@example.org"})
    assert load_submission(folder, TRACKS).metadata.placeholders() == ["contact"]


def test_small_parameters_load(tmp_path):
    params = {"lr": 0.01, "hard": True, "layers": [64, 32], "mode": "soft", "seed": None, "steps": -(2**63)}
    folder = write_submission(tmp_path, "small-params", parameters=params)
    assert load_submission(folder, TRACKS).metadata.parameters == params


@pytest.mark.parametrize(
    "params, problem",
    [
        (
            {f"p{i}": i for i in range(PARAMETER_KEYS + 1)},
            f"{PARAMETER_KEYS + 1} parameters, over the cap of {PARAMETER_KEYS}",
        ),
        (
            {"note": "x" * (PARAMETER_CHARS + 1)},
            f"note: a string of {PARAMETER_CHARS + 1} characters, over {PARAMETER_CHARS}",
        ),
        ({"table": [0, 1] * PARAMETER_ITEMS}, f"table: a list of {2 * PARAMETER_ITEMS} items, over {PARAMETER_ITEMS}"),
        ({"nested": [[0, 1]]}, "nested: a list"),
        ({"labels": {"a": 1}}, "labels: a dict"),
        ({"packed": 2**200}, "packed: an int outside int64"),
        ({"odd": float("nan")}, "odd: nan, not a finite number"),
        ({"not-a-field": 1}, "'not-a-field': not a field name"),
        (
            {f"k{i}": ["x" * PARAMETER_CHARS] * 2 for i in range(PARAMETER_KEYS)},
            rf"\d+ bytes as JSON, over the {PARAMETERS_BYTES} byte cap",
        ),
    ],
)
def test_parameters_over_the_caps_are_refused(tmp_path, params, problem):
    """Parameters pass to the method like code: a label table there is data, refused by name."""
    folder = write_submission(tmp_path, "big-params", parameters=params)
    with pytest.raises(W2SError, match=f"big-params/metadata.yaml: parameters: {problem}") as e:
        load_submission(folder, TRACKS)
    assert "expected at most 16 parameters named like dataclass fields" in str(e.value)


def test_every_reference_entry_loads():
    folders = list_submissions(REFERENCE)
    assert len(folders) >= 10
    for folder in folders:
        load_submission(folder)
