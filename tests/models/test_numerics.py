"""The numeric setting: bf16 only where the CPU has it natively (else fp32, said once), an
override that is checked, and kernels that name what a bit-exact re-run needs."""

import pytest
import torch

from w2sbench.core.errors import W2SError
from w2sbench.models import numerics
from w2sbench.models.ladder import Rung


@pytest.fixture(autouse=True)
def no_override(monkeypatch):
    monkeypatch.delenv(numerics.ENV, raising=False)
    numerics._fallback_note.cache_clear()


def test_bf16_where_the_cpu_has_it_fp32_with_one_note_where_not(monkeypatch, capsys):
    monkeypatch.setattr(numerics, "native_bf16", lambda: True)
    assert numerics.current("cpu") == numerics.Numerics("bf16")
    monkeypatch.setattr(numerics, "native_bf16", lambda: False)
    assert numerics.current("cpu") == numerics.Numerics("fp32")
    assert numerics.current("cpu") == numerics.Numerics("fp32")
    err = capsys.readouterr().err
    assert err.count("no native bf16") == 1 and err.count("\n") == 1  # one line, once per process
    assert numerics.current("cuda") == numerics.Numerics("fp32")  # the GPU path keeps its precision


def test_the_override_wins_and_a_bad_one_names_the_variable(monkeypatch):
    monkeypatch.setattr(numerics, "native_bf16", lambda: True)
    with numerics.using("fp32"):
        assert numerics.current("cpu").dtype == "fp32"
    assert numerics.current("cpu").dtype == "bf16"  # restored
    monkeypatch.setenv(numerics.ENV, "fp16")
    with pytest.raises(W2SError, match=r"\$W2SBENCH_NUMERICS='fp16': expected one of auto, fp32, bf16"):
        numerics.current("cpu")


def test_the_setting_is_in_a_transformer_rungs_key_and_in_no_other_rungs():
    encoder = Rung(name="e", model="x/e", unpinned_reason="test")
    board = Rung(name="b", model="mlp-64", kind="board", weights="0" * 64)
    with numerics.using("fp32"):
        fp32 = encoder.key(), board.key()
    with numerics.using("bf16"):
        bf16 = encoder.key(), board.key()
    assert fp32[0] != bf16[0]
    assert fp32[1] == bf16[1]  # board networks run fp32 whatever the setting: their keys (and records) stay


def test_kernels_name_torch_and_the_instruction_set():
    here = numerics.kernels("cpu")
    assert here.startswith(f"torch {torch.__version__} cpu {torch.backends.cpu.get_cpu_capability()}")
    assert ("avx512_bf16" in here) == bool(torch.cpu._is_avx512_bf16_supported())


def test_autocast_is_bf16_only_for_the_bf16_setting():
    x = torch.ones(2, 3)
    with numerics.Numerics("bf16").autocast("cpu"):
        assert (x @ x.T).dtype == torch.bfloat16
    with numerics.Numerics("fp32").autocast("cpu"):
        assert (x @ x.T).dtype == torch.float32
