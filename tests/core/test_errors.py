"""Error classes: each has its own exit code, and README and ``--help`` list exactly those."""

import re
from pathlib import Path

from click.testing import CliRunner

from w2sbench.cli import main
from w2sbench.core.errors import W2SError, error_classes

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_error_class_has_its_own_exit_code():
    codes = [c.exit_code for c in error_classes()]
    assert error_classes()[0] is W2SError and len(codes) == len(set(codes)) == 8
    assert all(issubclass(c, W2SError) for c in error_classes())


def test_readme_lists_every_error_class_with_its_exit_code():
    rows = re.findall(r"^\| (\d+) \| `(\w+)` \|", README.read_text(), flags=re.M)
    assert [(int(code), name) for code, name in rows] == [(c.exit_code, c.__name__) for c in error_classes()]


def test_help_lists_the_exit_codes():
    out = CliRunner().invoke(main, ["--help"]).output
    for cls in error_classes():
        assert f"{cls.exit_code} {cls.__name__}" in " ".join(out.split())


def test_a_user_error_exits_with_its_class_code():
    """A missing submission folder is a SubmissionError: exit 6, one line, no traceback."""
    result = CliRunner().invoke(main, ["evaluate", "/no/such/submission"])
    assert result.exit_code == 6, result.output
    assert "no such submission folder" in result.output and "Traceback" not in result.output
