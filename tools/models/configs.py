"""Configurations of the Stable Diffusion 2.1 networks DiffBIR uses.

The ``sd21_*`` / ``openclip_h14_text_config`` factories give the official sizes (their
``state_dict`` equals the official checkpoints); the ``tiny_*`` factories keep the same
topology (4 resolution levels, 2 res blocks each, so the ControlNet still yields 13
control tensors and the VAE still downsamples by 8) at widths small enough to train on a CPU.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal, TypeVar


@dataclass
class UNetConfig:
    """LDM ``UNetModel`` hyper-parameters (SD 2.1 defaults)."""

    in_channels: int = 4
    out_channels: int = 4
    model_channels: int = 320
    channel_mult: tuple[int, ...] = (1, 2, 4, 4)
    num_res_blocks: int = 2
    # Downsample factors (1, 2, 4, 8 for the four levels) at which a transformer follows
    # every res block; the middle block always has one.
    attention_resolutions: tuple[int, ...] = (4, 2, 1)
    num_head_channels: int = 64
    transformer_depth: int = 1
    context_dim: int = 1024
    # True: proj_in/proj_out are Linear (SD 2.x); False: 1x1 convs (SD 1.x).
    use_linear_in_transformer: bool = True
    norm_groups: int = 32
    # Width of the time-embedding MLP; None means 4 * model_channels (1280 for SD).
    time_embed_dim: int | None = None
    max_period: float = 10000.0

    @property
    def emb_dim(self) -> int:
        return self.time_embed_dim if self.time_embed_dim is not None else 4 * self.model_channels


@dataclass
class ControlNetConfig(UNetConfig):
    """IRControlNet: the UNet encoder + middle block; the first conv sees concat(x, hint)."""

    hint_channels: int = 4


@dataclass
class VAEConfig:
    """LDM ``AutoencoderKL`` (KL-f8) hyper-parameters (SD 2.1 defaults)."""

    ch: int = 128
    ch_mult: tuple[int, ...] = (1, 2, 4, 4)
    num_res_blocks: int = 2
    z_channels: int = 4
    embed_dim: int = 4
    in_channels: int = 3
    out_ch: int = 3
    norm_groups: int = 32
    scaling_factor: float = 0.18215

    @property
    def downscale(self) -> int:
        return 2 ** (len(self.ch_mult) - 1)


@dataclass
class TextEncoderConfig:
    """OpenCLIP text tower (ViT-H/14 defaults)."""

    width: int = 1024
    layers: int = 24
    heads: int = 16
    vocab_size: int = 49408
    context_length: int = 77
    # 'penultimate': output of block layers-2 (SD 2.x); 'last': output of the last block.
    output_layer: Literal["penultimate", "last"] = "penultimate"
    mlp_ratio: float = 4.0
    # Columns of text_projection (unused by the penultimate output, kept for the checkpoint).
    proj_dim: int = 1024
    # When True, token ids are folded with ``id % vocab_size`` so a small vocabulary still
    # accepts the real CLIP ids (start 49406, end 49407). Off for the official model.
    fold_token_ids: bool = False


def sd21_unet_config() -> UNetConfig:
    return UNetConfig()


def sd21_controlnet_config() -> ControlNetConfig:
    return ControlNetConfig()


def sd21_vae_config() -> VAEConfig:
    return VAEConfig()


def openclip_h14_text_config() -> TextEncoderConfig:
    return TextEncoderConfig()


def tiny_unet_config() -> UNetConfig:
    return UNetConfig(
        model_channels=32,
        channel_mult=(1, 2, 2, 2),
        num_head_channels=16,
        context_dim=64,
        norm_groups=8,
    )


def tiny_controlnet_config() -> ControlNetConfig:
    return ControlNetConfig(**dataclasses.asdict(tiny_unet_config()), hint_channels=4)


def tiny_vae_config() -> VAEConfig:
    return VAEConfig(ch=16, ch_mult=(1, 2, 4, 4), norm_groups=8)


def tiny_text_config() -> TextEncoderConfig:
    return TextEncoderConfig(
        width=64, layers=2, heads=4, vocab_size=1024, proj_dim=64, fold_token_ids=True
    )


C = TypeVar("C")


def config_to_dict(cfg: Any) -> dict[str, Any]:
    """Plain JSON-able dict of a config (tuples become lists)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(cfg).items()}


def config_from_dict(cls: type[C], data: dict[str, Any]) -> C:
    """Inverse of :func:`config_to_dict`; unknown keys raise, lists become tuples."""
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = set(data) - names
    if unknown:
        raise ValueError(f"unknown {cls.__name__} fields: {sorted(unknown)}")
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


__all__ = [
    "UNetConfig",
    "ControlNetConfig",
    "VAEConfig",
    "TextEncoderConfig",
    "sd21_unet_config",
    "sd21_controlnet_config",
    "sd21_vae_config",
    "openclip_h14_text_config",
    "tiny_unet_config",
    "tiny_controlnet_config",
    "tiny_vae_config",
    "tiny_text_config",
    "config_to_dict",
    "config_from_dict",
]
