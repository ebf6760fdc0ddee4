"""SwinIR, in the variant DiffBIR uses as its stage-1 cleaner.

Structure (diffbir-inference.md section 3): subtract the RGB mean, PixelUnshuffle(8),
3x3 conv; residual Swin transformer blocks (RSTB) of shifted-window attention; a 3x3
conv after the body; shallow + deep features; three times [nearest x2, 3x3 conv,
LeakyReLU(0.2)]; a last conv; add the mean back. Net scale x1, input sides a multiple
of 64.

Parameter and buffer names equal the official checkpoints, so ``load_state_dict`` of
the released weights works with strict checking. The shifted-window mask depends on
the feature size: the ``attn_mask`` buffers are kept only for checkpoint compatibility
(they hold the mask for ``img_size``); ``forward`` always rebuilds the mask from the
runtime shape with tensor ops, so an ONNX export with dynamic height/width is exact at
every size.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .cleaner_configs import SwinIRConfig

# Additive logit offset the reference puts between tokens of different shifted regions.
MASK_NEG = -100.0


def window_partition(x: Tensor, window_size: int) -> Tensor:
    """(B, H, W, C) -> (B * nW, window_size**2, C), windows in row-major order."""
    b, h, w, c = x.shape
    x = x.view(b, h // window_size, window_size, w // window_size, window_size, c)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(-1, window_size * window_size, c)


def window_reverse(windows: Tensor, window_size: int, h: int, w: int) -> Tensor:
    """Inverse of :func:`window_partition`: (B * nW, window_size**2, C) -> (B, H, W, C)."""
    c = windows.shape[-1]
    x = windows.view(-1, h // window_size, w // window_size, window_size, window_size, c)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(-1, h, w, c)


def _region_labels(n, window_size: int, shift_size: int, device) -> Tensor:
    # After rolling by -shift, the last `window_size` rows split into two regions that
    # were not adjacent in the image: [n-ws, n-shift) and [n-shift, n).
    idx = torch.arange(n, device=device)
    return (idx >= n - window_size).long() + (idx >= n - shift_size).long()


def shifted_window_mask(
    h, w, window_size: int, shift_size: int, device=None, dtype=torch.float32
) -> Tensor:
    """Attention mask of the shifted-window block for a (h, w) feature map.

    Returns (nW, N, N) with N = window_size**2: 0 where query and key come from the same
    region of the rolled map, ``MASK_NEG`` otherwise. ``h``/``w`` may be traced sizes.
    """
    lab_h = _region_labels(h, window_size, shift_size, device)
    lab_w = _region_labels(w, window_size, shift_size, device)
    labels = lab_h[:, None] * 3 + lab_w[None, :]
    win = labels.view(h // window_size, window_size, w // window_size, window_size)
    win = win.permute(0, 2, 1, 3).reshape(-1, window_size * window_size)
    differ = win[:, None, :] != win[:, :, None]
    zero = torch.zeros((), dtype=dtype, device=device)
    neg = torch.full((), MASK_NEG, dtype=dtype, device=device)
    return torch.where(differ, neg, zero)


def relative_position_index(window_size: int, device=None) -> Tensor:
    """(N, N) index into the (2ws-1)^2 bias table for query i and key j of a window."""
    coords = torch.arange(window_size, device=device)
    yy, xx = torch.meshgrid(coords, coords, indexing="ij")
    flat = torch.stack([yy.flatten(), xx.flatten()])  # 2, N
    rel = flat[:, :, None] - flat[:, None, :] + (window_size - 1)  # query minus key
    return rel[0] * (2 * window_size - 1) + rel[1]


class DropPath(nn.Module):
    """Stochastic depth on the residual branch (identity in eval mode)."""

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        if self.p == 0.0 or not self.training:
            return x
        keep = 1.0 - self.p
        shape = (x.shape[0],) + (1,) * (x.dim() - 1)
        return x * x.new_empty(shape).bernoulli_(keep) / keep


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc2(self.act(self.fc1(x)))


class WindowAttention(nn.Module):
    """Multi-head self-attention inside windows with a learned relative position bias."""

    def __init__(self, dim: int, window_size: int, num_heads: int, qkv_bias: bool = True):
        super().__init__()
        self.dim = dim
        self.window_size = window_size
        self.num_heads = num_heads
        self.scale = (dim // num_heads) ** -0.5
        self.relative_position_bias_table = nn.Parameter(
            torch.zeros((2 * window_size - 1) ** 2, num_heads)
        )
        self.register_buffer("relative_position_index", relative_position_index(window_size))
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        bn, n, c = x.shape
        heads = self.num_heads
        qkv = self.qkv(x).reshape(bn, n, 3, heads, c // heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0] * self.scale, qkv[1], qkv[2]
        attn = q @ k.transpose(-2, -1)
        bias = self.relative_position_bias_table[self.relative_position_index.view(-1)]
        attn = attn + bias.view(n, n, heads).permute(2, 0, 1).unsqueeze(0)
        if mask is not None:
            nw = mask.shape[0]
            attn = attn.view(-1, nw, heads, n, n) + mask.unsqueeze(1).unsqueeze(0)
            attn = attn.view(-1, heads, n, n)
        attn = attn.softmax(dim=-1)
        x = (attn @ v).transpose(1, 2).reshape(bn, n, c)
        return self.proj(x)


class SwinTransformerBlock(nn.Module):
    """(Shifted-)window attention + MLP, both pre-norm residual."""

    def __init__(
        self,
        dim: int,
        input_resolution: int,
        num_heads: int,
        window_size: int,
        shift_size: int,
        mlp_ratio: float,
        qkv_bias: bool,
        drop_path: float,
    ) -> None:
        super().__init__()
        if input_resolution <= window_size:
            # As in the reference: a map no larger than a window is one unshifted window.
            shift_size = 0
            window_size = input_resolution
        self.window_size = window_size
        self.shift_size = shift_size
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention(dim, window_size, num_heads, qkv_bias)
        self.drop_path = DropPath(drop_path)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))
        if shift_size > 0:
            # Stored only so official checkpoints load strictly; forward rebuilds it.
            mask = shifted_window_mask(input_resolution, input_resolution, window_size, shift_size)
            self.register_buffer("attn_mask", mask)
        else:
            self.attn_mask = None

    def forward(self, x: Tensor, h, w) -> Tensor:
        b, _, c = x.shape
        ws, s = self.window_size, self.shift_size
        shortcut = x
        x = self.norm1(x).view(b, h, w, c)
        mask = None
        if s > 0:
            x = torch.roll(x, shifts=(-s, -s), dims=(1, 2))
            mask = shifted_window_mask(h, w, ws, s, device=x.device, dtype=x.dtype)
        x = self.attn(window_partition(x, ws), mask)
        x = window_reverse(x, ws, h, w)
        if s > 0:
            x = torch.roll(x, shifts=(s, s), dims=(1, 2))
        x = shortcut + self.drop_path(x.reshape(b, -1, c))
        return x + self.drop_path(self.mlp(self.norm2(x)))


class BasicLayer(nn.Module):
    def __init__(self, blocks: list[SwinTransformerBlock]) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(blocks)

    def forward(self, x: Tensor, h, w) -> Tensor:
        for block in self.blocks:
            x = block(x, h, w)
        return x


class RSTB(nn.Module):
    """Residual Swin Transformer Block: Swin layers, a 3x3 conv, a skip connection."""

    def __init__(self, dim: int, blocks: list[SwinTransformerBlock]) -> None:
        super().__init__()
        self.residual_group = BasicLayer(blocks)
        self.conv = nn.Conv2d(dim, dim, 3, 1, 1)

    def forward(self, x: Tensor, h, w) -> Tensor:
        b, _, c = x.shape
        y = self.residual_group(x, h, w)
        y = self.conv(y.transpose(1, 2).reshape(b, c, h, w))
        return y.flatten(2).transpose(1, 2) + x


class PatchEmbed(nn.Module):
    """(B, C, H, W) -> (B, H*W, C) tokens, layer-normed (patch size 1)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.norm(x.flatten(2).transpose(1, 2))


def _init_weights(m: nn.Module) -> None:
    # The reference initialisation (matters only when training from scratch).
    if isinstance(m, nn.Linear):
        nn.init.trunc_normal_(m.weight, std=0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.LayerNorm):
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)


class SwinIRCleaner(nn.Module):
    """SwinIR cleaner, DiffBIR variant. ``forward``: (B, 3, H, W) in [0, 1] ->
    (B, 3, H*scale, W*scale), not clamped. H and W must be multiples of
    ``size_multiple`` (64 for the DiffBIR configuration)."""

    def __init__(self, cfg: SwinIRConfig | None = None) -> None:
        super().__init__()
        cfg = cfg or SwinIRConfig()
        self.cfg = cfg
        self.img_range = cfg.img_range
        self.window_size = cfg.window_size
        dim = cfg.embed_dim
        in_ch = cfg.in_chans * cfg.unshuffle_scale**2 if cfg.unshuffle else cfg.in_chans
        mean = cfg.mean if cfg.in_chans == 3 else (0.0,)
        self.register_buffer("mean", torch.tensor(mean).view(1, -1, 1, 1), persistent=False)

        if cfg.unshuffle:
            self.conv_first = nn.Sequential(
                nn.PixelUnshuffle(cfg.unshuffle_scale), nn.Conv2d(in_ch, dim, 3, 1, 1)
            )
        else:
            self.conv_first = nn.Conv2d(in_ch, dim, 3, 1, 1)

        self.patch_embed = PatchEmbed(dim)
        resolution = cfg.img_size // cfg.patch_size
        rates = torch.linspace(0, cfg.drop_path_rate, sum(cfg.depths), device="cpu").tolist()
        layers = []
        start = 0
        for depth, heads in zip(cfg.depths, cfg.num_heads):
            blocks = [
                SwinTransformerBlock(
                    dim,
                    resolution,
                    heads,
                    cfg.window_size,
                    0 if i % 2 == 0 else cfg.window_size // 2,
                    cfg.mlp_ratio,
                    cfg.qkv_bias,
                    rates[start + i],
                )
                for i in range(depth)
            ]
            start += depth
            layers.append(RSTB(dim, blocks))
        self.layers = nn.ModuleList(layers)
        self.norm = nn.LayerNorm(dim)
        self.conv_after_body = nn.Conv2d(dim, dim, 3, 1, 1)

        nf = cfg.num_feat
        self.conv_before_upsample = nn.Sequential(nn.Conv2d(dim, nf, 3, 1, 1), nn.LeakyReLU())
        self.num_up = cfg.sf.bit_length() - 1
        self.conv_up1 = nn.Conv2d(nf, nf, 3, 1, 1)
        if self.num_up >= 2:
            self.conv_up2 = nn.Conv2d(nf, nf, 3, 1, 1)
        if self.num_up >= 3:
            self.conv_up3 = nn.Conv2d(nf, nf, 3, 1, 1)
        self.conv_hr = nn.Conv2d(nf, nf, 3, 1, 1)
        self.conv_last = nn.Conv2d(nf, cfg.in_chans, 3, 1, 1)
        self.lrelu = nn.LeakyReLU(negative_slope=0.2)
        self.apply(_init_weights)

    @property
    def scale(self) -> int:
        return self.cfg.upscale

    @property
    def size_multiple(self) -> int:
        return self.cfg.size_multiple

    def forward_features(self, x: Tensor) -> Tensor:
        b, c, h, w = x.shape
        t = self.patch_embed(x)
        for layer in self.layers:
            t = layer(t, h, w)
        t = self.norm(t)
        return t.transpose(1, 2).reshape(b, c, h, w)

    def forward(self, x: Tensor) -> Tensor:
        if not torch.jit.is_tracing():
            m = self.size_multiple
            if x.shape[-2] % m or x.shape[-1] % m:
                raise ValueError(f"input sides {tuple(x.shape[-2:])} must be multiples of {m}")
        mean = self.mean.to(x.dtype)
        x = (x - mean) * self.img_range
        x = self.conv_first(x)
        x = self.conv_after_body(self.forward_features(x)) + x
        x = self.conv_before_upsample(x)
        ups = [self.conv_up1, getattr(self, "conv_up2", None), getattr(self, "conv_up3", None)]
        for conv in ups[: self.num_up]:
            x = self.lrelu(conv(F.interpolate(x, scale_factor=2.0, mode="nearest")))
        x = self.conv_last(self.lrelu(self.conv_hr(x)))
        return x / self.img_range + mean
