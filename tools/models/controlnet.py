"""DiffBIR's IRControlNet: a copy of the SD UNet encoder + middle block fed concat(x_t, c)."""

from __future__ import annotations

import torch
from torch import nn

from .configs import ControlNetConfig
from .layers import TimestepEmbedSequential, timestep_embedding, zero_module
from .unet import UNetModel, make_encoder, make_time_embed


def _zero_conv(ch: int) -> TimestepEmbedSequential:
    return TimestepEmbedSequential(zero_module(nn.Conv2d(ch, ch, 1)))


class IRControlNet(nn.Module):
    """``forward(x, hint, timesteps, context)`` -> 13 control tensors.

    The first 12 follow the input blocks (through ``zero_convs.N``), the last the middle
    block (through ``middle_block_out``); all 1x1 convs start at zero, so a fresh
    ControlNet emits zeros. There is no hint-encoder stack: the hint is the VAE latent.
    """

    def __init__(self, cfg: ControlNetConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.time_embed = make_time_embed(cfg)
        self.input_blocks, self.middle_block, chans = make_encoder(
            cfg, cfg.in_channels + cfg.hint_channels
        )
        self.zero_convs = nn.ModuleList(_zero_conv(ch) for ch in chans)
        self.middle_block_out = _zero_conv(chans[-1])

    def forward(
        self,
        x: torch.Tensor,
        hint: torch.Tensor,
        timesteps: torch.Tensor,
        context: torch.Tensor,
    ) -> list[torch.Tensor]:
        t_emb = timestep_embedding(timesteps, self.cfg.model_channels, self.cfg.max_period)
        emb = self.time_embed(t_emb.to(self.time_embed[0].weight.dtype))
        h = torch.cat([x, hint], dim=1)
        outs: list[torch.Tensor] = []
        for block, zero_conv in zip(self.input_blocks, self.zero_convs, strict=True):
            h = block(h, emb, context)
            outs.append(zero_conv(h, emb, context))
        h = self.middle_block(h, emb, context)
        outs.append(self.middle_block_out(h, emb, context))
        return outs

    @torch.no_grad()
    def init_from_unet(self, unet: UNetModel) -> None:
        """Copy the UNet's encoder weights (DiffBIR's initialisation).

        The first conv keeps the UNet's weights for the x channels and zeros for the hint
        channels; zero convs stay as they are.
        """
        src = unet.state_dict()
        dst = self.state_dict()
        for name, value in dst.items():
            if name not in src:
                continue
            if name == "input_blocks.0.0.weight":
                value.zero_()
                value[:, : src[name].shape[1]].copy_(src[name])
            else:
                value.copy_(src[name])
