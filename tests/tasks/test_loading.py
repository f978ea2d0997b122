"""Loading through `datasets`: shipped files are checksummed, local parquet folders work, balance holds."""

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
