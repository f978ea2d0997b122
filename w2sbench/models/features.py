"""The content-addressed feature cache of the probe regime.

Features are computed once per (rung key, text) and reused by every method, seed and task
that needs the same text; the encoder's canonical batches (models.batches) make them a function
of the text alone, so caches filled in any order agree bit for bit. Each batch of new features
is one verified shard file under features/<rung key>/ (and, for a transformer, a subfolder
named by the kernels that computed it: caches never mix kernels), so a killed extraction loses
at most the shard in progress.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from w2sbench.core.store import load_arrays, save_arrays
from w2sbench.models.encoder import Encoder, encoder_for
from w2sbench.models.ladder import Rung

SHARD_SIZE = 1024


@functools.lru_cache(maxsize=1 << 17)
def text_key(text: str) -> str:
    """A text's cache key (memoised: every experiment looks its inputs up again)."""
    return hashlib.sha256(text.encode()).hexdigest()


class FeatureStore:
    """Features of one rung, read from and added to its cache folder."""

    def __init__(self, root: Path, rung: Rung, encoder: Encoder | None = None):
        self.rung = rung
        self.encoder = encoder or encoder_for(rung)
        self.folder = Path(root) / "features" / rung.key()
        kernels = getattr(self.encoder, "kernels", None)
        if kernels:
            self.folder = self.folder / hashlib.sha256(kernels.encode()).hexdigest()[:16]
        self._index: dict[str, np.ndarray] | None = None

    def _load_index(self) -> dict[str, np.ndarray]:
        if self._index is None:
            self._index = {}
            for shard in sorted(self.folder.glob("*.npz")):
                arrays = load_arrays(shard)
                if arrays is not None:
                    self._index.update(zip(arrays["keys"].tolist(), arrays["vectors"], strict=False))
        return self._index

    def missing(self, texts: Sequence[str]) -> list[str]:
        index = self._load_index()
        return sorted({t for t in texts if text_key(t) not in index})

    def compute(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> None:
        """Embed the texts not yet cached, writing a shard every SHARD_SIZE texts."""
        todo = self.missing(texts)
        index = self._load_index()
        for start in range(0, len(todo), SHARD_SIZE):
            chunk = todo[start : start + SHARD_SIZE]
            vectors = self.encoder.embed(chunk, progress)
            keys = np.array([text_key(t) for t in chunk])
            name = hashlib.sha256("".join(keys).encode()).hexdigest()[:32]
            save_arrays(self.folder / f"{name}.npz", {"keys": keys, "vectors": vectors})
            index.update(zip(keys.tolist(), vectors, strict=False))

    def get(self, texts: Sequence[str]) -> np.ndarray:
        """Features for the texts, computing (and caching) any that are missing."""
        index = self._load_index()
        keys = [text_key(t) for t in texts]
        if not all(k in index for k in keys):
            self.compute(texts)
        return np.stack([index[k] for k in keys])
