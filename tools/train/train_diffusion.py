"""Train the tiny latent diffusion UNet and its IRControlNet (docs/training.md).

Two sub-commands:

``latents``: encode a pair archive once. For every patch, ``z = s * E(2 hq - 1)`` and
``c = s * E(2 clean(lq) - 1)`` where E is the trained VAE encoder's posterior mean, s its
scaling factor and ``clean`` the trained stage-1 cleaner (the paper's stage-2 condition).
Each diffusion step then costs only the UNet and the ControlNet.

``train``: the diffusion loss on those latents. There is no Stable Diffusion prior at
this size, so the UNet is trained from scratch *jointly* with the ControlNet (which
starts as a copy of the UNet encoder via ``init_from_unet``, zero convs at zero, as in
DiffBIR). No text encoder is trained: the context is a learned constant embedding
(``positive``), and with ``--cfg-dropout p`` a second learned embedding (``negative``)
replaces it for a fraction p of the samples so classifier-free guidance has an
unconditional branch; the bundle ships both as its prompt embeddings. The condition
latent c is never dropped (DiffBIR's CFG keeps c in both branches).

Schedule: LDM linear, 1000 steps, betas ``linspace(sqrt(0.00085), sqrt(0.012))^2``;
default zero terminal SNR with v-prediction (as DiffBIR v2.1): the last step is pure noise,
exactly where every sampler starts, and v stays a well-posed target at both ends.
``--prediction epsilon --no-zero-snr`` gives the SD 2.1-base / v1 setting.

    python -m tools.train.train_diffusion latents --pairs pairs.npz --vae runs/vae --cleaner runs/cleaner --out latents.npz
    python -m tools.train.train_diffusion train --data latents.npz --out runs/diffusion --steps 50000
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from tools.models.cleaner_configs import RRDBNetConfig, SCUNetConfig, SwinIRConfig, build_cleaner
from tools.models.configs import (
    ControlNetConfig,
    VAEConfig,
    config_from_dict,
    config_to_dict,
    tiny_controlnet_config,
    tiny_unet_config,
)
from tools.models.controlnet import IRControlNet
from tools.models.unet import UNetModel
from tools.models.vae import AutoencoderKL

from .common import (
    Run,
    add_common_args,
    atomic_write_json,
    export_weights,
    load_exported,
    optimise,
    resolve_device,
    resolve_resume_args,
    set_seed,
    to_device_float,
    train_loop,
    with_overrides,
)
from .data import LatentArchive, PatchArchive, dihedral, save_latent_archive
from .train_cleaner import cleaner_input

BETA_START, BETA_END, TRAIN_STEPS = 0.00085, 0.012, 1000
CLEANER_CONFIGS = {"SwinIRCleaner": SwinIRConfig, "RRDBNet": RRDBNetConfig, "SCUNet": SCUNetConfig}


# ----------------------------------------------------------------------------- schedule


def alphas_cumprod(zero_snr: bool, steps: int = TRAIN_STEPS, beta_start: float = BETA_START, beta_end: float = BETA_END) -> np.ndarray:
    """alpha_bar_t of the LDM linear schedule, float64; with ``zero_snr`` rescaled so that
    alpha_bar[0] is unchanged and alpha_bar[-1] = 0 (diffbir-inference.md section 5)."""
    betas = np.linspace(math.sqrt(beta_start), math.sqrt(beta_end), steps, dtype=np.float64) ** 2
    ab = np.cumprod(1.0 - betas)
    if zero_snr:
        s = np.sqrt(ab)
        s = (s - s[-1]) * s[0] / (s[0] - s[-1])
        ab = s**2
    return ab


def diffusion_target(x0: torch.Tensor, noise: torch.Tensor, ab: torch.Tensor, prediction: str) -> tuple[torch.Tensor, torch.Tensor]:
    """(x_t, target): ``x_t = sqrt(ab) x0 + sqrt(1-ab) eps``; target eps, or
    ``v = sqrt(ab) eps - sqrt(1-ab) x0``. ``ab`` is (B,)."""
    a = ab.sqrt().view(-1, 1, 1, 1)
    b = (1.0 - ab).sqrt().view(-1, 1, 1, 1)
    x_t = a * x0 + b * noise
    return x_t, (noise if prediction == "epsilon" else a * noise - b * x0)


class LearnedContext(nn.Module):
    """The constant cross-attention contexts standing in for encoded prompts: (1, L, D) each."""

    def __init__(self, length: int, dim: int) -> None:
        super().__init__()
        self.positive = nn.Parameter(torch.randn(1, length, dim))
        self.negative = nn.Parameter(torch.randn(1, length, dim))

    def forward(self, drop: torch.Tensor) -> torch.Tensor:
        """(B, L, D): ``negative`` where ``drop`` (B,) is True, else ``positive``."""
        return torch.where(drop.view(-1, 1, 1), self.negative, self.positive)


# ----------------------------------------------------------------------------- latents


def load_cleaner(folder: str | Path) -> tuple[nn.Module, dict]:
    sd, meta = load_exported(folder, "cleaner")
    model = build_cleaner(config_from_dict(CLEANER_CONFIGS[meta["class"]], meta["config"]))
    model.load_state_dict(sd)
    return model.eval(), meta


def load_vae(folder: str | Path) -> tuple[AutoencoderKL, float]:
    sd, meta = load_exported(folder, "vae")
    vae = AutoencoderKL(config_from_dict(VAEConfig, meta["config"]))
    vae.load_state_dict(sd)
    return vae.eval(), float(meta["scaling_factor"])


@torch.no_grad()
def encode_latents(
    pairs: PatchArchive, vae: AutoencoderKL, scale: float, cleaner: nn.Module, cleaner_arch: str,
    device: torch.device, batch: int = 16, augment: int = 1, seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(z, c, source) for every patch (x ``augment`` random flips/rotations, the first copy
    unflipped): ``z = scale * E(2 hq - 1)``, ``c = scale * E(2 clamp(cleaner(lq)) - 1)``."""
    if pairs.lq is None:
        raise ValueError("the archive has no lq patches")
    vae.to(device)
    cleaner.to(device)
    rng = np.random.default_rng(seed)
    zs, cs, src = [], [], []
    n = len(pairs)
    for copy in range(augment):
        ks = np.zeros(n, dtype=int) if copy == 0 else rng.integers(0, 8, size=n)
        for i in range(0, n, batch):
            sl = slice(i, min(n, i + batch))
            hq_np = np.stack([dihedral(p, int(k)) for p, k in zip(pairs.hq[sl], ks[sl], strict=True)])
            lq_np = np.stack([dihedral(p, int(k)) for p, k in zip(pairs.lq[sl], ks[sl], strict=True)])
            hq, lq = to_device_float(hq_np, device), to_device_float(lq_np, device)
            reg = cleaner(cleaner_input(lq, hq.shape[-2:], cleaner_arch))
            if reg.shape[-2:] != hq.shape[-2:]:
                reg = F.interpolate(reg, size=hq.shape[-2:], mode="bicubic", align_corners=False, antialias=True)
            reg = reg.clamp(0.0, 1.0)
            zs.append((vae.encode(hq * 2 - 1) * scale).cpu().numpy())
            cs.append((vae.encode(reg * 2 - 1) * scale).cpu().numpy())
            src.append(pairs.source[sl])
    return np.concatenate(zs), np.concatenate(cs), np.concatenate(src)


def cmd_latents(args: argparse.Namespace) -> None:
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    pairs = PatchArchive(args.pairs)
    vae, scale = load_vae(args.vae)
    cleaner, cmeta = load_cleaner(args.cleaner)
    z, c, source = encode_latents(pairs, vae, scale, cleaner, cmeta["arch"], device, args.batch_size, args.augment, args.seed)
    meta = {"kind": "latents", "pairs": pairs.meta, "vae": str(args.vae), "cleaner": str(args.cleaner), "augment": args.augment, "seed": args.seed}
    save_latent_archive(args.out, z=z, c=c, names=pairs.names, source=source, scaling_factor=scale, meta=meta)
    print(f"{args.out}: {len(z)} latent pairs of {tuple(z.shape[1:])}, std z {z.std():.3f} c {c.std():.3f}")


# ----------------------------------------------------------------------------- training


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m tools.train.train_diffusion", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    lat = sub.add_parser("latents", help="encode a pair archive with the trained VAE and cleaner")
    lat.add_argument("--pairs", required=True, help="pair archive (.npz)")
    lat.add_argument("--vae", required=True, help="run folder of train_vae (vae.pt/json)")
    lat.add_argument("--cleaner", required=True, help="run folder of train_cleaner (cleaner.pt/json)")
    lat.add_argument("--out", required=True)
    lat.add_argument("--augment", type=int, default=1, help="copies per patch (extra ones flipped/rotated)")
    lat.add_argument("--batch-size", type=int, default=16)
    lat.add_argument("--seed", type=int, default=0)
    lat.add_argument("--device", default="cpu")
    lat.add_argument("--threads", type=int, default=2)
    tr = sub.add_parser("train", help="train UNet + IRControlNet on a latent archive")
    tr.add_argument("--data", required=True, help="latent archive (.npz) from `latents`")
    tr.add_argument("--unet-config", default=None, help="JSON overrides of tiny_unet_config() (the ControlNet mirrors it)")
    tr.add_argument("--crop", type=int, default=0, help="latent crop side (multiple of 8); 0: whole patch")
    tr.add_argument("--prediction", choices=("v", "epsilon"), default="v")
    tr.add_argument("--zero-snr", action=argparse.BooleanOptionalAction, default=True)
    tr.add_argument("--context-length", type=int, default=77)
    tr.add_argument("--cfg-dropout", type=float, default=0.1, help="probability of the negative context")
    tr.add_argument("--init", default=None, help="run folder whose exported unet/controlnet/context start the run")
    tr.add_argument("--freeze-unet", action="store_true", help="train only the ControlNet (DiffBIR's stage 2 proper)")
    tr.add_argument("--amp", choices=("off", "bf16"), default="off", help="bf16 autocast of the forward pass (CUDA); weights, optimiser and loss stay fp32")
    add_common_args(tr, steps=50000, batch=16, lr=1e-4, ema=0.999)
    args = p.parse_args(argv)
    if args.cmd == "train" and args.zero_snr and args.prediction == "epsilon":
        p.error("zero terminal SNR needs --prediction v (epsilon is undefined at alpha_bar = 0)")
    return args


def diffusion_meta(args: argparse.Namespace, unet_cfg, scaling_factor: float, step: int) -> dict:
    """The numbers a bundle manifest needs (field names as in manifest.json)."""
    return {
        "kind": "diffusion",
        "prediction": args.prediction,
        "schedule": {"kind": "ldm-linear", "betaStart": BETA_START, "betaEnd": BETA_END, "steps": TRAIN_STEPS, "zeroTerminalSnr": bool(args.zero_snr)},
        "latent": {"channels": unet_cfg.in_channels, "downscale": 8, "scalingFactor": scaling_factor},
        "context": {"length": args.context_length, "dim": unet_cfg.context_dim},
        "controlOutputs": 3 * len(unet_cfg.channel_mult) + 1,
        "cfgDropout": args.cfg_dropout,
        "embeddings": {"positive": "context.pt['positive']", "negative": "context.pt['negative']"},
        "step": step,
        "ema": args.ema_decay > 0,
        "seed": args.seed,
    }


def cmd_train(args: argparse.Namespace, state: dict | None, on_step: Callable[[Run], None] | None) -> str:
    torch.set_num_threads(args.threads)
    set_seed(args.seed)
    data = LatentArchive(args.data)
    crop = args.crop or data.side
    if crop % 8 or crop > data.side:
        raise ValueError(f"--crop {crop} must be a multiple of 8 and at most {data.side}")
    unet_cfg = with_overrides(tiny_unet_config(), args.unet_config)
    ctrl_cfg = ControlNetConfig(**{k: v for k, v in vars(unet_cfg).items()}, hint_channels=unet_cfg.in_channels)
    if args.unet_config is None:
        assert ctrl_cfg == tiny_controlnet_config()
    unet, controlnet = UNetModel(unet_cfg), IRControlNet(ctrl_cfg)
    context = LearnedContext(args.context_length, unet_cfg.context_dim)
    if args.init:
        for name, module in (("unet", unet), ("controlnet", controlnet), ("context", context)):
            if (Path(args.init) / f"{name}.pt").exists():
                module.load_state_dict(load_exported(args.init, name)[0])
    if not (args.init and (Path(args.init) / "controlnet.pt").exists()):
        controlnet.init_from_unet(unet)
    if args.freeze_unet:
        unet.requires_grad_(False)
    modules = {"unet": unet, "controlnet": controlnet, "context": context}
    run = Run.create(args, modules)
    if state is not None:
        run.load(state)
    ab_table = torch.from_numpy(alphas_cumprod(args.zero_snr)).float()

    def step(run: Run) -> dict[str, float]:
        z_np, c_np = data.sample(run.np_rng, args.batch_size, crop)
        b = len(z_np)
        t = torch.randint(0, TRAIN_STEPS, (b,), generator=run.gen)
        noise = torch.randn(z_np.shape, generator=run.gen)
        drop = torch.rand(b, generator=run.gen) < args.cfg_dropout
        x_t, target = diffusion_target(torch.from_numpy(z_np), noise, ab_table[t], args.prediction)
        dev = run.device
        x_t, target, c = x_t.to(dev), target.to(dev), torch.from_numpy(c_np).to(dev)
        tt = t.float().to(dev)
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=getattr(args, "amp", "off") == "bf16"):
            ctx = run.modules["context"](drop.to(dev))
            ctrl = run.modules["controlnet"](x_t, c, tt, ctx)
            out = run.modules["unet"](x_t, tt, ctx, ctrl)
        loss = F.mse_loss(out.float(), target)
        norm = optimise(run, loss)
        return {"loss": loss.item(), "grad_norm": round(norm, 4)}

    def export(run: Run) -> None:
        base = {"step": run.step, "seed": args.seed, "ema": args.ema_decay > 0}
        export_weights(run.out, "unet", run.weights("unet"), {"kind": "unet", "class": "UNetModel", "config": config_to_dict(unet_cfg), **base})
        export_weights(run.out, "controlnet", run.weights("controlnet"), {"kind": "controlnet", "class": "IRControlNet", "config": config_to_dict(ctrl_cfg), **base})
        export_weights(run.out, "context", run.weights("context"), {"kind": "context", "class": "LearnedContext", "shape": [1, args.context_length, unet_cfg.context_dim], **base})
        atomic_write_json(diffusion_meta(args, unet_cfg, data.scaling_factor, run.step), run.out / "diffusion.json")

    return train_loop(run, step, export, on_step)


def main(argv: Sequence[str] | None = None, on_step: Callable[[Run], None] | None = None) -> str | None:
    args = parse_args(argv)
    if args.cmd == "latents":
        cmd_latents(args)
        return None
    args, state = resolve_resume_args(args)
    return cmd_train(args, state, on_step)


if __name__ == "__main__":
    main()
