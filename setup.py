"""Packaging beyond pyproject.toml: the repository's top-level tasks/ (task definitions and shipped
data) is installed as the package w2sbench.tasks.definitions, so a wheel carries every task.
Its data files are listed in pyproject.toml's [tool.setuptools.package-data]."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["w2sbench", "w2sbench.*"]), "w2sbench.tasks.definitions"],
    package_dir={"w2sbench.tasks.definitions": "tasks"},
)
