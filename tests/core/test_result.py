"""A result record whose content no longer matches its checksum is set aside and recomputed."""

import json

from tests.protocol.test_run import grid, workspace
from w2sbench.methods.api import make_method
from w2sbench.running.sweep import run_grid


def test_tampered_record_is_detected_and_recomputed(tasks_env, tmp_path, capsys):
    [first] = run_grid(workspace(tmp_path), grid([make_method("naive")]), show_progress=False)
    path = workspace(tmp_path).results.path(first.key)
    record = json.loads(path.read_text())
    record["scores"]["pgr"] = 0.99  # a silently edited score
    path.write_text(json.dumps(record))
    [again] = run_grid(workspace(tmp_path), grid([make_method("naive")]), show_progress=False)
    assert "checksum mismatch" in capsys.readouterr().err
    assert again.scores.pgr == first.scores.pgr
    assert path.with_suffix(".corrupt").exists()


def test_a_corrupted_record_says_it_was_set_aside_and_what_was_wrong(tasks_env, tmp_path, capsys):
    [first] = run_grid(workspace(tmp_path), grid([make_method("naive")]), show_progress=False)
    store = workspace(tmp_path).results
    path = store.path(first.key)
    record = json.loads(path.read_text())
    del record["seed"]
    record["scores"]["acc_w2s"] = "high"
    path.write_text(json.dumps(record))
    assert store.read(first.key) is None
    err = capsys.readouterr().err
    aside = path.with_suffix(".corrupt")
    assert f"set aside as {aside}" in err and aside.exists() and not path.exists()
    assert "seed: Field required" in err and "scores.acc_w2s:" in err  # what was wrong, field by field
    path.write_text('{"key": "trunc')  # a write cut short
    assert store.read(first.key) is None
    assert "(top): Invalid JSON" in capsys.readouterr().err


def test_records_without_later_fields_keep_their_checksums(tasks_env, tmp_path):
    """data_source and numerics are additive: absent, they stay out of the checksummed body
    (records written before them still verify); present, they are covered like every other field."""
    [first] = run_grid(workspace(tmp_path), grid([make_method("naive")]), show_progress=False)
    assert first.task.data_source == "files:data/toy/test.parquet,data/toy/train.parquet"
    assert first.provenance.numerics is None  # the fake encoder is no transformer
    assert first.sha256 == first.content_sha256()
    old = first.model_copy(update={"task": first.task.model_copy(update={"data_source": None})})
    body = old.model_dump(mode="json", exclude={"sha256"})
    # as a record written before the fields existed
    del body["task"]["data_source"], body["provenance"]["numerics"], body["provenance"]["weak_labels"]
    del body["provenance"]["framing"]  # a binary task's record names no framing
    import hashlib

    assert old.content_sha256() == hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    moved = first.model_copy(update={"task": first.task.model_copy(update={"data_source": "mirror:/x"})})
    assert moved.content_sha256() != first.content_sha256()
    bf16 = first.model_copy(update={"provenance": first.provenance.model_copy(update={"numerics": {"dtype": "bf16"}})})
    assert bf16.content_sha256() != first.content_sha256()
    assert first.provenance.framing is None and first.provenance.regime == "probe"
    generative = first.model_copy(update={"provenance": first.provenance.model_copy(update={"framing": "generative"})})
    assert generative.content_sha256() != first.content_sha256()
