"""Task files: strict schema, errors that name the file and field."""

import re
from pathlib import Path

import pytest
import yaml

from w2sbench.core.errors import TaskDefinitionError, W2SError
from w2sbench.tasks.task import (
    _registry,
    all_tasks,
    broken_tasks,
    get_task,
    load_task_file,
    merge_mappings,
    read_task_mapping,
    suite_tasks,
)


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
    """A copy of the shipped tasks/TASK_ID.yaml in tmp_path (its includes merged in), changed in
    place by ``change``."""
    raw = read_task_mapping(TASKS / f"{task_id}.yaml")
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
    rejects(
        path,
        "conversion.params.label_col: unknown parameter (did you mean label",
        "conversion 'binary' takes text, label, label_map (required) and text_pair, unlabeled, group, id (optional)",
    )
    path = malformed(tmp_path, "wordnet_hypernym", lambda r: r["conversion"].update(params={"text": "{text}"}))
    rejects(path, "conversion.params.text: unknown parameter", "conversion 'standard' takes no parameters")


def test_a_missing_conversion_parameter_lists_the_accepted_ones(tmp_path):
    path = malformed(tmp_path, "glue_sst2", lambda r: r["conversion"]["params"].pop("label_map"))
    rejects(
        path, "conversion.params.label_map: missing (a required parameter)", "takes text, label, label_map (required)"
    )


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
    path = malformed(
        tmp_path, "wordnet_hypernym", lambda r: r.update(splits={"carve": ["train", "tset"], "test_share": 0.2})
    )
    rejects(path, "splits.carve: 'tset' is not a split of source.splits")
    path = malformed(tmp_path, "superglue_wic", lambda r: r["splits"].update(test_share=1.5))
    rejects(path, "splits.test_share: Input should be less than 1 (got 1.5)")


def test_a_private_builder_typo_suggests_the_builder(tmp_path):
    path = malformed(
        tmp_path, "chess_puzzles", lambda r: r["private"].update(builder="w2sbench.tasks.builders.chess_puzzle")
    )
    rejects(
        path,
        "private.builder: unknown module 'w2sbench.tasks.builders.chess_puzzle'",
        "Did you mean: w2sbench.tasks.builders.chess_puzzles",
        "draw_private",
    )


def test_balance_on_a_generative_conversion_names_the_field(tmp_path):
    path = malformed(tmp_path, "chess_first_move", lambda r: r.update(balance=True))
    rejects(path, "balance: true needs binary labels", "set balance: false")


def test_a_task_read_from_a_file_knows_it(task_folder):
    task = load_task_file(task_folder / "toy.yaml")
    assert task.file == task_folder / "toy.yaml" and task.where == f"task toy ({task_folder / 'toy.yaml'})"
    assert task.model_copy(update={"balance": False}).file == task.file


# ------------------------------------------------------------------- include: base files, changes:


def with_base(folder: Path, base: dict, own: dict | None = None, include="_base/common.yaml", name="toy") -> Path:
    """The toy task split in two: ``base`` written to folder/_base/common.yaml (its keys taken out
    of the toy's own mapping), ``own`` merged over what is left, and an include of the base."""

    def without(mapping: dict, taken: dict) -> dict:
        return {
            k: without(v, taken[k]) if isinstance(v, dict) and isinstance(taken.get(k), dict) else v
            for k, v in mapping.items()
            if k not in taken or isinstance(v, dict) and isinstance(taken[k], dict)
        }

    raw = yaml.safe_load((folder / "toy.yaml").read_text())
    (folder / "_base").mkdir(exist_ok=True)
    (folder / "_base/common.yaml").write_text(yaml.safe_dump(base))
    raw = {**without(raw, base), **(own or {}), "include": include}
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_merge_mappings_merges_mappings_recursively_and_replaces_lists_and_scalars():
    base = {"a": {"b": 1, "c": {"d": 2, "e": 3}}, "l": [1, 2], "s": "base", "n": 1}
    over = {"a": {"c": {"e": 30}, "f": 4}, "l": [3], "s": "own", "n": None}
    assert merge_mappings(base, over) == {
        "a": {"b": 1, "c": {"d": 2, "e": 30}, "f": 4},
        "l": [3],
        "s": "own",
        "n": None,
    }
    assert base["a"]["c"] == {"d": 2, "e": 3}  # the inputs are left as they were


def test_include_merges_the_base_under_the_task_files_own_keys(task_folder):
    path = with_base(
        task_folder,
        {
            "source": {"kind": "files", "build_command": "python -m base.builder"},  # merged with the toy's splits
            "sizes": {"pool": 100, "test": 50},
            "suites": ["base-suite", "other"],
            "licence": "base licence",
            "citation": "base citation",
            "homepage": "base homepage",
        },
        own={"sizes": {"test": 30}, "suites": ["toy"], "licence": "CC0-1.0"},
    )
    task = load_task_file(path)
    assert task.source.build_command == "python -m base.builder" and set(task.source.splits) == {"train", "test"}
    assert (task.sizes.pool, task.sizes.test) == (100, 30)  # a nested mapping merged key by key, the task's key wins
    assert task.suites == ["toy"]  # a list replaced, not concatenated
    assert (task.licence, task.citation, task.homepage) == ("CC0-1.0", "base citation", "base homepage")
    _registry.cache_clear()
    try:  # the base folder holds no task: the registry lists only the task file
        assert list(all_tasks(task_folder)) == ["toy"] and broken_tasks(task_folder) == {}
    finally:
        _registry.cache_clear()


def test_a_list_of_includes_merges_in_order_and_a_base_may_include_another(task_folder):
    path = with_base(
        task_folder,
        {"licence": "first", "citation": "from common", "include": "deeper.yaml"},
        include=["_base/common.yaml", "_base/second.yaml"],
    )
    (task_folder / "_base/second.yaml").write_text(yaml.safe_dump({"licence": "second", "homepage": "from second"}))
    (task_folder / "_base/deeper.yaml").write_text(yaml.safe_dump({"citation": "deeper", "balance": False}))
    raw = yaml.safe_load(path.read_text())
    del raw["homepage"]  # from the second base
    path.write_text(yaml.safe_dump(raw))
    task = load_task_file(path)
    assert (task.licence, task.citation, task.homepage, task.balance) == ("second", "from common", "from second", False)


def test_a_missing_include_names_the_file_the_field_and_the_path(task_folder):
    path = with_base(task_folder, {"homepage": "x"}, include="_base/comon.yaml")
    message = rejects(path, "include: '_base/comon.yaml'", "no such file", str(task_folder / "_base/comon.yaml"))
    assert "Traceback" not in message
    _registry.cache_clear()
    try:  # a broken include breaks only the task that names it
        assert "include: '_base/comon.yaml'" in str(broken_tasks(task_folder)["toy"])
    finally:
        _registry.cache_clear()


@pytest.mark.parametrize(
    "content, fragment",
    [
        ("homepage: [unclosed", "base task file is not valid YAML"),
        ("- a list\n", "expected a mapping of base task file fields, got list"),
        ("version: 2\nhomepage: x\n", "a base file may not set version"),
    ],
)
def test_an_invalid_included_file_names_the_file_the_field_and_the_path(task_folder, content, fragment):
    path = with_base(task_folder, {"homepage": "x"})
    (task_folder / "_base/common.yaml").write_text(content)
    rejects(path, "include: '_base/common.yaml'", str(task_folder / "_base/common.yaml"), fragment)


@pytest.mark.parametrize("value", [3, [], None, ["_base/common.yaml", 4]])
def test_an_include_that_is_not_a_path_or_a_list_of_paths_names_the_field(task_folder, value):
    path = with_base(task_folder, {"homepage": "x"}, include=value)
    rejects(path, "include: expected a base file's path or a list of them")


def test_an_include_cycle_is_an_error_naming_the_files(task_folder):
    path = with_base(task_folder, {"homepage": "x", "include": "loop.yaml"})
    (task_folder / "_base/loop.yaml").write_text(yaml.safe_dump({"citation": "y", "include": "common.yaml"}))
    common, loop = (str((task_folder / "_base" / n).resolve()) for n in ("common.yaml", "loop.yaml"))
    rejects(
        path,
        "include: '_base/common.yaml'",
        "include: 'common.yaml'",
        "an include cycle",
        f"{common} -> {loop} -> {common}",
    )
    path = with_base(task_folder, {"homepage": "x"}, include="toy.yaml")
    rejects(path, "include: 'toy.yaml': an include cycle")


def test_a_schema_error_after_merging_names_the_field_and_the_include(task_folder):
    path = with_base(task_folder, {"sizes": {"pool": "many"}}, own={"sizes": {"test": 30}})
    rejects(
        path,
        "invalid task definition (merged with include: _base/common.yaml)",
        "sizes.pool: Input should be a valid integer",
        "(got 'many')",
    )


def change(version, text="what changed"):
    return {"version": version, "change": text}


@pytest.mark.parametrize(
    "version, changes, fragments",
    [
        (3, [change(2), change(2, "again")], ["changes: version 2 has more than one entry"]),
        (2, [change(2), change(3)], ["changes: version 3 is later than the task's version 2"]),
        (4, [change(3), change(2)], ["changes: list them by increasing version (got 3, 2"]),
        (2, [change(1)], ["changes.0.version: Input should be greater than or equal to 2", "(got 1)"]),
        (2, [{"version": 2}], ["missing field 'changes.0.change'"]),
        (2, [change(2, "")], ["changes.0.change: String should have at least 1 character"]),
        (2, [{"version": 2, "change": "x", "why": "y"}], ["unknown field 'changes.0.why'"]),
        (2, "version 2 changed it", ["changes: Input should be a valid list"]),
    ],
)
def test_changes_are_checked_naming_the_field(tmp_path, task_folder, version, changes, fragments):
    rejects(write(tmp_path, "toy", version=version, changes=changes), *fragments)


def test_changes_of_a_base_come_before_the_task_files_own(task_folder):
    path = with_base(
        task_folder,
        {"changes": [change(2, "the shared change.")]},
        own={"version": 3, "changes": [change(3, "its own change.")]},
    )
    task = load_task_file(path)
    assert [(c.version, c.change) for c in task.changes] == [(2, "the shared change."), (3, "its own change.")]
    assert task.history() == "latent-value toy task for tests Version 2: the shared change. Version 3: its own change."
    path = with_base(
        task_folder,
        {"changes": [change(3, "the shared change.")]},
        own={"version": 3, "changes": [change(2, "its own change.")]},
    )
    rejects(path, "changes: list them by increasing version (got 3, 2", "changes of included files come before")
    path = with_base(task_folder, {"changes": [change(2, "the shared change.")]}, own={"version": 1})
    rejects(path, "changes: version 2 is later than the task's version 1")


def test_a_task_without_changes_has_an_empty_history(task_folder):
    task = load_task_file(task_folder / "toy.yaml")
    assert task.changes == [] and task.history() == "latent-value toy task for tests"


def test_the_shipped_base_files_are_included_and_never_listed_as_tasks():
    bases = sorted((TASKS / "_base").glob("*.yaml"))
    assert bases
    assert set(all_tasks(TASKS)) == {p.stem for p in TASKS.glob("*.yaml")}
    named = {
        (p.parent / n).resolve()
        for p in TASKS.glob("*.yaml")
        for n in [yaml.safe_load(p.read_text()).get("include") or []][0:1]
        for n in ([n] if isinstance(n, str) else n)
    }
    assert named == {b.resolve() for b in bases}  # every base is used


def test_shipped_descriptions_keep_their_version_history_in_changes():
    tasks = all_tasks(TASKS)
    assert not [t.id for t in tasks.values() if re.search(r"\bversion \d", t.description, re.I)]
    hygiene = [t.id for t in tasks.values() if any("w2sbench.tasks.hygiene" in c.change for c in t.changes)]
    assert len(hygiene) == 23 and "glue_sst2" in hygiene and "wordnet_gloss" not in hygiene
    assert [(c.version, c.change) for c in tasks["wordnet_gloss"].changes] == [
        (3, "the test set has 2,000 examples (800 before); the pool is unchanged.")
    ]
