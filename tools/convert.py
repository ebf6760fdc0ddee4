"""Converts official DiffBIR checkpoints into a diffrestore model bundle.

    tools/.venv/bin/python -m tools.convert \\
        --sd v2-1_512-ema-pruned.ckpt --controlnet DiffBIR_v2.1.pt \\
        --cleaner realesrgan_s4_swinir_100k.pth --cleaner-kind swinir \\
        --version v2.1 --precision fp16 --bpe bpe_simple_vocab_16e6.txt.gz --out bundles/diffbir-v2.1-fp16

Every network is loaded with strict name/shape checking (tools.models.keys.load_strict):
a checkpoint that does not match fails with the list of missing, unexpected and
mis-shaped keys. See docs/converting-models.md.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch

from tools import bundle as B
from tools.clip_tokenizer import ClipTokenizer
from tools.export import export_bundle
from tools.models import configs as C
from tools.models.cleaner_configs import (
    bsrnet_config,
    build_cleaner,
    diffbir_swinir_config,
    scunet_psnr_config,
    tiny_rrdbnet_config,
    tiny_scunet_config,
    tiny_swinir_config,
    unwrap_cleaner_checkpoint,
)
from tools.models.controlnet import IRControlNet
from tools.models.keys import OFFICIAL_PREFIX, load_strict
from tools.models.text_encoder import OpenCLIPTextEncoder
from tools.models.unet import UNetModel
from tools.models.vae import AutoencoderKL

CLEANER_KINDS = ("swinir", "bsrnet", "scunet")
DEFAULT_CLEANER_LICENCE = {"swinir": B.LICENCE_DIFFBIR, "bsrnet": B.LICENCE_BSRGAN, "scunet": B.LICENCE_SCUNET}

# Architecture presets: the official sizes, and the tiny ones (tests, smoke runs).
ARCHS: dict[str, dict[str, Callable[[], Any]]] = {
    "sd21": {
        "unet": C.sd21_unet_config,
        "controlnet": C.sd21_controlnet_config,
        "vae": C.sd21_vae_config,
        "text": C.openclip_h14_text_config,
        "swinir": diffbir_swinir_config,
        "bsrnet": bsrnet_config,
        "scunet": scunet_psnr_config,
    },
    "tiny": {
        "unet": C.tiny_unet_config,
        "controlnet": C.tiny_controlnet_config,
        "vae": C.tiny_vae_config,
        "text": C.tiny_text_config,
        "swinir": tiny_swinir_config,
        "bsrnet": tiny_rrdbnet_config,
        "scunet": tiny_scunet_config,
    },
}


class ConvertError(RuntimeError):
    """A problem with the inputs of a conversion (unreadable file, missing tokenizer, ...)."""


def load_checkpoint(path: str | Path) -> dict[str, torch.Tensor]:
    """Tensors of a checkpoint file. .ckpt/.pt/.pth via torch.load(weights_only=True) (no
    pickle code runs); .safetensors when the `safetensors` package is installed. Lightning
    and EMA wrappers ({'state_dict': ...}, {'params_ema': ...}) are unwrapped."""
    p = Path(path)
    if not p.is_file():
        raise ConvertError(f"checkpoint not found: {p}")
    if p.suffix == ".safetensors":
        try:
            from safetensors.torch import load_file  # type: ignore[import-not-found]
        except ImportError as e:
            raise ConvertError(
                f"{p.name}: reading .safetensors needs the 'safetensors' package (pip install safetensors)"
            ) from e
        return dict(load_file(str(p)))
    try:
        obj = torch.load(str(p), map_location="cpu", weights_only=True, mmap=True)
    except Exception as e:  # noqa: BLE001 - report any unpickling failure the same way
        raise ConvertError(
            f"{p.name}: torch.load(weights_only=True) failed ({type(e).__name__}: {e}). "
            "The file may hold non-tensor objects; re-save its state dict or use .safetensors."
        ) from e
    for wrapper in ("state_dict", "params_ema", "params", "model"):
        if isinstance(obj, Mapping) and isinstance(obj.get(wrapper), Mapping):
            obj = obj[wrapper]
            break
    if not isinstance(obj, Mapping):
        raise ConvertError(f"{p.name}: expected a state dict, found {type(obj).__name__}")
    return {k: v for k, v in obj.items() if isinstance(v, torch.Tensor)}


def _micro() -> dict[str, Callable[[], Any]]:
    from tools.make_fixture import fixture_configs

    cfg = fixture_configs()
    return {**ARCHS["tiny"], **{k: (lambda v=v: v) for k, v in cfg.items() if k != "cleaner"}}


def build_tokenizer(bpe: str | Path | None, text_cfg: C.TextEncoderConfig) -> ClipTokenizer:
    if bpe is None:
        raise ConvertError(
            "--bpe is required: the CLIP merges file (bpe_simple_vocab_16e6.txt.gz, shipped with OpenCLIP/CLIP) "
            "tokenizes the default prompts whose embeddings the bundle carries"
        )
    tok = ClipTokenizer.from_file(bpe)
    if tok.vocab_size != text_cfg.vocab_size and not text_cfg.fold_token_ids:
        raise ConvertError(f"{Path(bpe).name} gives {tok.vocab_size} tokens, the text encoder has {text_cfg.vocab_size}")
    return tok


def convert(
    *,
    sd: str | Path,
    controlnet: str | Path,
    out: str | Path,
    version: str,
    precision: str = "fp32",
    cleaner: str | Path | None = None,
    cleaner_kind: str | None = None,
    cleaner_licence: str | None = None,
    with_text_encoder: bool = False,
    tokenizer: Callable[[list[str]], Any] | None = None,
    bpe: str | Path | None = None,
    include_tokenizer: bool = False,
    arch: str = "sd21",
    name: str | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Loads the official files strictly and writes a bundle; returns its manifest.

    ``tokenizer`` overrides ``bpe`` (tests); ``include_tokenizer`` copies the BPE file into
    the bundle next to text_encoder.onnx.
    """
    if version not in B.RELEASES:
        raise ConvertError(f"--version must be one of {sorted(B.RELEASES)}, got {version!r}")
    if cleaner is not None and cleaner_kind not in CLEANER_KINDS:
        raise ConvertError(f"--cleaner-kind must be one of {CLEANER_KINDS}, got {cleaner_kind!r}")
    preset = _micro() if arch == "micro" else ARCHS[arch]
    torch.manual_seed(0)  # weights are all overwritten; this only makes construction cheap to reason about

    log(f"reading {Path(sd).name}")
    sd_state = load_checkpoint(sd)
    unet = load_strict(UNetModel(preset["unet"]()), sd_state, OFFICIAL_PREFIX["unet"]).eval()
    vae = load_strict(AutoencoderKL(preset["vae"]()), sd_state, OFFICIAL_PREFIX["vae"]).eval()
    text = load_strict(OpenCLIPTextEncoder(preset["text"]()), sd_state, OFFICIAL_PREFIX["text"]).eval()
    del sd_state
    log(f"reading {Path(controlnet).name}")
    cn = load_strict(IRControlNet(preset["controlnet"]()), load_checkpoint(controlnet), OFFICIAL_PREFIX["controlnet"])
    cleaner_module = None
    if cleaner is not None:
        log(f"reading {Path(cleaner).name}")
        cleaner_module = build_cleaner(preset[cleaner_kind]())
        load_strict(cleaner_module, unwrap_cleaner_checkpoint(load_checkpoint(cleaner)), "")
        cleaner_module.eval()

    tok = tokenizer or build_tokenizer(bpe, text.cfg)
    sources = [B.source_ref("sd", sd), B.source_ref("controlnet", controlnet)]
    if cleaner is not None:
        sources.append(B.source_ref("cleaner", cleaner))
    if include_tokenizer and bpe is not None:
        sources.append(B.source_ref("tokenizer", bpe))
    tokens = (tok.start_token, tok.end_token, tok.pad_token) if isinstance(tok, ClipTokenizer) else None
    return export_bundle(
        out,
        name=name or f"diffbir-{version}-{cleaner_kind or 'nocleaner'}-{precision}",
        description=f"DiffBIR {version} (SD 2.1 + IRControlNet) converted by tools/convert.py",
        release=version,
        precision=precision,
        unet=unet,
        controlnet=cn,
        vae=vae,
        text_encoder=text,
        tokenize=tok,
        cleaner=cleaner_module,
        cleaner_kind=cleaner_kind,
        licences={
            "denoiser": f"{B.LICENCE_SD} AND {B.LICENCE_DIFFBIR}",
            "vae": B.LICENCE_SD,
            "text": B.LICENCE_SD,
            "cleaner": cleaner_licence or DEFAULT_CLEANER_LICENCE.get(cleaner_kind or "", B.LICENCE_DIFFBIR),
        },
        sources=sources,
        random_weights=False,
        with_text_encoder=with_text_encoder,
        tokenizer_file=bpe if (include_tokenizer and with_text_encoder) else None,
        tokenizer_tokens=tokens,
        log=log,
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m tools.convert", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sd", required=True, help="SD 2.1 checkpoint (.ckpt/.pt/.pth/.safetensors)")
    ap.add_argument("--controlnet", required=True, help="DiffBIR ControlNet (v2.pth or DiffBIR_v2.1.pt)")
    ap.add_argument("--cleaner", help="stage-1 checkpoint (SwinIR, BSRNet or SCUNet)")
    ap.add_argument("--cleaner-kind", choices=CLEANER_KINDS)
    ap.add_argument("--cleaner-licence", help="licence expression of the cleaner (face SwinIR: LicenseRef-S-Lab-1.0)")
    ap.add_argument("--version", required=True, choices=sorted(B.RELEASES), help="release whose defaults to write")
    ap.add_argument("--precision", default="fp32", choices=("fp32", "fp16"))
    ap.add_argument("--bpe", help="CLIP merges file bpe_simple_vocab_16e6.txt.gz (tokenizes the default prompts)")
    ap.add_argument("--with-text-encoder", action="store_true", help="also export text_encoder.onnx")
    ap.add_argument("--include-tokenizer", action="store_true", help="copy the --bpe file into the bundle")
    ap.add_argument("--arch", default="sd21", choices=[*sorted(ARCHS), "micro"],
                    help="network sizes: sd21 (official); tiny / micro (the fixture's sizes) for tests only")
    ap.add_argument("--name", help="bundle name (default derived from version/cleaner/precision)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", required=True, help="output folder")
    a = ap.parse_args(argv)
    if (a.cleaner is None) != (a.cleaner_kind is None):
        ap.error("--cleaner and --cleaner-kind go together")
    torch.set_num_threads(a.threads)
    try:
        convert(
            sd=a.sd,
            controlnet=a.controlnet,
            out=a.out,
            version=a.version,
            precision=a.precision,
            cleaner=a.cleaner,
            cleaner_kind=a.cleaner_kind,
            cleaner_licence=a.cleaner_licence,
            with_text_encoder=a.with_text_encoder,
            bpe=a.bpe,
            include_tokenizer=a.include_tokenizer,
            arch=a.arch,
            name=a.name,
        )
    except (ConvertError, ValueError) as e:  # StateDictMismatchError is a ValueError
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"wrote bundle {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
