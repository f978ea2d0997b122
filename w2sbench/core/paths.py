"""Where w2sbench keeps its caches and finds the task definitions."""

import os
from importlib import resources
from pathlib import Path


def cache_dir() -> Path:
    """Root of every cache (models, features, weak labels); W2SBENCH_CACHE overrides it."""
    root = os.environ.get("W2SBENCH_CACHE") or Path.home() / ".cache" / "w2sbench"
    return Path(root)


def use_cache(root: Path | None) -> Path:
    """The cache of this run. A command's --cache becomes W2SBENCH_CACHE for this process and the
    workers it starts, so prepared models land where features and weak labels do; None keeps the default."""
    if root is not None:
        os.environ["W2SBENCH_CACHE"] = str(Path(root).resolve())
    return cache_dir()


def tasks_dir() -> Path:
    """The folder of task definitions: W2SBENCH_TASKS, else the installed package data
    (w2sbench.tasks.definitions, which is the repository's top-level tasks/ in a checkout)."""
    env = os.environ.get("W2SBENCH_TASKS")
    if env:
        return Path(env)
    return Path(str(resources.files("w2sbench.tasks.definitions")))
