"""The fine-tuning regime's student: a transformer fine-tuned (full or LoRA) with a linear head.

It has the probe Student's interface (``name``, ``features``, ``fit``), so every method runs
in either regime unchanged: a method only calls ``student.fit(inputs, targets, loss, select=)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from w2sbench.core.errors import W2SError
from w2sbench.core.example import Inputs
from w2sbench.core.losses import soft_cross_entropy
from w2sbench.models.encoder import model_dir, pool
from w2sbench.models.finetune.config import FinetuneConfig
from w2sbench.models.ladder import Rung

Loss = Callable[[torch.Tensor, torch.Tensor, float], torch.Tensor]
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}


def _quiet_transformers() -> None:
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


class Classifier(nn.Module):
    """backbone -> pooled final hidden state (attention-mask aware) -> Linear(hidden, 2, bias=False).

    The head is float32 and zero-initialised (openai/weak-to-strong), so training starts at
    P(class 1) = 0.5 everywhere.
    """

    def __init__(self, backbone: nn.Module, hidden_size: int, pooling: str):
        super().__init__()
        self.backbone = backbone
        self.pooling = pooling
        self.head = nn.Linear(hidden_size, 2, bias=False)
        nn.init.zeros_(self.head.weight)

    def forward(self, **batch) -> torch.Tensor:
        hidden = self.backbone(**batch).last_hidden_state
        return self.head(pool(hidden, batch["attention_mask"], self.pooling).float())


class FinetunedModel:
    """A fine-tuned classifier: the predictor (Inputs -> P(class 1)) that fit returns."""

    def __init__(self, student: FinetuneStudent, model: Classifier, config: FinetuneConfig):
        self.student, self.model, self.config = student, model, config

    @torch.no_grad()
    def _evaluate(self, inputs: Inputs, width: int, run: Callable[[dict], torch.Tensor]) -> np.ndarray:
        """``run`` over length-sorted batches in eval mode, rows back in input order."""
        was_training = self.model.training
        self.model.eval()
        encoded = self.student.tokenize(inputs, self.config)
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]["input_ids"]))
        out = np.zeros((len(encoded), width), dtype=np.float32)
        for start in range(0, len(order), self.config.eval_batch_size):
            idx = order[start : start + self.config.eval_batch_size]
            out[idx] = run(self.student.collate([encoded[i] for i in idx])).float().cpu().numpy()
        self.model.train(was_training)
        return out

    def logits_of(self, inputs: Inputs) -> np.ndarray:
        return self._evaluate(inputs, 2, lambda batch: self.model(**batch))

    def features(self, inputs: Inputs) -> np.ndarray:
        """Pooled final hidden states of the fine-tuned backbone (for probes on what it learned)."""

        def pooled(batch):
            return pool(self.model.backbone(**batch).last_hidden_state, batch["attention_mask"], self.model.pooling)

        return self._evaluate(inputs, self.model.head.in_features, pooled)

    def __call__(self, inputs: Inputs) -> np.ndarray:
        logits = torch.from_numpy(self.logits_of(inputs))
        return torch.softmax(logits, -1)[:, 1].numpy().astype(np.float64)


class FinetuneStudent:
    """A rung fine-tuned end to end. Every fit starts again from the pretrained weights (or from
    ``init_state``, the causal LM's weights left by generative fine-tuning; the classifier's
    backbone takes their base-model part).

    source overrides where the weights load from (default: the rung's packaged copy or Hub id
    at its pinned revision). features() gives the frozen starting backbone's pooled states,
    for methods that look at representations (knn-relabel, unsupervised). Pair inputs are
    encoded jointly: the tokenizer's own pair encoding for encoders, "a\\nb" for causal LMs.
    """

    def __init__(
        self,
        rung: Rung,
        seed: int,
        config: FinetuneConfig = FinetuneConfig(),
        *,
        device: str | None = None,
        source: str | None = None,
        init_state: dict[str, torch.Tensor] | None = None,
    ):
        self.rung = rung
        self.name = rung.name
        self.seed = seed
        self.config = config
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.source = source
        self.init_state = init_state
        self._tokenizer = None
        self._features: dict[tuple[str, str | None], np.ndarray] = {}
        self._parameters: int | None = None

    # -- loading ---------------------------------------------------------------------------
    def _source_kwargs(self) -> tuple[str, dict]:
        if self.source is not None:
            return self.source, {}
        source = model_dir(self.rung)
        return source, ({} if self.rung.packaged else {"revision": self.rung.revision})

    @property
    def tokenizer(self):
        if self._tokenizer is None:
            from transformers import AutoTokenizer

            _quiet_transformers()
            source, kwargs = self._source_kwargs()
            try:
                tok = AutoTokenizer.from_pretrained(source, **kwargs)
            except OSError as e:
                raise W2SError(f"rung {self.name}: cannot load the tokenizer of {source}: {e}") from None
            if tok.pad_token is None:
                tok.pad_token = tok.eos_token
            self._tokenizer = tok
        return self._tokenizer

    def load_backbone(self, config: FinetuneConfig | None = None) -> nn.Module:
        """A fresh copy of the starting backbone (no LM head), on the student's device."""
        from transformers import AutoModel

        config = config or self.config
        _quiet_transformers()
        source, kwargs = self._source_kwargs()
        try:
            model = AutoModel.from_pretrained(source, dtype=DTYPES[config.dtype], **kwargs)
        except OSError as e:
            raise W2SError(f"rung {self.name}: cannot load {source}: {e}") from None
        if self.init_state is not None:
            prefix = model.base_model_prefix + "."
            model.load_state_dict({k[len(prefix) :]: v for k, v in self.init_state.items() if k.startswith(prefix)})
        self._parameters = sum(p.numel() for p in model.parameters())
        return model.to(self.device)

    def load_causal_lm(self, config: FinetuneConfig | None = None) -> nn.Module:
        """The rung as a language model (for generative fine-tuning and few-shot prompting)."""
        from transformers import AutoModelForCausalLM

        if self.rung.kind != "causal_lm":
            raise W2SError(f"rung {self.name} is an {self.rung.kind}, not a causal language model")
        config = config or self.config
        _quiet_transformers()
        source, kwargs = self._source_kwargs()
        try:
            lm = AutoModelForCausalLM.from_pretrained(source, dtype=DTYPES[config.dtype], **kwargs)
        except OSError as e:
            raise W2SError(f"rung {self.name}: cannot load {source}: {e}") from None
        if self.init_state is not None:
            lm.load_state_dict(self.init_state)
        return lm.to(self.device)

    def parameter_count(self) -> int:
        """Parameters of the backbone, measured from the loaded weights (embeddings included)."""
        if self._parameters is None:
            self.load_backbone()  # sets the count; the copy is dropped
        return self._parameters

    def derived(self, init_state: dict[str, torch.Tensor]) -> FinetuneStudent:
        """The same rung starting from other weights: a causal LM state dict (generative fine-tuning)."""
        return FinetuneStudent(
            self.rung, self.seed, self.config, device=self.device, source=self.source, init_state=init_state
        )

    # -- text ------------------------------------------------------------------------------
    def texts(self, inputs: Inputs) -> list[str]:
        """The inputs as single strings (causal LMs, generative fine-tuning, prompts)."""
        if inputs.text_pairs is None:
            return list(inputs.texts)
        return [f"{a}\n{b}" for a, b in zip(inputs.texts, inputs.text_pairs, strict=False)]

    def tokenize(self, inputs: Inputs, config: FinetuneConfig | None = None) -> list[dict]:
        config = config or self.config
        max_length = config.max_length or self.rung.max_length
        tok = self.tokenizer
        if inputs.text_pairs is not None and self.rung.kind == "encoder":
            enc = tok(list(inputs.texts), list(inputs.text_pairs), truncation=True, max_length=max_length)
        else:
            enc = tok(self.texts(inputs), truncation=True, max_length=max_length)
        wanted = (
            ("input_ids", "attention_mask", "token_type_ids")
            if self.rung.kind == "encoder"
            else ("input_ids", "attention_mask")
        )  # a BERT-style tokenizer on a causal LM would add segment ids
        keys = [k for k in enc.keys() if k in wanted]
        return [{k: enc[k][i] for k in keys} for i in range(len(inputs))]

    def collate(self, rows: list[dict]) -> dict[str, torch.Tensor]:
        batch = self.tokenizer.pad(rows, padding=True, return_tensors="pt")
        return {k: v.to(self.device) for k, v in batch.items()}

    # -- features --------------------------------------------------------------------------
    @torch.no_grad()
    def features(self, inputs: Inputs) -> np.ndarray:
        """Pooled final hidden states of the starting backbone (frozen), cached per text."""
        keys = list(zip(inputs.texts, inputs.text_pairs or [None] * len(inputs), strict=False))
        missing = [i for i, k in enumerate(keys) if k not in self._features]
        if missing:
            backbone = self.load_backbone().eval()
            sub = inputs.subset(missing)
            encoded = self.tokenize(sub)
            for start in range(0, len(encoded), self.config.eval_batch_size):
                batch = self.collate(encoded[start : start + self.config.eval_batch_size])
                hidden = backbone(**batch).last_hidden_state
                pooled = pool(hidden, batch["attention_mask"], self.rung.pooling).float().cpu().numpy()
                for j, row in enumerate(pooled):
                    self._features[keys[missing[start + j]]] = row
            del backbone
        return np.stack([self._features[k] for k in keys])

    # -- training --------------------------------------------------------------------------
    def build(self, config: FinetuneConfig) -> Classifier:
        torch.manual_seed(self.seed)
        backbone = prepare_for_training(self.load_backbone(config), config)
        hidden = backbone.config.hidden_size
        return Classifier(backbone, hidden, self.rung.pooling).to(self.device)

    def fit(
        self,
        inputs: Inputs,
        targets: np.ndarray,
        loss: Loss = soft_cross_entropy,
        *,
        config: FinetuneConfig | None = None,
        select: Callable[[FinetunedModel], float] | None = None,
    ) -> FinetunedModel:
        """Fine-tune a fresh copy on (inputs, targets), targets being P(class 1) per input.

        With ``select``, the model is scored every ``select_every`` steps (or at each epoch's
        end) and the best-scoring weights are kept (early stopping).
        """
        config = config or self.config
        targets = np.asarray(targets, dtype=np.float32)
        if targets.shape != (len(inputs),):
            raise ValueError(f"targets have shape {targets.shape}, expected ({len(inputs)},)")
        if not np.all(np.isfinite(targets)) or targets.min() < 0 or targets.max() > 1:
            raise ValueError("targets must be probabilities in [0, 1]")
        model = self.build(config)
        model.train()  # dropout is already off unless train_dropout (openai trains in eval mode)
        n = len(inputs)
        opt, sched, steps_per_epoch, total = optimizer_for(model, self.parameter_count(), n, config)
        encoded = self.tokenize(inputs, config)
        y = torch.from_numpy(targets)
        gen = torch.Generator().manual_seed(self.seed)
        predictor = FinetunedModel(self, model, config)
        best_score, best_state = -math.inf, None

        def consider():
            nonlocal best_score, best_state
            score = select(predictor)
            if score > best_score:
                best_score = score
                best_state = {k: v.detach().to("cpu", copy=True) for k, v in _trainable_state(model).items()}

        step = 0
        for _ in range(config.epochs):
            order = torch.randperm(n, generator=gen).tolist()
            for b in range(steps_per_epoch):
                idx = order[b * config.batch_size : (b + 1) * config.batch_size]
                self.train_step(model, [encoded[i] for i in idx], y[idx].to(self.device), loss, step / total, config)
                opt.step()
                sched.step()
                opt.zero_grad(set_to_none=True)
                step += 1
                if select is not None and config.select_every and step % config.select_every == 0:
                    consider()
            if select is not None and not config.select_every:
                consider()
        if select is not None and config.select_every and step % config.select_every != 0:
            consider()
        del opt
        if best_state is not None:
            model.load_state_dict(best_state, strict=False)
        model.eval()
        return predictor

    def train_step(
        self, model: Classifier, rows: list[dict], y: torch.Tensor, loss: Loss, progress: float, config: FinetuneConfig
    ) -> float:
        """Accumulate the gradient of loss(logits of the whole batch) over minibatches."""
        chunks = [rows[i : i + config.minibatch_size] for i in range(0, len(rows), config.minibatch_size)]
        if len(chunks) == 1:
            value = loss(model(**self.collate(rows)), y, progress)
            value.backward()
            return float(value.detach())
        states, logits = [], []
        with torch.no_grad():
            for chunk in chunks:
                states.append(_rng_state())
                logits.append(model(**self.collate(chunk)).float())
        full = torch.cat(logits).requires_grad_(True)
        value = loss(full, y, progress)
        (grad,) = torch.autograd.grad(value, full)
        start = 0
        for chunk, state in zip(chunks, states, strict=False):
            _set_rng_state(state)
            out = model(**self.collate(chunk)).float()
            out.backward(grad[start : start + len(chunk)])
            start += len(chunk)
        return float(value.detach())


def prepare_for_training(model: nn.Module, config: FinetuneConfig) -> nn.Module:
    """Dropout off (unless train_dropout), gradient checkpointing and LoRA adapters, as config says."""
    if not config.train_dropout:
        disable_dropout(model)
    if config.gradient_checkpointing:
        enable_checkpointing(model)
    if config.lora:
        model = add_lora(model, config)
    return model


def optimizer_for(model: nn.Module, parameters: int, n: int, config: FinetuneConfig):
    """The optimiser over the trainable weights (lr from the model's size unless given) and its
    per-step schedule, for n examples; returns (optimiser, scheduler, steps per epoch, total steps)."""
    trainable = [p for p in model.parameters() if p.requires_grad]
    opt_cls = torch.optim.Adam if config.optimizer == "adam" else torch.optim.AdamW
    opt = opt_cls(trainable, lr=config.learning_rate(parameters), weight_decay=config.weight_decay)
    steps_per_epoch = math.ceil(n / config.batch_size)
    total = config.epochs * steps_per_epoch
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: _lr_factor(step, total, config))
    return opt, sched, steps_per_epoch, total


def enable_checkpointing(model: nn.Module) -> None:
    """Activation (gradient) checkpointing, by its transformers 5 name where it exists."""
    enable = getattr(model, "activation_checkpointing_enable", None) or model.gradient_checkpointing_enable
    enable()


def disable_dropout(model: nn.Module) -> None:
    """Zero every dropout rate, so training mode (needed by gradient checkpointing) is
    deterministic, as openai's eval-mode training is. Attention layers read their rate either
    from an nn.Dropout's p (BERT, GPT-2) or from a float ``attention_dropout`` (Llama, Qwen)."""
    for module in model.modules():
        if isinstance(module, nn.Dropout):
            module.p = 0.0
        if isinstance(getattr(module, "attention_dropout", None), float):
            module.attention_dropout = 0.0


def add_lora(model: nn.Module, config: FinetuneConfig) -> nn.Module:
    """LoRA adapters on every linear layer (EleutherAI/w2s: r 8, alpha 8, no dropout, all projections)."""
    import warnings

    from peft import LoraConfig, get_peft_model

    lora = LoraConfig(
        r=config.lora_r, lora_alpha=config.lora_alpha, lora_dropout=config.lora_dropout, target_modules="all-linear"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # peft calls a transformers name deprecated in v5
        return get_peft_model(model, lora)


def _lr_factor(step: int, total: int, config: FinetuneConfig) -> float:
    if config.warmup_steps and step < config.warmup_steps:
        return (step + 1) / config.warmup_steps
    if config.lr_schedule == "constant":
        return 1.0
    done = (step - config.warmup_steps) / max(1, total - config.warmup_steps)
    return 0.5 * (1 + math.cos(math.pi * min(1.0, done)))


def _trainable_state(model: nn.Module) -> dict[str, torch.Tensor]:
    names = {name for name, p in model.named_parameters() if p.requires_grad}
    return {k: v for k, v in model.state_dict().items() if k in names}


def _rng_state():
    return (torch.get_rng_state(), torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None)


def _set_rng_state(state) -> None:
    torch.set_rng_state(state[0])
    if state[1] is not None:
        torch.cuda.set_rng_state_all(state[1])


def make_finetune_student(rung: Rung, seed: int, config: FinetuneConfig | None = None) -> FinetuneStudent:
    """The fine-tuning regime's student for ``rung`` (what the protocol builds per experiment)."""
    return FinetuneStudent(rung, seed, config or FinetuneConfig())


__all__ = ["Classifier", "FinetuneConfig", "FinetuneStudent", "FinetunedModel", "make_finetune_student"]
