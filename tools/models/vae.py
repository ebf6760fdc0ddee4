"""The Stable Diffusion KL-f8 autoencoder (LDM ``AutoencoderKL``)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .configs import VAEConfig
from .layers import normalization


def _norm(ch: int, groups: int) -> nn.GroupNorm:
    return normalization(ch, groups, eps=1e-6)


class ResnetBlock(nn.Module):
    """norm1-SiLU-conv1-norm2-SiLU-conv2, plus a 1x1 ``nin_shortcut`` when widths differ."""

    def __init__(self, in_ch: int, out_ch: int, groups: int) -> None:
        super().__init__()
        self.norm1 = _norm(in_ch, groups)
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, padding=1)
        self.norm2 = _norm(out_ch, groups)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1)
        self.nin_shortcut: nn.Module = nn.Conv2d(in_ch, out_ch, 1) if in_ch != out_ch else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h)))
        return self.nin_shortcut(x) + h


class AttnBlock(nn.Module):
    """Single-head self-attention over the H*W positions with 1x1-conv q, k, v, proj_out."""

    def __init__(self, ch: int, groups: int) -> None:
        super().__init__()
        self.norm = _norm(ch, groups)
        self.q = nn.Conv2d(ch, ch, 1)
        self.k = nn.Conv2d(ch, ch, 1)
        self.v = nn.Conv2d(ch, ch, 1)
        self.proj_out = nn.Conv2d(ch, ch, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.norm(x)
        # (B, C, H, W) -> (B, 1, H*W, C)
        q = self.q(h).flatten(2).transpose(1, 2)[:, None]
        k = self.k(h).flatten(2).transpose(1, 2)[:, None]
        v = self.v(h).flatten(2).transpose(1, 2)[:, None]
        out = F.scaled_dot_product_attention(q, k, v)[:, 0]
        out = out.transpose(1, 2).reshape(x.shape)
        return x + self.proj_out(out)


class Downsample(nn.Module):
    """Pad right/bottom by one, then 3x3 conv with stride 2 (LDM's asymmetric padding)."""

    def __init__(self, ch: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(ch, ch, 3, stride=2, padding=0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.pad(x, (0, 1, 0, 1)))


class Upsample(nn.Module):
    def __init__(self, ch: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(ch, ch, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class _Level(nn.Module):
    """One resolution level: ``block`` list, empty ``attn`` list, optional resampler."""

    def __init__(self) -> None:
        super().__init__()
        self.block = nn.ModuleList()
        self.attn = nn.ModuleList()


class _Mid(nn.Module):
    def __init__(self, ch: int, groups: int) -> None:
        super().__init__()
        self.block_1 = ResnetBlock(ch, ch, groups)
        self.attn_1 = AttnBlock(ch, groups)
        self.block_2 = ResnetBlock(ch, ch, groups)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.block_2(self.attn_1(self.block_1(x)))


class Encoder(nn.Module):
    def __init__(self, cfg: VAEConfig) -> None:
        super().__init__()
        g = cfg.norm_groups
        self.conv_in = nn.Conv2d(cfg.in_channels, cfg.ch, 3, padding=1)
        in_mult = (1, *cfg.ch_mult)
        self.down = nn.ModuleList()
        ch = cfg.ch
        for level, mult in enumerate(cfg.ch_mult):
            stage = _Level()
            ch = cfg.ch * in_mult[level]
            out = cfg.ch * mult
            for _ in range(cfg.num_res_blocks):
                stage.block.append(ResnetBlock(ch, out, g))
                ch = out
            if level != len(cfg.ch_mult) - 1:
                stage.downsample = Downsample(ch)
            self.down.append(stage)
        self.mid = _Mid(ch, g)
        self.norm_out = _norm(ch, g)
        self.conv_out = nn.Conv2d(ch, 2 * cfg.z_channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv_in(x)
        for stage in self.down:
            for block in stage.block:
                h = block(h)
            if hasattr(stage, "downsample"):
                h = stage.downsample(h)
        h = self.mid(h)
        return self.conv_out(F.silu(self.norm_out(h)))


class Decoder(nn.Module):
    def __init__(self, cfg: VAEConfig) -> None:
        super().__init__()
        g = cfg.norm_groups
        ch = cfg.ch * cfg.ch_mult[-1]
        self.conv_in = nn.Conv2d(cfg.z_channels, ch, 3, padding=1)
        self.mid = _Mid(ch, g)
        levels: list[_Level] = []
        for level in reversed(range(len(cfg.ch_mult))):
            stage = _Level()
            out = cfg.ch * cfg.ch_mult[level]
            for _ in range(cfg.num_res_blocks + 1):
                stage.block.append(ResnetBlock(ch, out, g))
                ch = out
            if level != 0:
                stage.upsample = Upsample(ch)
            levels.insert(0, stage)
        # Stored lowest level first (``up.0`` is full resolution), run in reverse.
        self.up = nn.ModuleList(levels)
        self.norm_out = _norm(ch, g)
        self.conv_out = nn.Conv2d(ch, cfg.out_ch, 3, padding=1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.mid(self.conv_in(z))
        for stage in reversed(self.up):
            for block in stage.block:
                h = block(h)
            if hasattr(stage, "upsample"):
                h = stage.upsample(h)
        return self.conv_out(F.silu(self.norm_out(h)))


class AutoencoderKL(nn.Module):
    """``encode``: image in [-1, 1] -> posterior mean (unscaled); ``decode``: the inverse.

    Latents here are *unscaled*; the diffusion model sees ``mean * cfg.scaling_factor``.
    """

    def __init__(self, cfg: VAEConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.encoder = Encoder(cfg)
        self.decoder = Decoder(cfg)
        self.quant_conv = nn.Conv2d(2 * cfg.z_channels, 2 * cfg.embed_dim, 1)
        self.post_quant_conv = nn.Conv2d(cfg.embed_dim, cfg.z_channels, 1)

    def encode_moments(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(mean, logvar) of the diagonal Gaussian posterior; logvar clamped to [-30, 20]."""
        moments = self.quant_conv(self.encoder(x))
        mean, logvar = moments.chunk(2, dim=1)
        return mean, logvar.clamp(-30.0, 20.0)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encode_moments(x)[0]

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.post_quant_conv(z))

    def forward(
        self, x: torch.Tensor, sample_posterior: bool = True, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Training pass: (reconstruction, mean, logvar); z ~ N(mean, exp(logvar)) if sampling."""
        mean, logvar = self.encode_moments(x)
        z = mean
        if sample_posterior:
            noise = torch.randn(mean.shape, generator=generator, device=mean.device, dtype=mean.dtype)
            z = mean + torch.exp(0.5 * logvar) * noise
        return self.decode(z), mean, logvar


class VAEEncoder(nn.Module):
    """Export wrapper: image in [-1, 1] -> posterior mean (unscaled)."""

    def __init__(self, vae: AutoencoderKL) -> None:
        super().__init__()
        self.vae = vae

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.vae.encode(x)


class VAEDecoder(nn.Module):
    """Export wrapper: unscaled latent -> image in [-1, 1]."""

    def __init__(self, vae: AutoencoderKL) -> None:
        super().__init__()
        self.vae = vae

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.vae.decode(z)
