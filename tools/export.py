"""ONNX export of the bundle graphs (contracts in docs/model-bundle.md).

Each graph is a thin wrapper module with the contract's input/output names, exported with
the TorchScript-based exporter (``dynamo=False``: no onnxscript dependency) at opset 17
with dynamic batch and spatial axes. fp16 bundles convert the weights and the compute to
half precision but keep float32 graph I/O: a Cast at each float input and output, so
runtimes, embeddings and callers never handle half floats at the graph edge
(``ioDtype: "float32"`` in the manifest). Graphs over 2 GB are written with one
external-data file ``<name>.onnx_data`` beside them.
"""

from __future__ import annotations

import copy
import os
import shutil
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch
from torch import nn

from tools.bundle import OPSET, file_ref

TWO_GB = 2**31 - 1


class FusedDenoiser(nn.Module):
    """UNet + IRControlNet in one graph: out = unet(x, t, ctx, [c_i * s_i for c_i in controlnet(x, control, t, ctx)])."""

    def __init__(self, unet: nn.Module, controlnet: nn.Module) -> None:
        super().__init__()
        self.unet = unet
        self.controlnet = controlnet

    def forward(
        self, x: torch.Tensor, timestep: torch.Tensor, context: torch.Tensor, control: torch.Tensor, control_scales: torch.Tensor
    ) -> torch.Tensor:
        ctrl = self.controlnet(x, control, timestep, context)
        scaled = [c * control_scales[i] for i, c in enumerate(ctrl)]
        return self.unet(x, timestep, context, scaled)


class VAEEncoderGraph(nn.Module):
    """image in [-1, 1] -> unscaled posterior mean."""

    def __init__(self, vae: nn.Module) -> None:
        super().__init__()
        self.vae = vae

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.vae.encode(image)

    def graph_parameters(self) -> int:
        return count_parameters(self.vae.encoder) + count_parameters(self.vae.quant_conv)


class VAEDecoderGraph(nn.Module):
    """unscaled latent -> image in [-1, 1]."""

    def __init__(self, vae: nn.Module) -> None:
        super().__init__()
        self.vae = vae

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        return self.vae.decode(latent)

    def graph_parameters(self) -> int:
        return count_parameters(self.vae.decoder) + count_parameters(self.vae.post_quant_conv)


class HalfPrecision(nn.Module):
    """Runs ``inner`` (already .half()) on float16 copies of the float inputs; returns float32."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, *args: torch.Tensor) -> torch.Tensor:
        cast = [a.half() if a.is_floating_point() else a for a in args]
        return self.inner(*cast).float()


def to_half(module: nn.Module) -> nn.Module:
    """Half-precision weights, except norms that compute in float32 by design (LDM's
    GroupNorm32 casts its input to float32, so its affine parameters must stay float32)."""
    from tools.models.layers import GroupNorm32

    module.half()
    for m in module.modules():
        if isinstance(m, GroupNorm32):
            m.float()
    return module


@dataclass(frozen=True)
class GraphSpec:
    """How one component is exported: names and dynamic axes of the contract."""

    component: str
    file: str
    input_names: tuple[str, ...]
    output_names: tuple[str, ...]
    dynamic_axes: dict[str, dict[int, str]]


SPECS: dict[str, GraphSpec] = {
    "denoiser": GraphSpec(
        "denoiser",
        "denoiser.onnx",
        ("x", "timestep", "context", "control", "control_scales"),
        ("out",),
        {
            "x": {0: "batch", 2: "height", 3: "width"},
            "timestep": {0: "batch"},
            "context": {0: "batch", 1: "tokens"},
            "control": {0: "batch", 2: "height", 3: "width"},
            "out": {0: "batch", 2: "height", 3: "width"},
        },
    ),
    "vaeEncoder": GraphSpec(
        "vaeEncoder",
        "vae_encoder.onnx",
        ("image",),
        ("mean",),
        {"image": {0: "batch", 2: "height", 3: "width"}, "mean": {0: "batch", 2: "latent_height", 3: "latent_width"}},
    ),
    "vaeDecoder": GraphSpec(
        "vaeDecoder",
        "vae_decoder.onnx",
        ("latent",),
        ("image",),
        {"latent": {0: "batch", 2: "height", 3: "width"}, "image": {0: "batch", 2: "image_height", 3: "image_width"}},
    ),
    "cleaner": GraphSpec(
        "cleaner",
        "cleaner.onnx",
        ("image",),
        # ONNX forbids a node output named like a graph input, so not `image` (docs).
        ("restored",),
        {"image": {0: "batch", 2: "height", 3: "width"}, "restored": {0: "batch", 2: "out_height", 3: "out_width"}},
    ),
    "textEncoder": GraphSpec(
        "textEncoder",
        "text_encoder.onnx",
        ("tokens",),
        ("context",),
        {"tokens": {0: "batch"}, "context": {0: "batch"}},
    ),
}


def wrap(component: str, *modules: nn.Module) -> nn.Module:
    """The export module of a component from the model(s) it is built of."""
    if component == "denoiser":
        return FusedDenoiser(*modules)
    (m,) = modules
    if component == "vaeEncoder":
        return VAEEncoderGraph(m)
    if component == "vaeDecoder":
        return VAEDecoderGraph(m)
    return m


def count_parameters(module: nn.Module) -> int:
    """Weights the module's graph uses (the VAE wrappers use half of the VAE each)."""
    own = getattr(module, "graph_parameters", None)
    if own is not None:
        return int(own())
    return sum(p.numel() for p in module.parameters())


def export_graph(
    module: nn.Module,
    spec: GraphSpec,
    example_inputs: Sequence[torch.Tensor],
    out_dir: str | os.PathLike,
    precision: str = "fp32",
) -> dict[str, Any]:
    """Exports ``module`` to ``out_dir/spec.file``; returns the manifest component entry
    (file, sha256, bytes, externalData?, opset, parameters)."""
    if precision not in ("fp32", "fp16"):
        raise ValueError(f"precision must be fp32 or fp16, got {precision!r}")
    module = module.eval()
    params = count_parameters(module)
    if precision == "fp16":
        # A copy: the caller's module (often shared, e.g. the VAE) stays float32.
        module = HalfPrecision(to_half(copy.deepcopy(module))).eval()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / spec.file
    data_name = spec.file + "_data"
    with tempfile.TemporaryDirectory(dir=out_dir) as tmp:
        tmp_path = Path(tmp) / spec.file
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            example_out = module(*example_inputs)
            torch.onnx.export(
                module,
                tuple(example_inputs),
                str(tmp_path),
                dynamo=False,
                opset_version=OPSET,
                input_names=list(spec.input_names),
                output_names=list(spec.output_names),
                dynamic_axes=spec.dynamic_axes,
                do_constant_folding=True,
            )
        model = onnx.load(str(tmp_path), load_external_data=True)
        model.producer_name = "diffrestore-tools"
        compact_names(model)
        fix_static_output_dims(model, spec, [tuple(example_out.shape)])
        for stale in (target, out_dir / data_name):
            if stale.exists():
                stale.unlink()
        if _too_big(model) or _has_external(tmp_path.parent, spec.file):
            onnx.save_model(
                model,
                str(target),
                save_as_external_data=True,
                all_tensors_to_one_file=True,
                location=data_name,
                size_threshold=1024,
            )
        else:
            onnx.save_model(model, str(target))
        del model
    entry: dict[str, Any] = file_ref(out_dir, spec.file)
    if (out_dir / data_name).exists():
        entry["externalData"] = [file_ref(out_dir, data_name)]
    entry["opset"] = OPSET
    entry["parameters"] = params
    return entry


def fix_static_output_dims(model: onnx.ModelProto, spec: GraphSpec, shapes: list[tuple[int, ...]]) -> None:
    """Writes the traced sizes into output dims that are not dynamic axes (the exporter
    leaves some symbolic, e.g. the channel dim after `chunk`)."""
    for out, shape in zip(model.graph.output, shapes, strict=True):
        dynamic = spec.dynamic_axes.get(out.name, {})
        dims = out.type.tensor_type.shape.dim
        for i, size in enumerate(shape):
            if i not in dynamic:
                dims[i].Clear()
                dims[i].dim_value = int(size)
            elif dims[i].dim_param != dynamic[i]:
                dims[i].Clear()
                dims[i].dim_param = dynamic[i]


def compact_names(model: onnx.ModelProto) -> None:
    """Short node and intermediate-value names (the exporter's scope paths are ~60% of a
    small graph's bytes); graph inputs, outputs and weight names are kept."""
    g = model.graph
    keep = {v.name for v in g.input} | {v.name for v in g.output} | {t.name for t in g.initializer}
    mapping: dict[str, str] = {}
    for i, node in enumerate(g.node):
        node.name = f"n{i}"
        for j, name in enumerate(node.output):
            if name and name not in keep:
                mapping.setdefault(name, f"v{len(mapping)}")
                node.output[j] = mapping[name]
    for node in g.node:
        for j, name in enumerate(node.input):
            if name in mapping:
                node.input[j] = mapping[name]
        for attr in node.attribute:  # subgraphs (If/Loop) are not produced by these models
            if attr.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS):
                raise NotImplementedError("compact_names does not handle subgraphs")
    for v in g.value_info:
        if v.name in mapping:
            v.name = mapping[v.name]


def _too_big(model: onnx.ModelProto) -> bool:
    """Over protobuf's 2 GB message limit (ByteSize itself fails beyond it)."""
    if sum(len(t.raw_data) for t in model.graph.initializer) > TWO_GB:
        return True
    try:
        return model.ByteSize() > TWO_GB
    except Exception:  # noqa: BLE001 - protobuf raises EncodeError past 2 GB
        return True


def _has_external(folder: Path, main: str) -> bool:
    return any(p.name != main for p in folder.iterdir())


def run_onnx(path: str | os.PathLike, feeds: dict[str, np.ndarray], threads: int = 1) -> dict[str, np.ndarray]:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(names, feeds), strict=True))


def graph_io(path: str | os.PathLike) -> dict[str, list[tuple[str, int, list[int | str]]]]:
    """{'inputs'|'outputs': [(name, elem_type, dims)]} of an ONNX file (dims: int or axis name)."""
    m = onnx.load(str(path), load_external_data=False)

    def info(v: onnx.ValueInfoProto) -> tuple[str, int, list[int | str]]:
        t = v.type.tensor_type
        return v.name, t.elem_type, [d.dim_value if d.HasField("dim_value") else d.dim_param for d in t.shape.dim]

    return {"inputs": [info(v) for v in m.graph.input], "outputs": [info(v) for v in m.graph.output]}


def copy_tree(src: str | os.PathLike, dst: str | os.PathLike) -> None:
    shutil.copytree(src, dst, dirs_exist_ok=True)


# ---------------------------------------------------------------------------------------
# Whole bundle


def example_inputs(component: str, *, batch: int = 2, latent_hw: tuple[int, int] = (16, 24), latent_channels: int = 4,
                   downscale: int = 8, context: tuple[int, int] = (77, 1024), controls: int = 13,
                   image_hw: tuple[int, int] = (64, 128), seed: int = 0) -> tuple[torch.Tensor, ...]:
    """Seeded inputs with the contract's names/shapes (trace inputs and test inputs)."""
    g = torch.Generator().manual_seed(seed)
    h, w = latent_hw
    if component == "denoiser":
        return (
            torch.randn(batch, latent_channels, h, w, generator=g),
            torch.linspace(999.0, 1.0, batch),
            torch.randn(batch, context[0], context[1], generator=g),
            torch.randn(batch, latent_channels, h, w, generator=g),
            0.5 + torch.rand(controls, generator=g),
        )
    if component == "vaeEncoder":
        return (torch.rand(batch, 3, h * downscale, w * downscale, generator=g) * 2 - 1,)
    if component == "vaeDecoder":
        return (torch.randn(batch, latent_channels, h, w, generator=g),)
    if component == "cleaner":
        return (torch.rand(batch, 3, image_hw[0], image_hw[1], generator=g),)
    if component == "textEncoder":
        return (torch.randint(0, 49408, (batch, context[0]), generator=g),)
    raise ValueError(component)


@torch.no_grad()
def prompt_embeddings(text_encoder: nn.Module, tokenize, texts: Sequence[str]) -> np.ndarray:
    """(len(texts), 77, D) float32 embeddings, computed in float32."""
    tokens = torch.from_numpy(tokenize(list(texts)))
    return text_encoder.float().eval()(tokens).numpy().astype(np.float32)


def export_bundle(
    out_dir: str | os.PathLike,
    *,
    name: str,
    release: str,
    precision: str,
    unet: nn.Module,
    controlnet: nn.Module,
    vae: nn.Module,
    text_encoder: nn.Module,
    tokenize,
    cleaner: nn.Module | None = None,
    cleaner_kind: str | None = None,
    licences: dict[str, str],
    sources: list[dict[str, Any]],
    random_weights: bool,
    with_text_encoder: bool = False,
    tokenizer_file: str | os.PathLike | None = None,
    tokenizer_tokens: tuple[int, int, int] | None = None,
    description: str | None = None,
    seed: int | None = None,
    created: str | None = None,
    log=print,
) -> dict[str, Any]:
    """Exports every graph, the prompt embeddings and manifest.json into ``out_dir``.

    ``tokenize(list[str]) -> (B, 77) int64`` feeds the text encoder for the embeddings.
    Returns the manifest (already validated and checked against the files).
    """
    from tools import bundle as B

    if release not in B.RELEASES:
        raise ValueError(f"release must be one of {sorted(B.RELEASES)}, got {release!r}")
    rel = B.RELEASES[release]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ctx_len, ctx_dim = text_encoder.cfg.context_length, text_encoder.cfg.width
    if unet.cfg.context_dim != ctx_dim:
        raise ValueError(f"text encoder width {ctx_dim} != UNet context_dim {unet.cfg.context_dim}")
    latent_ch = vae.cfg.embed_dim
    downscale = vae.cfg.downscale
    controls = len(controlnet.zero_convs) + 1
    kw = dict(latent_channels=latent_ch, downscale=downscale, context=(ctx_len, ctx_dim), controls=controls)

    components: dict[str, Any] = {}

    def do(component: str, module: nn.Module, extra: dict[str, Any], **inputs_kw: Any) -> None:
        t0 = _now()
        entry = export_graph(module, SPECS[component], example_inputs(component, **kw, **inputs_kw), out, precision)
        components[component] = {**entry, **extra}
        log(f"exported {component}: {entry['bytes']} bytes, {entry['parameters']} parameters, {_now() - t0:.1f} s")

    do("denoiser", FusedDenoiser(unet, controlnet), {"licence": licences["denoiser"]})
    do("vaeEncoder", VAEEncoderGraph(vae), {"licence": licences["vae"]})
    do("vaeDecoder", VAEDecoderGraph(vae), {"licence": licences["vae"]})
    if cleaner is not None:
        if cleaner_kind is None:
            raise ValueError("cleaner_kind is required with a cleaner")
        m = int(cleaner.size_multiple)
        side = max(64, m)
        do(
            "cleaner",
            cleaner,
            {
                "licence": licences["cleaner"],
                "kind": cleaner_kind,
                "scale": int(cleaner.scale),
                "sizeMultiple": m,
                "preprocess": "bsrnet" if int(cleaner.scale) > 1 else "swinir",
            },
            image_hw=(side, 2 * side),
        )
    if with_text_encoder:
        extra: dict[str, Any] = {"licence": licences["text"]}
        if tokenizer_file is not None:
            rel_tok = "tokenizer/" + Path(tokenizer_file).name
            (out / "tokenizer").mkdir(exist_ok=True)
            shutil.copyfile(tokenizer_file, out / rel_tok)
            start, end, pad = tokenizer_tokens or (49406, 49407, 0)
            extra["tokenizer"] = {**file_ref(out, rel_tok), "kind": "clip-bpe", "startToken": start, "endToken": end, "padToken": pad}
        do("textEncoder", text_encoder, extra)

    emb_dtype = "float16" if precision == "fp16" else "float32"
    d = rel["defaults"]
    emb = prompt_embeddings(text_encoder, tokenize, [d["positivePrompt"], d["negativePrompt"]])
    embeddings = {
        "positive": B.write_embedding(out, "embeddings/positive.bin", emb[0:1], emb_dtype, d["positivePrompt"]),
        "negative": B.write_embedding(out, "embeddings/negative.bin", emb[1:2], emb_dtype, d["negativePrompt"]),
    }
    provenance: dict[str, Any] = {
        "tool": B.TOOL,
        "toolVersion": B.TOOL_VERSION,
        "created": created or B.created_timestamp(),
        "randomWeights": random_weights,
        "sources": sources,
        "release": release,
    }
    if seed is not None:
        provenance["seed"] = seed
    manifest = B.assemble_manifest(
        name=name,
        description=description,
        precision=precision,
        components=components,
        latent={"channels": latent_ch, "downscale": downscale, "scalingFactor": float(vae.cfg.scaling_factor)},
        diffusion={
            "prediction": rel["prediction"],
            "schedule": {**B.LDM_SCHEDULE, "zeroTerminalSnr": rel["zeroTerminalSnr"]},
            "controlOutputs": controls,
            "context": {"length": ctx_len, "dim": ctx_dim},
        },
        defaults=dict(d),
        embeddings=embeddings,
        provenance=provenance,
    )
    B.write_manifest(out, manifest)
    B.verify_files(out, manifest)
    return manifest


def _now() -> float:
    import time

    return time.perf_counter()
