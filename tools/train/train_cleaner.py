"""Train the stage-1 cleaner (docs/training.md).

The cleaner is DiffBIR's SwinIR path: x1 on the bicubic-upsampled LQ image, L2 loss
against HQ (diffbir-inference.md section 3). The default architecture is the tiny SwinIR
(``tiny_swinir_config``): its pixel-unshuffle by 8 runs the transformer on 1/64 of the
positions, so one step at HQ resolution costs little more than a small CNN at LQ size,
and it restores at any scale because the scale is handled by the bicubic pre-upsampling.
``--arch rrdbnet`` trains a tiny x4 RRDBNet (BSRNet path: runs on the LQ itself) for
comparison; it needs a scale-4 archive.

    python -m tools.train.train_cleaner --data pairs.npz --out runs/cleaner --steps 20000

``--data`` may list several archives (``x4.npz,x1.npz``), e.g. x4 and x1 pairs so one cleaner
serves both super-resolution and same-size restoration; every step draws its whole batch from
one archive, chosen with the probabilities ``--data-weights`` (default: proportional to size).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from tools.models.cleaner_configs import build_cleaner, tiny_rrdbnet_config, tiny_swinir_config
from tools.models.configs import config_to_dict

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

ARCHES = {
    "swinir": ("SwinIRCleaner", tiny_swinir_config),
    "rrdbnet": ("RRDBNet", tiny_rrdbnet_config),
}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m tools.train.train_cleaner", description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="pair archive(s) (.npz, comma-separated) from tools.train.data pairs|fallback-pairs")
    p.add_argument("--data-weights", default=None, help="comma-separated sampling weights of the --data archives (default: their sizes)")
    p.add_argument("--arch", choices=sorted(ARCHES), default="swinir")
    p.add_argument("--config", default=None, help='JSON overrides of the tiny config, e.g. \'{"embed_dim": 48}\' or @file.json')
    p.add_argument("--crop", type=int, default=128, help="HQ crop side (multiple of 64 for SwinIR)")
    add_common_args(p, steps=20000, batch=16, lr=2e-4, ema=0.0)
    return p.parse_args(argv)


def cleaner_input(lq: torch.Tensor, hq_size: tuple[int, int], arch: str) -> torch.Tensor:
    """SwinIR sees the bicubic upsampling of LQ to the HQ size; RRDBNet sees LQ."""
    if arch == "rrdbnet" or tuple(lq.shape[-2:]) == tuple(hq_size):
        return lq
    return F.interpolate(lq, size=hq_size, mode="bicubic", align_corners=False).clamp_(0.0, 1.0)


def archive_weights(archives: Sequence[PatchArchive], spec: str | None) -> np.ndarray:
    """Probability of drawing a step's batch from each archive: ``spec`` (comma-separated,
    normalised) or, by default, proportional to the number of patches."""
    raw = [float(w) for w in spec.split(",")] if spec else [float(len(a)) for a in archives]
    if len(raw) != len(archives) or any(w < 0 for w in raw) or sum(raw) <= 0:
        raise ValueError(f"--data-weights needs {len(archives)} non-negative weights with a positive sum, got {spec!r}")
    w = np.asarray(raw, dtype=np.float64)
    return w / w.sum()


def main(argv: Sequence[str] | None = None, on_step: Callable[[Run], None] | None = None) -> str:
    args, state = resolve_resume_args(parse_args(argv))
    torch.set_num_threads(args.threads)
    set_seed(args.seed)
    paths = args.data.split(",")
    archives = [PatchArchive(path) for path in paths]
    for path, data in zip(paths, archives):
        if data.lq is None:
            raise ValueError(f"{path} has no lq patches (build it with `pairs` or `fallback-pairs`)")
    weights = archive_weights(archives, args.data_weights)
    cls_name, factory = ARCHES[args.arch]
    cfg = with_overrides(factory(), args.config)
    model = build_cleaner(cfg)
    for data in archives:
        if args.arch == "rrdbnet" and model.scale != data.scale:
            raise ValueError(f"RRDBNet x{model.scale} needs a scale-{model.scale} archive, got x{data.scale}")
        if args.crop % model.size_multiple or args.crop % data.scale:
            raise ValueError(f"--crop {args.crop} must be a multiple of {model.size_multiple} and of the scale {data.scale}")
        if args.crop > data.patch:
            raise ValueError(f"--crop {args.crop} exceeds the {data.patch}-pixel patches of an archive (x{data.scale})")
    run = Run.create(args, {"cleaner": model})
    if state is not None:
        run.load(state)

    def step(run: Run) -> dict[str, float]:
        data = archives[int(run.np_rng.choice(len(archives), p=weights))] if len(archives) > 1 else archives[0]
        lq_np, hq_np = data.sample(run.np_rng, args.batch_size, args.crop)
        assert lq_np is not None
        lq, hq = to_device_float(lq_np, run.device), to_device_float(hq_np, run.device)
        out = run.modules["cleaner"](cleaner_input(lq, hq.shape[-2:], args.arch))
        loss = F.mse_loss(out, hq)
        norm = optimise(run, loss)
        return {"loss": loss.item(), "psnr": round(psnr(out.detach(), hq), 3), "grad_norm": round(norm, 4)}

    def export(run: Run) -> None:
        meta = {
            "kind": "cleaner",
            "arch": args.arch,
            "class": cls_name,
            "config": config_to_dict(cfg),
            "input": "bicubic upsampling of LQ to the output size, RGB in [0,1]" if args.arch == "swinir" else "LQ, RGB in [0,1]",
            "train_scale": archives[0].scale,
            "train_scales": [a.scale for a in archives],
            "data_weights": [round(float(w), 6) for w in weights],
            "step": run.step,
            "ema": "cleaner" in run.ema,
            "data": archives[0].meta if len(archives) == 1 else [a.meta for a in archives],
            "seed": args.seed,
        }
        export_weights(run.out, "cleaner", run.weights("cleaner"), meta)

    return train_loop(run, step, export, on_step)


if __name__ == "__main__":
    main()
