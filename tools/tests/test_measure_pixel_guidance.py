"""tools/measure_pixel_guidance.py: the measurement against an analytic case (a linear VAE)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from tools import measure_pixel_guidance as M


def test_pixel_guidance_measurement_is_exact_for_a_linear_vae() -> None:
    """A decoder that repeats each latent value over a 2x2 RGB block with gain a has
    J^T J = 12 a^2 I and the block mean as pseudo-inverse encoder: the projection with the
    measured gain must equal the autograd VJP (cosine 1, norm ratio 1)."""
    a = 0.7

    class LinearVae:
        def decode(self, z: torch.Tensor) -> torch.Tensor:
            return a * F.interpolate(z, scale_factor=2, mode="nearest").repeat(1, 3, 1, 1)

        def encode(self, x: torch.Tensor) -> torch.Tensor:
            return F.avg_pool2d(x.mean(dim=1, keepdim=True), 2) / a

    vae = LinearVae()
    z = torch.randn(1, 1, 6, 8, generator=torch.Generator().manual_seed(1))
    g = torch.randn(1, 3, 12, 16, generator=torch.Generator().manual_seed(2))
    gain = M.decoder_gain(vae, z)
    assert gain == pytest.approx(12 * a * a, rel=1e-4)
    exact = M.exact_delta(vae, z, g)
    cos, ratio = M.compare(exact, M.projected_delta(vae, vae.decode(z), g, gain))
    assert cos == pytest.approx(1.0, abs=1e-5) and ratio == pytest.approx(1.0, rel=1e-4)
    _, too_far = M.compare(exact, M.projected_delta(vae, vae.decode(z), g, 192.0))
    assert too_far == pytest.approx(192.0 / (12 * a * a), rel=1e-4)

