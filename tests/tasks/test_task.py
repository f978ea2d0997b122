"""Task files: strict schema, errors that name the file and field."""

import re
from pathlib import Path

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
    with pytest.raises(W2SError, match="bad.yaml: task definition is not valid YAML"):
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


# ------------------------------------------- a malformed copy of a real task file names file and field

TASKS = Path(__file__).resolve().parents[2] / "tasks"


def malformed(tmp_path, task_id, change) -> Path:
    """A copy of the shipped tasks/TASK_ID.yaml in tmp_path, changed in place by ``change``."""
    raw = yaml.safe_load((TASKS / f"{task_id}.yaml").read_text())
    change(raw)
    path = tmp_path / f"{task_id}.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def rejects(path, *fragments):
    """Reading ``path`` raises TaskDefinitionError naming the file and every fragment, in order."""
    with pytest.raises(TaskDefinitionError) as caught:
        load_task_file(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message
    pattern = ".*".join(re.escape(f) for f in fragments)
    assert re.search(pattern, message), message
    return message


def test_every_shipped_task_file_passes_every_definition_check():
    assert broken_tasks(TASKS) == {}


def test_a_conversion_name_typo_suggests_the_close_names(tmp_path):
    path = malformed(tmp_path, "wordnet_hypernym", lambda r: r["conversion"].update(name="standrd"))
    rejects(path, "conversion.name: unknown conversion 'standrd'", "Did you mean: standard", "Known: binary")


def test_an_unknown_conversion_parameter_lists_the_accepted_ones(tmp_path):
    path = malformed(tmp_path, "glue_sst2", lambda r: r["conversion"]["params"].update(label_col="label"))
    rejects(path, "conversion.params.label_col: unknown parameter (did you mean label",
            "conversion 'binary' takes text, label, label_map (required) and text_pair, unlabeled, group, id (optional)")
    path = malformed(tmp_path, "wordnet_hypernym", lambda r: r["conversion"].update(params={"text": "{text}"}))
    rejects(path, "conversion.params.text: unknown parameter", "conversion 'standard' takes no parameters")


def test_a_missing_conversion_parameter_lists_the_accepted_ones(tmp_path):
    path = malformed(tmp_path, "glue_sst2", lambda r: r["conversion"]["params"].pop("label_map"))
    rejects(path, "conversion.params.label_map: missing (a required parameter)", "takes text, label, label_map (required)")


def test_a_conversion_parameter_of_the_wrong_type_says_what_was_expected(tmp_path):
    path = malformed(tmp_path, "chess_lichess", lambda r: r["conversion"]["params"].update(opponent_first="yes"))
    rejects(path, "conversion.params.opponent_first: expected true or false, got 'yes'")
    path = malformed(tmp_path, "sciq", lambda r: r["conversion"]["params"].update(answer_is="firts"))
    rejects(path, "conversion.params.answer_is: expected one of 'index', 'key', 'text', 'first', got 'firts'")
    path = malformed(tmp_path, "glue_sst2", lambda r: r["conversion"]["params"]["label_map"].update({1: 2}))
    rejects(path, "conversion.params.label_map: expected a mapping to one of 0, 1, got {0: 0, 1: 2}")


def test_wrong_types_and_missing_fields_name_the_field_path(tmp_path):
    path = malformed(tmp_path, "glue_sst2", lambda r: r["sizes"].update(pool="many"))
    rejects(path, "sizes.pool: Input should be a valid integer", "(got 'many')")
    path = malformed(tmp_path, "glue_sst2", lambda r: r.pop("licence"))
    rejects(path, "missing field 'licence'")
    path = malformed(tmp_path, "glue_sst2", lambda r: r["source"].pop("kind"))
    rejects(path, "missing field 'source.kind'")
    path = malformed(tmp_path, "glue_sst2", lambda r: r["source"].update(kind="hf"))
    rejects(path, "source.kind: expected one of 'hub', 'files' (got 'hf')")
    path = malformed(tmp_path, "wordnet_hypernym", lambda r: r["source"]["splits"]["train"].pop("sha256"))
    rejects(path, "missing field 'source.splits.train.sha256'")


def test_unknown_split_names_and_roles_name_the_field(tmp_path):
    path = malformed(tmp_path, "wordnet_hypernym", lambda r: r["splits"].update(test="tset"))
    rejects(path, "splits.test: 'tset' is not a split of source.splits (which has test, train); did you mean 'test'?")
    path = malformed(tmp_path, "wordnet_hypernym", lambda r: r.update(splits={"pool": "train", "tset": "test"}))
    message = rejects(path, "splits: unknown key 'tset'", "'pool' or 'test'")
    assert "Carve" not in message and "carve" not in message  # the role map's error, not both forms'
    path = malformed(tmp_path, "wordnet_hypernym", lambda r: r.update(splits={"carve": ["train", "tset"], "test_share": 0.2}))
    rejects(path, "splits.carve: 'tset' is not a split of source.splits")
    path = malformed(tmp_path, "superglue_wic", lambda r: r["splits"].update(test_share=1.5))
    rejects(path, "splits.test_share: Input should be less than 1 (got 1.5)")


def test_a_private_builder_typo_suggests_the_builder(tmp_path):
    path = malformed(tmp_path, "chess_puzzles", lambda r: r["private"].update(builder="w2sbench.tasks.builders.chess_puzzle"))
    rejects(path, "private.builder: unknown module 'w2sbench.tasks.builders.chess_puzzle'",
            "Did you mean: w2sbench.tasks.builders.chess_puzzles", "draw_private")


def test_balance_on_a_generative_conversion_names_the_field(tmp_path):
    path = malformed(tmp_path, "chess_first_move", lambda r: r.update(balance=True))
    rejects(path, "balance: true needs binary labels", "set balance: false")


def test_a_task_read_from_a_file_knows_it(task_folder):
    task = load_task_file(task_folder / "toy.yaml")
    assert task.file == task_folder / "toy.yaml" and task.where == f"task toy ({task_folder / 'toy.yaml'})"
    assert task.model_copy(update={"balance": False}).file == task.file
