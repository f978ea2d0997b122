"""Hub test doubles that keep huggingface_hub's own code on the path.

- ``seed_cache`` writes a dataset revision into a Hub cache folder in the library's real
  layout (datasets--<org>--<name>/blobs, snapshots/<commit>/..., refs/<branch>,
  trees/<commit>.json), using the library's own helpers (repo_folder_name, _create_symlink,
  _cache_commit_hash_for_specific_revision, write_tree_cache, git_hash), so that
  snapshot_download's offline branch reads it exactly as it reads a real download.
- ``StandIn`` is a local HTTP server on 127.0.0.1 that implements the few Hub endpoints that
  HfApi.create_repo, HfApi.upload_folder and snapshot_download call (repo create, card
  YAML validation, tree listing, preupload, commit, revision info, resolve). Nothing else can receive an upload
  without the Hub. It answers "regular" to preupload, so files travel base64 inside the commit
  payload instead of through the Xet/LFS storage backend, which cannot be stood in for here.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlparse

LFS_SUFFIXES = (".parquet",)  # the Hub's default .gitattributes stores these with LFS


def seed_cache(cache_dir: Path, repo_id: str, folder: Path, commit: str, refs: tuple[str, ...] = ("main",)) -> Path:
    """Put every file of ``folder`` into ``cache_dir`` as revision ``commit`` of dataset ``repo_id``."""
    from huggingface_hub._tree_cache import TreeCacheEntry, write_tree_cache
    from huggingface_hub.file_download import (
        _cache_commit_hash_for_specific_revision,
        _create_symlink,
        repo_folder_name,
    )
    from huggingface_hub.utils.sha import git_hash

    storage = Path(cache_dir) / repo_folder_name(repo_id=repo_id, repo_type="dataset")
    entries = {}
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        data = path.read_bytes()
        sha256 = hashlib.sha256(data).hexdigest()
        lfs = rel.endswith(LFS_SUFFIXES)
        etag = sha256 if lfs else git_hash(data)  # the cache names a blob by its etag
        blob = storage / "blobs" / etag
        blob.parent.mkdir(parents=True, exist_ok=True)
        blob.write_bytes(data)
        pointer = storage / "snapshots" / commit / rel
        pointer.parent.mkdir(parents=True, exist_ok=True)
        _create_symlink(str(blob), str(pointer), new_blob=True)
        entries[rel] = TreeCacheEntry(
            size=len(data),
            blob_id=git_hash(data),
            lfs_sha256=sha256 if lfs else None,
            lfs_size=len(data) if lfs else None,
        )
    write_tree_cache(str(storage), commit, entries)
    for ref in refs:
        _cache_commit_hash_for_specific_revision(str(storage), ref, commit)
    return storage


class _Repo:
    def __init__(self):
        self.commits: dict[str, dict[str, bytes]] = {}
        self.refs: dict[str, str] = {}
        self._commit({}, "initial commit")

    def _commit(self, files: dict[str, bytes], message: str, branch: str = "main") -> str:
        parent = self.refs.get(branch, "")
        body = json.dumps([parent, message, sorted((p, hashlib.sha1(d).hexdigest()) for p, d in files.items())])
        oid = hashlib.sha1(body.encode()).hexdigest()
        self.commits[oid] = dict(files)
        self.refs[branch] = oid
        return oid

    def resolve(self, rev: str) -> str | None:
        return rev if rev in self.commits else self.refs.get(rev)


class StandIn:
    """A tiny Hub on 127.0.0.1 for dataset repositories; ``requests`` logs what was called."""

    def __init__(self):
        self.repos: dict[str, _Repo] = {}
        self.requests: list[tuple[str, str]] = []
        self.tokens: list[str | None] = []
        self.cards: list[str] = []  # README.md contents sent to /api/validate-yaml
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _send(self, status: int, body: bytes = b"", headers: dict | None = None, head: bool = False):
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header(
                    "Content-Length",
                    str(len(body)) if "Content-Length" not in (headers or {}) else headers["Content-Length"],
                )
                self.end_headers()
                if not head:
                    self.wfile.write(body)

            def _json(self, status: int, obj):
                self._send(status, json.dumps(obj).encode(), {"Content-Type": "application/json"})

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def do_HEAD(self):
                self._dispatch("HEAD")

            def do_GET(self):
                self._dispatch("GET")

            def do_POST(self):
                self._dispatch("POST")

            def _dispatch(self, method: str):
                url = urlparse(self.path)
                parts = [unquote(p) for p in url.path.strip("/").split("/")]
                standin.requests.append((method, url.path))
                standin.tokens.append(self.headers.get("Authorization"))
                try:
                    handled = standin._route(self, method, parts, url.query)
                except Exception as e:  # a bug in the stand-in must be visible, not a hang
                    self._json(500, {"error": f"stand-in: {type(e).__name__}: {e}"})
                    return
                if not handled:
                    self._json(404, {"error": f"stand-in: no endpoint {method} {url.path}"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    # ------------------------------------------------------------------ endpoints

    def _repo(self, h, org: str, name: str) -> _Repo | None:
        repo = self.repos.get(f"{org}/{name}")
        if repo is None:
            h.send_response(404)
            body = json.dumps({"error": "Repository not found"}).encode()
            h.send_header("X-Error-Code", "RepoNotFound")
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
        return repo

    def _entry(self, path: str, data: bytes) -> dict:
        from huggingface_hub.utils.sha import git_hash

        entry = {"type": "file", "path": path, "size": len(data), "oid": git_hash(data)}
        if path.endswith(LFS_SUFFIXES):
            entry["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data), "pointerSize": 134}
        return entry

    def _route(self, h, method: str, parts: list[str], query: str) -> bool:
        from huggingface_hub.utils.sha import git_hash

        if method == "POST" and parts == ["api", "repos", "create"]:
            body = json.loads(h._body())
            repo_id = f"{body['organization']}/{body['name']}"
            if body.get("type") != "dataset":
                h._json(400, {"error": "stand-in serves dataset repositories only"})
            elif repo_id in self.repos:
                h._json(
                    409,
                    {"error": "You already created this dataset repo", "url": f"{self.endpoint}/datasets/{repo_id}"},
                )
            else:
                self.repos[repo_id] = _Repo()
                h._json(200, {"url": f"{self.endpoint}/datasets/{repo_id}", "name": repo_id})
            return True
        if method == "POST" and parts == ["api", "validate-yaml"]:
            import yaml

            content = json.loads(h._body())["content"]
            try:
                front = yaml.safe_load(content.split("---")[1]) if content.startswith("---") else {}
                ok = isinstance(front, dict)
            except (yaml.YAMLError, IndexError):
                ok = False
            self.cards.append(content)
            h._json(200 if ok else 400, {"warnings": []} if ok else {"errors": [{"message": "invalid YAML"}]})
            return True
        if len(parts) >= 6 and parts[:2] == ["api", "datasets"]:
            org, name, action, rev = parts[2], parts[3], parts[4], parts[5]
            repo = self._repo(h, org, name)
            if repo is None:
                return True
            commit = repo.resolve(rev)
            if commit is None:
                h.send_response(404)
                body = b'{"error": "Invalid rev id"}'
                h.send_header("X-Error-Code", "RevisionNotFound")
                h.send_header("Content-Length", str(len(body)))
                h.end_headers()
                h.wfile.write(body)
                return True
            files = repo.commits[commit]
            if method == "GET" and action == "revision":
                h._json(
                    200,
                    {
                        "id": f"{org}/{name}",
                        "sha": commit,
                        "private": False,
                        "siblings": [{"rfilename": p} for p in sorted(files)],
                    },
                )
                return True
            if method == "GET" and action == "tree":
                prefix = "/".join(parts[6:])
                h._json(200, [self._entry(p, d) for p, d in sorted(files.items()) if p.startswith(prefix)])
                return True
            if method == "POST" and action == "preupload":
                body = json.loads(h._body())
                h._json(
                    200,
                    {
                        "files": [
                            {
                                "path": f["path"],
                                "uploadMode": "regular",
                                "shouldIgnore": False,
                                "oid": git_hash(files[f["path"]]) if f["path"] in files else None,
                            }
                            for f in body["files"]
                        ]
                    },
                )
                return True
            if method == "POST" and action == "commit":
                new = dict(files)
                message = ""
                for line in h._body().splitlines():
                    item = json.loads(line)
                    key, value = item["key"], item["value"]
                    if key == "header":
                        message = value["summary"]
                    elif key == "file":
                        new[value["path"]] = base64.b64decode(value["content"])
                    elif key == "deletedFile":
                        new.pop(value["path"], None)
                    elif key == "deletedFolder":
                        new = {p: d for p, d in new.items() if not p.startswith(value["path"].rstrip("/") + "/")}
                    else:
                        h._json(400, {"error": f"stand-in: unsupported commit operation {key}"})
                        return True
                oid = repo._commit(new, message, branch=rev)
                h._json(
                    200,
                    {
                        "commitUrl": f"{self.endpoint}/datasets/{org}/{name}/commit/{oid}",
                        "commitOid": oid,
                        "success": True,
                    },
                )
                return True
            return False
        if len(parts) >= 6 and parts[0] == "datasets" and parts[3] == "resolve" and method in ("HEAD", "GET"):
            org, name, rev, path = parts[1], parts[2], parts[4], "/".join(parts[5:])
            repo = self._repo(h, org, name)
            if repo is None:
                return True
            commit = repo.resolve(rev)
            data = repo.commits.get(commit, {}).get(path) if commit else None
            if data is None:
                h.send_response(404)
                h.send_header("X-Error-Code", "EntryNotFound")
                h.send_header("Content-Length", "0")
                h.end_headers()
                return True
            etag = hashlib.sha256(data).hexdigest() if path.endswith(LFS_SUFFIXES) else git_hash(data)
            h._send(
                200,
                data,
                {
                    "X-Repo-Commit": commit,
                    "ETag": f'"{etag}"',
                    "Content-Length": str(len(data)),
                    "Content-Type": "application/octet-stream",
                },
                head=(method == "HEAD"),
            )
            return True
        return False
