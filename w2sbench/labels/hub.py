"""The Hub: pull a pinned revision through huggingface_hub (works offline from the local Hub
cache), push an export as a dataset repository."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from w2sbench.core.errors import HubError, W2SError
from w2sbench.core.schema import SHA40
from w2sbench.labels.manifest import MANIFEST, sha256_bytes
from w2sbench.labels.weak_label_set import WeakLabelSet, load_folder

# ------------------------------------------------------------------------------- the Hub


def parse_ref(ref: str) -> tuple[str, str]:
    """'owner/name@revision' -> (repo id, revision); the revision is required (pin it)."""
    repo_id, sep, revision = ref.rpartition("@")
    if not sep or not repo_id or not revision:
        raise W2SError(
            f"--weak-labels {ref!r}: expected REPO_ID@REVISION, e.g. org/w2s-weak-labels@<40-hex commit>, "
            "or the folder of an export (`w2sbench labels export`)"
        )
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", repo_id):
        raise W2SError(f"--weak-labels {ref!r}: {repo_id!r} is not a namespaced Hub id (owner/name)")
    return repo_id, revision


def pull(
    repo_id: str,
    revision: str,
    *,
    cache_dir: str | Path | None = None,
    token: str | bool | None = None,
    endpoint: str | None = None,
    force_download: bool = False,
) -> WeakLabelSet:
    """Download (or find in the local Hub cache) a revision of a weak-label dataset and verify it.

    Goes through huggingface_hub's snapshot_download, so HF_HUB_OFFLINE=1 and a missing
    network both fall back to the local cache (HF_HUB_CACHE). Pin ``revision`` to a commit:
    the returned set's source names the commit actually used.
    """
    from huggingface_hub import errors as hf_errors
    from huggingface_hub import snapshot_download

    try:
        folder = snapshot_download(
            repo_id,
            repo_type="dataset",
            revision=revision,
            cache_dir=cache_dir,
            token=token,
            endpoint=endpoint,
            force_download=force_download,
        )
    except hf_errors.RevisionNotFoundError:
        raise HubError(f"weak labels {repo_id}: revision {revision!r} does not exist on the Hub") from None
    except hf_errors.RepositoryNotFoundError:
        raise HubError(f"weak labels {repo_id}: no such dataset repository (or it is private: set HF_TOKEN)") from None
    except hf_errors.LocalEntryNotFoundError as e:
        raise HubError(
            f"weak labels {repo_id}@{revision}: not in the local Hub cache and the Hub cannot be reached "
            f"({str(e).splitlines()[0]})"
        ) from None
    except (hf_errors.HfHubHTTPError, OSError, ValueError) as e:
        raise HubError(f"weak labels {repo_id}@{revision}: download failed: {type(e).__name__}: {e}") from None
    folder = Path(folder)
    commit = folder.name if SHA40.match(folder.name) else revision
    return load_folder(folder, source=f"{repo_id}@{commit}")


def pull_ref(ref: str, **kwargs) -> WeakLabelSet:
    """`--weak-labels REPO_ID@REV` (pull and verify) or `--weak-labels FOLDER` (an export, by the
    same manifest check): the library side of the run flag. A folder's source is named by its
    manifest's digest, not its path, so records made from copies of one export agree."""
    folder = Path(ref)
    if folder.is_dir():
        digest = sha256_bytes((folder / MANIFEST).read_bytes()) if (folder / MANIFEST).is_file() else "missing"
        return load_folder(folder, source=f"folder:manifest-sha256:{digest[:16]}")
    repo_id, revision = parse_ref(ref)
    return pull(repo_id, revision, **kwargs)


@dataclass(frozen=True)
class Pushed:
    repo_id: str
    commit: str
    url: str


def push(
    folder: Path,
    repo_id: str,
    *,
    token: str | None = None,
    private: bool | None = None,
    endpoint: str | None = None,
    message: str | None = None,
) -> Pushed:
    """Verify an export, then upload it as a Hub dataset repository in one commit.

    The token comes from ``token``, else the usual places (HF_TOKEN, `hf auth login`). Data
    files on the Hub that are not in this export are deleted in the same commit, so the
    revision holds exactly what the manifest lists.
    """
    from huggingface_hub import HfApi, get_token
    from huggingface_hub import errors as hf_errors

    labels = load_folder(folder)
    if token is None and get_token() is None:
        raise HubError("labels push: no Hugging Face token; set HF_TOKEN or run `hf auth login`")
    api = HfApi(endpoint=endpoint, token=token)
    files = [*labels.manifest.files, MANIFEST]
    try:
        api.create_repo(repo_id, repo_type="dataset", exist_ok=True, private=private)
        info = api.upload_folder(
            repo_id=repo_id,
            repo_type="dataset",
            folder_path=str(folder),
            allow_patterns=files,
            delete_patterns=["data/**"],
            commit_message=message or f"w2sbench weak labels: {len(labels.tables)} tables",
        )
    except (hf_errors.HfHubHTTPError, OSError, ValueError) as e:
        raise HubError(f"labels push {repo_id}: upload failed: {type(e).__name__}: {e}") from None
    return Pushed(repo_id=repo_id, commit=info.oid, url=info.commit_url)
