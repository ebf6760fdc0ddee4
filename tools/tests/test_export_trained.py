"""tools/export_trained.py: a bundle from three (tiny, 2-step) training runs on synthetic
data: a valid manifest carrying the runs' numbers, graphs that agree with the PyTorch
modules, and a bundle the TypeScript runtime opens and restores with."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from tools import bundle as B
from tools.export import SPECS, FusedDenoiser, VAEDecoderGraph, VAEEncoderGraph, run_onnx
from tools.export_trained import CONTEXT_TEXT, compare_with_torch, export_trained
from tools.export_trained import main as export_main
from tools.train import data as D
from tools.train import train_cleaner, train_diffusion, train_vae
from tools.train.trained import load_trained

RUN = ["--threads", "1", "--log-every", "1", "--seed", "5", "--warmup", "1", "--steps", "2"]
SMALL_UNET = '{"model_channels": 16, "num_head_channels": 8, "context_dim": 16, "norm_groups": 4}'
SMALL_VAE = '{"ch": 8, "ch_mult": [1, 2, 2, 2], "norm_groups": 4}'
NODE_DIST = B.REPO_ROOT / "packages" / "node" / "dist" / "index.js"


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("trained")
    hq = D.synthetic_images(4, 64, seed=2)
    D.save_archive(root / "hq.npz", hq=hq, names=["syn_a.png"], source=np.zeros(4), meta={"kind": "hq"})
    D.build_fallback_pairs(root / "hq.npz", root / "pairs.npz", scale=4, seed=1)
    c, v, d = root / "cleaner", root / "vae", root / "diffusion"
    assert train_cleaner.main(["--data", str(root / "pairs.npz"), "--out", str(c), "--batch-size", "1", "--crop", "64", *RUN]) == "done"
    assert train_vae.main(["--data", str(root / "hq.npz"), "--out", str(v), "--config", SMALL_VAE, "--batch-size", "1", "--crop", "32", "--scale-samples", "2", *RUN]) == "done"
    train_diffusion.main(["latents", "--pairs", str(root / "pairs.npz"), "--vae", str(v), "--cleaner", str(c), "--out", str(root / "lat.npz"), "--threads", "1"])
    assert train_diffusion.main(["train", "--data", str(root / "lat.npz"), "--out", str(d), "--unet-config", SMALL_UNET, "--batch-size", "1", "--context-length", "3",
                                 # a large step and no EMA: the zero-initialised output layers move, so the
                                 # denoiser's output is not ~0 and the ONNX comparison means something
                                 "--lr", "0.05", "--ema-decay", "0", *RUN]) == "done"
    torch.set_num_threads(1)
    bundle = root / "bundle"
    export_trained(bundle, cleaner_run=c, vae_run=v, diffusion_run=d, name="tiny-test", min_short_side=96, steps=3, cfg_scale=2.5, guidance_scale=0.75, log=lambda *_: None)
    return {"cleaner": c, "vae": v, "diffusion": d, "bundle": bundle, "root": root}


def test_manifest_carries_the_runs_numbers(runs) -> None:
    m = B.load_manifest(runs["bundle"])  # validates schema + cross-field rules
    B.verify_files(runs["bundle"], m)
    vae_meta = json.loads((runs["vae"] / "vae.json").read_text())
    diff = json.loads((runs["diffusion"] / "diffusion.json").read_text())
    assert m["latent"] == {"channels": 4, "downscale": 8, "scalingFactor": vae_meta["scaling_factor"]}
    assert m["diffusion"]["prediction"] == diff["prediction"] == "v"
    assert m["diffusion"]["schedule"]["zeroTerminalSnr"] is True
    assert m["diffusion"]["context"] == {"length": 3, "dim": 16} and m["diffusion"]["controlOutputs"] == 13
    assert m["defaults"]["minShortSide"] == 96 and m["defaults"]["steps"] == 3 and m["defaults"]["cfgScale"] == 2.5
    assert m["defaults"]["sampler"] == "edm_dpm++_3m_sde" and m["defaults"]["guidanceScale"] == 0.75
    cl = m["components"]["cleaner"]
    assert (cl["kind"], cl["scale"], cl["sizeMultiple"], cl["preprocess"]) == ("swinir", 1, 64, "swinir")
    assert "textEncoder" not in m["components"]
    assert {c["licence"] for c in m["components"].values()} == {"Apache-2.0"}
    p = m["provenance"]
    assert p["randomWeights"] is False and p["seed"] == 5
    assert {s["role"] for s in p["sources"]} == {"cleaner", "vae", "unet", "controlnet", "context"}
    unet_src = next(s for s in p["sources"] if s["role"] == "unet")
    assert unet_src["sha256"] == B.sha256_file(runs["diffusion"] / "unet.pt")
    for run in ("cleaner", "vae", "diffusion"):
        assert p["training"][run]["step"] == 2 and p["training"][run]["seed"] == 5
        assert p["training"][run]["stop"] == "done" and p["training"][run]["sessions"] == 1
        assert p["training"][run]["lastLog"]["step"] == 2 and p["training"][run]["args"]["steps"] == 2
    assert p["data"]["card"] == "docs/dataset-card.md" and "CC-BY-SA-4.0" in p["data"]["licences"]


def test_embeddings_are_the_learned_contexts(runs) -> None:
    m = B.load_manifest(runs["bundle"])
    ctx = torch.load(runs["diffusion"] / "context.pt", weights_only=True)
    for k in ("positive", "negative"):
        e = m["embeddings"][k]
        assert e["shape"] == [1, 3, 16] and e["dtype"] == "float32" and e["text"] == CONTEXT_TEXT
        np.testing.assert_array_equal(B.read_embedding(runs["bundle"], e), ctx[k].float().numpy())
    assert not np.array_equal(ctx["positive"].numpy(), ctx["negative"].numpy())


def test_every_graph_matches_pytorch(runs) -> None:
    t = load_trained(runs["cleaner"], runs["vae"], runs["diffusion"])
    m = B.load_manifest(runs["bundle"])
    g = torch.Generator().manual_seed(11)
    ctx = torch.from_numpy(np.concatenate([t.positive, t.negative]))
    cases = {
        # batch 2 with the two contexts, a latent size the trace did not see
        "denoiser": (FusedDenoiser(t.unet, t.controlnet), (
            torch.randn(2, 4, 16, 8, generator=g), torch.tensor([999.0, 17.0]), ctx,
            torch.randn(2, 4, 16, 8, generator=g), torch.linspace(0.2, 1.4, 13))),
        "vaeEncoder": (VAEEncoderGraph(t.vae), (torch.rand(1, 3, 48, 72, generator=g) * 2 - 1,)),
        "vaeDecoder": (VAEDecoderGraph(t.vae), (torch.randn(1, 4, 7, 6, generator=g),)),
        "cleaner": (t.cleaner, (torch.rand(1, 3, 128, 64, generator=g),)),
    }
    for comp, (module, inputs) in cases.items():
        spec = SPECS[comp]
        with torch.no_grad():
            ref = module.eval()(*inputs).numpy()
        got = run_onnx(runs["bundle"] / m["components"][comp]["file"], {n: x.numpy() for n, x in zip(spec.input_names, inputs, strict=True)})
        out = got[spec.output_names[0]]
        assert out.shape == ref.shape, comp
        assert np.max(np.abs(out - ref)) < 1e-4, comp
        assert np.std(ref) > 1e-3, comp  # not a degenerate all-constant output
    diffs = compare_with_torch(runs["bundle"], t)
    assert set(diffs) == {"denoiser", "vaeEncoder", "vaeDecoder", "cleaner"} and max(diffs.values()) < 1e-4


def test_inconsistent_runs_are_refused(runs, tmp_path: Path) -> None:
    bad = tmp_path / "diffusion"
    shutil.copytree(runs["diffusion"], bad)
    d = json.loads((bad / "diffusion.json").read_text())
    d["context"]["length"] = 4
    (bad / "diffusion.json").write_text(json.dumps(d))
    with pytest.raises(ValueError, match="context"):
        export_trained(tmp_path / "b", cleaner_run=runs["cleaner"], vae_run=runs["vae"], diffusion_run=bad, log=lambda *_: None)


def test_command_line_writes_the_same_graphs(runs, tmp_path: Path, capsys) -> None:
    out = tmp_path / "cli"
    photos = tmp_path / "manifest.json"
    photos.write_text(json.dumps({"photos": [{"split": "train", "licence": "CC0-1.0"}, {"split": "eval", "licence": "BSD-3-Clause"}]}))
    export_main(["--cleaner", str(runs["cleaner"]), "--vae", str(runs["vae"]), "--diffusion", str(runs["diffusion"]), "--out", str(out),
                 "--photos-manifest", str(photos), "--description", "test"])
    printed = capsys.readouterr().out
    assert "max |onnx - torch|" in printed
    m = B.load_manifest(out)
    assert m["defaults"]["minShortSide"] == 256 and m["defaults"]["cfgScale"] == 4.0 and m["defaults"]["steps"] == 10
    assert m["provenance"]["data"]["licences"] == ["CC0-1.0"] and m["description"] == "test"
    ref = B.load_manifest(runs["bundle"])
    for comp in ("denoiser", "vaeEncoder", "vaeDecoder", "cleaner"):  # the exporter is deterministic
        assert m["components"][comp]["sha256"] == ref["components"][comp]["sha256"], comp


NODE_SCRIPT = r"""
const { loadBundle } = await import(process.argv[1]);
const { restoreImage, psnrY } = await import('@diffrestore/core');
const bundle = await loadBundle(process.argv[2]);
try {
  const h = 64, w = 64, data = new Float32Array(3 * h * w);
  for (let c = 0; c < 3; c++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++)
    data[(c * h + y) * w + x] = 0.5 + 0.4 * Math.sin(0.2 * x + 0.3 * y + c);
  const image = { data, shape: [1, 3, h, w] };
  const r = await restoreImage(bundle.model, image, { steps: 2, minShortSide: 64, guidance: { kind: 'region-adaptive', scale: 0.5 } });
  const finite = r.image.data.every(Number.isFinite) && r.cleaned.data.every(Number.isFinite);
  console.log(JSON.stringify({ shape: r.image.shape, cleaned: r.cleaned.shape, finite,
    name: bundle.manifest.name, steps: bundle.model.defaults.steps, psnr: psnrY(r.image, r.cleaned) }));
} finally { await bundle.close(); }
"""


def test_typescript_runtime_opens_and_restores(runs) -> None:
    node = shutil.which("node")
    if node is None or not NODE_DIST.exists():
        pytest.skip(f"needs node and the built @diffrestore/node ({NODE_DIST}): run `npx tsup --silent` first")
    r = subprocess.run(
        [node, "--input-type=module", "-e", NODE_SCRIPT, str(NODE_DIST), str(runs["bundle"])],
        cwd=B.REPO_ROOT, capture_output=True, text=True, timeout=120,
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["shape"] == [1, 3, 64, 64] and out["cleaned"] == [1, 3, 64, 64] and out["finite"]
    assert out["name"] == "tiny-test" and out["steps"] == 3
