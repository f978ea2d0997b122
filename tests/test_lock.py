"""requirements.lock is what install.sh installs: exact pins that satisfy pyproject.toml's
dependencies and extras, and the very model packages w2sbench.models.packaged expects."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from w2sbench.models.packaged import PACKAGED

ROOT = Path(__file__).resolve().parents[1]


def locked() -> dict[str, Version]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, sep, version = line.partition("==")
            assert sep and version, f"requirements.lock: {line!r} is not an exact name==version pin"
            assert canonicalize_name(name) not in pins, f"requirements.lock pins {name} twice"
            pins[canonicalize_name(name)] = Version(version)
    return pins


def test_every_dependency_and_extra_is_pinned_within_its_range():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    pins = locked()
    for text in wanted:
        req = Requirement(text)
        name = canonicalize_name(req.name)
        assert name in pins, f"requirements.lock does not pin {req.name} (pyproject.toml: {text})"
        assert req.specifier.contains(pins[name], prereleases=True), f"{req.name}=={pins[name]} is outside {text}"


def test_the_model_packages_are_pinned_at_the_versions_packaged_py_checks():
    pins = locked()
    for model in PACKAGED.values():
        for source in model.sources:
            assert pins.get(canonicalize_name(source.package)) == Version(source.version), source.pin
