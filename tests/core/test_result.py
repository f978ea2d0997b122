"""A result record whose content no longer matches its checksum is set aside and recomputed."""

import json

from tests.protocol.test_experiment import grid, workspace
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
