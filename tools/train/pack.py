"""A compact transport form of a pair archive, for training on a lent GPU machine.

A pair archive (``data.py pairs``) is ~240 MB of raw uint8 patches, while the GPU machine
takes at most 64 MiB of files per call (docs/training.md). ``pack`` keeps every
``--keep-every``-th pair, stores each HQ patch as a JPEG (quality ``--quality``, 4:4:4
chroma) and each LQ patch as a lossless PNG, so the LQ input is bit-exact and the HQ target
only carries a JPEG error far below the cleaner's (PSNR > 40 dB at quality 90).
``unpack`` rebuilds an ordinary pair archive that every training script reads.

    python -m tools.train.pack pack --pairs data/pairs.npz --out pack.npz --keep-every 2
    python -m tools.train.pack unpack --pack pack.npz --out data/pairs.npz
"""

from __future__ import annotations

import argparse
import io
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from .data import PatchArchive, save_archive


def encode_images(patches: np.ndarray, fmt: str, quality: int) -> tuple[np.ndarray, np.ndarray]:
    """(bytes, offsets): the encoded patches concatenated, and len + 1 offsets into them."""
    blobs = []
    for p in patches:
        buf = io.BytesIO()
        if fmt == "JPEG":
            Image.fromarray(p).save(buf, "JPEG", quality=quality, subsampling=0)
        else:
            Image.fromarray(p).save(buf, "PNG", optimize=True)
        blobs.append(buf.getvalue())
    offsets = np.cumsum([0] + [len(b) for b in blobs]).astype(np.int64)
    return np.frombuffer(b"".join(blobs), dtype=np.uint8), offsets


def decode_images(data: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    raw = data.tobytes()
    imgs = [np.asarray(Image.open(io.BytesIO(raw[offsets[i] : offsets[i + 1]])).convert("RGB")) for i in range(len(offsets) - 1)]
    return np.stack(imgs)


def pack(pairs: str | Path, out: str | Path, keep_every: int = 1, quality: int = 90) -> int:
    arc = PatchArchive(pairs)
    if arc.lq is None:
        raise ValueError(f"{pairs} is not a pair archive (no lq patches)")
    keep = np.arange(0, len(arc), keep_every)
    hq, hq_off = encode_images(arc.hq[keep], "JPEG", quality)
    lq, lq_off = encode_images(arc.lq[keep], "PNG", 0)
    meta = {**arc.meta, "packed": {"keep_every": keep_every, "hq": f"jpeg q{quality} 4:4:4", "lq": "png"}}
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    np.savez(
        out, hq=hq, hq_offsets=hq_off, lq=lq, lq_offsets=lq_off, names=np.array(arc.names, dtype=str),
        source=arc.source[keep].astype(np.int32), scale=np.array(arc.scale, dtype=np.int32), meta=np.array(json.dumps(meta, sort_keys=True)),
    )
    return len(keep)


def unpack(packed: str | Path, out: str | Path) -> int:
    with np.load(packed) as z:
        hq = decode_images(z["hq"], z["hq_offsets"])
        lq = decode_images(z["lq"], z["lq_offsets"])
        names = [str(n) for n in z["names"]]
        save_archive(out, hq=hq, lq=lq, names=names, source=z["source"], scale=int(z["scale"]), meta=json.loads(str(z["meta"])))
    return len(hq)


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m tools.train.pack", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("pack", help="pair archive -> compact JPEG/PNG pack")
    a.add_argument("--pairs", required=True)
    a.add_argument("--out", required=True)
    a.add_argument("--keep-every", type=int, default=1, help="keep pairs 0, k, 2k, ...")
    a.add_argument("--quality", type=int, default=90, help="JPEG quality of the HQ patches")
    b = sub.add_parser("unpack", help="compact pack -> pair archive")
    b.add_argument("--pack", required=True)
    b.add_argument("--out", required=True)
    args = p.parse_args(argv)
    n = pack(args.pairs, args.out, args.keep_every, args.quality) if args.cmd == "pack" else unpack(args.pack, args.out)
    print(f"{args.out}: {n} pairs")


if __name__ == "__main__":
    main()
