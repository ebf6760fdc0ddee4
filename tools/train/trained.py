"""Load the exported results of the three training runs as tools/models modules, for the
bundle exporter (tools/export.py) or an evaluation script.

Each run folder holds ``<name>.pt`` (a plain ``state_dict``) and ``<name>.json`` (``class``,
``config`` = ``config_to_dict``, ``step``, ...); the diffusion run adds ``context.pt``
(the learned prompt embeddings ``positive``/``negative``, (1, L, D) each) and
``diffusion.json`` (prediction, schedule, latent and context numbers in the manifest's
field names).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from torch import nn

from tools.models.configs import ControlNetConfig, UNetConfig, config_from_dict
from tools.models.controlnet import IRControlNet
from tools.models.unet import UNetModel
from tools.models.vae import AutoencoderKL

from .common import load_exported
from .train_diffusion import load_cleaner, load_vae


@dataclass
class TrainedBundle:
    unet: UNetModel
    controlnet: IRControlNet
    vae: AutoencoderKL  # cfg.scaling_factor is the measured one
    cleaner: nn.Module
    cleaner_meta: dict[str, Any]
    positive: np.ndarray  # (1, L, D) float32: the learned context standing in for a prompt
    negative: np.ndarray  # (1, L, D) float32: the CFG-dropout context
    diffusion: dict[str, Any]  # diffusion.json


def load_trained(cleaner_run: str | Path, vae_run: str | Path, diffusion_run: str | Path) -> TrainedBundle:
    cleaner, cmeta = load_cleaner(cleaner_run)
    vae, scale = load_vae(vae_run)
    diffusion = json.loads((Path(diffusion_run) / "diffusion.json").read_text())
    if abs(diffusion["latent"]["scalingFactor"] - scale) > 1e-9 * max(1.0, scale):
        raise ValueError(
            f"diffusion was trained on latents scaled by {diffusion['latent']['scalingFactor']}, "
            f"but {vae_run} has scaling_factor {scale}: the latents come from another VAE export"
        )
    sd, meta = load_exported(diffusion_run, "unet")
    unet = UNetModel(config_from_dict(UNetConfig, meta["config"]))
    unet.load_state_dict(sd)
    sd, meta = load_exported(diffusion_run, "controlnet")
    controlnet = IRControlNet(config_from_dict(ControlNetConfig, meta["config"]))
    controlnet.load_state_dict(sd)
    ctx, _ = load_exported(diffusion_run, "context")
    return TrainedBundle(
        unet.eval(),
        controlnet.eval(),
        vae,
        cleaner,
        cmeta,
        ctx["positive"].float().numpy(),
        ctx["negative"].float().numpy(),
        diffusion,
    )
