"""DiffBIR's region-adaptive weight map in PyTorch: the reference that the runtime's
packages/core/src/guidance/region-adaptive.ts is tested against (tools/fixtures/
gen_guidance_tiling.py) and that tools/measure_pixel_guidance.py uses.

W = 1 − tanh(blocksum2x2 |Sobel(gray(I))|), replicate padding, Sobel by cross-correlation."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

GRAY = (0.2989, 0.5870, 0.1140)


def weight_map(img: np.ndarray | torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) image in [0, 1] → (B, 1, H, W) weights, in float64 (H, W even)."""
    x = torch.as_tensor(np.asarray(img), dtype=torch.float64)
    gray = (x * torch.tensor(GRAY, dtype=x.dtype).view(1, 3, 1, 1)).sum(1, keepdim=True)
    gx = torch.tensor([[1.0, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=x.dtype).view(1, 1, 3, 3)
    gy = torch.tensor([[1.0, 2, 1], [0, 0, 0], [-1, -2, -1]], dtype=x.dtype).view(1, 1, 3, 3)
    p = F.pad(gray, (1, 1, 1, 1), mode="replicate")
    mag = torch.sqrt(F.conv2d(p, gx) ** 2 + F.conv2d(p, gy) ** 2)
    block = F.avg_pool2d(mag, 2) * 4  # sum over non-overlapping 2x2 blocks
    return 1 - torch.tanh(F.interpolate(block, scale_factor=2, mode="nearest"))
