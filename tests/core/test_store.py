"""Atomic, checksummed files: a corrupted array file or record is detected and dropped, never used."""

import numpy as np

from w2sbench.core.store import load_arrays, save_arrays


def test_round_trip(tmp_path):
    save_arrays(tmp_path / "a.npz", {"x": np.arange(5.0)})
    assert load_arrays(tmp_path / "a.npz")["x"].tolist() == [0, 1, 2, 3, 4]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_flipped_bytes_are_detected(tmp_path, capsys):
    path = tmp_path / "a.npz"
    save_arrays(path, {"x": np.arange(1000.0)})
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    assert load_arrays(path) is None
    assert "corrupted" in capsys.readouterr().err and not path.exists()


def test_truncated_file_is_detected(tmp_path):
    path = tmp_path / "a.npz"
    save_arrays(path, {"x": np.arange(1000.0)})
    path.write_bytes(path.read_bytes()[:100])
    assert load_arrays(path) is None
