"""Training data: held-out guard, (LQ, HQ) pair folders, patch archives, and a fallback
degradation for smoke tests.

Layouts
- Photo folder (``fetch_photos.py``): ``<dir>/train/*.jpg|png``, ``<dir>/eval/*`` (held out).
- Pair folder (``diffrestore degrade``): ``<pairs>/hq/<stem>_<k>.png``,
  ``<pairs>/lq/<stem>_<k>.png``, ``<pairs>/params.jsonl``. The scale is inferred from
  the sizes (HQ = scale x LQ, scale an integer, 1 included).
- Patch archive (``.npz``, compressed, uint8 NHWC): ``hq`` (N, P, P, 3); for pairs also
  ``lq`` (N, P/s, P/s, 3) and ``scale``; ``names`` (source stems) and ``source``
  (N,) index into ``names``; ``meta`` (a JSON string). Training samples batches from the
  archive in memory instead of decoding images every step.

The held-out evaluation photographs (scikit-image's colour photos) must never be used for
training: every function that reads training images checks the names and raises
:class:`HeldOutError`.

:func:`fallback_degrade` (Gaussian blur, bicubic down-scaling, Gaussian noise, Pillow
JPEG) exists for smoke tests and quick experiments only. It is NOT the production
degradation model: real training pairs come from the TypeScript Real-ESRGAN/CodeFormer
pipelines in packages/core/src/degradation via ``diffrestore degrade``.
"""

from __future__ import annotations

import argparse
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageFilter

Image.MAX_IMAGE_PIXELS = None  # some wallpapers are 20 MP

IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")
# scikit-image colour photos: the evaluation set (docs/dataset-card.md).
HELD_OUT_STEMS = frozenset({"astronaut", "chelsea", "coffee", "motorcycle_left", "motorcycle_right", "rocket"})


class HeldOutError(ValueError):
    """A held-out evaluation image was offered as training data."""


def base_stem(name: str) -> str:
    """File stem without folders, extension or a pair suffix ``_<k>``, lower case."""
    stem = Path(name).name
    for ext in IMAGE_EXTS:
        if stem.lower().endswith(ext):
            stem = stem[: -len(ext)]
            break
    return re.sub(r"_\d+$", "", stem).lower()


def is_held_out(name: str) -> bool:
    return base_stem(name) in HELD_OUT_STEMS


def check_not_held_out(names: Iterable[str]) -> None:
    bad = sorted({str(n) for n in names if is_held_out(str(n))})
    if bad:
        raise HeldOutError(f"held-out evaluation images offered for training: {bad}")


# ----------------------------------------------------------------------------- images


def load_rgb(path: str | Path) -> np.ndarray:
    """HWC uint8 RGB (alpha dropped, gray expanded)."""
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def list_images(folder: str | Path) -> list[Path]:
    return sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_EXTS)


def dihedral(x: np.ndarray, k: int) -> np.ndarray:
    """One of the 8 flips/rotations of an (..., H, W, C) array; k in 0..7."""
    if k & 4:
        x = x[..., ::-1, :]
    return np.rot90(x, k & 3, axes=(-3, -2))


def infer_scale(lq_hw: Sequence[int], hq_hw: Sequence[int]) -> int:
    """Integer s with HQ = s x LQ on both sides."""
    (lh, lw), (hh, hw) = lq_hw[:2], hq_hw[:2]
    if hh % lh or hw % lw or hh // lh != hw // lw:
        raise ValueError(f"HQ {hh}x{hw} is not an integer multiple of LQ {lh}x{lw}")
    return hh // lh


def aligned_crop(
    lq: np.ndarray | None, hq: np.ndarray, scale: int, size: int, rng: np.random.Generator
) -> tuple[np.ndarray | None, np.ndarray]:
    """Random HQ crop of ``size`` (a multiple of ``scale``) and the LQ crop it comes from."""
    if size % scale:
        raise ValueError(f"crop {size} must be a multiple of the scale {scale}")
    h, w = hq.shape[:2]
    if h < size or w < size:
        raise ValueError(f"image {h}x{w} smaller than the crop {size}")
    y = int(rng.integers(0, (h - size) // scale + 1)) * scale
    x = int(rng.integers(0, (w - size) // scale + 1)) * scale
    hq_c = hq[y : y + size, x : x + size]
    if lq is None:
        return None, hq_c
    s = size // scale
    return lq[y // scale : y // scale + s, x // scale : x // scale + s], hq_c


# ----------------------------------------------------------------------------- pair folders


def list_pairs(pairs_dir: str | Path) -> list[tuple[Path, Path]]:
    """(lq, hq) paths of a ``diffrestore degrade`` folder, matched by file name."""
    root = Path(pairs_dir)
    hq = {p.name: p for p in list_images(root / "hq")}
    lq = {p.name: p for p in list_images(root / "lq")}
    if set(hq) != set(lq):
        missing = sorted(set(hq) ^ set(lq))
        raise ValueError(f"hq/ and lq/ differ in {len(missing)} files, e.g. {missing[:3]}")
    check_not_held_out(hq)
    return [(lq[n], hq[n]) for n in sorted(hq)]


class PairCropDataset:
    """Aligned random crops from a pair folder (a map-style ``torch.utils.data.Dataset``).

    Item ``i`` is crop ``i % crops_per_pair`` of pair ``i // crops_per_pair``, drawn from
    ``default_rng([seed, i])``, so items are reproducible and independent of order.
    Returns ``(lq, hq)`` uint8 HWC arrays; ``hq_crop`` must be a multiple of the scale.
    """

    def __init__(self, pairs_dir: str | Path, hq_crop: int, seed: int = 0, crops_per_pair: int = 1) -> None:
        self.pairs = list_pairs(pairs_dir)
        self.hq_crop = hq_crop
        self.seed = seed
        self.crops_per_pair = crops_per_pair

    def __len__(self) -> int:
        return len(self.pairs) * self.crops_per_pair

    def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        lq_path, hq_path = self.pairs[i // self.crops_per_pair]
        lq, hq = load_rgb(lq_path), load_rgb(hq_path)
        scale = infer_scale(lq.shape, hq.shape)
        lq_c, hq_c = aligned_crop(lq, hq, scale, self.hq_crop, np.random.default_rng([self.seed, i]))
        assert lq_c is not None
        return lq_c, hq_c


# ----------------------------------------------------------------------------- archives


def save_archive(path: str | Path, *, hq: np.ndarray, names: Sequence[str], source: np.ndarray, meta: dict[str, Any], lq: np.ndarray | None = None, scale: int = 1) -> None:
    check_not_held_out(names)
    arrays: dict[str, Any] = {
        "hq": np.ascontiguousarray(hq, dtype=np.uint8),
        "names": np.array(list(names), dtype=str),
        "source": source.astype(np.int32),
        "meta": np.array(json.dumps(meta, sort_keys=True)),
    }
    if lq is not None:
        arrays["lq"] = np.ascontiguousarray(lq, dtype=np.uint8)
        arrays["scale"] = np.array(scale, dtype=np.int32)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)


class PatchArchive:
    """An HQ or pair patch archive in memory; :meth:`sample` draws training batches."""

    def __init__(self, path: str | Path) -> None:
        with np.load(path) as z:
            self.names = [str(n) for n in z["names"]]
            check_not_held_out(self.names)
            self.hq = z["hq"]
            self.source = z["source"]
            self.lq = z["lq"] if "lq" in z.files else None
            self.scale = int(z["scale"]) if "scale" in z.files else 1
            self.meta = json.loads(str(z["meta"]))
        if self.lq is not None and infer_scale(self.lq.shape[1:3], self.hq.shape[1:3]) != self.scale:
            raise ValueError("archive lq/hq sizes disagree with its scale")

    def __len__(self) -> int:
        return len(self.hq)

    @property
    def patch(self) -> int:
        return int(self.hq.shape[1])

    def sample(
        self, rng: np.random.Generator, batch: int, crop: int | None = None, augment: bool = True
    ) -> tuple[np.ndarray | None, np.ndarray]:
        """``batch`` random aligned crops (HQ side ``crop``, default the whole patch) with a
        random flip/rotation each; uint8 NHWC ``(lq or None, hq)``."""
        crop = crop or self.patch
        idx = rng.integers(0, len(self), size=batch)
        lqs, hqs = [], []
        for i in idx:
            lq_c, hq_c = aligned_crop(None if self.lq is None else self.lq[i], self.hq[i], self.scale, crop, rng)
            k = int(rng.integers(0, 8)) if augment else 0
            hqs.append(dihedral(hq_c, k))
            if lq_c is not None:
                lqs.append(dihedral(lq_c, k))
        hq_b = np.ascontiguousarray(np.stack(hqs))
        return (np.ascontiguousarray(np.stack(lqs)) if lqs else None), hq_b


def resize_rgb(img: np.ndarray, factor: float) -> np.ndarray:
    """Anti-aliased (Lanczos) resize by ``factor``."""
    if factor == 1.0:
        return img
    h, w = img.shape[:2]
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    return np.asarray(Image.fromarray(img).resize(size, Image.Resampling.LANCZOS))


def build_hq_archive(
    images: Sequence[str | Path], out: str | Path, patch: int, per_image: int, seed: int = 0, scales: Sequence[float] = (1.0,)
) -> int:
    """Random ``patch`` crops of photographs, each first resized by a factor drawn from
    ``scales`` (down-scaling a ~1 bit/pixel JPEG wallpaper hides its artefacts)."""
    paths = [Path(p) for p in images]
    check_not_held_out(p.name for p in paths)
    rng = np.random.default_rng(seed)
    crops, source = [], []
    for j, p in enumerate(paths):
        img = load_rgb(p)
        resized = {f: resize_rgb(img, f) for f in scales}
        for _ in range(per_image):
            f = scales[int(rng.integers(0, len(scales)))]
            im = resized[f]
            if min(im.shape[:2]) < patch:
                im = resized[max(scales)]
            _, c = aligned_crop(None, im, 1, patch, rng)
            crops.append(c)
            source.append(j)
    meta = {"kind": "hq", "patch": patch, "per_image": per_image, "seed": seed, "scales": list(scales)}
    save_archive(out, hq=np.stack(crops), names=[p.name for p in paths], source=np.array(source), meta=meta)
    return len(crops)


def write_rescaled(images: Sequence[str | Path], out: str | Path, short_sides: Sequence[int]) -> list[Path]:
    """Lanczos down-scalings of each photograph to each short side (never up): ``<stem>_s<side>.png``.

    The held-out photos are whole scenes of ~300-500 px, so much more detail per pixel than a
    4K wallpaper at its native size; degrading these copies (``diffrestore degrade``) gives
    training pairs at that detail density as well as at the native one.
    """
    paths = [Path(p) for p in images]
    check_not_held_out(p.name for p in paths)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for p in paths:
        img = load_rgb(p)
        short = min(img.shape[:2])
        for side in sorted(set(short_sides), reverse=True):
            if side > short:
                continue
            dest = folder / f"{p.stem}_s{side}.png"
            if not dest.exists():
                Image.fromarray(resize_rgb(img, side / short)).save(dest)
            written.append(dest)
    return written


def build_pair_archive(pairs_dir: str | Path, out: str | Path, patch: int, per_pair: int, seed: int = 0) -> int:
    """``per_pair`` aligned crops (HQ side ``patch``) of every pair of a pair folder."""
    pairs = list_pairs(pairs_dir)
    rng = np.random.default_rng(seed)
    lqs, hqs, source = [], [], []
    scale = None
    for j, (lq_path, hq_path) in enumerate(pairs):
        lq, hq = load_rgb(lq_path), load_rgb(hq_path)
        s = infer_scale(lq.shape, hq.shape)
        if scale is None:
            scale = s
        elif s != scale:
            raise ValueError(f"mixed scales in {pairs_dir}: {scale} and {s} ({hq_path.name})")
        for _ in range(per_pair):
            lc, hc = aligned_crop(lq, hq, s, patch, rng)
            lqs.append(lc)
            hqs.append(hc)
            source.append(j)
    if scale is None:
        raise ValueError(f"no pairs in {pairs_dir}")
    meta = {"kind": "pairs", "patch": patch, "per_pair": per_pair, "seed": seed, "degradation": "diffrestore degrade", "pairs_dir": str(pairs_dir)}
    save_archive(out, hq=np.stack(hqs), lq=np.stack(lqs), scale=scale, names=[hq.name for _, hq in pairs], source=np.array(source), meta=meta)
    return len(hqs)


class LatentArchive:
    """Precomputed diffusion training data (``train_diffusion.py latents``): ``z`` the
    scaled VAE latents of HQ patches, ``c`` the scaled latents of the cleaner's output on
    the matching LQ patches, both float16 (N, 4, h, w); ``names``/``source``/``meta`` as in
    patch archives, ``scaling_factor`` the VAE's."""

    def __init__(self, path: str | Path) -> None:
        with np.load(path) as z:
            self.names = [str(n) for n in z["names"]]
            check_not_held_out(self.names)
            self.z = z["z"]
            self.c = z["c"]
            self.source = z["source"]
            self.scaling_factor = float(z["scaling_factor"])
            self.meta = json.loads(str(z["meta"]))
        if self.z.shape != self.c.shape:
            raise ValueError(f"z {self.z.shape} and c {self.c.shape} differ")

    def __len__(self) -> int:
        return len(self.z)

    @property
    def side(self) -> int:
        return int(self.z.shape[-1])

    def sample(self, rng: np.random.Generator, batch: int, crop: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``batch`` random aligned (z, c) crops of side ``crop`` (latent pixels), float32.
        No flips: a flipped latent is not the latent of the flipped image (augment before
        encoding instead)."""
        crop = crop or self.side
        idx = rng.integers(0, len(self), size=batch)
        zs, cs = [], []
        for i in idx:
            h, w = self.z.shape[-2:]
            y = int(rng.integers(0, h - crop + 1))
            x = int(rng.integers(0, w - crop + 1))
            zs.append(self.z[i, :, y : y + crop, x : x + crop])
            cs.append(self.c[i, :, y : y + crop, x : x + crop])
        return np.stack(zs).astype(np.float32), np.stack(cs).astype(np.float32)


def save_latent_archive(path: str | Path, *, z: np.ndarray, c: np.ndarray, names: Sequence[str], source: np.ndarray, scaling_factor: float, meta: dict[str, Any]) -> None:
    check_not_held_out(names)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        z=z.astype(np.float16),
        c=c.astype(np.float16),
        names=np.array(list(names), dtype=str),
        source=source.astype(np.int32),
        scaling_factor=np.array(scaling_factor, dtype=np.float64),
        meta=np.array(json.dumps(meta, sort_keys=True)),
    )


# ----------------------------------------------------------------------------- fallback degradation


@dataclass
class FallbackDegradation:
    """Ranges of the smoke-test degradation (NOT the production model, see module doc)."""

    blur_sigma: tuple[float, float] = (0.2, 2.0)
    noise_sigma: tuple[float, float] = (1.0, 15.0)  # in 8-bit levels
    jpeg_quality: tuple[int, int] = (40, 95)


def fallback_degrade(hq: np.ndarray, rng: np.random.Generator, scale: int, cfg: FallbackDegradation | None = None) -> np.ndarray:
    """Gaussian blur -> bicubic down-scale by ``scale`` -> Gaussian noise -> JPEG."""
    cfg = cfg or FallbackDegradation()
    h, w = hq.shape[:2]
    if h % scale or w % scale:
        raise ValueError(f"{h}x{w} not divisible by the scale {scale}")
    im = Image.fromarray(hq).filter(ImageFilter.GaussianBlur(radius=float(rng.uniform(*cfg.blur_sigma))))
    if scale != 1:
        im = im.resize((w // scale, h // scale), Image.Resampling.BICUBIC)
    x = np.asarray(im).astype(np.float32)
    x = x + rng.normal(0.0, float(rng.uniform(*cfg.noise_sigma)), size=x.shape).astype(np.float32)
    im = Image.fromarray(np.clip(np.rint(x), 0, 255).astype(np.uint8))
    buf = io.BytesIO()
    im.save(buf, format="JPEG", quality=int(rng.integers(cfg.jpeg_quality[0], cfg.jpeg_quality[1] + 1)))
    buf.seek(0)
    return load_rgb(buf)


def build_fallback_pairs(hq_archive: str | Path, out: str | Path, scale: int, seed: int = 0, cfg: FallbackDegradation | None = None) -> int:
    """Pair archive from an HQ archive with :func:`fallback_degrade` (smoke tests only)."""
    src = PatchArchive(hq_archive)
    rng = np.random.default_rng(seed)
    lq = np.stack([fallback_degrade(p, rng, scale, cfg) for p in src.hq])
    meta = {**src.meta, "kind": "pairs", "degradation": "fallback (smoke tests only)", "fallback": asdict(cfg or FallbackDegradation()), "pair_seed": seed}
    save_archive(out, hq=src.hq, lq=lq, scale=scale, names=src.names, source=src.source, meta=meta)
    return len(lq)


def synthetic_images(n: int, size: int, seed: int = 0) -> np.ndarray:
    """``n`` smooth random uint8 images (sums of random sinusoids) for tests."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    out = np.empty((n, size, size, 3), np.uint8)
    for i in range(n):
        img = np.zeros((size, size, 3), np.float32)
        for _ in range(4):
            fy, fx = rng.uniform(0.5, 4.0, size=2)
            phase = rng.uniform(0, 2 * np.pi)
            amp = rng.uniform(0.1, 0.3, size=3)
            img += amp * np.sin(2 * np.pi * (fy * yy + fx * xx) + phase)[..., None]
        out[i] = np.clip(127.5 + 127.5 * img, 0, 255).astype(np.uint8)
    return out


# ----------------------------------------------------------------------------- CLI


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m tools.train.data", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("hq", help="HQ patch archive from a photo folder (VAE training)")
    a.add_argument("--images", required=True, help="folder of photographs (e.g. photos/train)")
    a.add_argument("--out", required=True)
    a.add_argument("--patch", type=int, default=256)
    a.add_argument("--per-image", type=int, default=64)
    a.add_argument("--scales", default="1.0,0.5", help="comma-separated resize factors")
    a.add_argument("--seed", type=int, default=0)
    b = sub.add_parser("pairs", help="pair patch archive from a `diffrestore degrade` folder")
    b.add_argument("--pairs", required=True)
    b.add_argument("--out", required=True)
    b.add_argument("--patch", type=int, default=256, help="HQ side of each crop")
    b.add_argument("--per-pair", type=int, default=2)
    b.add_argument("--seed", type=int, default=0)
    r = sub.add_parser("rescale", help="down-scaled copies of photographs at several short sides")
    r.add_argument("--images", required=True, help="folder of photographs (e.g. photos/train)")
    r.add_argument("--out", required=True)
    r.add_argument("--short-sides", default="1080,540,300", help="comma-separated target short sides in pixels")
    c = sub.add_parser("fallback-pairs", help="pair archive with the smoke-test degradation (NOT production)")
    c.add_argument("--hq", required=True, help="HQ archive from `hq`")
    c.add_argument("--out", required=True)
    c.add_argument("--scale", type=int, default=4)
    c.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    if args.cmd == "hq":
        n = build_hq_archive(list_images(args.images), args.out, args.patch, args.per_image, args.seed, [float(s) for s in args.scales.split(",")])
    elif args.cmd == "pairs":
        n = build_pair_archive(args.pairs, args.out, args.patch, args.per_pair, args.seed)
    elif args.cmd == "rescale":
        n = len(write_rescaled(list_images(args.images), args.out, [int(v) for v in args.short_sides.split(",")]))
    else:
        n = build_fallback_pairs(args.hq, args.out, args.scale, args.seed)
    print(f"{args.out}: {n} {'images' if args.cmd == 'rescale' else 'patches'}")


if __name__ == "__main__":
    main()
