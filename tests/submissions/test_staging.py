"""Staging: only code (and small text) reaches a worker, every other file is refused by name, and
the code hash covers exactly what is staged."""

from __future__ import annotations

import pytest

from w2sbench.core.errors import SubmissionError
from w2sbench.submissions.staging import (
    FOLDER_CAP,
    LITERAL_CAP,
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
    with pytest.raises(SubmissionError, match=r"helpers/table.py: line 2: a str literal of 4097 bytes"):
        staged_files(folder)
    (folder / "helpers" / "table.py").write_text(f"B = {b'x' * (LITERAL_CAP + 1)!r}\n")
    with pytest.raises(SubmissionError, match="a bytes literal"):
        staged_files(folder)


def test_the_folder_cap(folder):
    chunk = "'" + "x" * (LITERAL_CAP - 100) + "'"
    lines = "\n".join(f"A{i} = {chunk}" for i in range(FOLDER_CAP // LITERAL_CAP + 2))
    (folder / "many.py").write_text(lines + "\n")
    with pytest.raises(SubmissionError, match=r"submission entry: \.: \d+ bytes of staged files, over the 262144 byte cap"):
        staged_files(folder)


def test_a_symbolic_link_is_refused(folder):
    (folder / "data").symlink_to(folder / "results")
    with pytest.raises(SubmissionError, match="submission entry: data: symbolic links are not allowed"):
        staged_files(folder)
