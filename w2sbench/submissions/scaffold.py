"""`new-method`: a submission folder from the templates."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from w2sbench.core.errors import W2SError
from w2sbench.running.tracks import NAME_PATTERN, default_tracks

# ---------------------------------------------------------------------------------------------
# new-method
# ---------------------------------------------------------------------------------------------


def class_name_for(name: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[-_]", name) if part) or "Method"


def new_method(name: str, root: Path | str = "submissions") -> list[Path]:
    """Create submissions/NAME/ from the templates: a method module, metadata.yaml and a test."""
    from string import Template

    from w2sbench.methods.api import all_methods

    if not re.match(NAME_PATTERN, name):
        raise W2SError(
            f"{name!r} is not a valid submission name: lower-case letters, digits and '-', "
            "starting with a letter, 2 to 40 characters"
        )
    if name in all_methods():
        raise W2SError(f"{name!r} is already a builtin method's name; choose another")
    folder = Path(root) / name
    if folder.exists():
        raise W2SError(f"{folder} already exists")
    module = name.replace("-", "_")
    values = {"name": name, "class_name": class_name_for(name), "module": module, "tracks": ", ".join(default_tracks())}
    templates = resources.files("w2sbench.submissions") / "templates"
    targets = {
        "method.py.tmpl": "method.py",
        "metadata.yaml.tmpl": "metadata.yaml",
        "test_method.py.tmpl": f"test_{module}.py",
    }
    folder.mkdir(parents=True)
    written = []
    for src, dst in targets.items():
        text = Template((templates / src).read_text()).substitute(values)
        (folder / dst).write_text(text)
        written.append(folder / dst)
    return written
