"""pytest setup for tools/: one thread (shared CPUs) and a fixed seed per test.

The thread count is reset before EVERY test: training scripts under test call
torch.set_num_threads themselves, and a different count changes float reduction order,
which byte-reproducibility tests (make_fixture) would see."""

import random

import numpy as np
import pytest
import torch

torch.set_num_threads(1)

SEED = 1234


@pytest.fixture(autouse=True)
def _fixed_seed() -> None:
    torch.set_num_threads(1)
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
