"""The OpenCLIP text tower as SD 2.x uses it (``FrozenOpenCLIPEmbedder``, layer 'penultimate').

Parameter names are those under ``cond_stage_model.model.`` in the SD checkpoint (the SD
checkpoint holds only the text tower; there are no ``visual.*`` keys).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .configs import TextEncoderConfig
from .layers import merge_heads, split_heads


class MultiheadSelfAttention(nn.Module):
    """Same parameters as ``nn.MultiheadAttention`` (packed ``in_proj_weight``), batch-first."""

    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * width, width))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * width))
        self.out_proj = nn.Linear(width, width)
        nn.init.xavier_uniform_(self.in_proj_weight)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        q, k, v = F.linear(x, self.in_proj_weight, self.in_proj_bias).chunk(3, dim=-1)
        q, k, v = (split_heads(t, self.heads) for t in (q, k, v))
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return self.out_proj(merge_heads(out))


class Mlp(nn.Module):
    def __init__(self, width: int, hidden: int) -> None:
        super().__init__()
        self.c_fc = nn.Linear(width, hidden)
        self.c_proj = nn.Linear(hidden, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.c_proj(F.gelu(self.c_fc(x)))


class ResidualAttentionBlock(nn.Module):
    def __init__(self, width: int, heads: int, mlp_ratio: float) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(width)
        self.attn = MultiheadSelfAttention(width, heads)
        self.ln_2 = nn.LayerNorm(width)
        self.mlp = Mlp(width, int(width * mlp_ratio))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x), mask)
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(self, width: int, layers: int, heads: int, mlp_ratio: float) -> None:
        super().__init__()
        self.resblocks = nn.ModuleList(
            ResidualAttentionBlock(width, heads, mlp_ratio) for _ in range(layers)
        )


class OpenCLIPTextEncoder(nn.Module):
    """``forward(tokens (B, L) int64) -> (B, L, width)`` with L = context_length (77).

    token + positional embedding, causal transformer, stop after the penultimate block
    (``output_layer='penultimate'``; the last block's weights exist but are unused),
    ``ln_final``. ``text_projection`` and ``logit_scale`` exist only to match the checkpoint.
    """

    def __init__(self, cfg: TextEncoderConfig) -> None:
        super().__init__()
        if cfg.output_layer not in ("penultimate", "last"):
            raise ValueError(f"output_layer must be 'penultimate' or 'last', got {cfg.output_layer!r}")
        self.cfg = cfg
        self.token_embedding = nn.Embedding(cfg.vocab_size, cfg.width)
        self.positional_embedding = nn.Parameter(torch.empty(cfg.context_length, cfg.width))
        self.transformer = Transformer(cfg.width, cfg.layers, cfg.heads, cfg.mlp_ratio)
        self.ln_final = nn.LayerNorm(cfg.width)
        self.text_projection = nn.Parameter(torch.empty(cfg.width, cfg.proj_dim))
        self.logit_scale = nn.Parameter(torch.full((), math.log(1 / 0.07)))
        mask = torch.full((cfg.context_length, cfg.context_length), float("-inf")).triu(1)
        self.register_buffer("attn_mask", mask, persistent=False)
        nn.init.normal_(self.token_embedding.weight, std=0.02)
        nn.init.normal_(self.positional_embedding, std=0.01)
        nn.init.normal_(self.text_projection, std=cfg.width**-0.5)

    @property
    def num_blocks_used(self) -> int:
        return self.cfg.layers - 1 if self.cfg.output_layer == "penultimate" else self.cfg.layers

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        if self.cfg.fold_token_ids:
            tokens = torch.remainder(tokens, self.cfg.vocab_size)
        n = tokens.shape[1]
        x = self.token_embedding(tokens) + self.positional_embedding[:n]
        mask = self.attn_mask[:n, :n].to(x.dtype)
        for block in self.transformer.resblocks[: self.num_blocks_used]:
            x = block(x, mask)
        return self.ln_final(x)
