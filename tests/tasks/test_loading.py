"""Loading through `datasets`: shipped files are checksummed, local parquet folders work, balance holds."""

import re
from pathlib import Path

import pytest

from tests.conftest import latent_rows, write_rows
from w2sbench.core.errors import W2SError
from w2sbench.tasks.loading import load_task_data
from w2sbench.tasks.task import get_task


def test_shipped_files_load_balanced_and_capped(tasks_env):
    data = load_task_data(get_task("toy"))
    for role in (data.pool, data.test):
        labels = [e.label for e in role]
        assert sum(labels) * 2 == len(labels)  # exactly balanced by undersampling
    assert len(data.pool) <= 600 and data.data_revision.startswith("sha256:")


def test_checksum_mismatch_names_the_file_and_the_rebuild_command(tasks_env):
    write_rows(tasks_env / "data/toy/train.parquet", latent_rows(10, 5, "z"))
    with pytest.raises(W2SError, match=r"train\.parquet has sha256 .* rebuild it with: pytest fixture"):
        load_task_data(get_task("toy"))


def test_local_parquet_folder_uses_the_same_path(tasks_env, tmp_path):
    write_rows(tmp_path / "local/train-00000.parquet", latent_rows(40, 2, "l"))
    write_rows(tmp_path / "local/test-00000.parquet", latent_rows(20, 3, "m"))
    data = load_task_data(get_task("toy"), local_dir=tmp_path / "local")
    assert {e.id[0] for e in data.pool} == {"l"} and data.data_revision.startswith("examples:")
    assert data.source == f"mirror:{(tmp_path / 'local').resolve()}"


def test_missing_split_in_local_folder(tasks_env, tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(W2SError, match="no parquet file for split 'train'"):
        load_task_data(get_task("toy"), local_dir=tmp_path / "empty")


def test_a_malformed_fixture_splits_file_names_itself(tmp_path):
    from w2sbench.tasks.loading import FIXTURE_SPLITS

    (tmp_path / FIXTURE_SPLITS).write_text("pool: train\n")
    with pytest.raises(W2SError, match="splits.yaml: expected a mapping of the roles pool and test"):
        load_task_data(get_task("chess_lichess"), tmp_path)


# ----------------------------------------------------------------------- a local mirror


def test_a_missing_mirror_folder_names_itself(tmp_path, monkeypatch):
    from w2sbench.core.errors import DataError
    from w2sbench.tasks.loading import DATA_DIR_ENV, data_dir, mirror

    with pytest.raises(DataError, match=f"--data-dir {tmp_path / 'nowhere'}: no such folder"):
        mirror(tmp_path / "nowhere")
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "gone"))
    with pytest.raises(DataError, match=r"\$W2SBENCH_DATA_DIR .*gone: no such folder"):
        mirror(None)
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    assert data_dir(None) == tmp_path and data_dir(tmp_path / ".") == tmp_path / "."
    monkeypatch.delenv(DATA_DIR_ENV)
    assert mirror(None) is None


def test_a_hub_task_the_mirror_lacks_is_an_error_a_shipped_task_keeps_its_files(tmp_path):
    from w2sbench.core.errors import DataError
    from w2sbench.tasks.loading import mirror

    (tmp_path / "boolq").mkdir()
    folders = mirror(tmp_path)
    assert folders.get("boolq") == tmp_path / "boolq" and list(folders) == ["boolq"]
    assert folders.get("wordnet_wic") is None  # shipped files: read from tasks/
    with pytest.raises(DataError, match=r"no folder glue_sst2/ for task glue_sst2 .*glue_sst2/<split>\.parquet"):
        folders.get("glue_sst2")


def test_a_missing_split_file_names_the_folder_and_the_file(tasks_env, tmp_path):
    write_rows(tmp_path / "local/train.parquet", latent_rows(10, 2, "l"))
    with pytest.raises(
        W2SError, match=r"local: no parquet file for split 'test' .*expected test\.parquet; found train"
    ):
        load_task_data(get_task("toy"), local_dir=tmp_path / "local")


def test_a_schema_mismatch_names_the_folder_split_and_column(tasks_env, tmp_path):
    from w2sbench.core.errors import DataError

    rows = [{k if k != "text" else "sentence": v for k, v in r.items()} for r in latent_rows(10, 2, "l")]
    write_rows(tmp_path / "local/train.parquet", rows)
    write_rows(tmp_path / "local/test.parquet", rows)
    with pytest.raises(DataError, match=r"split 'train' from .*local has no column 'text' .*its columns: .*sentence"):
        load_task_data(get_task("toy"), local_dir=tmp_path / "local")


def test_the_same_rows_anywhere_have_the_same_identity(tasks_env, tmp_path):
    """The data identity is the hash of the converted examples: where the rows were read from is
    recorded apart (source), so a mirror and the Hub give the same experiment keys."""
    for folder in ("a", "b"):
        write_rows(tmp_path / folder / "train.parquet", latent_rows(40, 2, "l"))
        write_rows(tmp_path / folder / "test.parquet", latent_rows(20, 3, "m"))
    a, b = (load_task_data(get_task("toy"), local_dir=tmp_path / f) for f in ("a", "b"))
    assert a.data_revision == b.data_revision and a.data_revision.startswith("examples:")
    assert a.source != b.source and a.source.endswith("/a")
    write_rows(tmp_path / "b" / "test.parquet", latent_rows(20, 4, "m"))
    assert load_task_data(get_task("toy"), local_dir=tmp_path / "b").data_revision != a.data_revision
    shipped = load_task_data(get_task("toy"))
    assert (
        shipped.data_revision.startswith("sha256:")
        and shipped.source == "files:data/toy/test.parquet,data/toy/train.parquet"
    )


def test_a_mirror_splits_file_may_carve(tasks_env, tmp_path):
    """splits.yaml may carve pool and test from pooled splits on groups, as a task definition may."""
    from tests.conftest import latent_rows as rows

    write_rows(tmp_path / "train.parquet", [{**r, "group": f"g{i % 10}"} for i, r in enumerate(rows(60, 2, "l"))])
    write_rows(tmp_path / "test.parquet", [{**r, "group": f"h{i % 5}"} for i, r in enumerate(rows(30, 3, "m"))])
    (tmp_path / "splits.yaml").write_text("carve: [train, test]\ntest_share: 0.2\n")
    data = load_task_data(get_task("toy").model_copy(update={"balance": False}), local_dir=tmp_path)
    assert {e.group for e in data.pool}.isdisjoint({e.group for e in data.test})
    assert len({e.group for e in data.test}) == 3  # a fifth of the 15 groups
    (tmp_path / "splits.yaml").write_text("carve: [train]\ntest_share: 2\n")
    with pytest.raises(W2SError, match="splits.yaml: invalid carve"):
        load_task_data(get_task("toy"), local_dir=tmp_path)


def test_undersampling_does_not_put_the_larger_class_first(tasks_env):
    """Which examples of the larger class are kept is drawn apart from their order, so the kept
    ones are spread over the order instead of being its earliest (position would tell the class)."""
    from w2sbench.core.example import Example
    from w2sbench.tasks.loading import balance_and_cap

    examples = [Example(id=f"r{i}", text=f"t{i}", label=int(i < 100)) for i in range(500)]
    kept = balance_and_cap(get_task("toy"), examples, cap=1000)
    assert sum(e.label for e in kept) == 100 and len(kept) == 200
    negatives = [i for i, e in enumerate(kept) if e.label == 0]
    assert 70 < sum(negatives) / len(negatives) < 130  # their mean position near the middle (99.5)


# ------------------------------------------- errors a task file causes while its rows load name the file and field


def test_a_conversion_changed_in_code_is_checked_before_the_first_row(tasks_env):
    """A task built in code skips load_task_file's checks: loading still names the field, never a raw TypeError."""
    from w2sbench.core.errors import TaskDefinitionError
    from w2sbench.tasks.task import Conversion

    task = get_task("toy")
    changed = task.model_copy(update={"conversion": Conversion(name="standard", params={"label_col": "label"})})
    with pytest.raises(
        TaskDefinitionError,
        match=r"task toy \(.*toy\.yaml\): invalid conversion: "
        r"conversion\.params\.label_col: unknown parameter; conversion 'standard' takes no parameters",
    ):
        load_task_data(changed)


def test_a_template_naming_a_missing_column_names_the_parameter_and_the_file(tmp_path):
    import yaml

    from w2sbench.core.errors import DataError
    from w2sbench.tasks.task import load_task_file, read_task_mapping

    repo = Path(__file__).resolve().parents[2]
    raw = read_task_mapping(repo / "tasks/glue_sst2.yaml")  # its includes merged in: the copy stands alone
    raw["conversion"]["params"]["text"] = "{sentense}"
    (tmp_path / "glue_sst2.yaml").write_text(yaml.safe_dump(raw))
    task = load_task_file(tmp_path / "glue_sst2.yaml")
    with pytest.raises(
        DataError,
        match=rf"task glue_sst2 \({re.escape(str(tmp_path))}/glue_sst2\.yaml\): split 'train' "
        r".*no column 'sentense' .*\(conversion\.params\.text names it\).*its columns: .*sentence",
    ):
        load_task_data(task, local_dir=repo / "tests/fixtures/tasks/glue_sst2")


def test_an_upstream_split_the_hub_lacks_names_the_field(monkeypatch):
    """A split name typo in a Hub task shows when the Hub answers: a task-definition error naming splits.ROLE."""
    import datasets

    from w2sbench.core.errors import TaskDefinitionError

    def load_dataset(*args, split=None, **kwargs):
        raise ValueError(f"Unknown split \"{split}\". Should be one of ['train', 'validation', 'test'].")

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    task = get_task("glue_sst2")
    typo = task.model_copy(update={"splits": {"pool": "trian", "test": "validation"}})
    with pytest.raises(
        TaskDefinitionError,
        match=r"task glue_sst2 \(.*glue_sst2\.yaml\): splits\.pool: nyu-mll/glue "
        r"has no split 'trian': Unknown split",
    ):
        load_task_data(typo)


def test_a_split_the_mirror_lacks_names_the_field_that_names_it(tasks_env, tmp_path):
    write_rows(tmp_path / "local/train.parquet", latent_rows(10, 2, "l"))
    with pytest.raises(W2SError, match=r"no parquet file for split 'test' .*named by splits\.test of .*toy\.yaml"):
        load_task_data(get_task("toy"), local_dir=tmp_path / "local")
