"""pytest setup for tools/: one thread (shared CPUs) and a fixed seed per test."""

import random

import numpy as np
import pytest
import torch

torch.set_num_threads(1)

SEED = 1234


@pytest.fixture(autouse=True)
def _fixed_seed() -> None:
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
