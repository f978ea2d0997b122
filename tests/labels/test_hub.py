"""Pulling and pushing standard weak labels through huggingface_hub, without the Hub.

Pull: the real snapshot_download code path runs offline (HF_HUB_OFFLINE=1) against a Hub
cache pre-seeded in the library's real layout with the library's own helpers
(tests/labels/hub.py: seed_cache). Push: HfApi.create_repo and HfApi.upload_folder run
unmodified against a local stand-in HTTP server on 127.0.0.1 (tests/labels/hub.py: StandIn),
the only thing that can receive an upload here; the round-trip test then downloads the pushed
revision from the stand-in with snapshot_download (online), and pulls it again offline from the
cache the library itself wrote, checking that the seeded layout is the library's.

Pitfalls guarded: a corrupted download being used; an unpinned pull silently following a
branch; stale tables from an earlier push surviving next to a new manifest.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tests.labels.hub import StandIn, seed_cache
from w2sbench.cli import main
from w2sbench.core.errors import W2SError
from w2sbench.labels.hub import parse_ref, pull, pull_ref, push
from w2sbench.labels.weak_label_set import load_folder

REPO = "w2s-org/weak-labels"
COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def offline(monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)


@pytest.fixture
def online(monkeypatch):
    """The stand-in is reachable even where CI exports HF_HUB_OFFLINE=1."""
    from huggingface_hub import constants

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)


def tables(labels) -> dict:
    return {k: {r: t.soft[r].tolist() for r in t.soft} for k, t in labels.tables.items()}


def test_pull_reads_a_pinned_revision_offline_from_the_hub_cache(exported, tmp_path, offline):
    from huggingface_hub import scan_cache_dir

    _, out, _ = exported
    cache = tmp_path / "hub"
    seed_cache(cache, REPO, out, COMMIT)
    info = scan_cache_dir(cache)  # the library recognizes the seeded layout
    [repo] = [r for r in info.repos if r.repo_id == REPO]
    assert repo.repo_type == "dataset" and {r.commit_hash for r in repo.revisions} == {COMMIT}

    labels = pull(REPO, COMMIT, cache_dir=cache)
    assert labels.source == f"{REPO}@{COMMIT}"
    assert labels.folder == cache / f"datasets--{REPO.replace('/', '--')}" / "snapshots" / COMMIT
    assert tables(labels) == tables(load_folder(out))
    # a branch resolves through refs/main to the same commit, which the source names
    assert pull(REPO, "main", cache_dir=cache).source == f"{REPO}@{COMMIT}"
    assert pull_ref(f"{REPO}@{COMMIT}", cache_dir=cache).source == f"{REPO}@{COMMIT}"


def test_a_corrupted_blob_in_the_cache_is_an_error_and_nothing_is_used(exported, tmp_path, offline):
    _, out, manifest = exported
    cache = tmp_path / "hub"
    storage = seed_cache(cache, REPO, out, COMMIT)
    pointer = storage / "snapshots" / COMMIT / manifest.tables[0].path
    blob = pointer.resolve()
    data = bytearray(blob.read_bytes())
    data[100] ^= 0x01
    blob.write_bytes(bytes(data))
    with pytest.raises(W2SError, match=rf"{manifest.tables[0].path} has sha256 .* nothing was used"):
        pull(REPO, COMMIT, cache_dir=cache)


def test_an_uncached_revision_offline_is_a_clear_error(exported, tmp_path, offline):
    _, out, _ = exported
    cache = tmp_path / "hub"
    seed_cache(cache, REPO, out, COMMIT)
    with pytest.raises(W2SError, match="not in the local Hub cache"):
        pull(REPO, "f" * 40, cache_dir=cache)
    with pytest.raises(W2SError, match="not in the local Hub cache"):
        pull("w2s-org/other", COMMIT, cache_dir=cache)


def test_cli_pull_uses_the_default_hub_cache(exported, tmp_path, offline, monkeypatch):
    from huggingface_hub import constants

    _, out, manifest = exported
    cache = tmp_path / "hub"
    seed_cache(cache, REPO, out, COMMIT)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    result = CliRunner().invoke(main, ["labels", "pull", REPO, "--revision", COMMIT])
    assert result.exit_code == 0, result.output
    assert f"verified {len(manifest.tables)} tables of {REPO}@{COMMIT}" in result.output
    assert f"--weak-labels {REPO}@{COMMIT}" in result.output


@pytest.mark.parametrize("ref", ["no-revision", "owner/name@", "@abc", "not a repo@main"])
def test_weak_labels_reference_must_name_a_repo_and_revision(ref):
    with pytest.raises(W2SError, match="--weak-labels"):
        parse_ref(ref)


def _cache_files(storage) -> set[str]:
    return {
        str(p.relative_to(storage))
        for p in storage.rglob("*")
        if (p.is_file() or p.is_symlink()) and ".locks" not in p.parts and "trees" not in p.parts
    }


def test_push_then_pull_round_trip_through_a_local_stand_in(exported, tmp_path, online, monkeypatch):
    _, out, manifest = exported
    monkeypatch.setenv("HF_TOKEN", "hf_standin_token")
    with StandIn() as hub:
        pushed = push(out, REPO, endpoint=hub.endpoint)
        assert pushed.repo_id == REPO and len(pushed.commit) == 40
        stored = hub.repos[REPO].commits[pushed.commit]
        assert set(stored) == set(manifest.files) | {"manifest.json"}
        assert all(stored[rel] == (out / rel).read_bytes() for rel in stored)
        assert "Bearer hf_standin_token" in hub.tokens
        assert ("POST", f"/api/datasets/{REPO}/commit/main") in hub.requests
        assert any("config_name: toy" in card for card in hub.cards)  # the card went through YAML validation

        cache = tmp_path / "downloaded"
        online_labels = pull(REPO, pushed.commit, cache_dir=cache, endpoint=hub.endpoint)
        assert tables(online_labels) == tables(load_folder(out))
        # a branch is resolved by the server and recorded in refs/main by the library
        assert pull(REPO, "main", cache_dir=cache, endpoint=hub.endpoint).source == f"{REPO}@{pushed.commit}"

    # the server is gone: the same pull now runs offline from the cache the library wrote
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    offline_labels = pull(REPO, "main", cache_dir=cache)
    assert offline_labels.source == f"{REPO}@{pushed.commit}"
    assert tables(offline_labels) == tables(online_labels)
    # and the seeded cache the offline tests use has exactly the library's layout
    downloaded = cache / f"datasets--{REPO.replace('/', '--')}"
    seeded = seed_cache(tmp_path / "seeded", REPO, downloaded / "snapshots" / pushed.commit, pushed.commit)
    assert _cache_files(seeded) == _cache_files(downloaded)


def test_a_second_push_replaces_stale_tables(exported, tasks_env, tmp_path, online, monkeypatch):
    from tests.conftest import fake_ladder
    from w2sbench.labels.export import export_labels
    from w2sbench.tasks.task import get_task

    ws, out, _ = exported
    monkeypatch.setenv("HF_TOKEN", "hf_standin_token")
    with StandIn() as hub:
        push(out, REPO, endpoint=hub.endpoint)
        ladder = fake_ladder()
        export_labels(ws, [get_task("toy")], ladder, ladder.rungs[:1], [0], out)  # fewer tables, same folder
        second = push(out, REPO, endpoint=hub.endpoint)
        labels = pull(REPO, second.commit, cache_dir=tmp_path / "hub", endpoint=hub.endpoint)
    assert list(labels.tables) == [("toy", "weak", 0)]


def test_push_without_a_token_says_how_to_get_one(exported, tmp_path, monkeypatch):
    from huggingface_hub import constants

    _, out, _ = exported
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "no-token"))
    monkeypatch.setattr(constants, "HF_STORED_TOKENS_PATH", str(tmp_path / "no-tokens"), raising=False)
    with pytest.raises(W2SError, match="no Hugging Face token"):
        push(out, REPO, endpoint="http://127.0.0.1:9")


def test_push_refuses_a_corrupted_export_before_uploading(exported, monkeypatch):
    _, out, manifest = exported
    monkeypatch.setenv("HF_TOKEN", "hf_standin_token")
    (out / manifest.tables[0].path).write_bytes(b"garbage")
    with StandIn() as hub:
        with pytest.raises(W2SError, match="sha256"):
            push(out, REPO, endpoint=hub.endpoint)
    assert hub.requests == []


def test_run_weak_labels_from_an_export_folder_offline_names_the_set_in_every_record(exported, tmp_path, monkeypatch):
    """The whole flow without the Hub: labels export, then `run --weak-labels FOLDER`; each record
    names the set (the manifest's digest, not the folder's path) and a copy of the folder agrees."""
    import hashlib
    import json
    import shutil

    from tests.conftest import use_fake_models
    from w2sbench.labels.manifest import MANIFEST

    _, out, _ = exported
    use_fake_models(monkeypatch, tmp_path / "cache")
    digest = hashlib.sha256((out / MANIFEST).read_bytes()).hexdigest()
    copy = tmp_path / "elsewhere" / "labels"
    shutil.copytree(out, copy)
    sources = set()
    for i, folder in enumerate((out, copy)):
        done = CliRunner().invoke(
            main,
            [
                "run",
                "--tasks",
                "toy",
                "--pairs",
                "weak:strong",
                "--seeds",
                "0",
                "--weak-labels",
                str(folder),
                "--results",
                str(tmp_path / f"r{i}"),
                "--no-progress",
            ],
        )
        assert done.exit_code == 0, done.output
        [record] = [json.loads(p.read_text()) for p in (tmp_path / f"r{i}").glob("*.json")]
        assert record["provenance"]["weak_labels"]["manifest_sha256"] == digest
        sources.add(record["provenance"]["weak_labels"]["source"])
    assert sources == {f"folder:manifest-sha256:{digest[:16]}"}
    assert pull_ref(str(out)).source == f"folder:manifest-sha256:{digest[:16]}"


def test_a_folder_that_is_not_an_export_is_refused_by_name(tmp_path):
    with pytest.raises(W2SError, match="no w2sbench-labels.json|is this a w2sbench weak-label export"):
        pull_ref(str(tmp_path))


def test_cli_pull_reads_a_local_hub_mirror_given_by_hub_cache(exported, tmp_path, offline):
    _, out, manifest = exported
    mirror = tmp_path / "mirror"
    seed_cache(mirror, REPO, out, COMMIT)
    result = CliRunner().invoke(main, ["labels", "pull", f"{REPO}@{COMMIT}", "--hub-cache", str(mirror)])
    assert result.exit_code == 0, result.output
    assert f"verified {len(manifest.tables)} tables of {REPO}@{COMMIT}" in result.output
    elsewhere = CliRunner().invoke(main, ["labels", "pull", f"{REPO}@{COMMIT}", "--hub-cache", str(tmp_path / "empty")])
    assert elsewhere.exit_code != 0 and "not in the local Hub cache" in elsewhere.output


def test_cli_pull_verifies_an_export_folder_and_names_it_by_its_manifest(exported):
    import hashlib

    from w2sbench.labels.manifest import MANIFEST

    _, out, manifest = exported
    digest = hashlib.sha256((out / MANIFEST).read_bytes()).hexdigest()
    result = CliRunner().invoke(main, ["labels", "pull", str(out)])
    assert result.exit_code == 0, result.output
    assert f"verified {len(manifest.tables)} tables of folder:manifest-sha256:{digest[:16]}" in result.output
    assert f"--weak-labels {out}" in result.output
    (out / manifest.tables[0].path).write_bytes(b"garbage")
    broken = CliRunner().invoke(main, ["labels", "pull", str(out)])
    assert broken.exit_code != 0 and "sha256" in broken.output


def test_cli_pull_refuses_a_second_revision(exported):
    result = CliRunner().invoke(main, ["labels", "pull", f"{REPO}@{COMMIT}", "--revision", "main"])
    assert result.exit_code == 2 and "already names its revision" in result.output
