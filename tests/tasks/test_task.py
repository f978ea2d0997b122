"""Task files: strict schema, errors that name the file and field."""

import pytest
import yaml

from w2sbench.core.errors import TaskDefinitionError, W2SError
from w2sbench.tasks.task import _registry, all_tasks, broken_tasks, get_task, load_task_file, suite_tasks


def write(tmp_path, name, **overrides):
    base = yaml.safe_load((tmp_path / "tasks/toy.yaml").read_text())
    base.update(overrides)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(base))
    return path


def test_valid_task_loads(task_folder):
    task = load_task_file(task_folder / "toy.yaml")
    assert task.pinned and task.data_revision().startswith("sha256:")


def test_unknown_field_is_rejected_naming_file_and_field(task_folder, tmp_path):
    path = write(tmp_path, "toy", colour="blue")
    with pytest.raises(W2SError, match=r"toy\.yaml.*unknown field 'colour'"):
        load_task_file(path)


def test_invented_revision_is_rejected(task_folder, tmp_path):
    path = write(tmp_path, "toy", source={"kind": "hub", "dataset": "google/boolq", "revision": "main"})
    with pytest.raises(W2SError, match="not a 40-hex commit"):
        load_task_file(path)
    path = write(tmp_path, "toy", source={"kind": "hub", "dataset": "google/boolq", "revision": None})
    with pytest.raises(W2SError, match="unpinned_reason"):
        load_task_file(path)


def test_id_must_match_file_name(task_folder, tmp_path):
    with pytest.raises(W2SError, match="must equal the file name"):
        load_task_file(write(tmp_path, "other"))


def test_malformed_yaml(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("id: [unclosed")
    with pytest.raises(W2SError, match="bad.yaml: cannot read"):
        load_task_file(path)


def test_unknown_task_suggests_close_names(tasks_env):
    with pytest.raises(W2SError, match="Did you mean: toy"):
        get_task("tot")


def test_a_typo_in_one_task_file_breaks_only_that_task(task_folder):
    """`w2sbench tasks` and every other task keep working; the broken task, and a suite that might
    hold it, fail naming the file and the field."""
    good = yaml.safe_load((task_folder / "toy.yaml").read_text())
    broken = dict(good, id="typo", suites=["offline"], colour="blue")
    (task_folder / "typo.yaml").write_text(yaml.safe_dump(broken))
    _registry.cache_clear()
    try:
        assert list(all_tasks(task_folder)) == ["toy"]
        assert get_task("toy", task_folder).id == "toy"
        assert "colour" in str(broken_tasks(task_folder)["typo"])
        with pytest.raises(TaskDefinitionError, match=r"typo\.yaml.*unknown field 'colour'"):
            get_task("typo", task_folder)
        with pytest.raises(TaskDefinitionError, match="typo.yaml"):
            suite_tasks(good["suites"][0], task_folder)
    finally:
        _registry.cache_clear()
