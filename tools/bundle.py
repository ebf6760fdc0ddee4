"""Model-bundle manifest: writing, hashing and validation (docs/model-bundle.md).

The manifest schema lives in packages/core/src/bundle/manifest.schema.json; this module
validates against it with a small validator covering the keywords the schema uses
(`jsonschema` is used too when it happens to be installed), then checks the cross-field
rules JSON Schema cannot express.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

FORMAT = "diffrestore-bundle"
VERSION = 1
TOOL = "diffrestore-tools"
TOOL_VERSION = "0.1.0"
OPSET = 17

REPO_ROOT = Path(__file__).resolve().parent.parent
SCHEMA_PATH = REPO_ROOT / "packages" / "core" / "src" / "bundle" / "manifest.schema.json"

# Licences as SPDX-style expressions (SPDX has no id for these two).
LICENCE_SD = "LicenseRef-CreativeML-OpenRAIL++-M"
LICENCE_DIFFBIR = "Apache-2.0"
LICENCE_FACE_SWINIR = "LicenseRef-S-Lab-1.0"
LICENCE_BSRGAN = "Apache-2.0"
LICENCE_SCUNET = "Apache-2.0"
LICENCE_RANDOM = "CC0-1.0"

# The DiffBIR/SD numbers every SD 2.1 bundle carries (diffbir-inference.md §4-5).
SD_LATENT = {"channels": 4, "downscale": 8, "scalingFactor": 0.18215}
LDM_SCHEDULE = {"kind": "ldm-linear", "betaStart": 0.00085, "betaEnd": 0.012, "steps": 1000}
CONTROL_OUTPUTS = 13


class ManifestError(ValueError):
    """A manifest that breaks the schema or a cross-field rule; the message names the field."""


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_ref(root: str | os.PathLike, rel: str) -> dict[str, Any]:
    """{file, sha256, bytes} of a file inside the bundle folder."""
    p = Path(root) / rel
    return {"file": rel, "sha256": sha256_file(p), "bytes": p.stat().st_size}


def source_ref(role: str, path: str | os.PathLike | None, sha256: str | None = None) -> dict[str, Any]:
    """Provenance entry for a source checkpoint (file name only, not its local path)."""
    p = Path(path) if path is not None else None
    return {
        "role": role,
        "file": p.name if p else f"{role}-random",
        "sha256": sha256 or (sha256_file(p) if p else "0" * 64),
        "bytes": p.stat().st_size if p else 0,
    }


def created_timestamp() -> str:
    """Now in UTC, or SOURCE_DATE_EPOCH when set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    t = _dt.datetime.fromtimestamp(int(epoch), _dt.timezone.utc) if epoch else _dt.datetime.now(_dt.timezone.utc)
    return t.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def write_embedding(root: str | os.PathLike, rel: str, array: np.ndarray, dtype: str, text: str) -> dict[str, Any]:
    """Writes a (1, L, D) prompt embedding as raw little-endian floats; returns its manifest entry."""
    np_dtype = {"float32": "<f4", "float16": "<f2"}[dtype]
    a = np.ascontiguousarray(np.asarray(array, dtype=np.float32).astype(np_dtype))
    p = Path(root) / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(a.tobytes())
    return {**file_ref(root, rel), "dtype": dtype, "shape": [int(d) for d in a.shape], "text": text}


def read_embedding(root: str | os.PathLike, entry: dict[str, Any]) -> np.ndarray:
    np_dtype = {"float32": "<f4", "float16": "<f2"}[entry["dtype"]]
    data = np.fromfile(Path(root) / entry["file"], dtype=np_dtype)
    return data.reshape(entry["shape"]).astype(np.float32)


def assemble_manifest(
    *,
    name: str,
    description: str | None,
    precision: str,
    components: dict[str, Any],
    latent: dict[str, Any],
    diffusion: dict[str, Any],
    defaults: dict[str, Any],
    embeddings: dict[str, Any],
    provenance: dict[str, Any],
) -> dict[str, Any]:
    """The manifest object of docs/model-bundle.md, in its canonical key order (graph I/O is
    always float32: fp16 bundles cast inside the graphs)."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "name": name,
        **({"description": description} if description else {}),
        "precision": precision,
        "ioDtype": "float32",
        "components": components,
        "latent": latent,
        "diffusion": diffusion,
        "defaults": defaults,
        "embeddings": embeddings,
        "provenance": provenance,
    }


def write_manifest(root: str | os.PathLike, manifest: dict[str, Any]) -> Path:
    validate_manifest(manifest)
    p = Path(root) / "manifest.json"
    p.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return p


def load_manifest(root: str | os.PathLike) -> dict[str, Any]:
    m = json.loads((Path(root) / "manifest.json").read_text(encoding="utf-8"))
    validate_manifest(m)
    return m


def bundle_files(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """Same list and order as bundleFiles() in packages/core/src/bundle/bundle-files.ts."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()

    def push(ref: dict[str, Any]) -> None:
        if ref["file"] not in seen:
            seen.add(ref["file"])
            out.append({"path": ref["file"], "sha256": ref["sha256"], "bytes": ref["bytes"]})

    for name in ("denoiser", "vaeEncoder", "vaeDecoder", "cleaner", "textEncoder"):
        c = manifest["components"].get(name)
        if not c:
            continue
        push(c)
        for e in c.get("externalData", []):
            push(e)
        if c.get("tokenizer"):
            push(c["tokenizer"])
    push(manifest["embeddings"]["positive"])
    push(manifest["embeddings"]["negative"])
    return out


def verify_files(root: str | os.PathLike, manifest: dict[str, Any]) -> None:
    """Raises ManifestError unless every listed file exists with the listed size and sha256."""
    for f in bundle_files(manifest):
        p = Path(root) / f["path"]
        if not p.is_file():
            raise ManifestError(f"{f['path']}: listed in the manifest but missing")
        if p.stat().st_size != f["bytes"]:
            raise ManifestError(f"{f['path']}: {p.stat().st_size} bytes, manifest says {f['bytes']}")
        digest = sha256_file(p)
        if digest != f["sha256"]:
            raise ManifestError(f"{f['path']}: sha256 {digest}, manifest says {f['sha256']}")


# ---------------------------------------------------------------------------------------
# Validation


def load_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool)
    or (isinstance(v, float) and v.is_integer()),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
}
_KNOWN = {
    "$schema", "$id", "title", "description", "$defs", "format",  # annotations
    "type", "required", "properties", "const", "enum", "minLength", "pattern", "minimum",
    "exclusiveMinimum", "exclusiveMaximum", "items", "minItems", "maxItems", "$ref", "allOf",
}


def schema_errors(value: Any, schema: dict[str, Any], root: dict[str, Any] | None = None, path: str = "") -> list[str]:
    """Errors of `value` against the subset of JSON Schema 2020-12 the manifest schema uses."""
    root = root if root is not None else schema
    where = path or "(root)"
    unknown = set(schema) - _KNOWN
    if unknown:
        raise NotImplementedError(f"schema keyword(s) {sorted(unknown)} not supported by the hand validator")
    errs: list[str] = []
    if "$ref" in schema:
        ref = schema["$ref"]
        assert ref.startswith("#/"), ref
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part]
        errs += schema_errors(value, target, root, path)
    for sub in schema.get("allOf", []):
        errs += schema_errors(value, sub, root, path)
    if "const" in schema and not (value == schema["const"] and type(value) is type(schema["const"])):
        errs.append(f"{where}: expected {schema['const']!r}, got {value!r}")
    if "enum" in schema and value not in schema["enum"]:
        errs.append(f"{where}: expected one of {schema['enum']}, got {value!r}")
    t = schema.get("type")
    if t is not None and not _TYPES[t](value):
        errs.append(f"{where}: expected {t}, got {type(value).__name__}")
        return errs
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            errs.append(f"{where}: shorter than {schema['minLength']}")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errs.append(f"{where}: {value!r} does not match {schema['pattern']}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errs.append(f"{where}: {value} < {schema['minimum']}")
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            errs.append(f"{where}: {value} <= {schema['exclusiveMinimum']}")
        if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
            errs.append(f"{where}: {value} >= {schema['exclusiveMaximum']}")
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                errs.append(f"{path + '.' if path else ''}{key}: required field is missing")
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                errs += schema_errors(value[key], sub, root, f"{path}.{key}" if path else key)
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            errs.append(f"{where}: fewer than {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            errs.append(f"{where}: more than {schema['maxItems']} items")
        if "items" in schema:
            for i, item in enumerate(value):
                errs += schema_errors(item, schema["items"], root, f"{path}[{i}]")
    return errs


def cross_field_errors(m: dict[str, Any]) -> list[str]:
    """The rules parseBundleManifest checks beyond the schema."""
    errs: list[str] = []
    sched = m["diffusion"]["schedule"]
    if sched["betaEnd"] < sched["betaStart"]:
        errs.append("diffusion.schedule.betaEnd: must be >= betaStart")
    ctx = m["diffusion"]["context"]
    for which in ("positive", "negative"):
        e = m["embeddings"][which]
        want = [1, ctx["length"], ctx["dim"]]
        if list(e["shape"]) != want:
            errs.append(f"embeddings.{which}.shape: expected {want}, got {e['shape']}")
        width = 2 if e["dtype"] == "float16" else 4
        if e["bytes"] != int(np.prod(e["shape"])) * width:
            errs.append(f"embeddings.{which}.bytes: {e['bytes']} does not match {e['dtype']} {e['shape']}")
    files = [f["path"] for f in bundle_files(m)]
    all_refs = sum(
        (1 + len(c.get("externalData", [])) + (1 if c.get("tokenizer") else 0) for c in m["components"].values()), 2
    )
    if len(files) != all_refs:
        errs.append("components/embeddings: two entries name the same file")
    return errs


def validate_manifest(manifest: dict[str, Any]) -> None:
    """Raises ManifestError listing every problem (schema first, then cross-field rules)."""
    schema = load_schema()
    errs = schema_errors(manifest, schema)
    try:  # an independent implementation, when available
        import jsonschema  # type: ignore[import-not-found]

        errs += [f"(jsonschema) {e.message}" for e in jsonschema.Draft202012Validator(schema).iter_errors(manifest)]
    except ImportError:
        pass
    if not errs:
        errs = cross_field_errors(manifest)
    if errs:
        raise ManifestError("invalid bundle manifest:\n  - " + "\n  - ".join(errs))


# ---------------------------------------------------------------------------------------
# Release defaults (diffbir-inference.md §2). The v2.1 prompts are the defaults of DiffBIR's
# inference script as we know them; check them against the reference when converting.

V21_POSITIVE_PROMPT = (
    "Cinematic, High Contrast, highly detailed, taken using a Canon EOS R camera, hyper detailed "
    "photo - realistic maximum detail, 32k, Color Grading, ultra HD, extreme meticulous detailing, "
    "skin pore detailing, hyper sharpness, perfect without deformations."
)
V21_NEGATIVE_PROMPT = (
    "painting, oil painting, illustration, drawing, art, sketch, oil painting, cartoon, CG Style, "
    "3D render, unreal engine, blurring, dirty, messy, worst quality, low quality, frames, watermark, "
    "signature, jpeg artifacts, deformed, lowres, over-smooth"
)
V2_NEGATIVE_PROMPT = "low quality, blurry, low-resolution, noisy, unsharp, weird textures"

RELEASES: dict[str, dict[str, Any]] = {
    "v2": {
        "prediction": "epsilon",
        "zeroTerminalSnr": False,
        "defaults": {
            "sampler": "spaced",
            "steps": 50,
            "cfgScale": 4.0,
            "positivePrompt": "",
            "negativePrompt": V2_NEGATIVE_PROMPT,
            "seed": 231,
            "controlScale": 1.0,
            "minShortSide": 512,
        },
    },
    "v2.1": {
        "prediction": "v",
        "zeroTerminalSnr": True,
        "defaults": {
            "sampler": "edm_dpm++_3m_sde",
            "steps": 10,
            "cfgScale": 6.0,
            "positivePrompt": V21_POSITIVE_PROMPT,
            "negativePrompt": V21_NEGATIVE_PROMPT,
            "seed": 231,
            "controlScale": 1.0,
            "minShortSide": 512,
        },
    },
}
