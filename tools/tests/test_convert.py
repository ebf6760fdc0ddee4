"""tools/convert.py: synthetic checkpoints in the official layouts round-trip into a bundle."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from tools import bundle as B
from tools.clip_tokenizer import ClipTokenizer
from tools.convert import ConvertError, convert, load_checkpoint, main
from tools.export import run_onnx
from tools.make_fixture import build_models
from tools.models.keys import OFFICIAL_PREFIX, StateDictMismatchError, add_prefix

torch.set_num_threads(1)

MERGES = [("t", "h"), ("th", "e</w>"), ("o", "w</w>"), ("l", "ow</w>")]


def write_bpe(path: Path) -> Path:
    path.write_text("#version: 0.2\n" + "\n".join(f"{a} {b}" for a, b in MERGES) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def official(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Random micro-size networks saved the way the official files are stored."""
    d = tmp_path_factory.mktemp("official")
    models = build_models(seed=7)
    sd = {
        **add_prefix(models["unet"].state_dict(), OFFICIAL_PREFIX["unet"]),
        **add_prefix(models["vae"].state_dict(), OFFICIAL_PREFIX["vae"]),
        **add_prefix(models["text"].state_dict(), OFFICIAL_PREFIX["text"]),
        # the real SD checkpoint also holds schedule buffers under the root prefix
        "betas": torch.linspace(0.00085, 0.012, 1000),
    }
    torch.save({"state_dict": sd, "global_step": 875000}, d / "sd21-zsnr.ckpt")
    torch.save(models["controlnet"].state_dict(), d / "DiffBIR_v2.1.pt")
    torch.save({"params": {"module." + k: v for k, v in models["cleaner"].state_dict().items()}}, d / "swinir.pth")
    return {"dir": d, "models": models, "bpe": write_bpe(d / "bpe_merges.txt")}


@pytest.fixture(scope="module")
def bundle(official: dict, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundle")
    d: Path = official["dir"]
    rc = main([
        "--sd", str(d / "sd21-zsnr.ckpt"), "--controlnet", str(d / "DiffBIR_v2.1.pt"),
        "--cleaner", str(d / "swinir.pth"), "--cleaner-kind", "swinir", "--version", "v2",
        "--precision", "fp32", "--bpe", str(official["bpe"]), "--with-text-encoder", "--include-tokenizer",
        "--arch", "micro", "--threads", "1", "--out", str(out),
    ])
    assert rc == 0
    return out


def test_bundle_manifest_is_valid_and_files_match(bundle: Path, official: dict) -> None:
    m = B.load_manifest(bundle)  # schema + cross-field rules
    B.verify_files(bundle, m)
    assert set(m["components"]) == {"denoiser", "vaeEncoder", "vaeDecoder", "cleaner", "textEncoder"}
    tok = m["components"]["textEncoder"]["tokenizer"]
    assert tok["kind"] == "clip-bpe" and (tok["startToken"], tok["endToken"], tok["padToken"]) == (516, 517, 0)
    srcs = {s["role"]: s for s in m["provenance"]["sources"]}
    ckpt = official["dir"] / "sd21-zsnr.ckpt"
    assert srcs["sd"]["file"] == "sd21-zsnr.ckpt"
    assert srcs["sd"]["sha256"] == hashlib.sha256(ckpt.read_bytes()).hexdigest()
    assert srcs["controlnet"]["bytes"] == (official["dir"] / "DiffBIR_v2.1.pt").stat().st_size
    assert m["provenance"]["randomWeights"] is False and m["provenance"]["release"] == "v2"


def test_v2_release_defaults(bundle: Path) -> None:
    m = json.loads((bundle / "manifest.json").read_text())
    assert m["diffusion"]["prediction"] == "epsilon"
    assert m["diffusion"]["schedule"] == {
        "kind": "ldm-linear", "betaStart": 0.00085, "betaEnd": 0.012, "steps": 1000, "zeroTerminalSnr": False,
    }
    d = m["defaults"]
    assert (d["sampler"], d["steps"], d["cfgScale"], d["positivePrompt"]) == ("spaced", 50, 4.0, "")
    assert d["negativePrompt"] == "low quality, blurry, low-resolution, noisy, unsharp, weird textures"
    assert m["components"]["denoiser"]["licence"] == "LicenseRef-CreativeML-OpenRAIL++-M AND Apache-2.0"


def test_graphs_run_and_equal_the_checkpoint_models(bundle: Path, official: dict) -> None:
    """Graphs from the converted bundle reproduce the networks the checkpoints were saved from."""
    models = official["models"]
    g = torch.Generator().manual_seed(3)
    x, c = torch.randn(1, 4, 8, 8, generator=g), torch.randn(1, 4, 8, 8, generator=g)
    ctx = torch.randn(1, 77, 32, generator=g)
    t = torch.tensor([321.0])
    scales = torch.linspace(0.2, 1.8, 13)
    with torch.no_grad():
        ctrl = models["controlnet"](x, c, t, ctx)
        want = models["unet"](x, t, ctx, [ci * scales[i] for i, ci in enumerate(ctrl)]).numpy()
    got = run_onnx(bundle / "denoiser.onnx", {"x": x.numpy(), "timestep": t.numpy(), "context": ctx.numpy(),
                                              "control": c.numpy(), "control_scales": scales.numpy()})["out"]
    assert np.abs(got - want).max() <= 1e-4
    img = torch.rand(1, 3, 64, 64, generator=g)
    with torch.no_grad():
        want_clean = models["cleaner"](img).numpy()
    assert np.abs(run_onnx(bundle / "cleaner.onnx", {"image": img.numpy()})["restored"] - want_clean).max() <= 1e-4


def test_embeddings_are_the_text_encoder_on_the_default_prompts(bundle: Path, official: dict) -> None:
    m = B.load_manifest(bundle)
    tok = ClipTokenizer.from_file(official["bpe"])
    for which, text in (("positive", ""), ("negative", m["defaults"]["negativePrompt"])):
        e = m["embeddings"][which]
        assert e["text"] == text and e["dtype"] == "float32"
        with torch.no_grad():
            want = official["models"]["text"](torch.from_numpy(tok([text]))).numpy()
        np.testing.assert_array_equal(B.read_embedding(bundle, e), want)


def test_corrupted_checkpoint_reports_the_mismatch(official: dict, tmp_path: Path, capsys) -> None:
    d: Path = official["dir"]
    sd = torch.load(d / "DiffBIR_v2.1.pt", weights_only=True)
    sd.pop("input_blocks.1.0.in_layers.0.weight")
    sd["input_blocks.0.0.weight"] = torch.zeros(8, 4, 3, 3)  # an SD 1.x-like first conv
    sd["stray.weight"] = torch.zeros(1)
    torch.save(sd, tmp_path / "broken.pt")
    args = dict(sd=d / "sd21-zsnr.ckpt", controlnet=tmp_path / "broken.pt", out=tmp_path / "b", version="v2.1",
                arch="micro", tokenizer=ClipTokenizer([]), log=lambda s: None)
    with pytest.raises(StateDictMismatchError) as err:
        convert(**args)
    assert err.value.missing == ["input_blocks.1.0.in_layers.0.weight"]
    assert err.value.unexpected == ["stray.weight"]
    assert err.value.mismatched[0][0] == "input_blocks.0.0.weight"
    rc = main(["--sd", str(d / "sd21-zsnr.ckpt"), "--controlnet", str(tmp_path / "broken.pt"), "--version", "v2.1",
               "--bpe", str(official["bpe"]), "--arch", "micro", "--out", str(tmp_path / "c")])
    msg = capsys.readouterr().err
    assert rc == 2
    assert "missing keys (1): input_blocks.1.0.in_layers.0.weight" in msg
    assert "unexpected keys (1): stray.weight" in msg
    assert "input_blocks.0.0.weight checkpoint [8, 4, 3, 3]" in msg
    assert not (tmp_path / "c" / "manifest.json").exists()


def test_sd_checkpoint_missing_the_vae_is_rejected(official: dict, tmp_path: Path) -> None:
    raw = torch.load(official["dir"] / "sd21-zsnr.ckpt", weights_only=True)["state_dict"]
    torch.save({"state_dict": {k: v for k, v in raw.items() if not k.startswith("first_stage_model.")}},
               tmp_path / "novae.ckpt")
    with pytest.raises(StateDictMismatchError, match=r"AutoencoderKL \(prefix 'first_stage_model.'\)"):
        convert(sd=tmp_path / "novae.ckpt", controlnet=official["dir"] / "DiffBIR_v2.1.pt", out=tmp_path / "o",
                version="v2", arch="micro", tokenizer=ClipTokenizer([]), log=lambda s: None)


def test_load_checkpoint_errors(tmp_path: Path) -> None:
    with pytest.raises(ConvertError, match="not found"):
        load_checkpoint(tmp_path / "nope.ckpt")
    (tmp_path / "junk.ckpt").write_bytes(b"not a checkpoint")
    with pytest.raises(ConvertError, match="weights_only=True"):
        load_checkpoint(tmp_path / "junk.ckpt")
    st = tmp_path / "x.safetensors"
    st.write_bytes(b"")
    try:
        import safetensors  # noqa: F401
    except ImportError:
        with pytest.raises(ConvertError, match="safetensors"):
            load_checkpoint(st)


def test_missing_bpe_is_explained(official: dict, tmp_path: Path) -> None:
    with pytest.raises(ConvertError, match="--bpe is required"):
        convert(sd=official["dir"] / "sd21-zsnr.ckpt", controlnet=official["dir"] / "DiffBIR_v2.1.pt",
                out=tmp_path / "o", version="v2", arch="micro", log=lambda s: None)


def test_tokenizer_layout() -> None:
    tok = ClipTokenizer.from_file(write_bpe(Path(__import__("tempfile").mkdtemp()) / "m.txt"))
    assert tok.vocab_size == 512 + len(MERGES) + 2
    assert (tok.start_token, tok.end_token) == (tok.vocab_size - 2, tok.vocab_size - 1)
    # An empty prompt is [start, end, 0, ...] (diffbir-inference.md §4), not all zeros.
    assert tok([""])[0, :3].tolist() == [tok.start_token, tok.end_token, 0]
    # lower-cased; "the" and "low" merge to one token each; "," is its own word
    ids = tok.encode("The  LOW,")
    assert ids == [tok.encoder["the</w>"], tok.encoder["low</w>"], tok.encoder[",</w>"]]
    long = tok(["a " * 200])[0]
    assert long.shape == (77,) and long[0] == tok.start_token and long[-1] == tok.end_token
