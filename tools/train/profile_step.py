"""Where a denoiser training step spends its time, phase by phase (docs/training.md).

On the H100 the denoiser trained at ~3.5 steps/s whatever the batch (128 or 256) and
precision, so some fixed cost per step dominates. This runs ``train_diffusion train`` for a
few steps per batch size and times, with a device synchronisation at each boundary (module
hooks and optimizer hooks, no change to the training code):

  prepare   step start -> ControlNet forward (batch sampling, noise, targets, copies)
  control   ControlNet forward
  unet      UNet forward
  backward  UNet output -> optimizer step (loss, backward, gradient clipping)
  adam      optimizer step
  after     optimizer step -> end of step (EMA update, logging)

    python -m tools.train.profile_step --data latents.npz --device cuda --batch-sizes 64,256
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence

import numpy as np
import torch

from . import train_diffusion

PHASES = ("prepare", "control", "unet", "backward", "adam", "after")


class PhaseClock:
    """Timestamps at the phase boundaries of each step, after synchronising the device."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.marks: list[tuple[str, float]] = []
        self.steps: list[dict[str, float]] = []

    def mark(self, name: str) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        self.marks.append((name, time.perf_counter()))

    def close_step(self) -> None:
        self.mark("end")
        names = [n for n, _ in self.marks]
        if names == ["start", "control", "unet", "unet_done", "adam", "adam_done", "end"]:
            t = [s for _, s in self.marks]
            self.steps.append(dict(zip(PHASES, np.diff(t).tolist(), strict=True)))
        self.marks = []
        self.mark("start")


def install(run, clock: PhaseClock) -> None:
    ctrl, unet = run.modules["controlnet"], run.modules["unet"]
    ctrl.register_forward_pre_hook(lambda *_: clock.mark("control"))
    unet.register_forward_pre_hook(lambda *_: clock.mark("unet"))
    unet.register_forward_hook(lambda *_: clock.mark("unet_done"))
    run.optimizer.register_step_pre_hook(lambda *_: clock.mark("adam"))
    run.optimizer.register_step_post_hook(lambda *_: clock.mark("adam_done"))


def profile(data: str, device: str, batch: int, steps: int, extra: Sequence[str] = ()) -> dict[str, float]:
    """Median milliseconds per phase over ``steps`` steps (the first 3 are warm-up)."""
    clock = PhaseClock(torch.device(device))
    installed = False

    def on_step(run) -> None:
        nonlocal installed
        if not installed:
            install(run, clock)
            installed = True
            clock.mark("start")
        else:
            clock.close_step()

    with tempfile.TemporaryDirectory() as out:
        args = ["train", "--data", data, "--out", out, "--device", device, "--batch-size", str(batch),
                "--steps", str(steps + 4), "--log-every", "1000", "--ckpt-every", "100000", *extra]
        train_diffusion.main(args, on_step=on_step)
    timed = clock.steps[3:] or clock.steps
    return {p: 1e3 * float(np.median([s[p] for s in timed])) for p in PHASES}


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m tools.train.profile_step", description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="latent archive (.npz)")
    p.add_argument("--device", default="cuda")
    p.add_argument("--batch-sizes", default="64,256")
    p.add_argument("--steps", type=int, default=10)
    args, extra = p.parse_known_args(argv)
    print("batch " + " ".join(f"{ph:>9}" for ph in PHASES) + "     total  (median ms per step)")
    for b in (int(x) for x in args.batch_sizes.split(",")):
        ms = profile(args.data, args.device, b, args.steps, extra)
        print(f"{b:5d} " + " ".join(f"{ms[ph]:9.1f}" for ph in PHASES) + f" {sum(ms.values()):9.1f}")


if __name__ == "__main__":
    main()
