"""Shared machinery of the training scripts: seeding, devices, JSON-lines logs, EMA,
checkpoints that resume bit-exactly, exported weights, and the step loop with a
wall-clock budget and SIGTERM/SIGINT handling.

Every random draw of a run goes through state that the checkpoint stores: a NumPy
``Generator`` (batch indices, crops, augmentation), a CPU ``torch.Generator`` (noise,
timesteps, condition dropout, VAE posterior samples) and the global Python/NumPy/torch
(CPU and CUDA) states (e.g. SwinIR's stochastic depth draws from torch's global RNG).
Noise is drawn on the CPU and then moved, so a seed means the same draws on any device.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import random
import signal
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

STATE_FILE = "state.pt"
LOG_FILE = "log.jsonl"
FIT_SKIP, FIT_STEPS = 20, 100  # --fit-steps: steps skipped, then steps timed
# Arguments a resumed run may change without breaking exact continuation.
RESUME_OVERRIDABLE = (
    "out",
    "steps",
    "max_minutes",
    "device",
    "threads",
    "ckpt_every",
    "log_every",
    "data",
    "data_weights",
    "resume",
    # A continuation on a bigger machine may change the batch, the crop and the decay.
    "batch_size",
    "crop",
    "lr_decay",
    "decay_start",
    "fit_steps",
)


# ----------------------------------------------------------------------------- setup


def set_seed(seed: int) -> None:
    """Seed Python, NumPy's legacy global RNG and torch (CPU and CUDA)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def resolve_device(name: str) -> torch.device:
    """``cpu``, ``cuda`` (``cuda:N``) or ``auto`` (CUDA when available)."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(name)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("--device cuda requested but torch sees no CUDA device")
    if dev.type == "cuda":
        # TF32 matrix products (10-bit mantissa inputs, fp32 accumulation): ample for training
        # these models; the speed-up was not measured here (the steps were host-bound).
        torch.set_float32_matmul_precision("high")
    return dev


def add_common_args(p: argparse.ArgumentParser, *, steps: int, batch: int, lr: float, ema: float) -> None:
    """Flags every training script shares (defaults differ per script)."""
    g = p.add_argument_group("run")
    g.add_argument("--out", required=True, help="run folder: state.pt, log.jsonl, exported <name>.pt/.json")
    g.add_argument("--resume", action="store_true", help="continue from <out>/state.pt (fresh start if absent)")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--device", default="cpu", help="cpu | cuda | cuda:N | auto")
    g.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    g.add_argument("--steps", type=int, default=steps, help="total optimiser steps of the run")
    g.add_argument("--batch-size", type=int, default=batch)
    g.add_argument("--lr", type=float, default=lr)
    g.add_argument("--warmup", type=int, default=100, help="linear learning-rate warm-up steps")
    g.add_argument("--lr-decay", choices=("constant", "cosine"), default="constant", help="after --decay-start")
    g.add_argument("--decay-start", type=int, default=0, help="step where the cosine decay to 0 at --steps begins (-1: where this invocation starts)")
    g.add_argument("--fit-steps", action="store_true", help="with --max-minutes: after a short timing, set --steps so the run ends at the budget (logged as event fit_steps)")
    g.add_argument("--grad-clip", type=float, default=1.0, help="max gradient norm (0: off)")
    g.add_argument("--ema-decay", type=float, default=ema, help="EMA of the weights (0: off)")
    g.add_argument("--ckpt-every", type=int, default=500, help="checkpoint every N steps")
    g.add_argument("--log-every", type=int, default=10, help="log a JSON line every N steps")
    g.add_argument("--max-minutes", type=float, default=0.0, help="wall-clock budget; 0: none")


def resolve_resume_args(args: argparse.Namespace) -> tuple[argparse.Namespace, dict | None]:
    """With ``--resume`` and a checkpoint present: the saved arguments, except the ones in
    :data:`RESUME_OVERRIDABLE`, which come from this command line. Returns the arguments
    and the loaded state (None for a fresh run)."""
    path = Path(args.out) / STATE_FILE
    if not (args.resume and path.exists()):
        return args, None
    state = torch.load(path, map_location="cpu", weights_only=False)
    merged = dict(state["args"])
    for k in RESUME_OVERRIDABLE:
        if hasattr(args, k):
            merged[k] = getattr(args, k)
    return argparse.Namespace(**merged), state


def lr_at(step: int, base: float, warmup: int, decay: str = "constant", decay_start: int = 0, total: int = 0) -> float:
    """Linear warm-up to ``base`` over ``warmup`` steps, then constant; with ``cosine``,
    ``base * (1 + cos(pi * (step - decay_start) / (total - decay_start))) / 2`` from
    ``decay_start`` on, reaching 0 at ``total``."""
    lr = base if warmup <= 0 else base * min(1.0, (step + 1) / warmup)
    if decay == "cosine" and step >= decay_start and total > decay_start:
        frac = min(1.0, (step - decay_start) / (total - decay_start))
        lr *= 0.5 * (1.0 + math.cos(math.pi * frac))
    return lr


# ----------------------------------------------------------------------------- logging


class JsonlLog:
    """Appends one JSON object per line; on resume drops lines past the checkpoint step so
    the log of an interrupted-and-resumed run reads like one uninterrupted run."""

    def __init__(self, path: str | os.PathLike, resume_step: int | None = None) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if resume_step is None:
            self.path.write_text("")
        elif self.path.exists():
            kept = [
                line
                for line in self.path.read_text().splitlines()
                if line.strip() and json.loads(line).get("step", 0) <= resume_step
            ]
            self.path.write_text("".join(line + "\n" for line in kept))

    def write(self, record: dict[str, Any]) -> None:
        with self.path.open("a") as f:
            f.write(json.dumps(record, sort_keys=True) + "\n")


def read_log(path: str | os.PathLike) -> list[dict[str, Any]]:
    return [json.loads(s) for s in Path(path).read_text().splitlines() if s.strip()]


# ----------------------------------------------------------------------------- EMA


class EMA:
    """Exponential moving average of a module's parameters (buffers are copied)."""

    def __init__(self, module: nn.Module, decay: float) -> None:
        self.decay = decay
        self.shadow = copy.deepcopy(module).eval()
        for p in self.shadow.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, module: nn.Module) -> None:
        # One multi-tensor lerp instead of one kernel per tensor: the tiny UNet + ControlNet
        # have ~1000 parameter tensors, and per-tensor launches dominate a GPU step.
        shadow, live = list(self.shadow.parameters()), [p.detach() for p in module.parameters()]
        if len(shadow) != len(live):
            raise ValueError("EMA: the module's parameters changed")
        if shadow:
            torch._foreach_lerp_(shadow, live, 1.0 - self.decay)
        for s, b in zip(self.shadow.buffers(), module.buffers(), strict=True):
            s.copy_(b)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return self.shadow.state_dict()

    def load_state_dict(self, sd: dict[str, torch.Tensor]) -> None:
        self.shadow.load_state_dict(sd)


# ----------------------------------------------------------------------------- checkpoints


def atomic_save(obj: Any, path: str | os.PathLike) -> None:
    """torch.save to a temporary file, then rename (a crash never leaves half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def atomic_write_json(data: Any, path: str | os.PathLike) -> None:
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)


def cpu_state_dict(module_or_sd: nn.Module | dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    sd = module_or_sd.state_dict() if isinstance(module_or_sd, nn.Module) else module_or_sd
    return {k: v.detach().to("cpu").clone() for k, v in sd.items()}


def export_weights(out: str | os.PathLike, name: str, state_dict: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
    """``<out>/<name>.pt``: a plain state dict of a tools/models class (CPU tensors);
    ``<out>/<name>.json``: ``meta`` (``kind``, ``class``, ``config`` = config_to_dict, ...)."""
    atomic_save(cpu_state_dict(state_dict), Path(out) / f"{name}.pt")
    atomic_write_json(meta, Path(out) / f"{name}.json")


def load_exported(out: str | os.PathLike, name: str) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    sd = torch.load(Path(out) / f"{name}.pt", map_location="cpu", weights_only=True)
    meta = json.loads((Path(out) / f"{name}.json").read_text())
    return sd, meta


def capture_rng(np_rng: np.random.Generator, gen: torch.Generator) -> dict[str, Any]:
    state = {
        "python": random.getstate(),
        "numpy_global": np.random.get_state(),
        "torch": torch.get_rng_state(),
        "numpy": np_rng.bit_generator.state,
        "generator": gen.get_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict[str, Any], np_rng: np.random.Generator, gen: torch.Generator) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy_global"])
    torch.set_rng_state(state["torch"])
    np_rng.bit_generator.state = state["numpy"]
    gen.set_state(state["generator"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


# ----------------------------------------------------------------------------- the run


class StopRequest:
    """Installs SIGTERM/SIGINT handlers that only set a flag, so the loop can finish the
    current step, checkpoint and return; restores the previous handlers on exit."""

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self) -> None:
        self.reason: str | None = None
        self._old: dict[int, Any] = {}

    def _handle(self, signum: int, _frame: Any) -> None:
        self.reason = f"signal {signal.Signals(signum).name}"

    def __enter__(self) -> StopRequest:
        for s in self.SIGNALS:
            try:
                self._old[s] = signal.signal(s, self._handle)
            except ValueError:  # not the main thread: signals cannot be caught here
                pass
        return self

    def __exit__(self, *exc: Any) -> None:
        for s, h in self._old.items():
            signal.signal(s, h)


@dataclass
class Run:
    """Everything a checkpoint holds. ``modules`` are trained; ``extra`` is any JSON-able
    or tensor state of the script (e.g. a learned context)."""

    out: Path
    args: argparse.Namespace
    modules: dict[str, nn.Module]
    optimizer: torch.optim.Optimizer
    device: torch.device
    np_rng: np.random.Generator
    gen: torch.Generator
    ema: dict[str, EMA] = field(default_factory=dict)
    step: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def create(
        cls,
        args: argparse.Namespace,
        modules: dict[str, nn.Module],
        params: Iterable[nn.Parameter] | None = None,
        ema_names: Iterable[str] | None = None,
        weight_decay: float = 0.0,
    ) -> Run:
        """Modules to the device, AdamW over ``params`` (default: all module parameters),
        EMA copies when ``args.ema_decay > 0``; the RNGs seeded from ``args.seed``."""
        device = resolve_device(args.device)
        for m in modules.values():
            m.to(device)
        if params is None:
            params = [p for m in modules.values() for p in m.parameters() if p.requires_grad]
        opt = torch.optim.AdamW(list(params), lr=args.lr, weight_decay=weight_decay)
        ema = {}
        if args.ema_decay > 0:
            for name in ema_names if ema_names is not None else modules:
                ema[name] = EMA(modules[name], args.ema_decay)
        gen = torch.Generator().manual_seed(args.seed)
        np_rng = np.random.default_rng(args.seed)
        return cls(Path(args.out), args, modules, opt, device, np_rng, gen, ema)

    def state(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "args": vars(self.args),
            "modules": {k: cpu_state_dict(m) for k, m in self.modules.items()},
            "ema": {k: cpu_state_dict(e.state_dict()) for k, e in self.ema.items()},
            "optimizer": self.optimizer.state_dict(),
            "rng": capture_rng(self.np_rng, self.gen),
            "extra": self.extra,
        }

    def save(self) -> None:
        atomic_save(self.state(), self.out / STATE_FILE)

    def load(self, state: dict[str, Any]) -> None:
        for k, m in self.modules.items():
            m.load_state_dict(state["modules"][k])
        for k, e in self.ema.items():
            e.load_state_dict(state["ema"][k])
        self.optimizer.load_state_dict(state["optimizer"])
        self.step = int(state["step"])
        self.extra = state.get("extra", {})
        restore_rng(state["rng"], self.np_rng, self.gen)

    def weights(self, name: str) -> dict[str, torch.Tensor]:
        """The weights to export: the EMA copy when there is one."""
        return self.ema[name].state_dict() if name in self.ema else self.modules[name].state_dict()

    def set_lr(self, lr: float) -> None:
        for g in self.optimizer.param_groups:
            g["lr"] = lr


def optimise(run: Run, loss: torch.Tensor) -> float:
    """Backward, clip (``args.grad_clip``), warm-up learning rate, Adam step; grad norm."""
    run.optimizer.zero_grad(set_to_none=True)
    loss.backward()
    params = [p for g in run.optimizer.param_groups for p in g["params"]]
    clip = run.args.grad_clip if run.args.grad_clip > 0 else math.inf
    norm = torch.nn.utils.clip_grad_norm_(params, clip)
    a = run.args
    run.set_lr(lr_at(run.step, a.lr, a.warmup, getattr(a, "lr_decay", "constant"), getattr(a, "decay_start", 0), a.steps))
    run.optimizer.step()
    return float(norm)


def train_loop(
    run: Run,
    step_fn: Callable[[Run], dict[str, float]],
    export_fn: Callable[[Run], None],
    on_step: Callable[[Run], None] | None = None,
) -> str:
    """Runs ``step_fn`` until ``args.steps``, the ``--max-minutes`` budget or a signal;
    checkpoints every ``--ckpt-every`` steps and at the end, exporting each time.
    Returns why it stopped: ``done``, ``time budget`` or ``signal SIGTERM``/``SIGINT``."""
    args = run.args
    log = JsonlLog(run.out / LOG_FILE, resume_step=run.step if args.resume else None)
    t0, c0 = time.monotonic(), time.process_time()
    t_last, s_last = t0, run.step
    start_step, t_fit = run.step, t0
    if getattr(args, "decay_start", 0) < 0:
        args.decay_start = start_step
    fitting = bool(getattr(args, "fit_steps", False) and args.max_minutes)
    reason = "done"
    with StopRequest() as stop:
        while run.step < args.steps or fitting:
            for m in run.modules.values():
                m.train()
            metrics = step_fn(run)
            run.step += 1
            for name, e in run.ema.items():
                e.update(run.modules[name])
            if run.step % args.log_every == 0 or run.step == args.steps:
                now = time.monotonic()
                rate = (run.step - s_last) / max(now - t_last, 1e-9)
                t_last, s_last = now, run.step
                # cpu_s: this process's CPU seconds, a load-independent cost measure on a shared machine.
                log.write({"step": run.step, "steps_per_s": round(rate, 4), "elapsed_s": round(now - t0, 2), "cpu_s": round(time.process_time() - c0, 2), **metrics})
            if fitting and run.step - start_step == FIT_SKIP:
                t_fit = time.monotonic()  # the first steps include warm-up (CUDA kernels, caches)
            if fitting and run.step - start_step == FIT_SKIP + FIT_STEPS:
                now = time.monotonic()
                rate = FIT_STEPS / max(now - t_fit, 1e-9)
                args.steps = run.step + max(1, int(0.97 * rate * (60.0 * args.max_minutes - (now - t0))))
                fitting = False
                log.write({"step": run.step, "event": "fit_steps", "steps": args.steps, "steps_per_s": round(rate, 3)})
            if on_step is not None:
                on_step(run)
            if stop.reason:
                reason = stop.reason
                break
            if args.max_minutes and time.monotonic() - t0 > 60.0 * args.max_minutes:
                reason = "time budget"
                break
            if run.step % args.ckpt_every == 0 and run.step < args.steps:
                run.save()
                export_fn(run)
        run.save()
        export_fn(run)
    log.write({"step": run.step, "event": "stop", "reason": reason, "elapsed_s": round(time.monotonic() - t0, 2)})
    print(f"[{run.out}] step {run.step}/{args.steps}: {reason}", file=sys.stderr)
    return reason


def to_device_float(x: np.ndarray, device: torch.device) -> torch.Tensor:
    """uint8 NHWC -> float32 NCHW in [0, 1] on ``device``."""
    t = torch.from_numpy(np.ascontiguousarray(x)).permute(0, 3, 1, 2).float().div_(255.0)
    return t.to(device)


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    """PSNR in dB of images in [0, 1] (RGB, over all pixels of the batch)."""
    mse = torch.mean((a.clamp(0, 1) - b.clamp(0, 1)) ** 2).item()
    return float("inf") if mse == 0 else 10.0 * math.log10(1.0 / mse)


def with_overrides(cfg: Any, overrides: str | None) -> Any:
    """A copy of dataclass ``cfg`` with fields replaced from a JSON object (a string, or
    ``@path`` to a JSON file); lists stay lists where the field is a list, else tuples."""
    import dataclasses

    if not overrides:
        return cfg
    text = Path(overrides[1:]).read_text() if overrides.startswith("@") else overrides
    data = json.loads(text)
    current = dataclasses.asdict(cfg)
    unknown = set(data) - set(current)
    if unknown:
        raise ValueError(f"unknown {type(cfg).__name__} fields: {sorted(unknown)}")
    fixed = {k: (tuple(v) if isinstance(v, list) and isinstance(current[k], tuple) else v) for k, v in data.items()}
    return dataclasses.replace(cfg, **fixed)
