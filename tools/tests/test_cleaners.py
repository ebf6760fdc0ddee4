"""Stage-1 cleaners: checkpoint-exact names/shapes, parameter counts, forward shapes,
shifted-window masks, and dynamic-size ONNX export."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from tools.models import scunet as scunet_mod
from tools.models import swinir as swinir_mod
from tools.models.cleaner_configs import (
    RRDBNetConfig,
    SCUNetConfig,
    SwinIRConfig,
    bsrnet_config,
    build_cleaner,
    diffbir_swinir_config,
    scunet_psnr_config,
    tiny_rrdbnet_config,
    tiny_scunet_config,
    tiny_swinir_config,
    unwrap_cleaner_checkpoint,
)
from tools.models.rrdbnet import RRDBNet
from tools.models.scunet import SCUNet, scunet_shift_mask
from tools.models.swinir import SwinIRCleaner, shifted_window_mask

KEYS_DIR = Path(__file__).resolve().parent / "fixtures" / "checkpoint-keys"

torch.set_num_threads(1)


def read_keys(name: str) -> list[tuple[str, list[int]]]:
    """The key file as (name, shape), with checkpoint wrappers/prefixes stripped."""
    out = []
    for line in (KEYS_DIR / f"cleaner-{name}.txt").read_text().splitlines():
        if not line.strip():
            continue
        key, shape = line.split("\t")
        for prefix in ("params.", "state_dict.", "module."):
            key = key.removeprefix(prefix)
        dims = [int(v) for v in shape.strip("[]").split(",") if v.strip()]
        out.append((key, dims))
    return out


def module_keys(module: torch.nn.Module) -> list[tuple[str, list[int]]]:
    return [(k, list(v.shape)) for k, v in module.state_dict().items()]


FULL = [
    ("swinir", SwinIRCleaner, diffbir_swinir_config, 15.8),
    ("bsrnet", RRDBNet, bsrnet_config, 16.7),
    ("scunet", SCUNet, scunet_psnr_config, 17.9),
]


@pytest.mark.parametrize(("name", "cls", "factory", "millions"), FULL)
def test_full_state_dict_matches_checkpoint_keys(name, cls, factory, millions):
    with torch.device("meta"):
        m = cls(factory())
    ours = module_keys(m)
    ref = read_keys(name)
    missing = [k for k in ref if k not in ours]
    extra = [k for k in ours if k not in ref]
    assert not missing and not extra, (missing[:5], extra[:5])
    assert ours == ref  # same order too, so a strict load needs no renaming
    # A strict load of a checkpoint-shaped dict must succeed.
    with torch.device("meta"):
        fake = {k: torch.empty(s) for k, s in ref}
    m.load_state_dict(fake, strict=True, assign=True)


@pytest.mark.parametrize(("name", "cls", "factory", "millions"), FULL)
def test_full_parameter_count(name, cls, factory, millions):
    with torch.device("meta"):
        m = cls(factory())
    n = sum(p.numel() for p in m.parameters())
    assert round(n / 1e6, 1) == millions, n


def test_scale_and_size_multiple_attributes():
    with torch.device("meta"):
        s = SwinIRCleaner(diffbir_swinir_config())
        r = RRDBNet(bsrnet_config())
        u = SCUNet(scunet_psnr_config())
    assert (s.scale, s.size_multiple) == (1, 64)
    assert (r.scale, r.size_multiple) == (4, 1)
    assert (u.scale, u.size_multiple) == (1, 1)
    assert RRDBNet(RRDBNetConfig(num_feat=8, num_block=1, num_grow_ch=4, scale=2)).scale == 2


def test_build_cleaner_and_unwrap_checkpoint():
    assert isinstance(build_cleaner(tiny_swinir_config()), SwinIRCleaner)
    assert isinstance(build_cleaner(tiny_rrdbnet_config()), RRDBNet)
    assert isinstance(build_cleaner(tiny_scunet_config()), SCUNet)
    m = build_cleaner(tiny_rrdbnet_config())
    sd = m.state_dict()
    for wrapped in (
        {"params": {f"module.{k}": v for k, v in sd.items()}},
        {"state_dict": dict(sd)},
        {f"module.{k}": v for k, v in sd.items()},
    ):
        m.load_state_dict(unwrap_cleaner_checkpoint(wrapped), strict=True)


def test_config_validation():
    with pytest.raises(ValueError):
        SwinIRConfig(upscale=2)  # sf 8 / unshuffle 8 gives x1
    with pytest.raises(ValueError):
        RRDBNetConfig(scale=3)
    with pytest.raises(ValueError):
        SCUNetConfig(config=[4] * 6)


# ---------------------------------------------------------------- shifted-window masks


def reference_swin_mask(h: int, w: int, ws: int, shift: int) -> torch.Tensor:
    """The mask as the SwinIR paper/code defines it: label nine slice regions, partition
    into windows, -100 between differing labels (written with loops and slices)."""
    img = torch.zeros(h, w)
    cnt = 0
    slices = (slice(0, -ws), slice(-ws, -shift), slice(-shift, None))
    for hs in slices:
        for wsl in slices:
            img[hs, wsl] = cnt
            cnt += 1
    wins = []
    for i in range(0, h, ws):
        for j in range(0, w, ws):
            wins.append(img[i : i + ws, j : j + ws].reshape(-1))
    lab = torch.stack(wins)
    diff = lab[:, None, :] - lab[:, :, None]
    return torch.where(diff != 0, -100.0, 0.0)


@pytest.mark.parametrize(("h", "w"), [(8, 8), (16, 24), (32, 16)])
def test_swinir_mask_matches_slice_definition(h, w):
    got = shifted_window_mask(h, w, 8, 4)
    ref = reference_swin_mask(h, w, 8, 4)
    assert got.shape == ref.shape == ((h // 8) * (w // 8), 64, 64)
    assert torch.equal(got, ref)
    # Non-trivial: in the corner window each token sees only the 16 tokens of its own
    # quadrant; in other last-row/column windows 32 (half); elsewhere all 64.
    visible = (got == 0).sum(-1).view(h // 8, w // 8, 64)
    assert torch.all(visible[-1, -1] == 16)
    if w // 8 > 1:
        assert torch.all(visible[-1, 0] == 32)
    if h // 8 > 1:
        assert torch.all(visible[0, -1] == 32)
    if h // 8 > 1 and w // 8 > 1:
        assert torch.all(visible[0, 0] == 64)


def test_swinir_mask_buffer_is_img_size_mask():
    m = SwinIRCleaner(tiny_swinir_config())
    block = m.layers[0].residual_group.blocks[1]
    side = tiny_swinir_config().img_size
    assert torch.equal(block.attn_mask, reference_swin_mask(side, side, 8, 4))
    assert m.layers[0].residual_group.blocks[0].attn_mask is None


def test_scunet_mask_matches_swin_regions():
    # SCUNet writes its mask as boolean slices of the last window row/column; with shift
    # ws/2 it must block exactly the pairs SwinIR's region labels separate.
    for hw, ww in [(1, 1), (2, 3), (3, 2)]:
        got = scunet_shift_mask(hw, ww, 8)
        ref = reference_swin_mask(hw * 8, ww * 8, 8, 4) != 0
        assert torch.equal(got, ref)


def test_swinir_shifted_block_isolates_wrapped_regions():
    # After the cyclic shift, the bottom-right window mixes tokens from the four image
    # corners; the mask must stop the top-left corner from influencing the bottom-right.
    torch.manual_seed(0)
    cfg = tiny_swinir_config()
    block = SwinIRCleaner(cfg).layers[0].residual_group.blocks[1].eval()
    assert block.shift_size == 4
    h = w = 16
    x = torch.randn(1, h * w, cfg.embed_dim)
    y = x.clone()
    # Perturb token (0, 0) (not by a constant, which LayerNorm would remove).
    y[0, 0] += 3.0 * torch.randn(cfg.embed_dim)

    def change() -> torch.Tensor:
        with torch.no_grad():
            return (block(x, h, w) - block(y, h, w)).abs().sum(-1).view(h, w)

    delta = change()
    assert delta[h - 1, w - 1] == 0  # same window, other region: untouched
    assert delta[0, 1] > 1e-3  # same region (top-left quadrant of that window): affected
    assert delta[0, 0] > 1e-3
    # Without the mask the corner token would see it: the check above can fail.
    orig = swinir_mod.shifted_window_mask
    try:
        swinir_mod.shifted_window_mask = lambda *a, **kw: torch.zeros_like(orig(*a, **kw))
        assert change()[h - 1, w - 1] > 1e-3
    finally:
        swinir_mod.shifted_window_mask = orig


# ---------------------------------------------------------------- forward shapes


def test_swinir_forward_shapes():
    torch.manual_seed(0)
    m = SwinIRCleaner(tiny_swinir_config()).eval()
    with torch.no_grad():
        for shape in [(1, 3, 64, 64), (2, 3, 128, 192)]:
            y = m(torch.rand(shape))
            assert y.shape == shape
            assert torch.isfinite(y).all()
    with pytest.raises(ValueError):
        m(torch.rand(1, 3, 64, 80))


def test_swinir_constant_mean_image_at_zero_weights():
    # With the body and head zeroed, the network reduces to "add the mean back".
    m = SwinIRCleaner(tiny_swinir_config()).eval()
    with torch.no_grad():
        m.conv_last.weight.zero_()
        m.conv_last.bias.zero_()
        y = m(torch.rand(1, 3, 64, 64))
    expected = torch.tensor((0.4488, 0.4371, 0.4040)).view(1, 3, 1, 1).expand_as(y)
    assert torch.allclose(y, expected)


def test_rrdbnet_forward_shapes():
    torch.manual_seed(0)
    m = RRDBNet(tiny_rrdbnet_config()).eval()
    with torch.no_grad():
        for b, h, w in [(1, 16, 16), (2, 13, 21)]:
            assert m(torch.rand(b, 3, h, w)).shape == (b, 3, 4 * h, 4 * w)
    m2 = RRDBNet(RRDBNetConfig(num_feat=8, num_block=1, num_grow_ch=4, scale=2)).eval()
    with torch.no_grad():
        assert m2(torch.rand(1, 3, 10, 12)).shape == (1, 3, 20, 24)


def test_scunet_pads_replicate_and_crops():
    torch.manual_seed(0)
    m = SCUNet(tiny_scunet_config()).eval()
    x = torch.rand(2, 3, 70, 100)
    with torch.no_grad():
        y = m(x)
        padded = F.pad(x, (0, 128 - 100, 0, 128 - 70), mode="replicate")
        y_pad = m(padded)
    assert y.shape == x.shape
    # Internal padding is replicate to the next multiple of 64, then a crop.
    assert torch.allclose(y, y_pad[..., :70, :100], atol=1e-6)


# ---------------------------------------------------------------- ONNX


def sharpen_attention(m: torch.nn.Module, gain: float = 1.0) -> None:
    """Unit-gain linear layers and peaky attention, so that a wrong window mask moves
    the output well above the 1e-4 ONNX tolerance (the reference init, std 0.02, leaves
    attention almost uniform and the transformer branch almost silent)."""
    with torch.no_grad():
        for name, mod in m.named_modules():
            if isinstance(mod, torch.nn.Linear):
                g = 3.0 if name.endswith(("attn.qkv", "msa.embedding_layer")) else gain
                mod.weight.normal_(0.0, g / mod.in_features**0.5)
        for name, p in m.named_parameters():
            if name.endswith(("relative_position_bias_table", "relative_position_params")):
                p.normal_(0.0, 1.0)


def test_static_masks_would_be_detected():
    # Guards the ONNX tests below: reusing the mask of the export size (a single window)
    # at a larger input gives a clearly different output, so agreement at two sizes
    # proves the exported masks follow the runtime shape.
    torch.manual_seed(0)
    swin = SwinIRCleaner(tiny_swinir_config()).eval()
    scu = SCUNet(tiny_scunet_config()).eval()
    sharpen_attention(swin)
    sharpen_attention(scu, gain=0.3)
    x_swin = torch.rand(1, 3, 128, 192)
    x_scu = torch.rand(1, 3, 80, 136)
    orig_swin, orig_scu = swinir_mod.shifted_window_mask, scunet_mod.scunet_shift_mask
    with torch.no_grad():
        y_swin, y_scu = swin(x_swin), scu(x_scu)
        try:
            swinir_mod.shifted_window_mask = lambda h, w, ws, s, **kw: orig_swin(8, 8, ws, s, **kw)
            scunet_mod.scunet_shift_mask = lambda hw, ww, ws, **kw: orig_scu(1, 1, ws, **kw)
            static_swin, static_scu = swin(x_swin), scu(x_scu)
        finally:
            swinir_mod.shifted_window_mask = orig_swin
            scunet_mod.scunet_shift_mask = orig_scu
    assert (y_swin - static_swin).abs().max() > 1e-3
    assert (y_scu - static_scu).abs().max() > 1e-3


def export_and_compare(m, dummy_shape, run_shapes, tmp_path, name, tol=1e-4):
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    m.eval()
    path = tmp_path / f"{name}.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            m,
            (torch.rand(dummy_shape),),
            str(path),
            opset_version=17,
            dynamo=False,
            input_names=["image"],
            output_names=["restored"],
            dynamic_axes={
                "image": {0: "batch", 2: "height", 3: "width"},
                "restored": {0: "batch", 2: "out_height", 3: "out_width"},
            },
        )
    onnx.checker.check_model(str(path))
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    errors = []
    for shape in run_shapes:
        x = torch.rand(shape)
        with torch.no_grad():
            ref = m(x).numpy()
        (got,) = sess.run(None, {"image": x.numpy()})
        assert got.shape == ref.shape
        err = float(np.abs(got - ref).max())
        errors.append(err)
        assert err < tol, (shape, err)
    print(f"{name} onnx max abs errors {errors}")
    return errors


def test_swinir_onnx_dynamic_sizes(tmp_path):
    torch.manual_seed(0)
    m = SwinIRCleaner(tiny_swinir_config())
    sharpen_attention(m)
    export_and_compare(m, (1, 3, 64, 64), [(1, 3, 64, 64), (2, 3, 128, 192)], tmp_path, "swinir")


def test_rrdbnet_onnx_dynamic_sizes(tmp_path):
    torch.manual_seed(0)
    m = RRDBNet(tiny_rrdbnet_config())
    export_and_compare(m, (1, 3, 16, 16), [(1, 3, 16, 16), (2, 3, 24, 20)], tmp_path, "rrdbnet")


def test_scunet_onnx_dynamic_sizes(tmp_path):
    torch.manual_seed(0)
    m = SCUNet(tiny_scunet_config())
    sharpen_attention(m, gain=0.3)  # keeps the output near unit scale
    export_and_compare(m, (1, 3, 64, 64), [(1, 3, 64, 64), (2, 3, 80, 136)], tmp_path, "scunet")
