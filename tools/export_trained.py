"""Build a model bundle from the three training runs of tools/train (docs/training.md).

    tools/.venv/bin/python -m tools.export_trained \\
        --cleaner runs/cleaner --vae runs/vae --diffusion runs/diffusion --out bundles/tiny \\
        [--name tiny] [--description ...] [--min-short-side 256] \\
        [--sampler edm_dpm++_3m_sde] [--steps 10] [--cfg 4] [--photos-manifest photos/manifest.json]

What differs from a converted DiffBIR bundle (tools/export.py ``export_bundle``, which
needs a text encoder to compute its prompt embeddings):

- the prompt embeddings are the **learned** ``positive``/``negative`` contexts of the
  diffusion run (``context.pt``); there is no text encoder or tokenizer, so prompt
  strings are refused by the runtime and the defaults' prompt texts are empty;
- ``latent.scalingFactor`` is the VAE run's measured ``1 / std(posterior means)``;
- ``diffusion.prediction`` and ``schedule.zeroTerminalSnr`` come from ``diffusion.json``;
- the cleaner's ``scale``/``sizeMultiple``/``preprocess`` come from the module itself
  (tiny SwinIR: x1, multiple 64, ``swinir`` = resize first, then clean);
- every component is ``Apache-2.0`` (our own weights); ``provenance`` has
  ``randomWeights: false``, the exported ``.pt`` files as sources, the runs' seeds,
  steps and last logged metrics (``provenance.training``) and the training photos'
  licences (``provenance.data``, see docs/dataset-card.md).

The graphs are written with ``tools.export.export_graph`` (same contracts and exporter as
every other bundle), then each is run once in onnxruntime against the PyTorch module on
fresh inputs (``--no-check`` skips it).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from tools import bundle as B
from tools.export import SPECS, FusedDenoiser, VAEDecoderGraph, VAEEncoderGraph, example_inputs, export_graph, run_onnx
from tools.train.common import read_log
from tools.train.trained import TrainedBundle, load_trained

OWN_LICENCE = "Apache-2.0"
# minShortSide: the stage-1 output's short side is raised to at least this. 512 is SD's
# native size; the tiny bundle's UNet was trained on 128-256 px crops and runs on a CPU,
# where 512² costs 4x the time of 256² for no gain at this model size.
DEFAULT_MIN_SHORT_SIDE = 256
DEFAULT_SAMPLER = "edm_dpm++_3m_sde"
DEFAULT_STEPS = 10
DEFAULT_CFG = 4.0
DEFAULT_SEED = 231
DATA_CARD = "docs/dataset-card.md"
# Licences of the training photos (docs/dataset-card.md), when no photos manifest is given.
TRAIN_PHOTO_LICENCES = ("CC-BY-4.0", "CC-BY-SA-3.0", "CC-BY-SA-4.0", "CC0-1.0", "GPL-2+")
CONTEXT_TEXT = "(learned context, tools/train/train_diffusion.py: no text encoder)"
# Run outputs listed as provenance sources, per role.
SOURCE_FILES = {"cleaner": ("cleaner", "cleaner.pt"), "vae": ("vae", "vae.pt"), "unet": ("diffusion", "unet.pt"),
                "controlnet": ("diffusion", "controlnet.pt"), "context": ("diffusion", "context.pt")}


def cleaner_kind(arch: str) -> str:
    """Manifest ``kind`` of a trained cleaner: the tiny RRDBNet x4 is the BSRNet architecture."""
    return {"swinir": "swinir", "rrdbnet": "bsrnet"}.get(arch, arch)


def run_summary(run: str | Path, name: str) -> dict[str, Any]:
    """Seed, exported step and the last logged metrics of a run (from ``<name>.json`` and ``log.jsonl``)."""
    run = Path(run)
    meta = json.loads((run / f"{name}.json").read_text())
    out: dict[str, Any] = {"step": int(meta["step"]), "seed": meta.get("seed")}
    log_path = run / "log.jsonl"
    if log_path.exists():
        log = read_log(log_path)
        # The log may run ahead of the export (a live run): the last line at or before it.
        steps = [r for r in log if "loss" in r and r["step"] <= out["step"]]
        if steps:
            last = steps[-1]
            out["lastLog"] = {k: last[k] for k in ("step", "loss", "psnr", "cpu_s", "elapsed_s") if k in last}
        stops = [r for r in log if r.get("event") == "stop"]
        if stops:
            out["stop"] = stops[-1].get("reason")
            out["sessions"] = len(stops)
            # elapsed_s restarts with every session (--resume): the sum is the run's wall time.
            out["wallSeconds"] = round(sum(float(r.get("elapsed_s", 0.0)) for r in stops), 1)
    state = run / "state.pt"
    if state.exists():
        args = torch.load(state, map_location="cpu", weights_only=False)["args"]
        out["args"] = {k: args[k] for k in ("steps", "batch_size", "lr", "crop", "ema_decay", "arch", "cfg_dropout") if k in args}
    return out


def data_licences(photos_manifest: str | Path | None) -> list[str]:
    """Distinct licences of the training photos (from fetch_photos' manifest.json when given)."""
    if photos_manifest is None:
        return list(TRAIN_PHOTO_LICENCES)
    photos = json.loads(Path(photos_manifest).read_text())["photos"]
    return sorted({p["licence"] for p in photos if p.get("split") == "train"})


def check_consistent(t: TrainedBundle) -> dict[str, Any]:
    """The numbers of the manifest, checked across the modules and diffusion.json."""
    d = t.diffusion
    _, length, dim = t.positive.shape
    if t.negative.shape != t.positive.shape:
        raise ValueError(f"positive {t.positive.shape} and negative {t.negative.shape} contexts differ in shape")
    if t.unet.cfg.context_dim != dim or d["context"] != {"length": length, "dim": dim}:
        raise ValueError(f"context (1, {length}, {dim}) does not match the UNet ({t.unet.cfg.context_dim}) or diffusion.json {d['context']}")
    channels, downscale = int(t.vae.cfg.embed_dim), int(t.vae.cfg.downscale)
    if d["latent"]["channels"] != channels or d["latent"]["downscale"] != downscale:
        raise ValueError(f"VAE latent {channels} ch /{downscale} does not match diffusion.json {d['latent']}")
    controls = len(t.controlnet.zero_convs) + 1
    if controls != d["controlOutputs"]:
        raise ValueError(f"ControlNet has {controls} outputs, diffusion.json says {d['controlOutputs']}")
    return {"length": int(length), "dim": int(dim), "channels": channels, "downscale": downscale, "controls": controls}


def export_trained(
    out_dir: str | Path,
    *,
    cleaner_run: str | Path,
    vae_run: str | Path,
    diffusion_run: str | Path,
    name: str = "tiny",
    description: str | None = None,
    min_short_side: int = DEFAULT_MIN_SHORT_SIDE,
    sampler: str = DEFAULT_SAMPLER,
    steps: int = DEFAULT_STEPS,
    cfg_scale: float = DEFAULT_CFG,
    seed: int = DEFAULT_SEED,
    control_scale: float = 1.0,
    guidance_scale: float | None = None,
    precision: str = "fp32",
    photos_manifest: str | Path | None = None,
    created: str | None = None,
    log=print,
) -> dict[str, Any]:
    """Writes the bundle into ``out_dir``; returns the (validated, file-checked) manifest."""
    t = load_trained(cleaner_run, vae_run, diffusion_run)
    n = check_consistent(t)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    kw = dict(latent_channels=n["channels"], downscale=n["downscale"], context=(n["length"], n["dim"]), controls=n["controls"])
    components: dict[str, Any] = {}

    def do(component: str, module: nn.Module, extra: dict[str, Any], **inputs_kw: Any) -> None:
        entry = export_graph(module, SPECS[component], example_inputs(component, **kw, **inputs_kw), out, precision)
        components[component] = {**entry, "licence": OWN_LICENCE, **extra}
        log(f"exported {component}: {entry['bytes']} bytes, {entry['parameters']} parameters")

    do("denoiser", FusedDenoiser(t.unet, t.controlnet), {})
    do("vaeEncoder", VAEEncoderGraph(t.vae), {})
    do("vaeDecoder", VAEDecoderGraph(t.vae), {})
    scale, multiple = int(t.cleaner.scale), int(t.cleaner.size_multiple)
    side = max(64, multiple)
    do(
        "cleaner",
        t.cleaner,
        {
            "kind": cleaner_kind(t.cleaner_meta.get("arch", "swinir")),
            "scale": scale,
            "sizeMultiple": multiple,
            # x1 cleaners see the bicubic up-sampling of the LQ (DiffBIR's SwinIR path).
            "preprocess": "swinir" if scale == 1 else "bsrnet",
        },
        image_hw=(side, 2 * side),
    )

    emb_dtype = "float16" if precision == "fp16" else "float32"
    embeddings = {
        k: B.write_embedding(out, f"embeddings/{k}.bin", getattr(t, k), emb_dtype, CONTEXT_TEXT)
        for k in ("positive", "negative")
    }
    runs = {"cleaner": cleaner_run, "vae": vae_run, "diffusion": diffusion_run}
    sources = [B.source_ref(role, Path(runs[run]) / f) for role, (run, f) in SOURCE_FILES.items()]
    vae_meta = json.loads((Path(vae_run) / "vae.json").read_text())
    training = {
        "cleaner": {**run_summary(cleaner_run, "cleaner"), "arch": t.cleaner_meta.get("arch")},
        "vae": {**run_summary(vae_run, "vae"), "scalingFactor": float(t.vae.cfg.scaling_factor), "eval": vae_meta.get("eval")},
        "diffusion": {
            **run_summary(diffusion_run, "unet"),
            "prediction": t.diffusion["prediction"],
            "cfgDropout": t.diffusion.get("cfgDropout"),
            "ema": t.diffusion.get("ema"),
        },
    }
    provenance: dict[str, Any] = {
        "tool": B.TOOL,
        "toolVersion": B.TOOL_VERSION,
        "created": created or B.created_timestamp(),
        "randomWeights": False,
        "sources": sources,
        "training": training,
        "data": {"card": DATA_CARD, "licences": data_licences(photos_manifest)},
    }
    if isinstance(t.diffusion.get("seed"), int) and t.diffusion["seed"] >= 0:
        provenance["seed"] = t.diffusion["seed"]
    sched = t.diffusion["schedule"]
    manifest = B.assemble_manifest(
        name=name,
        description=description,
        precision=precision,
        components=components,
        latent={"channels": n["channels"], "downscale": n["downscale"], "scalingFactor": float(t.vae.cfg.scaling_factor)},
        diffusion={
            "prediction": t.diffusion["prediction"],
            "schedule": {k: sched[k] for k in ("kind", "betaStart", "betaEnd", "steps", "zeroTerminalSnr")},
            "controlOutputs": n["controls"],
            "context": {"length": n["length"], "dim": n["dim"]},
        },
        defaults={
            "sampler": sampler,
            "steps": int(steps),
            "cfgScale": float(cfg_scale),
            "positivePrompt": "",
            "negativePrompt": "",
            "seed": int(seed),
            "controlScale": float(control_scale),
            "minShortSide": int(min_short_side),
            **({"guidanceScale": float(guidance_scale)} if guidance_scale else {}),
        },
        embeddings=embeddings,
        provenance=provenance,
    )
    B.write_manifest(out, manifest)
    B.verify_files(out, manifest)
    return manifest


@torch.no_grad()
def compare_with_torch(out_dir: str | Path, t: TrainedBundle, seed: int = 1) -> dict[str, float]:
    """Max |onnxruntime - PyTorch| of every graph of an exported bundle, on inputs of other
    sizes than the traced ones (batch 1, odd latent sides), so the dynamic axes are exercised."""
    m = B.load_manifest(out_dir)
    lat, ds = m["latent"]["channels"], m["latent"]["downscale"]
    ctx = (m["diffusion"]["context"]["length"], m["diffusion"]["context"]["dim"])
    kw = dict(batch=1, latent_channels=lat, downscale=ds, context=ctx, controls=m["diffusion"]["controlOutputs"], seed=seed)
    side = max(64, m["components"]["cleaner"]["sizeMultiple"])
    modules = {
        "denoiser": (FusedDenoiser(t.unet, t.controlnet), dict(latent_hw=(8, 24))),
        "vaeEncoder": (VAEEncoderGraph(t.vae), dict(latent_hw=(3, 5))),
        "vaeDecoder": (VAEDecoderGraph(t.vae), dict(latent_hw=(5, 3))),
        "cleaner": (t.cleaner, dict(image_hw=(2 * side, side))),
    }
    diffs: dict[str, float] = {}
    for comp, (module, size_kw) in modules.items():
        spec = SPECS[comp]
        inputs = example_inputs(comp, **kw, **size_kw)
        ref = module.eval()(*inputs).numpy()
        feeds = {n: x.numpy() for n, x in zip(spec.input_names, inputs, strict=True)}
        got = run_onnx(Path(out_dir) / m["components"][comp]["file"], feeds)[spec.output_names[0]]
        if got.shape != ref.shape:
            raise AssertionError(f"{comp}: onnx shape {got.shape} != torch {ref.shape}")
        diffs[comp] = float(np.max(np.abs(got - ref)))
    return diffs


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m tools.export_trained", description=__doc__.split("\n\n")[0])
    ap.add_argument("--cleaner", required=True, help="train_cleaner run folder (cleaner.pt/json)")
    ap.add_argument("--vae", required=True, help="train_vae run folder (vae.pt/json)")
    ap.add_argument("--diffusion", required=True, help="train_diffusion run folder (unet/controlnet/context.pt, diffusion.json)")
    ap.add_argument("--out", required=True, help="bundle folder to write")
    ap.add_argument("--name", default="tiny")
    ap.add_argument("--description", default=None)
    ap.add_argument("--min-short-side", type=int, default=DEFAULT_MIN_SHORT_SIDE)
    ap.add_argument("--sampler", default=DEFAULT_SAMPLER)
    ap.add_argument("--steps", type=int, default=DEFAULT_STEPS)
    ap.add_argument("--cfg", type=float, default=DEFAULT_CFG, help="default classifier-free guidance scale")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help="default sampling seed")
    ap.add_argument("--control-scale", type=float, default=1.0)
    ap.add_argument("--guidance", type=float, default=None, help="default fidelity guidance scale (region-adaptive, latent); omitted: none")
    ap.add_argument("--precision", choices=("fp32", "fp16"), default="fp32")
    ap.add_argument("--photos-manifest", default=None, help="fetch_photos manifest.json: licences of the training photos")
    ap.add_argument("--no-check", action="store_true", help="skip the onnxruntime vs PyTorch check")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    manifest = export_trained(
        args.out, cleaner_run=args.cleaner, vae_run=args.vae, diffusion_run=args.diffusion, name=args.name,
        description=args.description, min_short_side=args.min_short_side, sampler=args.sampler, steps=args.steps,
        cfg_scale=args.cfg, seed=args.seed, control_scale=args.control_scale, guidance_scale=args.guidance, precision=args.precision,
        photos_manifest=args.photos_manifest,
    )
    total = sum(f["bytes"] for f in B.bundle_files(manifest))
    print(f"wrote {args.out}: {total} bytes, scalingFactor {manifest['latent']['scalingFactor']:.5f}, "
          f"prediction {manifest['diffusion']['prediction']}")
    if not args.no_check:
        diffs = compare_with_torch(args.out, load_trained(args.cleaner, args.vae, args.diffusion))
        tol = 1e-4 if args.precision == "fp32" else 5e-2
        for comp, d in diffs.items():
            print(f"  {comp}: max |onnx - torch| = {d:.2e}")
        bad = {k: v for k, v in diffs.items() if not v <= tol}
        if bad:
            raise SystemExit(f"onnxruntime disagrees with PyTorch beyond {tol}: {bad}")


if __name__ == "__main__":
    main()
