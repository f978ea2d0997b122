"""Pooling uses the attention mask, on either padding side (the openai/weak-to-strong pad-id bug)."""

import torch

from w2sbench.models.encoder import pool

HIDDEN = torch.tensor([[[1.0], [3.0], [100.0]], [[2.0], [4.0], [6.0]]])


def test_mean_pooling_ignores_padding():
    mask = torch.tensor([[1, 1, 0], [1, 1, 1]])
    assert pool(HIDDEN, mask, "mean").squeeze(-1).tolist() == [2.0, 4.0]


def test_last_token_right_and_left_padding():
    right = torch.tensor([[1, 1, 0], [1, 1, 1]])
    assert pool(HIDDEN, right, "last_token").squeeze(-1).tolist() == [3.0, 6.0]
    left = torch.tensor([[0, 1, 1], [1, 1, 1]])
    assert pool(HIDDEN, left, "last_token").squeeze(-1).tolist() == [100.0, 6.0]
