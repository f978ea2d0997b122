"""A rung's frozen encoder: texts in, pooled features out (the probe regime's only model call)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from functools import cached_property

import numpy as np
import torch

from w2sbench.core.errors import W2SError
from w2sbench.models import numerics
from w2sbench.models.batches import canonical_batches
from w2sbench.models.ladder import Rung


def pool(hidden: torch.Tensor, attention_mask: torch.Tensor, how: str) -> torch.Tensor:
    """Pool token states by the attention mask, never by pad ids.

    openai/weak-to-strong inferred sequence ends from pad tokens, which breaks when the pad
    id is a real token (openai/weak-to-strong). Here "mean" averages the masked tokens and
    "last_token" takes the last position whose mask is 1, whichever side the padding is on.
    """
    mask = attention_mask.to(hidden.dtype).unsqueeze(-1)
    if how == "mean":
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
    if how == "last_token":
        positions = torch.arange(attention_mask.shape[1], device=attention_mask.device)
        last = (attention_mask * positions).argmax(dim=1)
        return hidden[torch.arange(hidden.shape[0], device=hidden.device), last]
    raise ValueError(f"unknown pooling {how!r}")


def model_dir(rung: Rung) -> str:
    """Where the rung's weights load from: a prepared packaged copy, or the Hub id."""
    if rung.packaged:
        from w2sbench.models.packaged import materialize

        return str(materialize(rung.packaged))
    return rung.model


class Encoder:
    """Loads a rung lazily (only when a feature is missing) and embeds texts in canonical batches."""

    def __init__(self, rung: Rung, batch_size: int = 64, device: str | None = None):
        self.rung = rung
        self.batch_size = batch_size
        self.device = device or numerics.default_device()
        self.numerics = numerics.current(self.device)
        self.kernels = numerics.kernels(self.device)

    def _source(self) -> tuple[str, dict]:
        return model_dir(self.rung), ({} if self.rung.packaged else {"revision": self.rung.revision})

    @cached_property
    def _loaded(self):
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()  # the load report and weight bars would bury the run's output
        hf_logging.disable_progress_bar()
        source, kwargs = self._source()
        try:
            tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
            model = AutoModel.from_pretrained(source, **kwargs)
        except OSError as e:
            raise W2SError(f"rung {self.rung.name}: cannot load {source}: {e}") from None
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        return tokenizer, model.to(self.device).eval()

    @cached_property
    def parameter_count(self) -> int:
        """Counted on the architecture built from the rung's config on the meta device: the loaded
        model's count (embeddings included) without reading its weights. The count is kept beside
        the caches (parameters/<rung key>.json): building the architecture costs a cached run a second."""
        from w2sbench.core.paths import cache_dir
        from w2sbench.core.store import atomic_write_bytes

        memo = cache_dir() / "parameters" / f"{self.rung.key()}.json"
        try:
            return int(json.loads(memo.read_text())["parameters"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
        count = self._count_parameters()
        atomic_write_bytes(memo, json.dumps({"rung": self.rung.name, "parameters": count}).encode())
        return count

    def _count_parameters(self) -> int:
        from transformers import AutoConfig, AutoModel

        source, kwargs = self._source()
        try:
            config = AutoConfig.from_pretrained(source, **kwargs)
        except OSError as e:
            raise W2SError(f"rung {self.rung.name}: cannot load the config of {source}: {e}") from None
        with torch.device("meta"):
            skeleton = AutoModel.from_config(config)
        return sum(p.numel() for p in skeleton.parameters())

    @torch.inference_mode()
    def embed(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Pooled float32 features, one row per text, in the order given.

        Each text is padded to its canonical length (models.batches), so its features do not
        depend on which texts share its batch; pooling runs in fp32 whatever the setting.
        """
        if os.environ.get("W2SBENCH_THREADS"):
            torch.set_num_threads(int(os.environ["W2SBENCH_THREADS"]))
        tokenizer, model = self._loaded
        encoded = tokenizer(list(texts), truncation=True, max_length=self.rung.max_length)
        lengths = [len(ids) for ids in encoded["input_ids"]]
        out = np.zeros((len(texts), model.config.hidden_size), dtype=np.float32)
        for length, idx in canonical_batches(lengths, self.batch_size, self.rung.max_length):
            batch = tokenizer.pad(
                {name: [values[i] for i in idx] for name, values in encoded.items()},
                padding="max_length",
                max_length=length,
                return_tensors="pt",
            ).to(self.device)
            with self.numerics.autocast(self.device):
                hidden = model(**batch).last_hidden_state
            out[idx] = pool(hidden.float(), batch["attention_mask"], self.rung.pooling).cpu().numpy()
            if progress:
                progress(len(idx))
        return out


def encoder_for(rung: Rung):
    """The rung's encoder: a transformers model, for ``kind: engine`` a chess engine, for
    ``kind: board`` a board network."""
    if rung.kind == "engine":
        from w2sbench.models.chess_engine import EngineEncoder

        return EngineEncoder(rung)
    if rung.kind == "board":
        from w2sbench.models.board.encoder import BoardEncoder

        return BoardEncoder(rung)
    return Encoder(rung)
