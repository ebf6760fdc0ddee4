"""tools/export.py + tools/bundle.py + tools/make_fixture.py: graphs equal PyTorch at two
spatial sizes from one file, manifests follow the schema, hashes match, fixture reproducible."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch

from tools import bundle as B
from tools import export as E
from tools.make_fixture import DEFAULT_OUT, build_models, fixture_tokenizer, make_fixture

torch.set_num_threads(1)
TOL = 1e-4


@pytest.fixture(scope="module")
def models() -> dict[str, torch.nn.Module]:
    return build_models(seed=11)


@pytest.fixture(scope="module")
def exported(models, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("bundle")
    manifest = E.export_bundle(
        out, name="t", release="v2.1", precision="fp32", unet=models["unet"], controlnet=models["controlnet"],
        vae=models["vae"], text_encoder=models["text"], tokenize=fixture_tokenizer(),
        cleaner=models["cleaner"], cleaner_kind="swinir", licences=dict.fromkeys(("denoiser", "vae", "cleaner", "text"), "Apache-2.0"),
        sources=[], random_weights=True, with_text_encoder=True, log=lambda s: None,
    )
    return out, manifest


def _inputs(component: str, size: tuple, seed: int) -> tuple[torch.Tensor, ...]:
    batch, h, w = size
    return E.example_inputs(component, batch=batch, latent_hw=(h, w), image_hw=(h, w), context=(77, 32), seed=seed)


# (component, two (batch, h, w) sizes): latent sides for denoiser/VAE, pixel sides for the cleaner.
CASES = [
    ("denoiser", [(2, 8, 16), (1, 24, 16)]),
    ("vaeEncoder", [(1, 8, 8), (2, 6, 10)]),
    ("vaeDecoder", [(2, 8, 8), (1, 6, 10)]),
    ("cleaner", [(1, 64, 64), (2, 64, 192)]),
    ("textEncoder", [(1, 0, 0), (3, 0, 0)]),
]


def _module(models, component: str) -> torch.nn.Module:
    return {
        "denoiser": lambda: E.FusedDenoiser(models["unet"], models["controlnet"]),
        "vaeEncoder": lambda: E.VAEEncoderGraph(models["vae"]),
        "vaeDecoder": lambda: E.VAEDecoderGraph(models["vae"]),
        "cleaner": lambda: models["cleaner"],
        "textEncoder": lambda: models["text"],
    }[component]().eval()


@pytest.mark.parametrize(("component", "sizes"), CASES, ids=[c for c, _ in CASES])
def test_onnx_equals_pytorch_at_two_sizes(exported, models, component: str, sizes: list) -> None:
    out, manifest = exported
    spec = E.SPECS[component]
    path = out / manifest["components"][component]["file"]
    shapes = set()
    for k, size in enumerate(sizes):
        args = _inputs(component, size, seed=100 + k)
        with torch.no_grad():
            want = _module(models, component)(*args).numpy()
        got = E.run_onnx(path, {n: a.numpy() for n, a in zip(spec.input_names, args, strict=True)})[spec.output_names[0]]
        assert got.shape == want.shape
        err = float(np.abs(got - want).max())
        assert err <= TOL, f"{component} {size}: max abs error {err}"
        assert float(np.abs(want).max()) > 1e-2  # not a vacuous comparison of zeros
        shapes.add(got.shape)
    assert len(shapes) == 2


def test_control_scales_reach_the_unet(exported, models) -> None:
    """Scales 0 give the plain UNet; other scales change the output (the fusion is wired)."""
    out, m = exported
    x, t, ctx, c, _ = _inputs("denoiser", (1, 8, 8), seed=5)
    feeds = {"x": x.numpy(), "timestep": t.numpy(), "context": ctx.numpy(), "control": c.numpy()}
    zero = E.run_onnx(out / "denoiser.onnx", {**feeds, "control_scales": np.zeros(13, np.float32)})["out"]
    with torch.no_grad():
        plain = models["unet"](x, t, ctx, None).numpy()
    assert np.abs(zero - plain).max() <= TOL
    one = E.run_onnx(out / "denoiser.onnx", {**feeds, "control_scales": np.ones(13, np.float32)})["out"]
    assert np.abs(one - plain).max() > 1e-3


def test_graph_io_follows_the_contract(exported) -> None:
    out, m = exported
    f, i64 = onnx.TensorProto.FLOAT, onnx.TensorProto.INT64
    want = {
        "denoiser": ([("x", f, ["batch", 4, "height", "width"]), ("timestep", f, ["batch"]),
                      ("context", f, ["batch", "tokens", 32]), ("control", f, ["batch", 4, "height", "width"]),
                      ("control_scales", f, [13])], [("out", f, ["batch", 4, "height", "width"])]),
        "vaeEncoder": ([("image", f, ["batch", 3, "height", "width"])],
                       [("mean", f, ["batch", 4, "latent_height", "latent_width"])]),
        "vaeDecoder": ([("latent", f, ["batch", 4, "height", "width"])],
                       [("image", f, ["batch", 3, "image_height", "image_width"])]),
        "cleaner": ([("image", f, ["batch", 3, "height", "width"])], [("restored", f, ["batch", 3, "out_height", "out_width"])]),
        "textEncoder": ([("tokens", i64, ["batch", 77])], [("context", f, ["batch", 77, 32])]),
    }
    for comp, (ins, outs) in want.items():
        io = E.graph_io(out / m["components"][comp]["file"])
        assert [tuple(v) for v in io["inputs"]] == [(n, t, d) for n, t, d in ins], comp
        assert [tuple(v) for v in io["outputs"]] == [(n, t, d) for n, t, d in outs], comp
        assert onnx.load(str(out / m["components"][comp]["file"])).opset_import[0].version == 17


def test_manifest_matches_schema_and_hashes(exported) -> None:
    out, m = exported
    assert B.schema_errors(m, B.load_schema()) == []
    on_disk = json.loads((out / "manifest.json").read_text())
    assert on_disk == m
    for f in B.bundle_files(m):  # recomputed here, not with bundle.sha256_file
        data = (out / f["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == f["sha256"] and len(data) == f["bytes"]
    assert m["latent"] == {"channels": 4, "downscale": 8, "scalingFactor": 0.18215}
    assert m["diffusion"]["controlOutputs"] == 13
    assert m["components"]["cleaner"]["sizeMultiple"] == 64 and m["components"]["cleaner"]["preprocess"] == "swinir"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda m: m.update(version=2), r"version: expected 1"),
        (lambda m: m.pop("diffusion"), r"diffusion: required field is missing"),
        (lambda m: m["components"].pop("vaeEncoder"), r"components.vaeEncoder: required"),
        (lambda m: m["components"]["denoiser"].update(sha256="xyz"), r"components.denoiser.sha256"),
        (lambda m: m["components"]["denoiser"].update(file="../up.onnx"), r"components.denoiser.file"),
        (lambda m: m["diffusion"]["schedule"].update(kind="cosine"), r"schedule.kind"),
        (lambda m: m["diffusion"]["schedule"].update(betaEnd=0.0001), r"betaEnd: must be >= betaStart"),
        (lambda m: m["components"]["cleaner"].update(preprocess="x"), r"cleaner.preprocess"),
        (lambda m: m["embeddings"]["positive"].update(bytes=12), r"embeddings.positive.bytes"),
        (lambda m: m["embeddings"]["negative"].update(shape=[1, 77, 31]), r"embeddings.negative.shape"),
        (lambda m: m["components"]["vaeDecoder"].update(file="vae_encoder.onnx"), r"name the same file"),
    ],
)
def test_validator_rejects_broken_manifests(exported, edit, message: str) -> None:
    m = copy.deepcopy(exported[1])
    edit(m)
    with pytest.raises(B.ManifestError, match=message):
        B.validate_manifest(m)


def test_verify_files_detects_tampering(exported, tmp_path: Path) -> None:
    out, m = exported
    E.copy_tree(out, tmp_path / "b")
    p = tmp_path / "b" / "embeddings" / "negative.bin"
    data = bytearray(p.read_bytes())
    data[0] ^= 1
    p.write_bytes(bytes(data))
    with pytest.raises(B.ManifestError, match="negative.bin: sha256"):
        B.verify_files(tmp_path / "b", m)


def test_fp16_export_keeps_float32_io(models, tmp_path: Path) -> None:
    module = E.FusedDenoiser(models["unet"], models["controlnet"])
    args = _inputs("denoiser", (2, 8, 8), seed=1)
    entry = E.export_graph(module, E.SPECS["denoiser"], args, tmp_path, precision="fp16")
    io = E.graph_io(tmp_path / entry["file"])
    assert {t for _, t, _ in io["inputs"] + io["outputs"]} == {onnx.TensorProto.FLOAT}
    weights = onnx.load(str(tmp_path / entry["file"])).graph.initializer
    halves = sum(int(np.prod(w.dims)) for w in weights if w.data_type == onnx.TensorProto.FLOAT16)
    assert halves >= 0.95 * entry["parameters"]  # GroupNorm affine params stay float32
    for k, size in enumerate([(2, 8, 8), (1, 16, 8)]):
        a = _inputs("denoiser", size, seed=20 + k)
        with torch.no_grad():
            want = module(*a).numpy()
        got = E.run_onnx(tmp_path / entry["file"], {n: v.numpy() for n, v in zip(E.SPECS["denoiser"].input_names, a, strict=True)})["out"]
        assert np.abs(got - want).max() <= 2e-3 * np.abs(want).max() + 1e-3
    # the source module is untouched (still float32)
    assert next(models["unet"].parameters()).dtype == torch.float32


def test_external_data_is_written_and_loads(models, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(E, "TWO_GB", 1000)  # pretend the small VAE decoder is over the 2 GB limit
    entry = E.export_graph(E.VAEDecoderGraph(models["vae"]), E.SPECS["vaeDecoder"], _inputs("vaeDecoder", (1, 4, 4), 0), tmp_path)
    assert [e["file"] for e in entry["externalData"]] == ["vae_decoder.onnx_data"]
    assert entry["externalData"][0]["bytes"] > 4 * 0.9 * entry["parameters"]
    assert entry["bytes"] < 200_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vae_decoder.onnx", "vae_decoder.onnx_data"]
    z = _inputs("vaeDecoder", (1, 6, 4), 1)[0]
    with torch.no_grad():
        want = models["vae"].decode(z).numpy()
    assert np.abs(E.run_onnx(tmp_path / "vae_decoder.onnx", {"latent": z.numpy()})["image"] - want).max() <= TOL


def test_committed_fixture_is_valid() -> None:
    m = B.load_manifest(DEFAULT_OUT)
    B.verify_files(DEFAULT_OUT, m)
    total = sum(p.stat().st_size for p in DEFAULT_OUT.rglob("*") if p.is_file())
    assert total < 5 * 2**20


def test_make_fixture_is_byte_reproducible(tmp_path: Path) -> None:
    """Regenerating gives the committed fixture byte for byte (same torch/onnx versions)."""
    make_fixture(tmp_path / "f", log=lambda s: None)
    committed = sorted(p.relative_to(DEFAULT_OUT) for p in DEFAULT_OUT.rglob("*") if p.is_file())
    fresh = sorted(p.relative_to(tmp_path / "f") for p in (tmp_path / "f").rglob("*") if p.is_file())
    assert fresh == committed
    ref = json.loads((DEFAULT_OUT / "reference" / "reference.json").read_text())
    for rel in committed:
        a, b = (DEFAULT_OUT / rel).read_bytes(), (tmp_path / "f" / rel).read_bytes()
        assert a == b, f"{rel} differs"
    assert len(ref["cases"]) == 6


def test_fixture_reference_outputs_match_onnxruntime() -> None:
    """The committed reference outputs (PyTorch) agree with the committed graphs (onnxruntime)."""
    m = B.load_manifest(DEFAULT_OUT)
    ref = json.loads((DEFAULT_OUT / "reference" / "reference.json").read_text())
    read = lambda t: np.fromfile(DEFAULT_OUT / t["file"], "<f4").reshape(t["shape"])  # noqa: E731
    for case in ref["cases"]:
        feeds = {t["name"]: read(t).astype(np.int64 if t["graphDtype"] == "int64" else np.float32) for t in case["inputs"]}
        got = E.run_onnx(DEFAULT_OUT / m["components"][case["graph"]]["file"], feeds)
        for t in case["outputs"]:
            assert np.abs(got[t["name"]] - read(t)).max() <= ref["tolerance"]["maxAbs"], case["name"]
