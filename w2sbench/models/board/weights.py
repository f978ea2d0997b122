"""Board rungs' weights, stored by content: ``<sha256>.safetensors``, shipped with the package
(``w2sbench/models/board/shipped/``, 2.5 MB for the four pinned rungs) or rebuilt into
``cache_dir()/board/weights/``.

safetensors rather than torch.save: its bytes depend only on the tensors (names sorted, no
timestamps), so a rebuild that computes the same numbers writes the same file and the same
sha256, which the ladder pins. A file that is missing or no longer matches its name is never
loaded: the error names it and the command that rebuilds it.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from w2sbench.core.errors import CacheError
from w2sbench.core.paths import cache_dir
from w2sbench.core.store import atomic_write_bytes
from w2sbench.models.board.network import BoardNet

REBUILD = "python -m w2sbench.models.board.pretrain --rung {rung}"


def weights_path(digest: str) -> Path:
    """Where a rebuild writes the weights (the cache)."""
    return Path(cache_dir()) / "board" / "weights" / f"{digest}.safetensors"


def find_weights(digest: str) -> Path:
    """The shipped copy of the pinned weights if the package has one, else the cache's."""
    shipped = Path(str(resources.files("w2sbench.models.board") / "shipped" / f"{digest}.safetensors"))
    return shipped if shipped.exists() else weights_path(digest)


def save_weights(net: BoardNet) -> tuple[Path, str]:
    """Write the network's weights under their sha256; returns (path, sha256)."""
    data = save_tensors({k: v.detach().contiguous() for k, v in net.state_dict().items()})
    digest = hashlib.sha256(data).hexdigest()
    path = weights_path(digest)
    atomic_write_bytes(path, data)
    return path, digest


def load_weights(rung_name: str, digest: str, hidden: tuple[int, ...]) -> BoardNet:
    """The pinned network of a board rung, checked against its sha256 before it is read."""
    path = find_weights(digest)
    rebuild = REBUILD.format(rung=rung_name)
    if not path.exists():
        raise CacheError(f"board rung {rung_name}: weight file {path} is missing; rebuild it with: {rebuild}")
    data = path.read_bytes()
    actual = hashlib.sha256(data).hexdigest()
    if actual != digest:
        raise CacheError(
            f"board rung {rung_name}: weight file {path} is corrupted (sha256 {actual}, "
            f"pinned {digest}); delete it and rebuild with: {rebuild}"
        )
    net = BoardNet(hidden)
    try:
        net.load_state_dict(load_tensors(data))
    except (SafetensorError, RuntimeError) as e:  # the pin matches but the shapes are not this config's
        raise CacheError(
            f"board rung {rung_name}: weight file {path} does not fit widths {hidden}: {e}; rebuild with: {rebuild}"
        ) from None
    return net.eval()


def parameter_count(net: torch.nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())
