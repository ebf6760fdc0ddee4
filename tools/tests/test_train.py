"""Training toolchain (tools/train): data guards and layouts, resumable bit-exact runs of
the three scripts on synthetic data, signal/time-budget stops, loss formulas against
closed forms, and that exported weights load into the tools/models classes."""

from __future__ import annotations

import json
import math
import shutil
import signal
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from tools.models.cleaner_configs import SwinIRConfig, build_cleaner
from tools.models.configs import ControlNetConfig, UNetConfig, VAEConfig, config_from_dict
from tools.models.controlnet import IRControlNet
from tools.models.unet import UNetModel
from tools.models.vae import AutoencoderKL
from tools.train import data as D
from tools.train import fetch_photos, train_cleaner, train_diffusion, train_vae
from tools.train.common import STATE_FILE, read_log
from tools.train.trained import load_trained

RUN = ["--threads", "1", "--log-every", "1", "--seed", "7", "--warmup", "2"]


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def archives(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("archives")
    hq = D.synthetic_images(6, 64, seed=3)
    D.save_archive(root / "hq.npz", hq=hq, names=["syn_a.png", "syn_b.png"], source=np.array([0, 0, 0, 1, 1, 1]), meta={"kind": "hq"})
    D.build_fallback_pairs(root / "hq.npz", root / "pairs4.npz", scale=4, seed=1)
    # Identity task (lq = hq, x1): trivially learnable.
    D.save_archive(root / "ident.npz", hq=hq, lq=hq, scale=1, names=["syn_a.png"], source=np.zeros(6), meta={"kind": "pairs"})
    rng = np.random.default_rng(0)
    z = rng.normal(size=(5, 4, 16, 16))
    D.save_latent_archive(root / "lat.npz", z=z, c=0.5 * z + 0.1 * rng.normal(size=z.shape), names=["syn_a.png"], source=np.zeros(5), scaling_factor=0.5, meta={})
    return {"hq": root / "hq.npz", "pairs4": root / "pairs4.npz", "ident": root / "ident.npz", "lat": root / "lat.npz"}


def _with(args: list[str], **kw: object) -> list[str]:
    out = list(args)
    for k, v in kw.items():
        flag = "--" + k.replace("_", "-")
        if flag in out:
            out[out.index(flag) + 1] = str(v)
        else:
            out += [flag, str(v)]
    return out


def _assert_same(a: object, b: object, path: str = "") -> None:
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and torch.equal(a, b), path
    elif isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), path
        for k in a:
            _assert_same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_same(x, y, f"{path}[{i}]")


def _check_resume(main, args: list[str], tmp_path: Path) -> tuple[dict, Path]:
    """3 steps, then --resume to 6 == 6 uninterrupted steps: weights, EMA, optimiser and
    the logged losses, bit for bit."""
    straight, split = tmp_path / "straight", tmp_path / "split"
    assert main(_with(args, steps=6, ckpt_every=3, out=straight)) == "done"
    assert main(_with(args, steps=3, ckpt_every=3, out=split)) == "done"
    three = torch.load(split / STATE_FILE, weights_only=False)
    assert three["step"] == 3
    # Continue in another folder, as a fresh machine does from committed checkpoints
    # (tools/train/save_checkpoints.sh -> session.sh): the state and log are all it needs.
    moved = tmp_path / "moved"
    moved.mkdir()
    shutil.copy(split / STATE_FILE, moved / STATE_FILE)
    shutil.copy(split / "log.jsonl", moved / "log.jsonl")
    assert main(_with(args, steps=6, ckpt_every=3, out=moved) + ["--resume"]) == "done"
    assert torch.load(split / STATE_FILE, weights_only=False)["step"] == 3  # the old folder is left alone
    split = moved
    a = torch.load(straight / STATE_FILE, weights_only=False)
    b = torch.load(split / STATE_FILE, weights_only=False)
    assert a["step"] == b["step"] == 6
    _assert_same(a["modules"], b["modules"], "modules")
    _assert_same(a["ema"], b["ema"], "ema")
    _assert_same(a["optimizer"]["state"], b["optimizer"]["state"], "optimizer")
    losses = lambda p: [r["loss"] for r in read_log(p / "log.jsonl") if "loss" in r]  # noqa: E731
    assert losses(straight) == losses(split) and len(losses(split)) == 6
    return a, straight


# ----------------------------------------------------------------------------- data


def test_held_out_names_are_rejected(tmp_path: Path) -> None:
    for name in ("astronaut.png", "Chelsea.PNG", "coffee_3.png", "motorcycle_left_12.png", "rocket.jpg", "photos/eval/motorcycle_right.png"):
        assert D.is_held_out(name), name
        with pytest.raises(D.HeldOutError):
            D.check_not_held_out(["lomiri_Bridge.jpg", name])
    for name in ("lomiri_Bridge_by_Sander_Klootwijk.jpg", "plasma_Path_3.png", "astronauts.png"):
        assert not D.is_held_out(name), name
    # every loader checks: a pair folder, an image list, archives.
    for sub in ("hq", "lq"):
        (tmp_path / "pairs" / sub).mkdir(parents=True)
        Image.new("RGB", (8, 8)).save(tmp_path / "pairs" / sub / "coffee_0.png")
    with pytest.raises(D.HeldOutError):
        D.list_pairs(tmp_path / "pairs")
    Image.new("RGB", (64, 64)).save(tmp_path / "astronaut.png")
    with pytest.raises(D.HeldOutError):
        D.build_hq_archive([tmp_path / "astronaut.png"], tmp_path / "x.npz", patch=32, per_image=1)
    np.savez_compressed(tmp_path / "bad.npz", hq=np.zeros((1, 8, 8, 3), np.uint8), names=np.array(["rocket.jpg"]), source=np.zeros(1), meta=np.array("{}"))
    with pytest.raises(D.HeldOutError):
        D.PatchArchive(tmp_path / "bad.npz")
    with pytest.raises(D.HeldOutError):
        D.save_archive(tmp_path / "y.npz", hq=np.zeros((1, 8, 8, 3), np.uint8), names=["chelsea.png"], source=np.zeros(1), meta={})


def test_photo_allow_list_keeps_evaluation_out() -> None:
    train = [p for p in fetch_photos.PHOTOS if p.split == "train"]
    evals = [p for p in fetch_photos.PHOTOS if p.split == "eval"]
    assert len(train) == 38 and len(evals) == 5
    assert {D.base_stem(p.name) for p in evals} <= D.HELD_OUT_STEMS
    D.check_not_held_out(p.name for p in train)
    assert len({p.name for p in fetch_photos.PHOTOS}) == len(fetch_photos.PHOTOS)
    entry = {"name": "lomiri_x.jpg", "split": "train", "sha256": "ab"}
    with pytest.raises(AssertionError):  # same bytes as an evaluation photo
        fetch_photos.check_split([entry, {"name": "coffee.png", "split": "eval", "sha256": "ab"}])
    with pytest.raises(D.HeldOutError):
        fetch_photos.check_split([{**entry, "name": "rocket.jpg"}])


def test_pair_folder_crops_are_aligned_and_scale_inferred(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    for sub in ("hq", "lq"):
        (tmp_path / sub).mkdir()
    for k in range(2):
        lq = rng.integers(0, 256, size=(24, 20, 3), dtype=np.uint8)
        hq = lq.repeat(4, axis=0).repeat(4, axis=1)  # each LQ pixel is a 4x4 HQ block
        Image.fromarray(lq).save(tmp_path / "lq" / f"img_{k}.png")
        Image.fromarray(hq).save(tmp_path / "hq" / f"img_{k}.png")
    ds = D.PairCropDataset(tmp_path, hq_crop=32, seed=5, crops_per_pair=3)
    assert len(ds) == 6
    for i in range(len(ds)):
        lq_c, hq_c = ds[i]
        assert lq_c.shape == (8, 8, 3) and hq_c.shape == (32, 32, 3)
        np.testing.assert_array_equal(hq_c[::4, ::4], lq_c)
    np.testing.assert_array_equal(ds[4][1], ds[4][1])  # reproducible per item
    D.build_pair_archive(tmp_path, tmp_path / "p.npz", patch=16, per_pair=4, seed=1)
    arc = D.PatchArchive(tmp_path / "p.npz")
    assert arc.scale == 4 and len(arc) == 8
    lq_b, hq_b = arc.sample(np.random.default_rng(2), batch=5, crop=8)
    assert lq_b is not None and lq_b.shape == (5, 2, 2, 3) and hq_b.shape == (5, 8, 8, 3)
    np.testing.assert_array_equal(hq_b[:, ::4, ::4], lq_b)  # still aligned after flips/rotations
    with pytest.raises(ValueError):
        D.infer_scale((10, 10), (25, 25))
    with pytest.raises(ValueError):
        D.infer_scale((10, 10), (40, 30))


def test_dihedral_is_the_group_of_eight() -> None:
    x = np.arange(2 * 3 * 1).reshape(2, 3, 1)
    outs = {D.dihedral(x, k).tobytes() + bytes(D.dihedral(x, k).shape) for k in range(8)}
    assert len(outs) == 8


def test_fallback_degradation_shapes_and_determinism() -> None:
    hq = D.synthetic_images(1, 64, seed=0)[0]
    a = D.fallback_degrade(hq, np.random.default_rng(4), scale=4)
    b = D.fallback_degrade(hq, np.random.default_rng(4), scale=4)
    assert a.shape == (16, 16, 3) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    one = D.fallback_degrade(hq, np.random.default_rng(4), scale=1)
    assert one.shape == hq.shape and np.abs(one.astype(int) - hq).mean() > 0.5


# ----------------------------------------------------------------------------- cleaner


def test_cleaner_runs_exports_and_resumes_bit_exactly(archives, tmp_path: Path) -> None:
    args = ["--data", str(archives["pairs4"]), "--batch-size", "2", "--crop", "64", *RUN]
    state, out = _check_resume(train_cleaner.main, args, tmp_path)
    meta = json.loads((out / "cleaner.json").read_text())
    assert meta["class"] == "SwinIRCleaner" and meta["step"] == 6 and meta["train_scale"] == 4
    model = build_cleaner(config_from_dict(SwinIRConfig, meta["config"]))
    model.load_state_dict(torch.load(out / "cleaner.pt", weights_only=True))  # strict
    _assert_same(model.state_dict(), state["modules"]["cleaner"])


def test_cleaner_loss_decreases_on_identity_task(archives, tmp_path: Path) -> None:
    args = ["--data", str(archives["ident"]), "--batch-size", "4", "--crop", "64", "--lr", "2e-3", "--steps", "30", "--out", str(tmp_path), *RUN]
    assert train_cleaner.main(args) == "done"
    losses = [r["loss"] for r in read_log(tmp_path / "log.jsonl") if "loss" in r]
    assert len(losses) == 30
    assert np.mean(losses[-5:]) < 0.4 * np.mean(losses[:5])


def test_cleaner_mixes_archives_by_weight_and_resumes_bit_exactly(archives, tmp_path: Path) -> None:
    # x4 and x1 pairs in one run: every batch comes from one archive, drawn with the weights.
    data = f"{archives['pairs4']},{archives['ident']}"
    args = ["--data", data, "--data-weights", "3,1", "--batch-size", "2", "--crop", "64", *RUN]
    _, out = _check_resume(train_cleaner.main, args, tmp_path)
    meta = json.loads((out / "cleaner.json").read_text())
    assert meta["train_scales"] == [4, 1] and meta["data_weights"] == [0.75, 0.25]
    assert len(meta["data"]) == 2


def test_archive_weights_default_to_sizes_and_reject_bad_specs(archives) -> None:
    four, ident = D.PatchArchive(archives["pairs4"]), D.PatchArchive(archives["ident"])
    assert len(four) == len(ident) == 6
    np.testing.assert_allclose(train_cleaner.archive_weights([four, ident], None), [0.5, 0.5])
    np.testing.assert_allclose(train_cleaner.archive_weights([four, ident], "1,0"), [1.0, 0.0])
    for bad in ("1", "1,-1", "0,0"):
        with pytest.raises(ValueError, match="data-weights"):
            train_cleaner.archive_weights([four, ident], bad)


def test_cleaner_refuses_a_crop_larger_than_an_archive_s_patches(archives, tmp_path: Path) -> None:
    data = f"{archives['pairs4']},{archives['ident']}"  # both 64-pixel patches
    with pytest.raises(ValueError, match="exceeds the 64-pixel patches"):
        train_cleaner.main(["--data", data, "--crop", "128", "--steps", "1", "--out", str(tmp_path), *RUN])


def test_rescale_writes_each_short_side_once_and_never_upscales(tmp_path: Path) -> None:
    src = tmp_path / "photos"
    src.mkdir()
    Image.fromarray(D.synthetic_images(1, 64, seed=1)[0][:48]).save(src / "wide.png")  # 64 x 48
    written = D.write_rescaled(D.list_images(src), tmp_path / "ms", [40, 24, 100])
    assert [p.name for p in written] == ["wide_s40.png", "wide_s24.png"]
    assert Image.open(written[0]).size == (53, 40) and Image.open(written[1]).size == (32, 24)
    with pytest.raises(D.HeldOutError):
        D.write_rescaled([src / "chelsea.png"], tmp_path / "ms2", [24])


def test_sigterm_and_time_budget_stop_with_a_checkpoint(archives, tmp_path: Path) -> None:
    args = ["--data", str(archives["pairs4"]), "--batch-size", "1", "--crop", "64", "--steps", "50", *RUN]

    def stop_at_two(run) -> None:
        if run.step == 2:
            signal.raise_signal(signal.SIGTERM)

    assert train_cleaner.main(_with(args, out=tmp_path / "sig"), on_step=stop_at_two) == "signal SIGTERM"
    assert torch.load(tmp_path / "sig" / STATE_FILE, weights_only=False)["step"] == 2
    assert (tmp_path / "sig" / "cleaner.pt").exists()
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handler restored
    assert train_cleaner.main(_with(args, out=tmp_path / "budget", max_minutes=1e-9)) == "time budget"
    assert torch.load(tmp_path / "budget" / STATE_FILE, weights_only=False)["step"] == 1


# ----------------------------------------------------------------------------- VAE


def test_vae_runs_exports_and_resumes_bit_exactly(archives, tmp_path: Path) -> None:
    args = ["--data", str(archives["hq"]), "--batch-size", "2", "--crop", "32", "--scale-samples", "4", *RUN]
    _, out = _check_resume(train_vae.main, args, tmp_path)
    meta = json.loads((out / "vae.json").read_text())
    cfg = config_from_dict(VAEConfig, meta["config"])
    assert cfg.scaling_factor == meta["scaling_factor"] > 0
    vae = AutoencoderKL(cfg)
    vae.load_state_dict(torch.load(out / "vae.pt", weights_only=True))
    log = read_log(out / "log.jsonl")
    assert all(math.isfinite(r["psnr"]) for r in log if "psnr" in r)


def test_vae_loss_terms_against_closed_forms() -> None:
    g = torch.Generator().manual_seed(0)
    mean, logvar = torch.randn(2, 4, 3, 3, generator=g), torch.randn(2, 4, 3, 3, generator=g)
    ref = torch.distributions.kl_divergence(
        torch.distributions.Normal(mean, (0.5 * logvar).exp()), torch.distributions.Normal(0.0, 1.0)
    ).flatten(1).sum(1)
    torch.testing.assert_close(train_vae.kl_per_image(mean, logvar), ref)
    # Sobel of a horizontal luma ramp: gx = -8 * slope (kernel [1,0,-1] weights 1,2,1), gy = 0 inside.
    ramp = torch.arange(6.0).view(1, 1, 1, 6).expand(1, 3, 6, 6)
    e = train_vae.sobel_edges(ramp)
    luma = float(sum(train_vae._LUMA))
    torch.testing.assert_close(e[0, 0, :, 1:-1], torch.full((6, 4), -8.0 * luma))
    torch.testing.assert_close(e[0, 1, :, :], torch.zeros(6, 6))


def test_scaling_factor_is_inverse_std_of_posterior_means() -> None:
    vae = AutoencoderKL(VAEConfig(ch=8, ch_mult=(1, 1, 1, 1), num_res_blocks=1, norm_groups=4)).eval()
    patches = D.synthetic_images(5, 32, seed=1)
    stats = train_vae.latent_stats(vae, patches, torch.device("cpu"), batch=2, decode=2)
    with torch.no_grad():
        x = torch.from_numpy(patches).permute(0, 3, 1, 2).float() / 255 * 2 - 1
        z = vae.encode(x).double()
    assert stats["scaling_factor"] == pytest.approx(1.0 / float(z.std()), rel=1e-5)


# ----------------------------------------------------------------------------- diffusion


def test_schedule_and_targets_match_the_reference_formulas() -> None:
    ab = train_diffusion.alphas_cumprod(zero_snr=False)
    assert ab[-1] == pytest.approx(0.00466, abs=5e-6)
    assert math.sqrt((1 - ab[-1]) / ab[-1]) == pytest.approx(14.61, abs=0.01)
    zs = train_diffusion.alphas_cumprod(zero_snr=True)
    assert zs[-1] == 0.0 and zs[0] == pytest.approx(ab[0], rel=1e-12)
    assert np.all(np.diff(zs) < 0)
    g = torch.Generator().manual_seed(1)
    x0, eps = torch.randn(3, 4, 2, 2, generator=g), torch.randn(3, 4, 2, 2, generator=g)
    abt = torch.tensor([0.9, 0.3, 0.0])
    x_t, v = train_diffusion.diffusion_target(x0, eps, abt, "v")
    a, b = abt.sqrt().view(-1, 1, 1, 1), (1 - abt).sqrt().view(-1, 1, 1, 1)
    torch.testing.assert_close(a * x_t - b * v, x0)  # x0 = sqrt(ab) x - sqrt(1-ab) v
    torch.testing.assert_close(a * v + b * x_t, eps)  # eps = sqrt(ab) v + sqrt(1-ab) x
    _, e = train_diffusion.diffusion_target(x0, eps, abt, "epsilon")
    torch.testing.assert_close(e, eps)


def test_diffusion_runs_exports_and_resumes_bit_exactly(archives, tmp_path: Path) -> None:
    small = '{"model_channels": 16, "num_head_channels": 8, "context_dim": 16, "norm_groups": 4}'
    args = ["train", "--data", str(archives["lat"]), "--unet-config", small, "--batch-size", "2", "--crop", "8", "--context-length", "3", "--cfg-dropout", "0.5", "--ema-decay", "0.9", *RUN]
    state, out = _check_resume(train_diffusion.main, args, tmp_path)
    assert set(state["ema"]) == {"unet", "controlnet", "context"}
    meta = json.loads((out / "unet.json").read_text())
    unet = UNetModel(config_from_dict(UNetConfig, meta["config"]))
    unet.load_state_dict(torch.load(out / "unet.pt", weights_only=True))
    cmeta = json.loads((out / "controlnet.json").read_text())
    ctrl = IRControlNet(config_from_dict(ControlNetConfig, cmeta["config"]))
    ctrl.load_state_dict(torch.load(out / "controlnet.pt", weights_only=True))
    ctx = torch.load(out / "context.pt", weights_only=True)
    assert ctx["positive"].shape == ctx["negative"].shape == (1, 3, unet.cfg.context_dim)
    _assert_same(ctx, state["ema"]["context"])  # exported weights are the EMA ones
    d = json.loads((out / "diffusion.json").read_text())
    assert d["prediction"] == "v" and d["schedule"]["zeroTerminalSnr"] is True
    assert d["latent"]["scalingFactor"] == 0.5 and d["controlOutputs"] == 13
    assert d["context"] == {"length": 3, "dim": 16} and unet.cfg.model_channels == 16


def test_zero_snr_requires_v_prediction(archives, tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        train_diffusion.main(["train", "--data", str(archives["lat"]), "--out", str(tmp_path), "--prediction", "epsilon"])


def test_latents_are_the_scaled_posterior_means_of_hq_and_cleaned_lq(archives, tmp_path: Path) -> None:
    cleaner_run, vae_run = tmp_path / "c", tmp_path / "v"
    assert train_cleaner.main(["--data", str(archives["pairs4"]), "--out", str(cleaner_run), "--steps", "1", "--batch-size", "1", "--crop", "64", *RUN]) == "done"
    assert train_vae.main(["--data", str(archives["hq"]), "--out", str(vae_run), "--steps", "1", "--batch-size", "1", "--crop", "32", "--scale-samples", "2", *RUN]) == "done"
    train_diffusion.main(["latents", "--pairs", str(archives["pairs4"]), "--vae", str(vae_run), "--cleaner", str(cleaner_run), "--out", str(tmp_path / "lat.npz"), "--threads", "1", "--batch-size", "4"])
    lat = D.LatentArchive(tmp_path / "lat.npz")
    pairs = D.PatchArchive(archives["pairs4"])
    assert len(lat) == len(pairs) and lat.z.shape == (len(pairs), 4, 8, 8)
    vae, s = train_diffusion.load_vae(vae_run)
    cleaner, _ = train_diffusion.load_cleaner(cleaner_run)
    assert lat.scaling_factor == s
    with torch.no_grad():
        hq = torch.from_numpy(pairs.hq[:2]).permute(0, 3, 1, 2).float() / 255
        lq = torch.from_numpy(pairs.lq[:2]).permute(0, 3, 1, 2).float() / 255
        up = torch.nn.functional.interpolate(lq, size=(64, 64), mode="bicubic", align_corners=False).clamp(0, 1)
        z = vae.encode(hq * 2 - 1) * s
        c = vae.encode(cleaner(up).clamp(0, 1) * 2 - 1) * s
    # float16 storage: relative precision 2^-11
    np.testing.assert_allclose(lat.z[:2].astype(np.float32), z.numpy(), rtol=2e-3, atol=2e-3)
    np.testing.assert_allclose(lat.c[:2].astype(np.float32), c.numpy(), rtol=2e-3, atol=2e-3)
    # the three runs load back as one set of modules for the bundle exporter
    diff_run = tmp_path / "d"
    train_diffusion.main(["train", "--data", str(tmp_path / "lat.npz"), "--out", str(diff_run), "--steps", "1", "--batch-size", "1", "--context-length", "2", *RUN])
    t = load_trained(cleaner_run, vae_run, diff_run)
    assert t.positive.shape == (1, 2, t.unet.cfg.context_dim) and t.vae.cfg.scaling_factor == s
    assert t.diffusion["latent"]["scalingFactor"] == s and len(t.controlnet.zero_convs) + 1 == 13


# ----------------------------------------------------------------------------- GPU-session helpers


def test_cosine_learning_rate_against_its_closed_form() -> None:
    from tools.train.common import lr_at

    assert lr_at(5, 1e-3, 0, "constant", 0, 100) == 1e-3
    assert lr_at(0, 1e-3, 4) == pytest.approx(2.5e-4)  # warm-up (step + 1) / warmup
    for step in (0, 10, 55, 99, 100):
        expected = 1e-3 * 0.5 * (1 + math.cos(math.pi * (step - 10) / 90)) if step >= 10 else 1e-3
        assert lr_at(step, 1e-3, 0, "cosine", 10, 100) == pytest.approx(expected, abs=1e-15)
    assert lr_at(100, 1e-3, 0, "cosine", 10, 100) == pytest.approx(0.0, abs=1e-15)


def test_fit_steps_budget_is_respected(archives, tmp_path: Path) -> None:
    """--fit-steps times steps 21..120, then sets --steps so the run ends at the budget."""
    from tools.train.common import FIT_SKIP, FIT_STEPS

    args = ["--data", str(archives["pairs4"]), "--batch-size", "1", "--crop", "64", "--out", str(tmp_path), *RUN]
    # "time budget" when this shared machine slows down after the timing window.
    assert train_cleaner.main([*args, "--steps", "0", "--fit-steps", "--max-minutes", "0.25", "--log-every", "1000", "--lr-decay", "cosine", "--decay-start", "-1"]) in ("done", "time budget")
    log = read_log(tmp_path / "log.jsonl")
    state = torch.load(tmp_path / STATE_FILE, weights_only=False)
    assert state["args"]["decay_start"] == 0  # -1: where this invocation started
    fit = next(r for r in log if r.get("event") == "fit_steps")
    stop = next(r for r in log if r.get("event") == "stop")
    assert fit["step"] == FIT_SKIP + FIT_STEPS and fit["steps"] == state["args"]["steps"]
    assert 0.7 * fit["steps"] <= stop["step"] <= fit["steps"]
    assert 0.5 * 15 < stop["elapsed_s"] < 1.3 * 15


def test_pack_round_trip_keeps_lq_exactly_and_hq_within_jpeg_error(tmp_path: Path) -> None:
    from tools.train import pack

    hq = D.synthetic_images(6, 64, seed=5)
    lq = hq[:, ::4, ::4].copy()
    D.save_archive(tmp_path / "p.npz", hq=hq, lq=lq, scale=4, names=["syn_a.png", "syn_b.png"], source=np.array([0, 0, 0, 1, 1, 1]), meta={"kind": "pairs"})
    assert pack.pack(tmp_path / "p.npz", tmp_path / "pack.npz", keep_every=2, quality=95) == 3
    assert pack.unpack(tmp_path / "pack.npz", tmp_path / "u.npz") == 3
    back = D.PatchArchive(tmp_path / "u.npz")
    np.testing.assert_array_equal(back.lq, lq[::2])
    np.testing.assert_array_equal(back.source, [0, 0, 1])
    assert back.scale == 4 and back.names == ["syn_a.png", "syn_b.png"]
    mse = np.mean((back.hq.astype(float) - hq[::2].astype(float)) ** 2)
    assert 0 < mse and 10 * math.log10(255**2 / mse) > 35  # lossy, but far below a cleaner's error
    assert back.meta["packed"]["keep_every"] == 2


def test_bf16_autocast_trains_the_denoiser(archives, tmp_path: Path) -> None:
    small = '{"model_channels": 16, "num_head_channels": 8, "context_dim": 16, "norm_groups": 4}'
    args = ["train", "--data", str(archives["lat"]), "--unet-config", small, "--batch-size", "2", "--steps", "2", "--context-length", "4", "--amp", "bf16", "--out", str(tmp_path), *RUN]
    assert train_diffusion.main(args) == "done"
    assert all(math.isfinite(r["loss"]) for r in read_log(tmp_path / "log.jsonl") if "loss" in r)


def test_profile_step_times_every_phase_and_grows_with_the_batch(archives) -> None:
    from tools.train import profile_step

    small = ["--unet-config", '{"model_channels": 16, "num_head_channels": 8, "context_dim": 16, "norm_groups": 4}', "--context-length", "3", "--threads", "1"]
    one = profile_step.profile(str(archives["lat"]), "cpu", 1, 4, small)
    eight = profile_step.profile(str(archives["lat"]), "cpu", 8, 4, small)
    assert set(one) == set(profile_step.PHASES) and all(v > 0 for v in one.values())
    # The networks' phases scale with the batch; the optimizer's does not depend on it.
    assert eight["unet"] + eight["backward"] > 2 * (one["unet"] + one["backward"])
    assert eight["adam"] < 3 * one["adam"]

