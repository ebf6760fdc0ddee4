"""How well the runtime's pixel-space guidance approximates the reference (docs/guidance.md).

The reference pulls x̂0 toward the stage-1 image with the decoder's vector-Jacobian product
``δ = J_D(x̂0)ᵀ g`` (autograd). ONNX Runtime has no autograd, so without an exported VJP graph
the runtime uses the linearised encoder projection ``δ ≈ (E(D(x̂0) + ε γ g) − E(D(x̂0))) / ε``.
This script measures, for a real VAE, the cosine between the two directions and the ratio of
their norms, with the default gain γ = 192 and with γ measured by the runtime's estimator
(E‖J_D v‖²/‖v‖² over random v). Same formulas as packages/core/src/guidance/region-adaptive.ts.

    python -m tools.measure_pixel_guidance --vae-state tools/train/checkpoints/vae/state.pt \\
        --images /usr/lib/python3/dist-packages/skimage/data/astronaut.png,...
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from tools.models.configs import tiny_vae_config
from tools.models.vae import AutoencoderKL
from tools.region_adaptive_weight import weight_map
from tools.train.common import with_overrides

REFERENCE_SCALE_FACTOR = 3000.0


def pixel_gradient(pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor, scale: float) -> torch.Tensor:
    """g = −scale·3000·∂/∂pred mean_CHW(W (pred − target)²)."""
    n = pred[0].numel()
    return -scale * REFERENCE_SCALE_FACTOR * 2.0 * weight * (pred - target) / n


def exact_delta(vae: AutoencoderKL, z: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """J_D(z)ᵀ g by autograd: the reference's update before the 1/coef1."""
    z = z.detach().requires_grad_(True)
    (delta,) = torch.autograd.grad(vae.decode(z), z, g)
    return delta


@torch.no_grad()
def projected_delta(vae: AutoencoderKL, pred: torch.Tensor, g: torch.Tensor, gain: float, max_step: float = 0.05) -> torch.Tensor:
    """The runtime's linearised encoder projection (E = posterior mean)."""
    h = gain * g
    m = float(h.abs().max())
    eps = max_step / m if m > max_step else 1.0
    return (vae.encode(pred + eps * h) - vae.encode(pred)) / eps


@torch.no_grad()
def decoder_gain(vae: AutoencoderKL, z: torch.Tensor, probes: int = 4, tau: float = 0.05, seed: int = 0) -> float:
    """γ = mean over random v of ‖D(z + τv) − D(z)‖² / (τ² ‖v‖²) (estimateDecoderGain)."""
    gen = torch.Generator().manual_seed(seed)
    base = vae.decode(z)
    total = 0.0
    for _ in range(probes):
        v = torch.randn(z.shape, generator=gen)
        d = (vae.decode(z + tau * v) - base) / tau
        total += float((d**2).sum() / (v**2).sum())
    return total / probes


def compare(a: torch.Tensor, b: torch.Tensor) -> tuple[float, float]:
    """(cosine, ‖b‖/‖a‖) of two flattened tensors."""
    a, b = a.flatten().double(), b.flatten().double()
    return float(a @ b / (a.norm() * b.norm())), float(b.norm() / a.norm())


def load_vae_state(path: str) -> AutoencoderKL:
    state = torch.load(path, map_location="cpu", weights_only=False)
    vae = AutoencoderKL(with_overrides(tiny_vae_config(), state["args"].get("config")))
    vae.load_state_dict(state["modules"]["vae"])
    return vae.eval()


def load_image(path: str, size: int) -> torch.Tensor:
    """Centre crop ``size`` of an RGB image, (1,3,size,size) in [0, 1]."""
    img = np.asarray(Image.open(path).convert("RGB"))
    h, w = img.shape[:2]
    s = min(size, h, w) // 8 * 8
    y, x = (h - s) // 2, (w - s) // 2
    return torch.from_numpy(img[y : y + s, x : x + s].copy()).permute(2, 0, 1)[None].float() / 255.0


def measure(vae: AutoencoderKL, image: torch.Tensor, scale: float = 1.0, noise: float = 0.5, seed: int = 0) -> dict[str, float]:
    """Two x̂0 of the same image: a blurred one (E of a x4 down/up-sampled image) and the
    clean latent plus Gaussian noise of std ``noise`` × the latent's std (mid-sampling).
    The target is the image itself (standing in for the stage-1 output)."""
    target = image * 2 - 1
    weight = weight_map(image).float()
    h, w = image.shape[-2:]
    with torch.no_grad():
        blurred = F.interpolate(F.interpolate(image, scale_factor=0.25, mode="bicubic", antialias=True), size=(h, w), mode="bicubic")
        z_clean = vae.encode(target)
        gen = torch.Generator().manual_seed(seed)
        cases = {
            "blurred": vae.encode(blurred.clamp(0, 1) * 2 - 1),
            "noisy": z_clean + noise * float(z_clean.std()) * torch.randn(z_clean.shape, generator=gen),
        }
    out: dict[str, float] = {}
    for name, z in cases.items():
        with torch.no_grad():
            pred = vae.decode(z)
        g = pixel_gradient(pred, target, weight, scale)
        exact = exact_delta(vae, z, g)
        gamma = decoder_gain(vae, z, seed=seed)
        for label, gain in (("default", 192.0), ("measured", gamma)):
            cos, ratio = compare(exact, projected_delta(vae, pred, g, gain))
            out[f"{name}_{label}_cos"] = cos
            out[f"{name}_{label}_norm_ratio"] = ratio
        out[f"{name}_gain"] = gamma
    return out


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m tools.measure_pixel_guidance", description=__doc__.split("\n\n")[0])
    p.add_argument("--vae-state", required=True, help="train_vae state.pt (e.g. tools/train/checkpoints/vae/state.pt)")
    p.add_argument("--images", required=True, help="comma-separated image files")
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    vae = load_vae_state(args.vae_state)
    rows = {}
    for path in args.images.split(","):
        rows[path.rsplit("/", 1)[-1]] = measure(vae, load_image(path, args.size))
    print(json.dumps(rows, indent=1))
    keys = next(iter(rows.values())).keys()
    print("mean:", {k: round(float(np.mean([r[k] for r in rows.values()])), 3) for k in keys})
    assert all(math.isfinite(v) for r in rows.values() for v in r.values())


if __name__ == "__main__":
    main()
