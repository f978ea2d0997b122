"""Executors run on the fake ladder; heads are tiny, so one torch thread (see tests/labels/conftest.py)."""

import torch

torch.set_num_threads(1)
