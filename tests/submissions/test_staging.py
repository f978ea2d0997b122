"""Staging: only code (and small text) reaches a worker, every other file is refused by name, every
literal and comment counts toward the caps, and the code hash covers exactly what is staged and
the parameters the method is given."""

from __future__ import annotations

import pytest

from tests.submissions.conftest import (
    TRACKS,
    method_source,
    toy_harness,
    write_submission,
)
from w2sbench.core.errors import SubmissionError
from w2sbench.submissions.review import Flag, Reviewed, needs_review
from w2sbench.submissions.staging import (
    DATA_CAP,
    FOLDER_CAP,
    LITERAL_CAP,
    LITERAL_COUNT_CAP,
    code_hash,
    stage_code,
    staged_files,
)


@pytest.fixture
def folder(tmp_path):
    f = tmp_path / "entry"
    (f / "results").mkdir(parents=True)
    (f / "results" / "abc.json").write_text("{}")
    (f / "metadata.yaml").write_text("name: entry\n")
    (f / "method.py").write_text("X = 1\n")
    (f / "helpers").mkdir()
    (f / "helpers" / "util.py").write_text("Y = 'small'\n")
    (f / "config.json").write_text('{"lr": 0.01}')
    (f / "README.md").write_text("# entry\n")
    (f / "test_method.py").write_text("def test(): pass\n")
    return f


def test_code_and_small_text_are_staged_and_nothing_else_is_dropped(folder, tmp_path):
    rel = sorted(p.relative_to(folder).as_posix() for p in staged_files(folder))
    assert rel == ["config.json", "helpers/util.py", "method.py"]
    stage = stage_code(folder, tmp_path / "stage")
    assert sorted(p.relative_to(stage).as_posix() for p in stage.rglob("*") if p.is_file()) == rel
    assert code_hash(stage) == code_hash(folder)


def test_the_code_hash_covers_every_staged_file(folder):
    before = code_hash(folder)
    (folder / "config.json").write_text('{"lr": 0.02}')
    assert code_hash(folder) != before
    after = code_hash(folder)
    (folder / "README.md").write_text("# changed docs\n")
    assert code_hash(folder) == after  # documentation is not staged, so not hashed


@pytest.mark.parametrize(
    "name, content, rule",
    [
        ("labels.npy", b"\x93NUMPY", r"labels.npy: files of this kind \(.npy\) are not allowed"),
        ("weights.pt", b"x", r"weights.pt: files of this kind"),
        (".hidden.py", b"X = 1\n", r".hidden.py: hidden files are not allowed"),
        ("data.noun", b"00001740 03 n 01 entity", r"data.noun: files of this kind \(.noun\)"),
        ("big.json", b"[" + b"1," * LITERAL_CAP + b"1]", r"big.json: a text file of \d+ bytes"),
        ("latin.txt", "caf\u00e9".encode("latin-1"), "latin.txt: not UTF-8 text"),
        ("broken.py", b"def (:\n", "broken.py: not valid Python"),
    ],
)
def test_anything_else_is_an_error_naming_the_file_and_the_rule(folder, name, content, rule):
    (folder / name).write_bytes(content)
    with pytest.raises(SubmissionError, match=f"submission entry: {rule}") as e:
        staged_files(folder)
    assert "Rules: a submission folder holds Python source" in str(e.value)


def test_a_long_literal_is_refused_with_its_line(folder):
    (folder / "helpers" / "table.py").write_text(f"A = 1\nB = {'x' * (LITERAL_CAP + 1)!r}\n")
    with pytest.raises(SubmissionError, match=r"helpers/table.py: line 2: a str literal of 4099 bytes"):
        staged_files(folder)
    (folder / "helpers" / "table.py").write_text(f"B = {b'x' * (LITERAL_CAP + 1)!r}\n")
    with pytest.raises(SubmissionError, match="a bytes literal"):
        staged_files(folder)


@pytest.mark.parametrize(
    "source, refused",
    [
        # the attacks: a 90,000-byte int (hex: a decimal one that long does not even compile),
        # 3,000 small ints, a 20 kB comment on one line and as a block of lines
        ("N = 0x" + "f" * 89_998 + "\n", r"line 1: an int literal of 90000 bytes, over the 4096 byte cap"),
        (
            "T = [" + ", ".join(str(i % 2) for i in range(3000)) + "]\n",
            rf"\.: 3002 literals, over the cap of {LITERAL_COUNT_CAP} \(the most in labels.py: 3000\)",
        ),
        ("X = 1  # " + "0" * 20_000 + "\n", r"line 1: a comment of 20002 bytes"),
        (
            "".join(f"# {'01' * 34}\n" for _ in range(300)) + "X = 1\n",
            rf"\.: \d+ bytes of literals, comments and text files, over the cap of {DATA_CAP} \(the most in labels.py",
        ),
        ('"""' + "x" * LITERAL_CAP + '"""\n', r"line 1: a str literal of 4102 bytes"),
        ("F = 1." + "0" * LITERAL_CAP + "\n", r"line 1: a float literal of 4098 bytes"),
        ("x = 1\nF = f'{x}" + "y" * LITERAL_CAP + "'\n", r"line 2: an f-string( part)? of \d+ bytes"),
    ],
    ids=["big-int", "many-ints", "comment-line", "comment-block", "docstring", "float", "f-string"],
)
def test_every_literal_kind_counts(folder, source, refused):
    (folder / "labels.py").write_text(source)
    with pytest.raises(SubmissionError, match=f"submission entry: (labels.py: )?{refused}"):
        staged_files(folder)


def test_data_split_over_files_is_still_capped(folder):
    """Under the per-literal cap in every file, over the folder's cap on literals and text together."""
    chunk = "x" * (LITERAL_CAP - 100)
    for i in range(2):
        (folder / f"part{i}.py").write_text(f"A = {chunk!r}\nB = {chunk!r}\n")
    (folder / "notes.txt").write_text(chunk)
    with pytest.raises(
        SubmissionError, match=rf"\.: \d+ bytes of literals, comments and text files, over the cap of {DATA_CAP}"
    ):
        staged_files(folder)


def test_the_folder_cap(folder):
    """Code with no literal at all is still capped in size."""
    lines = "".join(f"a{i} = b{i}\n" for i in range(FOLDER_CAP // 10))
    (folder / "many.py").write_text(lines)
    with pytest.raises(
        SubmissionError, match=r"submission entry: \.: \d+ bytes of staged files, over the 262144 byte cap"
    ):
        staged_files(folder)


def test_the_templates_method_stages_well_within_the_caps(tmp_path):
    from w2sbench.submissions.scaffold import new_method

    new_method("fresh-idea", tmp_path)
    assert [p.name for p in staged_files(tmp_path / "fresh-idea")] == ["method.py"]


def test_parameters_are_part_of_the_code_hash(folder):
    """A changed parameter is a changed version; a folder without parameters keeps its files' hash."""
    files_only = code_hash(folder)
    assert code_hash(folder, {}) == code_hash(folder, None) == files_only
    assert code_hash(folder, {"lr": 0.1}) not in (files_only, code_hash(folder, {"lr": 0.2}))
    assert code_hash(folder, {"a": 1, "b": [2, 3]}) == code_hash(folder, {"b": [2, 3], "a": 1})


def test_an_acceptance_of_other_parameters_does_not_cover_these(toy_env, tmp_path):
    """A record of a submitted method carries the hash of its code and parameters: a maintainer's
    acceptance of the code with other parameters (or none) is not an acceptance of these."""
    from w2sbench.submissions.evaluate import evaluate

    source = method_source("tuned", fields="scale: float = 1.0\n")
    folder = write_submission(tmp_path, "tuned", source, parameters={"scale": 0.5})
    [record] = evaluate(folder, toy_harness(toy_env[1], TRACKS, unsandboxed=True), show_progress=False).results["toy"]
    assert record.method.code_hash == code_hash(folder, {"scale": 0.5})
    flags = [Flag("toy weak->strong", "PGR above 1")]
    for other in (code_hash(folder), code_hash(folder, {"scale": 0.25})):
        assert needs_review("tuned", [record], Reviewed(accepted={"tuned": [other]}), flags)
    assert needs_review("tuned", [record], Reviewed(accepted={"tuned": [record.method.code_hash]}), flags) == []
