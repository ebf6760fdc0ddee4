"""SCUNet (Swin-Conv-UNet), the SCUNet-PSNR denoiser DiffBIR v2 uses as a cleaner.

A three-level U-Net (stride-2 2x2 conv down, 2x2 transposed conv up, additive skips)
whose blocks split the channels into a residual conv branch and a (shifted-)window
transformer branch and fuse them with 1x1 convs. The input is replicate-padded to a
multiple of 64 (8x downsampling times window 8) and the output cropped back, so any
size works. No global residual and no clamp. Parameter names equal the official
checkpoint. Shifted-window masks are built from the runtime shape with tensor ops, so an
ONNX export with dynamic height/width is exact at every size.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .cleaner_configs import SCUNetConfig
from .swinir import DropPath

# 3 stride-2 downsamplings, then windows of 8 at the bottom.
PAD_MULTIPLE = 64


def _cross_region(n_windows, window_size: int, split: int, device) -> Tensor:
    # (nW, p, q): True in the last window row/column where query p and key q sit on
    # different sides of `split`, i.e. came from opposite image borders after the roll.
    last = torch.arange(n_windows, device=device) == n_windows - 1
    side = torch.arange(window_size, device=device) >= split
    differ = side[:, None] != side[None, :]
    return last[:, None, None] & differ[None]


def scunet_shift_mask(h_windows, w_windows, window_size: int, device=None) -> Tensor:
    """Boolean (nW, N, N) mask (True = blocked) of SCUNet's shifted windows, shift ws/2."""
    split = window_size - window_size // 2
    mh = _cross_region(h_windows, window_size, split, device)  # w1, p1, p3
    mw = _cross_region(w_windows, window_size, split, device)  # w2, p2, p4
    m = mh[:, None, :, None, :, None] | mw[None, :, None, :, None, :]  # w1 w2 p1 p2 p3 p4
    n = window_size * window_size
    return m.reshape(-1, n, n)


class WMSA(nn.Module):
    """Window (type 'W') or shifted-window ('SW') multi-head self-attention, on (B,H,W,C)."""

    def __init__(self, input_dim: int, output_dim: int, head_dim: int, window_size: int, kind: str):
        super().__init__()
        self.head_dim = head_dim
        self.scale = head_dim**-0.5
        self.n_heads = input_dim // head_dim
        self.window_size = window_size
        self.kind = kind
        self.embedding_layer = nn.Linear(input_dim, 3 * input_dim)
        side = 2 * window_size - 1
        self.relative_position_params = nn.Parameter(torch.empty(self.n_heads, side, side))
        nn.init.trunc_normal_(self.relative_position_params, std=0.02)
        self.linear = nn.Linear(input_dim, output_dim)

    def relative_embedding(self) -> Tensor:
        """(heads, N, N) bias for query i and key j of a window."""
        ws = self.window_size
        idx = torch.arange(ws, device=self.relative_position_params.device)
        yy, xx = torch.meshgrid(idx, idx, indexing="ij")
        cy, cx = yy.flatten(), xx.flatten()
        ry = cy[:, None] - cy[None, :] + ws - 1
        rx = cx[:, None] - cx[None, :] + ws - 1
        flat = (ry * (2 * ws - 1) + rx).flatten()
        n = ws * ws
        table = self.relative_position_params.flatten(1)
        return table.index_select(1, flat).view(self.n_heads, n, n)

    def forward(self, x: Tensor) -> Tensor:
        b, h, w, c = x.shape
        ws = self.window_size
        shift = ws // 2
        if self.kind != "W":
            x = torch.roll(x, shifts=(-shift, -shift), dims=(1, 2))
        hw, ww = h // ws, w // ws
        x = x.view(b, hw, ws, ww, ws, c).permute(0, 1, 3, 2, 4, 5).reshape(b, -1, ws * ws, c)
        nw = x.shape[1]
        qkv = self.embedding_layer(x).view(b, nw, ws * ws, 3 * self.n_heads, self.head_dim)
        qkv = qkv.permute(3, 0, 1, 2, 4)  # (3*heads), b, nw, n, hd
        q, k, v = qkv.chunk(3, dim=0)
        sim = (q @ k.transpose(-2, -1)) * self.scale  # heads, b, nw, n, n
        sim = sim + self.relative_embedding()[:, None, None]
        if self.kind != "W":
            mask = scunet_shift_mask(hw, ww, ws, device=x.device)
            sim = sim.masked_fill(mask, float("-inf"))
        out = sim.softmax(dim=-1) @ v  # heads, b, nw, n, hd
        out = out.permute(1, 2, 3, 0, 4).reshape(b, nw, ws * ws, c)
        out = self.linear(out)
        out = out.view(b, hw, ww, ws, ws, -1).permute(0, 1, 3, 2, 4, 5).reshape(b, h, w, -1)
        if self.kind != "W":
            out = torch.roll(out, shifts=(shift, shift), dims=(1, 2))
        return out


class Block(nn.Module):
    """Pre-norm transformer block on (B, H, W, C)."""

    def __init__(self, dim: int, head_dim: int, window_size: int, drop_path: float, kind: str):
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.msa = WMSA(dim, dim, head_dim, window_size, kind)
        self.drop_path = DropPath(drop_path)
        self.ln2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.drop_path(self.msa(self.ln1(x)))
        return x + self.drop_path(self.mlp(self.ln2(x)))


class ConvTransBlock(nn.Module):
    """1x1 conv, split into a residual conv branch and a transformer branch, 1x1 conv
    fuse, plus a skip over the whole block."""

    def __init__(
        self,
        conv_dim: int,
        trans_dim: int,
        head_dim: int,
        window_size: int,
        drop_path: float,
        kind: str,
        input_resolution: int,
    ) -> None:
        super().__init__()
        if input_resolution <= window_size:
            kind = "W"  # a single window cannot shift (reference behaviour)
        self.conv_dim = conv_dim
        self.trans_dim = trans_dim
        self.trans_block = Block(trans_dim, head_dim, window_size, drop_path, kind)
        both = conv_dim + trans_dim
        self.conv1_1 = nn.Conv2d(both, both, 1, 1, 0)
        self.conv1_2 = nn.Conv2d(both, both, 1, 1, 0)
        self.conv_block = nn.Sequential(
            nn.Conv2d(conv_dim, conv_dim, 3, 1, 1, bias=False),
            nn.ReLU(),
            nn.Conv2d(conv_dim, conv_dim, 3, 1, 1, bias=False),
        )

    def forward(self, x: Tensor) -> Tensor:
        conv_x, trans_x = torch.split(self.conv1_1(x), (self.conv_dim, self.trans_dim), dim=1)
        conv_x = self.conv_block(conv_x) + conv_x
        trans_x = self.trans_block(trans_x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        return x + self.conv1_2(torch.cat((conv_x, trans_x), dim=1))


class SCUNet(nn.Module):
    """``forward``: (B, 3, H, W) in [0, 1] -> (B, 3, H, W), any H, W, not clamped."""

    scale = 1
    size_multiple = 1

    def __init__(self, cfg: SCUNetConfig | None = None) -> None:
        super().__init__()
        cfg = cfg or SCUNetConfig()
        self.cfg = cfg
        d, hd, ws, res = cfg.dim, cfg.head_dim, cfg.window_size, cfg.input_resolution
        rates = torch.linspace(0, cfg.drop_path_rate, sum(cfg.config), device="cpu").tolist()
        rates_iter = iter(rates)

        def stage(channels: int, depth: int, resolution: int) -> list[nn.Module]:
            half = channels // 2
            return [
                ConvTransBlock(
                    half, half, hd, ws, next(rates_iter), "W" if i % 2 == 0 else "SW", resolution
                )
                for i in range(depth)
            ]

        c = cfg.config
        self.m_head = nn.Sequential(nn.Conv2d(cfg.in_nc, d, 3, 1, 1, bias=False))
        self.m_down1 = nn.Sequential(*stage(d, c[0], res), nn.Conv2d(d, 2 * d, 2, 2, 0, bias=False))
        self.m_down2 = nn.Sequential(
            *stage(2 * d, c[1], res // 2), nn.Conv2d(2 * d, 4 * d, 2, 2, 0, bias=False)
        )
        self.m_down3 = nn.Sequential(
            *stage(4 * d, c[2], res // 4), nn.Conv2d(4 * d, 8 * d, 2, 2, 0, bias=False)
        )
        self.m_body = nn.Sequential(*stage(8 * d, c[3], res // 8))
        self.m_up3 = nn.Sequential(
            nn.ConvTranspose2d(8 * d, 4 * d, 2, 2, 0, bias=False), *stage(4 * d, c[4], res // 4)
        )
        self.m_up2 = nn.Sequential(
            nn.ConvTranspose2d(4 * d, 2 * d, 2, 2, 0, bias=False), *stage(2 * d, c[5], res // 2)
        )
        self.m_up1 = nn.Sequential(
            nn.ConvTranspose2d(2 * d, d, 2, 2, 0, bias=False), *stage(d, c[6], res)
        )
        self.m_tail = nn.Sequential(nn.Conv2d(d, cfg.in_nc, 3, 1, 1, bias=False))

    def forward(self, x0: Tensor) -> Tensor:
        h, w = x0.shape[-2:]
        pad_b = (PAD_MULTIPLE - h % PAD_MULTIPLE) % PAD_MULTIPLE
        pad_r = (PAD_MULTIPLE - w % PAD_MULTIPLE) % PAD_MULTIPLE
        x0 = F.pad(x0, (0, pad_r, 0, pad_b), mode="replicate")
        x1 = self.m_head(x0)
        x2 = self.m_down1(x1)
        x3 = self.m_down2(x2)
        x4 = self.m_down3(x3)
        x = self.m_body(x4)
        x = self.m_up3(x + x4)
        x = self.m_up2(x + x3)
        x = self.m_up1(x + x2)
        x = self.m_tail(x + x1)
        return x[..., :h, :w]
