"""The Stable Diffusion 2.1 UNet (LDM ``UNetModel``) with DiffBIR's control injection."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .configs import UNetConfig
from .layers import (
    Downsample,
    ResBlock,
    SpatialTransformer,
    TimestepEmbedSequential,
    Upsample,
    normalization,
    timestep_embedding,
    zero_module,
)


def _transformer(cfg: UNetConfig, ch: int) -> SpatialTransformer:
    if ch % cfg.num_head_channels:
        raise ValueError(f"channels {ch} not divisible by num_head_channels {cfg.num_head_channels}")
    return SpatialTransformer(
        ch,
        heads=ch // cfg.num_head_channels,
        dim_head=cfg.num_head_channels,
        depth=cfg.transformer_depth,
        context_dim=cfg.context_dim,
        use_linear=cfg.use_linear_in_transformer,
        norm_groups=cfg.norm_groups,
    )


def make_time_embed(cfg: UNetConfig) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(cfg.model_channels, cfg.emb_dim), nn.SiLU(), nn.Linear(cfg.emb_dim, cfg.emb_dim)
    )


def make_encoder(
    cfg: UNetConfig, in_channels: int
) -> tuple[nn.ModuleList, TimestepEmbedSequential, list[int]]:
    """Input blocks and middle block; also the channel count after every input block."""
    emb = cfg.emb_dim
    ch = cfg.model_channels
    blocks = nn.ModuleList([TimestepEmbedSequential(nn.Conv2d(in_channels, ch, 3, padding=1))])
    chans = [ch]
    ds = 1
    for level, mult in enumerate(cfg.channel_mult):
        for _ in range(cfg.num_res_blocks):
            out = mult * cfg.model_channels
            layers: list[nn.Module] = [ResBlock(ch, emb, out, cfg.norm_groups)]
            ch = out
            if ds in cfg.attention_resolutions:
                layers.append(_transformer(cfg, ch))
            blocks.append(TimestepEmbedSequential(*layers))
            chans.append(ch)
        if level != len(cfg.channel_mult) - 1:
            blocks.append(TimestepEmbedSequential(Downsample(ch)))
            chans.append(ch)
            ds *= 2
    middle = TimestepEmbedSequential(
        ResBlock(ch, emb, ch, cfg.norm_groups),
        _transformer(cfg, ch),
        ResBlock(ch, emb, ch, cfg.norm_groups),
    )
    return blocks, middle, chans


class UNetModel(nn.Module):
    """eps/v predictor ``forward(x, timesteps, context, control=None)``.

    ``control`` (13 tensors from :class:`IRControlNet`, already scaled by the caller):
    ``control[-1]`` is added to the middle-block output and ``control[i]`` to the skip
    connection ``hs[i]`` of input block ``i`` before it is concatenated in the decoder.
    """

    def __init__(self, cfg: UNetConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.time_embed = make_time_embed(cfg)
        self.input_blocks, self.middle_block, chans = make_encoder(cfg, cfg.in_channels)
        self.num_skips = len(chans)
        emb = cfg.emb_dim
        ch = chans[-1]
        ds = 2 ** (len(cfg.channel_mult) - 1)
        self.output_blocks = nn.ModuleList()
        for level, mult in reversed(list(enumerate(cfg.channel_mult))):
            for i in range(cfg.num_res_blocks + 1):
                skip_ch = chans.pop()
                out = mult * cfg.model_channels
                layers: list[nn.Module] = [ResBlock(ch + skip_ch, emb, out, cfg.norm_groups)]
                ch = out
                if ds in cfg.attention_resolutions:
                    layers.append(_transformer(cfg, ch))
                if level and i == cfg.num_res_blocks:
                    layers.append(Upsample(ch))
                    ds //= 2
                self.output_blocks.append(TimestepEmbedSequential(*layers))
        self.out = nn.Sequential(
            normalization(ch, cfg.norm_groups),
            nn.SiLU(),
            zero_module(nn.Conv2d(cfg.model_channels, cfg.out_channels, 3, padding=1)),
        )

    def forward(
        self,
        x: torch.Tensor,
        timesteps: torch.Tensor,
        context: torch.Tensor,
        control: Sequence[torch.Tensor] | None = None,
    ) -> torch.Tensor:
        if control is not None and len(control) != self.num_skips + 1:
            raise ValueError(f"expected {self.num_skips + 1} control tensors, got {len(control)}")
        t_emb = timestep_embedding(timesteps, self.cfg.model_channels, self.cfg.max_period)
        emb = self.time_embed(t_emb.to(self.time_embed[0].weight.dtype))
        hs: list[torch.Tensor] = []
        h = x
        for block in self.input_blocks:
            h = block(h, emb, context)
            hs.append(h)
        h = self.middle_block(h, emb, context)
        ctrl = list(control) if control is not None else None
        if ctrl is not None:
            h = h + ctrl.pop()
        for block in self.output_blocks:
            skip = hs.pop()
            if ctrl is not None:
                skip = skip + ctrl.pop()
            h = block(torch.cat([h, skip], dim=1), emb, context)
        return self.out(h)
