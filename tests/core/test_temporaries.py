"""Stale temporaries: a killed writer's are removed, a live writer's and other files are kept."""

import os
import time

from w2sbench.core import temporaries
from w2sbench.core.store import atomic_write_bytes
from w2sbench.core.temporaries import remove_stale_temporaries


def test_stale_temporaries_of_dead_writers_are_removed_but_live_ones_kept(tmp_path):
    dead = tmp_path / "cache" / "features" / ".shard.npz.abc123.tmp"
    dead.parent.mkdir(parents=True)
    dead.write_bytes(b"half a shard")
    live = tmp_path / "results" / ".key.json.def456.tmp"
    live.parent.mkdir(parents=True)
    with open(live, "wb") as held:  # a writer in this process still has it open
        held.write(b"being written")
        removed = remove_stale_temporaries([tmp_path / "cache", tmp_path / "results"])
        assert removed == [dead] and not dead.exists() and live.exists()
    directory = tmp_path / "cache" / "models" / ".model.xyz.tmp"  # a staging folder, not a write
    directory.mkdir(parents=True)
    assert remove_stale_temporaries([tmp_path / "cache"]) == [] and directory.exists()


def test_on_a_network_disk_only_old_temporaries_go(tmp_path, monkeypatch):
    """A writer on another machine is invisible there, so age is the only safe sign of death."""
    monkeypatch.setattr(temporaries, "_fs_type", lambda path: "nfs4")
    young, old = tmp_path / ".a.json.1.tmp", tmp_path / ".b.json.2.tmp"
    young.write_bytes(b"x")
    old.write_bytes(b"y")
    hour_ago = time.time() - 7200
    os.utime(old, (hour_ago, hour_ago))
    assert remove_stale_temporaries([tmp_path], network_age_s=3600) == [old]
    assert young.exists() and not old.exists()


def test_finished_writes_are_never_candidates(tmp_path):
    atomic_write_bytes(tmp_path / "record.json", b"{}")
    assert remove_stale_temporaries([tmp_path, tmp_path / "missing"]) == []
    assert (tmp_path / "record.json").read_bytes() == b"{}"
