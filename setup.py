"""Packaging beyond pyproject.toml: the repository's top-level tasks/ (task definitions and shipped
data) is installed as the package w2sbench.tasks.definitions, so a wheel carries every task.
Its data files are listed in pyproject.toml's [tool.setuptools.package-data]."""

from setuptools import find_namespace_packages, setup

# Data folders (ladders/, templates/, tasks/data/...) are listed as namespace packages too, so
# setuptools ships their files as package data of packages it knows.
SKIP = ["*__pycache__*"]
CODE = find_namespace_packages(include=["w2sbench", "w2sbench.*"], exclude=SKIP)
DATA = [f"w2sbench.tasks.definitions.{p}" for p in find_namespace_packages(where="tasks", include=["data", "data.*"])]

setup(
    packages=[*CODE, "w2sbench.tasks.definitions", *DATA],
    package_dir={"w2sbench.tasks.definitions": "tasks"},
)
