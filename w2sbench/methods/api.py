"""The method API: what a weak-to-strong method receives, returns, and how it is registered.

A method is a frozen dataclass whose fields are its parameters (its identity in every cache
key and result). Its one entry point, ``fit(ctx)``, receives a MethodContext and returns a
predictor: a callable from Inputs to P(class 1). The context carries inputs and weak labels
only; ground truth is not in it, nor reachable from anything in it.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib
import inspect
import pkgutil
import re
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from w2sbench.core.errors import W2SError, unknown_name
from w2sbench.core.example import Inputs
from w2sbench.models.student import Predictor, Student

if TYPE_CHECKING:  # the generative student loads transformers: imported only where used
    from w2sbench.core.prompt import Prompts
    from w2sbench.models.language_model import LanguageModel


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=np.float64, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class MethodContext:
    """Everything a fair method may use.

    transfer / weak_labels: the inputs the student learns from and the weak supervisor's soft
    labels (P(class 1)) on them. validation / validation_weak_labels: a held-out, weak-labelled
    split for early stopping or model selection. intermediates: students of the rungs between
    weak and strong, for bootstrapping. seed: for any randomness the method needs.

    Prediction is inductive: the test inputs are not here; the predictor fit returns is called
    on shuffled batches of them afterwards. Every id is an opaque salted hash, drawn afresh
    each run: an id names an example, nothing more (w2sbench.protocol.blind).
    """

    student: Student
    transfer: Inputs
    weak_labels: np.ndarray
    validation: Inputs
    validation_weak_labels: np.ndarray
    intermediates: tuple[Student, ...]
    seed: int

    def __post_init__(self):
        object.__setattr__(self, "weak_labels", _frozen(self.weak_labels))
        object.__setattr__(self, "validation_weak_labels", _frozen(self.validation_weak_labels))


@dataclass(frozen=True)
class OracleContext(MethodContext):
    """The context of an oracle method (``oracle = True``): adds the validation split's ground
    truth. Oracle results are marked in their records and never ranked with fair methods
    (paper section 5.1.1: ground-truth early stopping inflates PGR)."""

    validation_labels: np.ndarray = None

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "validation_labels", _frozen(self.validation_labels))


def _frozen_rows(rows) -> tuple[np.ndarray, ...]:
    return tuple(_frozen(r) for r in rows)


@dataclass(frozen=True)
class GenerativeContext:
    """What a method gets on a generative task (w2sbench.generative): Prompts instead of Inputs,
    and the weak supervisor's distribution over each prompt's choices instead of P(class 1).
    Its temperature-0 label (the paper's weak label) is each distribution's argmax. student is
    a LanguageModel; the rest means what it means in MethodContext."""

    student: LanguageModel
    transfer: Prompts
    weak_labels: tuple[np.ndarray, ...]
    validation: Prompts
    validation_weak_labels: tuple[np.ndarray, ...]
    intermediates: tuple
    seed: int

    def __post_init__(self):
        object.__setattr__(self, "weak_labels", _frozen_rows(self.weak_labels))
        object.__setattr__(self, "validation_weak_labels", _frozen_rows(self.validation_weak_labels))


class Method:
    """Base class. Subclasses are dataclasses, set ``name`` and ``citation``, and implement fit.

    ``framing`` says which tasks the method runs on: ``binary`` (fit gets a MethodContext and
    returns Inputs -> P(class 1)) or ``generative`` (fit gets a GenerativeContext and returns
    Prompts -> a distribution over each prompt's choices).
    """

    name: ClassVar[str]
    citation: ClassVar[str] = ""
    oracle: ClassVar[bool] = False  # oracles use ground truth somewhere and are never ranked
    framing: ClassVar[str] = "binary"

    def fit(self, ctx: MethodContext) -> Predictor:
        raise NotImplementedError

    def params(self) -> dict:
        return dataclasses.asdict(self) if dataclasses.is_dataclass(self) else {}

    @classmethod
    def code_hash(cls) -> str:
        """Hash of the class's source, of its bases in w2sbench.methods (a shared ``fit``), of the
        objects it declares in ``uses`` (code outside w2sbench.methods, e.g. a loss in
        w2sbench.core.losses) and of the helpers it calls in w2sbench.methods, so editing a method,
        or anything it relies on, invalidates its cached results. The one code-hash mechanism of
        every builtin method."""
        return source_hash(cls, *bases_of(cls), *getattr(cls, "uses", ()), *helpers_of(cls))

    def identity(self) -> dict:
        return {"name": self.name, "params": self.params(), "code_hash": self.code_hash(), "oracle": self.oracle}


_METHODS: dict[str, type[Method]] = {}


def bases_of(cls: type) -> tuple:
    """The class's bases defined in w2sbench.methods (not this API module), nearest first."""
    return tuple(
        b for b in cls.__mro__[1:] if b.__module__.startswith("w2sbench.methods.") and b.__module__ != __name__
    )


def helpers_of(cls: type) -> tuple:
    """The functions and classes of w2sbench.methods that a builtin method's source refers to,
    followed through their own sources; not this API module, not argument validators
    (``check_*``), not the class's bases."""
    found: dict[int, object] = {}
    todo = [cls]
    while todo:
        obj = todo.pop()
        module = sys.modules.get(getattr(obj, "__module__", ""), None)
        try:
            source = inspect.getsource(obj)
        except (OSError, TypeError):
            continue
        for name in sorted(set(re.findall(r"\b[A-Za-z_]\w*\b", source))):
            ref = getattr(module, name, None)
            if not (inspect.isfunction(ref) or inspect.isclass(ref)) or ref is cls or id(ref) in found:
                continue
            where = getattr(ref, "__module__", "")
            if not where.startswith("w2sbench.methods.") or where == __name__ or name.startswith("check_"):
                continue
            if inspect.isclass(ref) and issubclass(cls, ref):
                continue
            found[id(ref)] = ref
            todo.append(ref)
    return tuple(sorted(found.values(), key=lambda o: (o.__module__, o.__qualname__)))


@functools.cache
def source_hash(*objects) -> str:
    """Hash of the objects' source code (read once per process: inspect is slow)."""
    sources = []
    for obj in objects:
        try:
            sources.append(inspect.getsource(obj))
        except (OSError, TypeError):
            sources.append(getattr(obj, "__qualname__", repr(obj)))
    return hashlib.sha256("\n".join(sources).encode()).hexdigest()[:16]


def register(cls: type[Method]) -> type[Method]:
    """Class decorator: make a method available by its ``name``."""
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls.__qualname__}: methods must be dataclasses (their fields are their parameters)")
    if getattr(cls, "name", None) in _METHODS and _METHODS[cls.name] is not cls:
        raise ValueError(f"method name {cls.name!r} registered twice")
    _METHODS[cls.name] = cls
    return cls


def _import_builtin() -> None:
    import w2sbench.methods as pkg

    for mod in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module(f"{pkg.__name__}.{mod.name}")


def all_methods() -> dict[str, type[Method]]:
    _import_builtin()
    return dict(sorted(_METHODS.items()))


def make_method(name: str, params: dict | None = None) -> Method:
    """Instantiate a registered method; unknown names and parameters are user errors."""
    methods = all_methods()
    if name not in methods:
        raise unknown_name("method", name, methods)
    cls = methods[name]
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = set(params or {}) - fields
    if unknown:
        raise W2SError(f"method {name}: unknown parameter(s) {sorted(unknown)}; known: {sorted(fields) or 'none'}")
    return cls(**(params or {}))
