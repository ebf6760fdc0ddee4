"""Hyper-parameters of the three stage-1 cleaners DiffBIR uses.

The field names follow the constructor arguments of the reference implementations so a
YAML/JSON config from the reference maps one to one. The ``diffbir_*``/``bsrnet_*``/
``scunet_*`` factories give the published sizes (whose state dicts equal the official
checkpoints); the ``tiny_*`` factories keep every structural feature (pixel-unshuffle,
shifted windows, the three x2 upsamplers, the U-Net depth) at a fraction of the width so
fixtures and small trainings stay cheap.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# ImageNet-ish RGB mean subtracted by SwinIR before the network and added back after.
SWINIR_RGB_MEAN: tuple[float, float, float] = (0.4488, 0.4371, 0.4040)


@dataclass
class SwinIRConfig:
    """SwinIR as configured by DiffBIR (``general_swinir`` / ``face_swinir``).

    ``img_size`` is the side of the *feature map* the attention masks are precomputed for
    (after the pixel-unshuffle); it only sizes the stored ``attn_mask`` buffers, the
    forward pass recomputes the mask for the actual input. ``sf`` is both the
    pixel-unshuffle factor of ``conv_first`` (as in the reference) and the total factor
    of the ``nearest+conv`` upsampler (log2(sf) x2 steps); ``upscale`` is the resulting
    net scale of the network and must equal ``sf / unshuffle_scale`` (1 for DiffBIR).
    """

    img_size: int = 64
    patch_size: int = 1
    in_chans: int = 3
    embed_dim: int = 180
    depths: list[int] = field(default_factory=lambda: [6] * 8)
    num_heads: list[int] = field(default_factory=lambda: [6] * 8)
    window_size: int = 8
    mlp_ratio: float = 2.0
    qkv_bias: bool = True
    drop_path_rate: float = 0.1  # the reference default; inactive in eval mode
    sf: int = 8
    upscale: int = 1
    img_range: float = 1.0
    upsampler: str = "nearest+conv"
    resi_connection: str = "1conv"
    unshuffle: bool = True
    unshuffle_scale: int = 8
    num_feat: int = 64
    mean: tuple[float, float, float] = SWINIR_RGB_MEAN

    def __post_init__(self) -> None:
        if len(self.depths) != len(self.num_heads):
            raise ValueError("depths and num_heads must have the same length")
        if self.patch_size != 1:
            raise ValueError("only patch_size 1 is supported (as in every SwinIR release)")
        if self.upsampler != "nearest+conv":
            raise ValueError("only the 'nearest+conv' upsampler (DiffBIR) is supported")
        if self.resi_connection != "1conv":
            raise ValueError("only resi_connection '1conv' is supported")
        if self.sf not in (2, 4, 8):
            raise ValueError("sf must be 2, 4 or 8 (one to three nearest x2 steps)")
        if any(self.embed_dim % h for h in self.num_heads):
            raise ValueError("embed_dim must be divisible by every num_heads entry")
        unshuffle = self.unshuffle_scale if self.unshuffle else 1
        if self.sf % unshuffle or self.sf // unshuffle != self.upscale:
            raise ValueError(
                f"upscale {self.upscale} must equal sf / unshuffle_scale ({self.sf}/{unshuffle})"
            )

    @property
    def size_multiple(self) -> int:
        """Input sides must be multiples of this (unshuffle factor times window size)."""
        return (self.unshuffle_scale if self.unshuffle else 1) * self.window_size


@dataclass
class RRDBNetConfig:
    """RRDBNet (ESRGAN generator) as used by BSRNet/BSRGAN; scale 2 or 4."""

    num_in_ch: int = 3
    num_out_ch: int = 3
    num_feat: int = 64
    num_block: int = 23
    num_grow_ch: int = 32
    scale: int = 4

    def __post_init__(self) -> None:
        if self.scale not in (2, 4):
            raise ValueError("RRDBNet supports scale 2 or 4")


@dataclass
class SCUNetConfig:
    """SCUNet (Swin-Conv-UNet); ``config`` holds the block count of the seven stages
    (down1, down2, down3, body, up3, up2, up1). ``input_resolution`` only decides whether
    a stage's shifted blocks fall back to plain windows (feature side <= window)."""

    in_nc: int = 3
    config: list[int] = field(default_factory=lambda: [4] * 7)
    dim: int = 64
    drop_path_rate: float = 0.0
    input_resolution: int = 256
    head_dim: int = 32
    window_size: int = 8

    def __post_init__(self) -> None:
        if len(self.config) != 7:
            raise ValueError("config must list 7 stage depths")
        if self.dim % 2 or (self.dim // 2) % self.head_dim:
            raise ValueError("dim/2 must be a multiple of head_dim")


def diffbir_swinir_config() -> SwinIRConfig:
    """The SwinIR cleaner of DiffBIR v1/v2.1 (general and face): 15.8M parameters."""
    return SwinIRConfig()


def bsrnet_config() -> RRDBNetConfig:
    """BSRNet (RRDBNet nf 64, nb 23, gc 32, x4), DiffBIR v2's SR cleaner: 16.7M parameters."""
    return RRDBNetConfig()


def scunet_psnr_config() -> SCUNetConfig:
    """SCUNet-PSNR (config [4]*7, dim 64), DiffBIR v2's denoise cleaner: 17.9M parameters."""
    return SCUNetConfig()


def tiny_swinir_config() -> SwinIRConfig:
    """A small SwinIR with the DiffBIR structure (unshuffle 8, window 8, x1)."""
    return SwinIRConfig(
        img_size=16,
        embed_dim=24,
        depths=[2, 2],
        num_heads=[2, 2],
        num_feat=16,
    )


def tiny_rrdbnet_config() -> RRDBNetConfig:
    """A small x4 RRDBNet."""
    return RRDBNetConfig(num_feat=16, num_block=2, num_grow_ch=8)


def tiny_scunet_config() -> SCUNetConfig:
    """A small SCUNet: two blocks per stage (plain then shifted windows), 8-channel heads."""
    return SCUNetConfig(config=[2, 2, 2, 2, 2, 2, 2], dim=16, head_dim=8, input_resolution=256)


CleanerConfig = SwinIRConfig | RRDBNetConfig | SCUNetConfig


def build_cleaner(cfg: CleanerConfig):
    """The cleaner module for a config (``SwinIRCleaner``, ``RRDBNet`` or ``SCUNet``)."""
    # Imported here: the model modules import this one.
    if isinstance(cfg, SwinIRConfig):
        from .swinir import SwinIRCleaner

        return SwinIRCleaner(cfg)
    if isinstance(cfg, RRDBNetConfig):
        from .rrdbnet import RRDBNet

        return RRDBNet(cfg)
    if isinstance(cfg, SCUNetConfig):
        from .scunet import SCUNet

        return SCUNet(cfg)
    raise TypeError(f"not a cleaner config: {type(cfg).__name__}")


def unwrap_cleaner_checkpoint(obj) -> dict:
    """A released cleaner checkpoint as a plain state dict: unwraps ``params`` /
    ``params_ema`` / ``state_dict`` containers and strips ``module.`` prefixes."""
    for wrapper in ("params", "params_ema", "state_dict"):
        if isinstance(obj, dict) and wrapper in obj and isinstance(obj[wrapper], dict):
            obj = obj[wrapper]
            break
    return {k.removeprefix("module."): v for k, v in obj.items()}
