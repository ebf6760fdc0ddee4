"""Train the tiny KL-f8 autoencoder (docs/training.md).

Loss per image, with x and its reconstruction in [-1, 1] (posterior sample decoded):
``L = mean|x - x^| + w_edge * mean|S(x) - S(x^)| + w_kl * KL / (3 H W)`` where
``KL = 1/2 sum(mu^2 + sigma^2 - 1 - log sigma^2)`` over the latent and S the Sobel
gradients of the luma. Dividing the KL by the pixel count keeps LDM's balance of a
per-pixel-summed reconstruction term against ``kl_weight * KL`` (1e-6 there). The edge
term is an LPIPS-free proxy that punishes the blur an L1 autoencoder tends to. No GAN.

Every export also measures, on a fixed set of training patches, the PSNR of the
reconstruction from the posterior mean and the latent scaling factor
``1 / std(posterior means)`` (the bundle's ``latent.scalingFactor``; written into the
exported config as ``scaling_factor``).

    python -m tools.train.train_vae --data hq.npz --out runs/vae --steps 20000
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from tools.models.configs import config_to_dict, tiny_vae_config
from tools.models.vae import AutoencoderKL

from .common import (
    Run,
    add_common_args,
    export_weights,
    optimise,
    psnr,
    resolve_resume_args,
    set_seed,
    to_device_float,
    train_loop,
    with_overrides,
)
from .data import PatchArchive

_SOBEL_X = torch.tensor([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])
_LUMA = torch.tensor([0.2989, 0.5870, 0.1140])


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m tools.train.train_vae", description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="patch archive (.npz); its hq patches are used")
    p.add_argument("--config", default=None, help="JSON overrides of tiny_vae_config() or @file.json")
    p.add_argument("--crop", type=int, default=128, help="crop side (multiple of 8)")
    p.add_argument("--kl-weight", type=float, default=1e-6)
    p.add_argument("--edge-weight", type=float, default=0.1)
    p.add_argument("--scale-samples", type=int, default=128, help="patches for the scaling factor / PSNR at export")
    add_common_args(p, steps=20000, batch=8, lr=2e-4, ema=0.0)
    return p.parse_args(argv)


def sobel_edges(x: torch.Tensor) -> torch.Tensor:
    """(B, 2, H, W) Sobel gradients of the luma of RGB ``x`` (replicate padding)."""
    y = (x * _LUMA.to(x).view(1, 3, 1, 1)).sum(1, keepdim=True)
    k = torch.stack([_SOBEL_X, _SOBEL_X.t()]).unsqueeze(1).to(x)
    return F.conv2d(F.pad(y, (1, 1, 1, 1), mode="replicate"), k)


def kl_per_image(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mean, exp(logvar)) || N(0, I)) summed over each latent: (B,)."""
    return 0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar).flatten(1).sum(1)


def vae_loss(x: torch.Tensor, rec: torch.Tensor, mean: torch.Tensor, logvar: torch.Tensor, kl_weight: float, edge_weight: float) -> tuple[torch.Tensor, dict[str, float]]:
    l1 = (x - rec).abs().mean()
    edge = (sobel_edges(x) - sobel_edges(rec)).abs().mean() if edge_weight > 0 else torch.zeros((), device=x.device)
    kl = kl_per_image(mean, logvar).mean() / x[0].numel()
    loss = l1 + edge_weight * edge + kl_weight * kl
    return loss, {"l1": l1.item(), "edge": edge.item(), "kl": kl.item()}


@torch.no_grad()
def latent_stats(vae: AutoencoderKL, patches: np.ndarray, device: torch.device, batch: int = 16, decode: int = 32) -> dict[str, float]:
    """``scaling_factor`` = 1 / std of the posterior means over ``patches`` (uint8 NHWC),
    their mean, and the PSNR of decoding the means of the first ``decode`` patches."""
    was_training = vae.training
    vae.eval()
    means, recs = [], []
    for i in range(0, len(patches), batch):
        x = to_device_float(patches[i : i + batch], device) * 2 - 1
        m = vae.encode(x)
        means.append(m.double().cpu())
        if i < decode:
            recs.append(((vae.decode(m) + 1) / 2).cpu())
    vae.train(was_training)
    z = torch.cat(means)
    x0 = to_device_float(patches[: sum(len(r) for r in recs)], torch.device("cpu"))
    return {
        "scaling_factor": float(1.0 / z.std()),
        "latent_mean": float(z.mean()),
        "psnr_mean_latent": round(psnr(torch.cat(recs), x0), 3),
    }


def main(argv: Sequence[str] | None = None, on_step: Callable[[Run], None] | None = None) -> str:
    args, state = resolve_resume_args(parse_args(argv))
    torch.set_num_threads(args.threads)
    set_seed(args.seed)
    data = PatchArchive(args.data)
    cfg = with_overrides(tiny_vae_config(), args.config)
    if args.crop % cfg.downscale:
        raise ValueError(f"--crop must be a multiple of {cfg.downscale}")
    vae = AutoencoderKL(cfg)
    run = Run.create(args, {"vae": vae})
    if state is not None:
        run.load(state)
    # A fixed evaluation set drawn from its own seed: exporting never touches the run's RNGs.
    _, eval_patches = data.sample(np.random.default_rng([args.seed, 1]), min(args.scale_samples, len(data)), args.crop, augment=False)

    def step(run: Run) -> dict[str, float]:
        _, hq_np = data.sample(run.np_rng, args.batch_size, args.crop)
        x = to_device_float(hq_np, run.device) * 2 - 1
        rec, mean, logvar = posterior_forward(run.modules["vae"], x, run.gen)
        loss, parts = vae_loss(x, rec, mean, logvar, args.kl_weight, args.edge_weight)
        norm = optimise(run, loss)
        return {"loss": loss.item(), **parts, "psnr": round(psnr((rec.detach() + 1) / 2, (x + 1) / 2), 3), "grad_norm": round(norm, 4)}

    def export(run: Run) -> None:
        weights = run.weights("vae")
        model = vae
        if "vae" in run.ema:
            model = run.ema["vae"].shadow
        stats = latent_stats(model, eval_patches, run.device)
        meta = {
            "kind": "vae",
            "class": "AutoencoderKL",
            "config": {**config_to_dict(cfg), "scaling_factor": stats["scaling_factor"]},
            "scaling_factor": stats["scaling_factor"],
            "eval": stats,
            "step": run.step,
            "ema": "vae" in run.ema,
            "data": data.meta,
            "seed": args.seed,
            "loss": {"kl_weight": args.kl_weight, "edge_weight": args.edge_weight},
        }
        export_weights(run.out, "vae", weights, meta)

    return train_loop(run, step, export, on_step)


def posterior_forward(vae: AutoencoderKL, x: torch.Tensor, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``vae.forward(x, sample_posterior=True)`` with the noise drawn on the CPU from
    ``gen`` (the same draws on every device): (reconstruction, mean, logvar)."""
    mean, logvar = vae.encode_moments(x)
    noise = torch.randn(mean.shape, generator=gen).to(x.device)
    z = mean + torch.exp(0.5 * logvar) * noise
    return vae.decode(z), mean, logvar


if __name__ == "__main__":
    main()
