"""Tests of tools/models: official key/shape parity, parameter counts, tiny forward passes,
control injection, causality, strict loading and ONNX export."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from tools.models.configs import (
    ControlNetConfig,
    TextEncoderConfig,
    UNetConfig,
    VAEConfig,
    config_from_dict,
    config_to_dict,
    openclip_h14_text_config,
    sd21_controlnet_config,
    sd21_unet_config,
    sd21_vae_config,
    tiny_controlnet_config,
    tiny_text_config,
    tiny_unet_config,
    tiny_vae_config,
)
from tools.models.controlnet import IRControlNet
from tools.models.keys import (
    OFFICIAL_PREFIX,
    StateDictMismatchError,
    add_prefix,
    compare_state_dict,
    load_strict,
    read_checkpoint_keys,
    strip_prefix,
)
from tools.models.layers import CrossAttention, timestep_embedding
from tools.models.text_encoder import MultiheadSelfAttention, OpenCLIPTextEncoder
from tools.models.unet import UNetModel
from tools.models.vae import AutoencoderKL, VAEDecoder, VAEEncoder

KEYS_DIR = Path(__file__).resolve().parent / "fixtures" / "checkpoint-keys"

FULL = {
    "unet": (UNetModel, sd21_unet_config, "sd21-unet.txt"),
    "controlnet": (IRControlNet, sd21_controlnet_config, "diffbir-controlnet.txt"),
    "vae": (AutoencoderKL, sd21_vae_config, "sd21-vae.txt"),
    "text": (OpenCLIPTextEncoder, openclip_h14_text_config, "sd21-openclip-text.txt"),
}


def build_meta(kind: str) -> nn.Module:
    cls, make_cfg, _ = FULL[kind]
    with torch.device("meta"):
        return cls(make_cfg())


def randomize_zeros(module: nn.Module, std: float = 0.05) -> nn.Module:
    """Give the zero-initialised parameters random values so every path carries signal."""
    with torch.no_grad():
        for p in module.parameters():
            if not p.any():
                p.normal_(0.0, std)
    return module


# --- official checkpoints -------------------------------------------------------------


@pytest.mark.parametrize("kind", list(FULL))
def test_full_state_dict_equals_official_keys(kind: str) -> None:
    path = KEYS_DIR / FULL[kind][2]
    official = read_checkpoint_keys(path)
    prefix = OFFICIAL_PREFIX[kind]
    assert all(k.startswith(prefix) for k in official), "every official key carries the prefix"
    want = strip_prefix(official, prefix)
    model = build_meta(kind)
    have = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    missing, unexpected, mismatched = compare_state_dict(want, have)
    assert missing == [] and unexpected == [] and mismatched == []
    assert len(have) == len(official) == len(path.read_text().splitlines())


@pytest.mark.parametrize(
    ("kind", "millions"),
    [("unet", 865.9), ("controlnet", 363.2), ("vae", 83.7), ("text", 354.0)],
)
def test_full_parameter_counts(kind: str, millions: float) -> None:
    model = build_meta(kind)
    assert round(sum(p.numel() for p in model.parameters()) / 1e6, 1) == millions


def test_full_vae_encoder_decoder_counts() -> None:
    vae = build_meta("vae")
    assert round(sum(p.numel() for p in vae.encoder.parameters()) / 1e6, 1) == 34.2
    assert round(sum(p.numel() for p in vae.decoder.parameters()) / 1e6, 1) == 49.5


def test_controlnet_keys_are_unet_encoder_keys() -> None:
    unet = {k: tuple(v.shape) for k, v in build_meta("unet").state_dict().items()}
    ctrl = {k: tuple(v.shape) for k, v in build_meta("controlnet").state_dict().items()}
    extra = {k for k in ctrl if k.startswith(("zero_convs.", "middle_block_out."))}
    assert len(extra) == 2 * 13
    shared = set(ctrl) - extra
    assert shared <= set(unet)
    assert {k for k in shared if ctrl[k] != unet[k]} == {"input_blocks.0.0.weight"}
    assert ctrl["input_blocks.0.0.weight"] == (320, 8, 3, 3)


def test_read_checkpoint_keys_scalar_and_error(tmp_path: Path) -> None:
    text = read_checkpoint_keys(KEYS_DIR / "sd21-openclip-text.txt")
    assert text["cond_stage_model.model.logit_scale"] == ()
    assert text["cond_stage_model.model.token_embedding.weight"] == (49408, 1024)
    bad = tmp_path / "bad.txt"
    bad.write_text("a.weight [3, 4]\n")
    with pytest.raises(ValueError, match="cannot parse"):
        read_checkpoint_keys(bad)


# --- shared layers against independent formulas -----------------------------------------


def test_timestep_embedding_closed_form() -> None:
    t = np.array([0.0, 1.0, 999.0, 261.5])
    dim = 320
    half = dim // 2
    freqs = np.exp(-np.log(10000.0) * np.arange(half) / half)
    ref = np.concatenate([np.cos(t[:, None] * freqs), np.sin(t[:, None] * freqs)], axis=1)
    got = timestep_embedding(torch.tensor(t, dtype=torch.float32), dim).numpy()
    assert got.shape == (4, dim)
    np.testing.assert_allclose(got, ref, atol=2e-4)
    # the cos half comes first: at t = 0 it is all ones, the sin half all zeros
    assert np.all(got[0, :half] == 1.0) and np.all(got[0, half:] == 0.0)


def test_cross_attention_matches_numpy_softmax() -> None:
    attn = CrossAttention(query_dim=24, heads=3, dim_head=8, context_dim=10)
    x = torch.randn(2, 5, 24)
    ctx = torch.randn(2, 7, 10)
    got = attn(x, ctx).detach().numpy()
    q = (x @ attn.to_q.weight.T).detach().numpy().reshape(2, 5, 3, 8)
    k = (ctx @ attn.to_k.weight.T).detach().numpy().reshape(2, 7, 3, 8)
    v = (ctx @ attn.to_v.weight.T).detach().numpy().reshape(2, 7, 3, 8)
    logits = np.einsum("bqhd,bkhd->bhqk", q, k) / math.sqrt(8)
    w = np.exp(logits - logits.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    o = np.einsum("bhqk,bkhd->bqhd", w, v).reshape(2, 5, 24)
    ref = o @ attn.to_out[0].weight.detach().numpy().T + attn.to_out[0].bias.detach().numpy()
    np.testing.assert_allclose(got, ref, atol=1e-5)


def test_text_attention_matches_torch_multihead_attention() -> None:
    # OpenCLIP uses nn.MultiheadAttention: same packed weights must give the same result.
    ours = MultiheadSelfAttention(32, 4)
    ref = nn.MultiheadAttention(32, 4, batch_first=True)
    with torch.no_grad():
        ours.in_proj_bias.normal_()
        ref.in_proj_weight.copy_(ours.in_proj_weight)
        ref.in_proj_bias.copy_(ours.in_proj_bias)
        ref.out_proj.weight.copy_(ours.out_proj.weight)
        ref.out_proj.bias.copy_(ours.out_proj.bias)
    x = torch.randn(3, 9, 32)
    mask = torch.full((9, 9), float("-inf")).triu(1)
    expected, _ = ref(x, x, x, attn_mask=mask, need_weights=False)
    torch.testing.assert_close(ours(x, mask), expected, atol=1e-5, rtol=1e-5)


# --- tiny UNet / ControlNet ----------------------------------------------------------------


def expected_control_shapes(cfg: UNetConfig, batch: int, h: int, w: int) -> list[tuple[int, ...]]:
    """§4's list written generally: per level, num_res_blocks outputs, then a downsample."""
    shapes = [(batch, cfg.model_channels, h, w)]
    for level, mult in enumerate(cfg.channel_mult):
        f = 2**level
        shapes += [(batch, mult * cfg.model_channels, h // f, w // f)] * cfg.num_res_blocks
        if level != len(cfg.channel_mult) - 1:
            shapes.append((batch, mult * cfg.model_channels, h // (2 * f), w // (2 * f)))
    shapes.append(shapes[-1])  # middle block
    return shapes


def test_expected_control_shapes_reproduce_reference_list() -> None:
    # §4: 3 x 320@64, 320@32, 2 x 640@32, 640@16, 2 x 1280@16, 3 x 1280@8, middle 1280@8.
    ref = [(320, 64)] * 3 + [(320, 32)] + [(640, 32)] * 2 + [(640, 16)] + [(1280, 16)] * 2
    ref += [(1280, 8)] * 3 + [(1280, 8)]
    got = expected_control_shapes(sd21_unet_config(), 1, 64, 64)
    assert [(s[1], s[2]) for s in got] == ref


def tiny_inputs(batch: int = 2, h: int = 16, w: int = 24) -> tuple[torch.Tensor, ...]:
    cfg = tiny_unet_config()
    x = torch.randn(batch, cfg.in_channels, h, w)
    hint = torch.randn(batch, 4, h, w)
    t = torch.tensor([999.0, 261.0][:batch])
    ctx = torch.randn(batch, 77, cfg.context_dim)
    return x, hint, t, ctx


def test_tiny_unet_forward_shape() -> None:
    unet = randomize_zeros(UNetModel(tiny_unet_config())).eval()
    x, _, t, ctx = tiny_inputs()
    with torch.no_grad():
        out = unet(x, t, ctx)
    assert out.shape == x.shape
    assert torch.isfinite(out).all() and out.abs().max() > 0


def test_tiny_unet_starts_at_zero_output() -> None:
    unet = UNetModel(tiny_unet_config())
    x, _, t, ctx = tiny_inputs()
    with torch.no_grad():
        assert torch.count_nonzero(unet(x, t, ctx)) == 0


def test_tiny_controlnet_outputs_13_tensors_of_reference_shapes() -> None:
    cfg = tiny_controlnet_config()
    ctrl = randomize_zeros(IRControlNet(cfg)).eval()
    x, hint, t, ctx = tiny_inputs(2, 16, 24)
    with torch.no_grad():
        outs = ctrl(x, hint, t, ctx)
    assert len(outs) == 13
    assert [tuple(o.shape) for o in outs] == expected_control_shapes(cfg, 2, 16, 24)
    assert all(o.abs().max() > 0 for o in outs)


def test_fresh_controlnet_emits_zero_control() -> None:
    ctrl = IRControlNet(tiny_controlnet_config())
    with torch.no_grad():
        for p in ctrl.input_blocks.parameters():  # a trained-looking encoder
            p.normal_(0.0, 0.1)
        outs = ctrl(*tiny_inputs())
    assert all(torch.count_nonzero(o) == 0 for o in outs)


def test_control_injection_changes_output_and_zero_control_is_noop() -> None:
    unet = randomize_zeros(UNetModel(tiny_unet_config())).eval()
    x, _, t, ctx = tiny_inputs()
    shapes = expected_control_shapes(unet.cfg, *x.shape[:1], *x.shape[2:])
    zeros = [torch.zeros(s) for s in shapes]
    rand = [torch.randn(s) for s in shapes]
    with torch.no_grad():
        base = unet(x, t, ctx)
        torch.testing.assert_close(unet(x, t, ctx, zeros), base, atol=1e-6, rtol=0)
        kept = list(rand)
        assert (unet(x, t, ctx, rand) - base).abs().max() > 1e-3
        assert len(rand) == 13 and all(a is b for a, b in zip(rand, kept, strict=True))
        # each injection point on its own reaches the output
        for i in (0, 5, 11, 12):
            single = [r if j == i else z for j, (r, z) in enumerate(zip(rand, zeros, strict=True))]
            assert (unet(x, t, ctx, single) - base).abs().max() > 1e-4
    with pytest.raises(ValueError, match="13 control"):
        unet(x, t, ctx, rand[:12])


def test_control_i_is_added_to_skip_of_input_block_i() -> None:
    unet = randomize_zeros(UNetModel(tiny_unet_config())).eval()
    x, _, t, ctx = tiny_inputs(1, 16, 16)
    shapes = expected_control_shapes(unet.cfg, 1, 16, 16)
    control = [torch.randn(s) for s in shapes]
    enc_out: list[torch.Tensor] = []
    dec_in: list[torch.Tensor] = []
    mid_out: list[torch.Tensor] = []
    hooks = [b.register_forward_hook(lambda m, a, o: enc_out.append(o)) for b in unet.input_blocks]
    hooks += [b.register_forward_pre_hook(lambda m, a: dec_in.append(a[0])) for b in unet.output_blocks]
    hooks.append(unet.middle_block.register_forward_hook(lambda m, a, o: mid_out.append(o)))
    with torch.no_grad():
        unet(x, t, ctx, control)
    for h in hooks:
        h.remove()
    n = len(enc_out)
    assert n == 12 and len(dec_in) == 12
    # output block 0 sees (mid + control[12]) concatenated with (hs[11] + control[11])
    first_h = dec_in[0][:, : mid_out[0].shape[1]]
    torch.testing.assert_close(first_h, mid_out[0] + control[12])
    for j, inp in enumerate(dec_in):
        i = n - 1 - j
        skip = inp[:, inp.shape[1] - enc_out[i].shape[1] :]
        torch.testing.assert_close(skip, enc_out[i] + control[i])


def test_controlnet_init_from_unet_copies_encoder() -> None:
    unet = randomize_zeros(UNetModel(tiny_unet_config())).eval()
    ctrl = IRControlNet(tiny_controlnet_config()).eval()
    ctrl.init_from_unet(unet)
    w = ctrl.state_dict()["input_blocks.0.0.weight"]
    assert torch.equal(w[:, :4], unet.state_dict()["input_blocks.0.0.weight"])
    assert torch.count_nonzero(w[:, 4:]) == 0
    with torch.no_grad():  # make the zero convs identities to read the encoder features
        for conv in [*(z[0] for z in ctrl.zero_convs), ctrl.middle_block_out[0]]:
            conv.weight.copy_(torch.eye(conv.weight.shape[0])[:, :, None, None])
            conv.bias.zero_()
    x, hint, t, ctx = tiny_inputs()
    feats: list[torch.Tensor] = []
    hooks = [b.register_forward_hook(lambda m, a, o: feats.append(o)) for b in unet.input_blocks]
    hooks.append(unet.middle_block.register_forward_hook(lambda m, a, o: feats.append(o)))
    with torch.no_grad():
        unet(x, t, ctx)
        outs = ctrl(x, hint, t, ctx)
    for h in hooks:
        h.remove()
    for a, b in zip(outs, feats, strict=True):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


# --- tiny VAE -------------------------------------------------------------------------------


def test_tiny_vae_shapes_factor_8() -> None:
    cfg = tiny_vae_config()
    assert cfg.downscale == 8
    vae = AutoencoderKL(cfg).eval()
    img = torch.rand(2, 3, 48, 64) * 2 - 1
    with torch.no_grad():
        mean, logvar = vae.encode_moments(img)
        assert mean.shape == logvar.shape == (2, cfg.embed_dim, 6, 8)
        torch.testing.assert_close(vae.encode(img), mean)
        rec = vae.decode(mean)
        assert rec.shape == img.shape
        out, m2, lv2 = vae(img, sample_posterior=False)
        torch.testing.assert_close(out, rec)
        torch.testing.assert_close(m2, mean)
        sampled, _, _ = vae(img, sample_posterior=True, generator=torch.Generator().manual_seed(0))
        assert not torch.allclose(sampled, rec)


def test_vae_logvar_is_clamped() -> None:
    vae = AutoencoderKL(tiny_vae_config()).eval()
    with torch.no_grad():
        vae.quant_conv.bias[4:] = 100.0  # logvar channels
        _, logvar = vae.encode_moments(torch.zeros(1, 3, 16, 16))
    assert float(logvar.max()) == 20.0


# --- tiny text encoder ------------------------------------------------------------------------


def tokens_like_clip(batch: int, length: int, cfg: TextEncoderConfig) -> torch.Tensor:
    tok = torch.zeros(batch, cfg.context_length, dtype=torch.long)
    tok[:, 0] = 49406
    tok[:, 1 : 1 + length] = torch.randint(1, 49000, (batch, length))
    tok[:, 1 + length] = 49407
    return tok


def test_tiny_text_encoder_shape_and_causality() -> None:
    cfg = tiny_text_config()
    enc = OpenCLIPTextEncoder(cfg).eval()
    tok = tokens_like_clip(2, 10, cfg)
    with torch.no_grad():
        out = enc(tok)
        assert out.shape == (2, 77, cfg.width)
        k = 6
        tok2 = tok.clone()
        tok2[:, k] = (tok2[:, k] + 17) % 49000
        out2 = enc(tok2)
    assert torch.equal(out[:, :k], out2[:, :k])
    assert (out[:, k:] - out2[:, k:]).abs().amax(dim=-1).min() > 0


def test_penultimate_output_skips_last_block() -> None:
    cfg = tiny_text_config()
    enc = OpenCLIPTextEncoder(cfg).eval()
    assert enc.num_blocks_used == cfg.layers - 1
    # same weights minus the last block, run to the end, must give the same output
    short_cfg = TextEncoderConfig(**{**config_to_dict(cfg), "layers": cfg.layers - 1, "output_layer": "last"})
    short = OpenCLIPTextEncoder(short_cfg).eval()
    sd = {k: v for k, v in enc.state_dict().items() if f"resblocks.{cfg.layers - 1}." not in k}
    short.load_state_dict(sd, strict=True)
    full_cfg = TextEncoderConfig(**{**config_to_dict(cfg), "output_layer": "last"})
    last = OpenCLIPTextEncoder(full_cfg).eval()
    last.load_state_dict(enc.state_dict())
    tok = tokens_like_clip(1, 5, cfg)
    with torch.no_grad():
        torch.testing.assert_close(enc(tok), short(tok))
        assert not torch.allclose(enc(tok), last(tok))


def test_fold_token_ids() -> None:
    cfg = tiny_text_config()
    assert cfg.fold_token_ids and cfg.vocab_size < 49408
    enc = OpenCLIPTextEncoder(cfg).eval()
    tok = tokens_like_clip(1, 4, cfg)
    with torch.no_grad():
        torch.testing.assert_close(enc(tok), enc(tok % cfg.vocab_size))
    assert not openclip_h14_text_config().fold_token_ids


# --- configs ------------------------------------------------------------------------------


def test_tiny_configs_keep_topology() -> None:
    u, c, v, t = tiny_unet_config(), tiny_controlnet_config(), tiny_vae_config(), tiny_text_config()
    assert len(u.channel_mult) == 4 and u.num_res_blocks == 2
    assert isinstance(c, ControlNetConfig) and c.in_channels + c.hint_channels == 8
    assert len(v.ch_mult) == 4 and v.scaling_factor == 0.18215
    assert t.context_length == 77 and t.output_layer == "penultimate"


@pytest.mark.parametrize(
    "cfg",
    [tiny_unet_config(), tiny_controlnet_config(), tiny_vae_config(), tiny_text_config(), sd21_unet_config()],
)
def test_config_dict_round_trip(cfg: object) -> None:
    d = config_to_dict(cfg)
    assert config_from_dict(type(cfg), d) == cfg
    with pytest.raises(ValueError, match="unknown"):
        config_from_dict(type(cfg), {**d, "nope": 1})


def test_config_types() -> None:
    assert isinstance(sd21_controlnet_config(), UNetConfig)
    assert isinstance(sd21_vae_config(), VAEConfig)


# --- load_strict ------------------------------------------------------------------------------


def test_load_strict_round_trip_with_official_prefix() -> None:
    src = randomize_zeros(UNetModel(tiny_unet_config()))
    ckpt = add_prefix(src.state_dict(), OFFICIAL_PREFIX["unet"])
    ckpt["first_stage_model.encoder.conv_in.weight"] = torch.zeros(1)  # another network's key
    dst = UNetModel(tiny_unet_config())
    assert load_strict(dst, ckpt, OFFICIAL_PREFIX["unet"]) is dst
    loaded = dst.state_dict()
    for k, v in src.state_dict().items():
        assert torch.equal(loaded[k], v), k


def test_load_strict_reports_missing_unexpected_and_shapes() -> None:
    src = IRControlNet(tiny_controlnet_config())
    ckpt = dict(src.state_dict())
    del ckpt["zero_convs.3.0.bias"]
    ckpt["input_blocks.0.0.weight"] = torch.zeros(32, 4, 3, 3)
    ckpt["input_hint_block.0.weight"] = torch.zeros(3)
    dst = IRControlNet(tiny_controlnet_config())
    before = {k: v.clone() for k, v in dst.state_dict().items()}
    with pytest.raises(StateDictMismatchError) as info:
        load_strict(dst, ckpt, "")
    err = info.value
    msg = str(err)
    assert err.missing == ["zero_convs.3.0.bias"]
    assert err.unexpected == ["input_hint_block.0.weight"]
    assert err.mismatched == [("input_blocks.0.0.weight", (32, 4, 3, 3), (32, 8, 3, 3))]
    for name in ("zero_convs.3.0.bias", "input_hint_block.0.weight", "input_blocks.0.0.weight"):
        assert name in msg
    assert "missing keys (1)" in msg and "[32, 4, 3, 3]" in msg and "[32, 8, 3, 3]" in msg
    assert all(torch.equal(before[k], v) for k, v in dst.state_dict().items())


def test_load_strict_caps_listing_at_20() -> None:
    dst = AutoencoderKL(tiny_vae_config())
    with pytest.raises(StateDictMismatchError) as info:
        load_strict(dst, {}, OFFICIAL_PREFIX["vae"])
    n = len(dst.state_dict())
    line = next(s for s in str(info.value).splitlines() if s.startswith("missing"))
    assert f"missing keys ({n})" in line and line.count(",") == 19


# --- ONNX export smoke tests ------------------------------------------------------------------


class _UNetWithControl(nn.Module):
    def __init__(self, unet: UNetModel) -> None:
        super().__init__()
        self.unet = unet

    def forward(self, x, t, ctx, *control):  # type: ignore[no-untyped-def]
        return self.unet(x, t, ctx, list(control))


def _export_and_compare(model, args, names, dyn, run_args, tmp_path: Path) -> float:  # type: ignore[no-untyped-def]
    import onnxruntime as ort

    path = tmp_path / "m.onnx"
    torch.onnx.export(
        model, args, str(path), dynamo=False, opset_version=17,
        input_names=names, output_names=["out"], dynamic_axes=dyn,
    )
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = sess.run(None, {n: a.numpy() for n, a in zip(names, run_args, strict=True)})[0]
    with torch.no_grad():
        ref = model(*run_args)
    assert got.shape == tuple(ref.shape)
    return float(np.abs(got - ref.numpy()).max())


@pytest.mark.filterwarnings("ignore")
def test_onnx_export_tiny_unet_with_control(tmp_path: Path) -> None:
    unet = randomize_zeros(UNetModel(tiny_unet_config())).eval()
    model = _UNetWithControl(unet).eval()

    def inputs(b: int, h: int, w: int) -> tuple[torch.Tensor, ...]:
        x, _, t, ctx = tiny_inputs(1, h, w)
        x, t, ctx = x.repeat(b, 1, 1, 1), t.repeat(b), ctx.repeat(b, 1, 1)
        return (x, t, ctx, *(torch.randn(s) for s in expected_control_shapes(unet.cfg, b, h, w)))

    names = ["x", "t", "context", *(f"control_{i}" for i in range(13))]
    dyn = {"x": {0: "b", 2: "h", 3: "w"}, "t": {0: "b"}, "context": {0: "b"}, "out": {0: "b", 2: "h", 3: "w"}}
    for i in range(13):
        dyn[f"control_{i}"] = {0: "b", 2: f"h{i}", 3: f"w{i}"}
    err = _export_and_compare(model, inputs(1, 16, 16), names, dyn, inputs(2, 24, 32), tmp_path)
    assert err <= 1e-4


@pytest.mark.filterwarnings("ignore")
def test_onnx_export_tiny_controlnet_vae_text(tmp_path: Path) -> None:
    ctrl = randomize_zeros(IRControlNet(tiny_controlnet_config())).eval()

    class FirstAndLast(nn.Module):  # one output keeps the helper simple; both ends checked
        def __init__(self) -> None:
            super().__init__()
            self.ctrl = ctrl

        def forward(self, x, hint, t, ctx):  # type: ignore[no-untyped-def]
            outs = self.ctrl(x, hint, t, ctx)
            return outs[0].mean((1, 2, 3)) + outs[12].mean((1, 2, 3)) * 3.0

    x, hint, t, ctx = tiny_inputs(1, 16, 16)
    run = tiny_inputs(2, 24, 32)
    dyn = {n: {0: "b"} for n in ("t", "context", "out")}
    dyn |= {n: {0: "b", 2: "h", 3: "w"} for n in ("x", "hint")}
    err = _export_and_compare(FirstAndLast().eval(), (x, hint, t, ctx), ["x", "hint", "t", "context"], dyn, run, tmp_path)
    assert err <= 1e-4

    vae = AutoencoderKL(tiny_vae_config()).eval()
    img_dyn = {"img": {0: "b", 2: "h", 3: "w"}, "out": {0: "b", 2: "h", 3: "w"}}
    err = _export_and_compare(
        VAEEncoder(vae), (torch.rand(1, 3, 32, 32),), ["img"], img_dyn, (torch.rand(2, 3, 48, 64),), tmp_path
    )
    assert err <= 1e-4
    z_dyn = {"z": {0: "b", 2: "h", 3: "w"}, "out": {0: "b", 2: "h", 3: "w"}}
    err = _export_and_compare(
        VAEDecoder(vae), (torch.randn(1, 4, 4, 4),), ["z"], z_dyn, (torch.randn(2, 4, 6, 8),), tmp_path
    )
    assert err <= 1e-4

    cfg = tiny_text_config()
    enc = OpenCLIPTextEncoder(cfg).eval()
    err = _export_and_compare(
        enc, (tokens_like_clip(1, 3, cfg),), ["tokens"], {"tokens": {0: "b"}, "out": {0: "b"}},
        (tokens_like_clip(3, 12, cfg),), tmp_path,
    )
    assert err <= 1e-4
