"""RRDBNet (ESRGAN generator), in the BSRNet naming DiffBIR v2 loads for its SR cleaner.

conv_first; ``num_block`` residual-in-residual dense blocks (three 5-conv dense blocks
each, residuals scaled by 0.2); trunk_conv with a long skip; nearest x2 upsample + 3x3
conv + LeakyReLU(0.2) once per factor of two; HRconv; conv_last. Parameter names equal
the official BSRNet checkpoint.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .cleaner_configs import RRDBNetConfig

# ESRGAN's residual scaling, which keeps the very deep trunk stable.
RESIDUAL_SCALE = 0.2


class ResidualDenseBlock(nn.Module):
    """Five densely connected 3x3 convs; the fifth maps back to ``nf`` channels."""

    def __init__(self, nf: int, gc: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(nf, gc, 3, 1, 1)
        self.conv2 = nn.Conv2d(nf + gc, gc, 3, 1, 1)
        self.conv3 = nn.Conv2d(nf + 2 * gc, gc, 3, 1, 1)
        self.conv4 = nn.Conv2d(nf + 3 * gc, gc, 3, 1, 1)
        self.conv5 = nn.Conv2d(nf + 4 * gc, nf, 3, 1, 1)
        self.lrelu = nn.LeakyReLU(negative_slope=0.2)

    def forward(self, x: Tensor) -> Tensor:
        feats = [x]
        for conv in (self.conv1, self.conv2, self.conv3, self.conv4):
            feats.append(self.lrelu(conv(torch.cat(feats, 1))))
        return self.conv5(torch.cat(feats, 1)) * RESIDUAL_SCALE + x


class RRDB(nn.Module):
    """Residual in residual dense block."""

    def __init__(self, nf: int, gc: int) -> None:
        super().__init__()
        self.RDB1 = ResidualDenseBlock(nf, gc)
        self.RDB2 = ResidualDenseBlock(nf, gc)
        self.RDB3 = ResidualDenseBlock(nf, gc)

    def forward(self, x: Tensor) -> Tensor:
        return self.RDB3(self.RDB2(self.RDB1(x))) * RESIDUAL_SCALE + x


class RRDBNet(nn.Module):
    """``forward``: (B, 3, H, W) in [0, 1] -> (B, 3, H*scale, W*scale), not clamped."""

    size_multiple = 1

    def __init__(self, cfg: RRDBNetConfig | None = None) -> None:
        super().__init__()
        cfg = cfg or RRDBNetConfig()
        self.cfg = cfg
        nf, gc = cfg.num_feat, cfg.num_grow_ch
        self.conv_first = nn.Conv2d(cfg.num_in_ch, nf, 3, 1, 1)
        self.RRDB_trunk = nn.Sequential(*[RRDB(nf, gc) for _ in range(cfg.num_block)])
        self.trunk_conv = nn.Conv2d(nf, nf, 3, 1, 1)
        self.upconv1 = nn.Conv2d(nf, nf, 3, 1, 1)
        if cfg.scale == 4:
            self.upconv2 = nn.Conv2d(nf, nf, 3, 1, 1)
        self.HRconv = nn.Conv2d(nf, nf, 3, 1, 1)
        self.conv_last = nn.Conv2d(nf, cfg.num_out_ch, 3, 1, 1)
        self.lrelu = nn.LeakyReLU(negative_slope=0.2)

    @property
    def scale(self) -> int:
        return self.cfg.scale

    def forward(self, x: Tensor) -> Tensor:
        fea = self.conv_first(x)
        fea = fea + self.trunk_conv(self.RRDB_trunk(fea))
        ups = [self.upconv1] + ([self.upconv2] if self.cfg.scale == 4 else [])
        for conv in ups:
            fea = self.lrelu(conv(F.interpolate(fea, scale_factor=2.0, mode="nearest")))
        return self.conv_last(self.lrelu(self.HRconv(fea)))
