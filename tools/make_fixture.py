"""Writes the tiny random-weight bundle fixtures/bundles/tiny-random/ and PyTorch reference
outputs of each graph (reference/*.bin + reference.json) for the TypeScript tests.

    tools/.venv/bin/python -m tools.make_fixture [--out fixtures/bundles/tiny-random]

Deterministic: weights and inputs come from fixed seeds, the manifest's `created` is fixed,
so two runs with the same torch/onnx versions give identical bytes (checked by
tools/tests/test_export.py on the reference values and the manifest).
Networks are the tiny configs narrowed further so the whole folder stays under 5 MB.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from tools import bundle as B
from tools.clip_tokenizer import ClipTokenizer
from tools.export import FusedDenoiser, VAEDecoderGraph, VAEEncoderGraph, export_bundle
from tools.models.cleaner_configs import tiny_swinir_config
from tools.models.configs import (
    ControlNetConfig,
    tiny_text_config,
    tiny_unet_config,
    tiny_vae_config,
)
from tools.models.controlnet import IRControlNet
from tools.models.swinir import SwinIRCleaner
from tools.models.text_encoder import OpenCLIPTextEncoder
from tools.models.unet import UNetModel
from tools.models.vae import AutoencoderKL

SEED = 20240817
CREATED = "2025-01-01T00:00:00Z"
DEFAULT_OUT = B.REPO_ROOT / "fixtures" / "bundles" / "tiny-random"
RELEASE = "v2.1"


def fixture_configs() -> dict[str, Any]:
    """The tiny configs, narrower: 4 levels and 13 control outputs kept, ~0.4M parameters in all."""
    unet = dataclasses.replace(
        tiny_unet_config(), model_channels=8, num_head_channels=8, context_dim=32, norm_groups=4, time_embed_dim=32
    )
    return {
        "unet": unet,
        "controlnet": ControlNetConfig(**dataclasses.asdict(unet)),
        "vae": dataclasses.replace(tiny_vae_config(), ch=8, ch_mult=(1, 2, 2, 2), norm_groups=4),
        "text": dataclasses.replace(tiny_text_config(), width=32, heads=2, proj_dim=32),
        "cleaner": tiny_swinir_config(),
    }


@torch.no_grad()
def randomize(module: nn.Module, generator: torch.Generator) -> nn.Module:
    """Seeded weights with unit-scale activations, zero-initialised layers included (they
    would otherwise make the ControlNet's outputs and the UNet's output identically zero)."""
    for name, p in module.named_parameters():
        if p.ndim >= 2:
            fan_in = int(np.prod(p.shape[1:]))
            p.copy_(torch.randn(p.shape, generator=generator) / np.sqrt(fan_in))
        elif name.endswith("weight"):  # norm scales
            p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=generator))
        else:
            p.copy_(0.1 * torch.randn(p.shape, generator=generator))
    return module.eval()


def build_models(seed: int = SEED) -> dict[str, nn.Module]:
    cfg = fixture_configs()
    g = torch.Generator().manual_seed(seed)
    return {
        "unet": randomize(UNetModel(cfg["unet"]), g),
        "controlnet": randomize(IRControlNet(cfg["controlnet"]), g),
        "vae": randomize(AutoencoderKL(cfg["vae"]), g),
        "text": randomize(OpenCLIPTextEncoder(cfg["text"]), g),
        "cleaner": randomize(SwinIRCleaner(cfg["cleaner"]), g),
    }


def fixture_tokenizer() -> ClipTokenizer:
    """CLIP BPE with no merges (514 ids: bytes, bytes + </w>, start, end): no vocabulary file needed."""
    return ClipTokenizer([])


def _write(out: Path, rel: str, a: np.ndarray) -> dict[str, Any]:
    a = np.ascontiguousarray(a, dtype="<f4")
    (out / rel).write_bytes(a.tobytes())
    return {"file": rel, "shape": [int(d) for d in a.shape], "dtype": "float32"}


def write_reference(out: Path, models: dict[str, nn.Module], manifest: dict[str, Any], tokenizer: ClipTokenizer) -> dict:
    """PyTorch outputs of every graph on fixed inputs; files are float32 (tokens too: exact below 2^24)."""
    ref_dir = out / "reference"
    if ref_dir.exists():
        shutil.rmtree(ref_dir)
    ref_dir.mkdir(parents=True)
    rng = np.random.default_rng(SEED)
    lat = manifest["latent"]["channels"]
    emb = np.concatenate([B.read_embedding(out, manifest["embeddings"][k]) for k in ("positive", "negative")])
    controls = manifest["diffusion"]["controlOutputs"]
    f32 = lambda *shape: rng.standard_normal(shape).astype(np.float32)  # noqa: E731
    cases: list[tuple[str, str, nn.Module, dict[str, np.ndarray], dict[str, str]]] = [
        (
            "denoiser-b2-8x16",
            "denoiser",
            FusedDenoiser(models["unet"], models["controlnet"]),
            {
                "x": f32(2, lat, 8, 16),
                "timestep": np.array([999.0, 250.0], np.float32),
                "context": emb,
                "control": f32(2, lat, 8, 16),
                "control_scales": np.linspace(0.5, 1.5, controls, dtype=np.float32),
            },
            {},
        ),
        (
            "denoiser-b1-16x16",
            "denoiser",
            FusedDenoiser(models["unet"], models["controlnet"]),
            {
                "x": f32(1, lat, 16, 16),
                "timestep": np.array([500.0], np.float32),
                "context": emb[1:2],
                "control": f32(1, lat, 16, 16),
                "control_scales": np.ones(controls, np.float32),
            },
            {},
        ),
        ("vae-encoder-64x96", "vaeEncoder", VAEEncoderGraph(models["vae"]),
         {"image": rng.uniform(-1, 1, (1, 3, 64, 96)).astype(np.float32)}, {}),
        ("vae-decoder-8x12", "vaeDecoder", VAEDecoderGraph(models["vae"]), {"latent": f32(1, lat, 8, 12)}, {}),
        ("cleaner-64x128", "cleaner", models["cleaner"],
         {"image": rng.uniform(0, 1, (1, 3, 64, 128)).astype(np.float32)}, {}),
        (
            "text-encoder-prompts",
            "textEncoder",
            models["text"],
            {"tokens": tokenizer([manifest["defaults"]["positivePrompt"], manifest["defaults"]["negativePrompt"]])},
            {"tokens": "int64"},
        ),
    ]
    from tools.export import SPECS

    index = []
    for name, graph, module, inputs, graph_types in cases:
        spec = SPECS[graph]
        with torch.no_grad():
            args = [torch.from_numpy(np.asarray(inputs[n])) for n in spec.input_names]
            result = module.eval()(*args).numpy()
        entry = {
            "name": name,
            "graph": graph,
            "inputs": [
                {"name": n, **_write(out, f"reference/{name}.{n}.bin", inputs[n]), "graphDtype": graph_types.get(n, "float32")}
                for n in spec.input_names
            ],
            "outputs": [{"name": spec.output_names[0], **_write(out, f"reference/{name}.{spec.output_names[0]}.bin", result)}],
        }
        index.append(entry)
    ref = {
        "format": "diffrestore-bundle-reference",
        "version": 1,
        "generator": "tools/make_fixture.py",
        "note": "PyTorch float32 outputs of each graph on these inputs; files are raw little-endian float32.",
        "tolerance": {"maxAbs": 1e-4},
        "cases": index,
    }
    (out / "reference" / "reference.json").write_text(json.dumps(ref, indent=2) + "\n")
    return ref


def make_fixture(out: str | Path = DEFAULT_OUT, log=print) -> dict[str, Any]:
    torch.manual_seed(SEED)
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    models = build_models()
    tok = fixture_tokenizer()
    manifest = export_bundle(
        out,
        name="tiny-random",
        description="Tiny random-weight bundle for tests: the DiffBIR graph contracts at toy widths. Outputs are noise.",
        release=RELEASE,
        precision="fp32",
        unet=models["unet"],
        controlnet=models["controlnet"],
        vae=models["vae"],
        text_encoder=models["text"],
        tokenize=tok,
        cleaner=models["cleaner"],
        cleaner_kind="swinir",
        licences={k: "Apache-2.0" for k in ("denoiser", "vae", "cleaner", "text")},
        sources=[],
        random_weights=True,
        with_text_encoder=True,
        seed=SEED,
        created=CREATED,
        log=log,
    )
    write_reference(out, models, manifest, tok)
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    log(f"wrote {out} ({total} bytes)")
    return manifest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(DEFAULT_OUT))
    args = ap.parse_args()
    torch.set_num_threads(1)
    make_fixture(args.out)


if __name__ == "__main__":
    main()
