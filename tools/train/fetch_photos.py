"""Collect the training photographs and the held-out evaluation photographs from Debian
packages (docs/dataset-card.md).

    python -m tools.train.fetch_photos --out photos [--debs debs] [--contact-sheet]
        [--with-enlightenment [--edje-cache edje]]

For each package: reuse ``NAME_*.deb`` from ``--debs`` folders or the cache, else
``apt-get download NAME`` into ``<cache>/debs``; ``dpkg-deb -x`` into
``<cache>/x/NAME``; copy the allow-listed files unchanged (bytes as shipped) to
``<out>/train/`` or ``<out>/eval/``; write ``<out>/manifest.json`` (package, version,
path, sha256, size, author, licence per file). The allow-list was checked by eye on
contact sheets: wallpapers that are renders, vector art or composites are left out.
The evaluation photographs (scikit-image) never enter ``train/``: checked by name and
by content hash before anything is written.

``--with-enlightenment`` adds the photographs of ``enlightenment-data`` (opt-in: the
shipped bundle was trained without them). They are Edje bundles (``.edj``); the image
is decoded with ``edje_decc`` (Debian package libedje-bin) into ``<edje-cache>/<Name>``
and its ``img.png`` is copied, so these files are a decoding, not the shipped bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from PIL import Image, ImageDraw

from .data import HELD_OUT_STEMS, base_stem, check_not_held_out

Image.MAX_IMAGE_PIXELS = None


@dataclass(frozen=True)
class Photo:
    package: str
    path: str  # inside the package
    name: str  # file name in <out>/<split>/
    author: str
    licence: str
    split: str = "train"


def _lomiri(file: str, author: str, licence: str, pkg: str = "lomiri-wallpapers-16.04") -> Photo:
    return Photo(pkg, f"usr/share/backgrounds/{file}", f"lomiri_{file}", author, licence)


def _mate(stem: str, author: str) -> Photo:
    return Photo("mate-backgrounds", f"usr/share/backgrounds/mate/nature/{stem}.jpg", f"mate_{stem}.jpg", author, "GPL-2+")


def _plasma(folder: str, author: str) -> Photo:
    # Debian's copyright file says GPL-2+ for the package; upstream metadata.json says LGPLv3.
    return Photo("plasma-workspace-wallpapers", f"usr/share/wallpapers/{folder}/contents/images/2560x1600.jpg", f"plasma_{folder}.jpg", author, "GPL-2+ (Debian copyright; upstream metadata: LGPL-3.0)")


def _enlightenment(name: str) -> Photo:
    return Photo(ENLIGHTENMENT_PACKAGE, f"usr/share/enlightenment/data/backgrounds/{name}.edj", f"enlightenment_{name}.png", "Carsten Haitzler and contributors (enlightenment-data)", "BSD-2-clause")


def _skimage(file: str, author: str, licence: str) -> Photo:
    return Photo("python3-skimage", f"usr/lib/python3/dist-packages/skimage/data/{file}", file, author, licence, split="eval")


ENLIGHTENMENT_PACKAGE = "enlightenment-data"
AB = "Aitzol Berasategi"
PN = "Peter Nerlich"
RS = "Risto Saukonpää"
CB = "Charles Barbin"

PHOTOS: tuple[Photo, ...] = (
    # lomiri-wallpapers-16.04: 14 of 15 (umang_by_Abhishek_Mudgal is an abstract render).
    _lomiri("Bridge_by_Sander_Klootwijk.jpg", "Sander Klootwijk", "CC-BY-SA-4.0"),
    _lomiri("Dragonfly_by_Bolly.jpg", '"Bolly"', "CC-BY-SA-4.0"),
    _lomiri("Picture_0B_by_freespace.jpg", 'Trevor "Freespace"', "CC-BY-4.0"),
    _lomiri("Picture_1A_by_freespace.jpg", 'Trevor "Freespace"', "CC-BY-4.0"),
    _lomiri("Wine_by_Jakkub_Mede.jpg", "Jakub Mede", "CC-BY-4.0"),
    _lomiri("aitzgorri_by_Aitzol_Berasategi.jpg", AB, "CC-BY-4.0"),
    _lomiri("analogpattern_by_Peter_Nerlich.jpg", PN, "CC-BY-SA-4.0"),
    _lomiri("free_by_Peter_Nerlich.jpg", PN, "CC-BY-SA-4.0"),
    _lomiri("friends_by_Aitzol_Berasategi.jpg", AB, "CC-BY-4.0"),
    _lomiri("greentock_by_Peter_Nerlich.jpg", PN, "CC-BY-SA-4.0"),
    _lomiri("life_by_Aitzol_Berasategi.jpg", AB, "CC-BY-4.0"),
    _lomiri("picosdeeuropa_by_Aitzol_Berasategi.jpg", AB, "CC-BY-4.0"),
    _lomiri("seeding_by_Clements_Engelhardt.jpg", "Clemens Engelhardt", "CC0-1.0"),
    _lomiri("sunset_by_Aitzol_Berasategi.jpg", AB, "CC-BY-4.0"),
    # lomiri-wallpapers-20.04: 1 of 4 (Fossa, Infinite-Sea, Painting-Colors are art).
    _lomiri("Kleiber_by_Lukas_Baubkus.jpg", "Lukas Baubkus", "CC-BY-SA-3.0", "lomiri-wallpapers-20.04"),
    # mate-backgrounds: the 12 "nature" photographs (abstract/ and desktop/ are art).
    _mate("Aqua", CB),
    _mate("Blinds", "Lennart Poettering, Andrea Cimitan"),
    _mate("Dune", "Marco Cogoni, Hylke Bons"),
    _mate("FreshFlower", "Jens Ansorg"),
    _mate("Garden", CB),
    _mate("GreenMeadow", "Timothy Schellhase, Lapo Calamandrei"),
    _mate("LadyBird", CB),
    _mate("RainDrops", '"blackcombwhistler07"'),
    _mate("Storm", "Sergey Nazarov"),
    _mate("TwoWings", f"{CB}, Hylke Bons"),
    _mate("Wood", "Jean-François Fortin Tam"),
    _mate("YellowFlower", CB),
    # plasma-workspace-wallpapers: 11 of 30 (the rest are renders/vector art).
    _plasma("BytheWater", "Maciej Wiklo"),
    _plasma("ColdRipple", RS),
    _plasma("ColorfulCups", "Dmitri Popov"),
    _plasma("DarkestHour", RS),
    _plasma("EveningGlow", "Ian Hex"),
    _plasma("FallenLeaf", "Martin Klapetek"),
    _plasma("Grey", "Sigi Sagi"),
    _plasma("Kite", RS),
    _plasma("OneStandsOut", RS),
    _plasma("Path", RS),
    _plasma("summer_1am", RS),
    # Held-out evaluation set: scikit-image's colour photographs (package BSD-3-Clause).
    _skimage("astronaut.png", "NASA (Eileen Collins)", "public domain (NASA); BSD-3-Clause package"),
    _skimage("chelsea.png", "Stefan van der Walt", "CC0-1.0; BSD-3-Clause package"),
    _skimage("coffee.png", "Rachel Michetti", "CC0-1.0; BSD-3-Clause package"),
    _skimage("motorcycle_left.png", "Middlebury 2014 stereo (Scharstein et al.)", "BSD-3-Clause package"),
    _skimage("rocket.jpg", "SpaceX", "public domain (SpaceX); BSD-3-Clause package"),
)
# enlightenment-data: 14 of 23 backgrounds. Opt-in (--with-enlightenment), so that the
# default set stays the 38 photos the shipped bundle was trained on. Left out: Dunes,
# Flat-Fan, Sunset-Hills and the four Squiggle* (vector/abstract art), Paper-Flower (a
# drawing over a paper tile), Flat-Stone-Pattern (a 750x750 repeating texture tile).
ENLIGHTENMENT_PHOTOS: tuple[Photo, ...] = tuple(_enlightenment(name) for name in (
    "Bamboo", "Foggy-Trees", "God-Rays", "Green-Maple", "Lichen-Branches", "Mountain", "Peaks",
    "Red-Maple", "Sea-of-Lanterns", "Snow-Trees", "Spruce-Needles", "Sunset-Clouds",
    "White-Flower", "Yellow-Flower",
))
# lomiri-wallpapers itself ships no photograph (only warty-final-ubuntu.png, an artwork);
# it is fetched for its copyright file, as the brief of the dataset asks.
PACKAGES: dict[str, bool] = {  # name -> optional
    "lomiri-wallpapers": False,
    "lomiri-wallpapers-16.04": False,
    "lomiri-wallpapers-20.04": True,
    "mate-backgrounds": False,
    "plasma-workspace-wallpapers": False,
    "python3-skimage": False,
}


def selection(with_enlightenment: bool) -> tuple[dict[str, bool], tuple[Photo, ...]]:
    """Packages (name -> optional) and photos to fetch."""
    if not with_enlightenment:
        return dict(PACKAGES), PHOTOS
    # Asked for by name, so a missing enlightenment-data is an error, not a skip.
    return {**PACKAGES, ENLIGHTENMENT_PACKAGE: False}, PHOTOS + ENLIGHTENMENT_PHOTOS


def find_deb(name: str, folders: list[Path]) -> Path | None:
    for folder in folders:
        hits = sorted(folder.glob(f"{name}_*.deb"))
        if hits:
            return hits[-1]
    return None


def fetch_deb(name: str, cache: Path, extra: list[Path]) -> Path | None:
    deb = find_deb(name, [*extra, cache])
    if deb is not None:
        return deb
    cache.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["apt-get", "download", name], cwd=cache, capture_output=True, text=True)
    if r.returncode != 0:
        print(f"apt-get download {name} failed: {r.stderr.strip()}", file=sys.stderr)
    return find_deb(name, [cache])


def extract(deb: Path, dest: Path) -> None:
    marker = dest / ".extracted"
    if marker.exists() and marker.read_text() == deb.name:
        return
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    subprocess.run(["dpkg-deb", "-x", str(deb), str(dest)], check=True)
    marker.write_text(deb.name)


def deb_version(deb: Path) -> str:
    return subprocess.run(["dpkg-deb", "-f", str(deb), "Version"], check=True, capture_output=True, text=True).stdout.strip()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch_packages(packages: dict[str, bool], cache: Path, extra: list[Path]) -> tuple[dict[str, Path], dict[str, str]]:
    """Extracted tree and version of each package; optional ones that cannot be had are left out."""
    roots: dict[str, Path] = {}
    versions: dict[str, str] = {}
    for name, optional in packages.items():
        deb = fetch_deb(name, cache / "debs", extra)
        if deb is None:
            if optional:
                print(f"skipping optional package {name}", file=sys.stderr)
                continue
            raise SystemExit(f"cannot get {name}: apt-get download failed and no .deb in {[*extra, cache / 'debs']}")
        extract(deb, cache / "x" / name)
        roots[name] = cache / "x" / name
        versions[name] = deb_version(deb)
    return roots, versions


def loads(path: Path) -> bool:
    """Whether the image decodes to the end: an interrupted edje_decc leaves a truncated PNG."""
    try:
        with Image.open(path) as im:
            im.load()
    except (OSError, SyntaxError, ValueError):
        return False
    return True


def edj_image(edj: Path, folder: Path) -> Path:
    """The background image of an Edje bundle: ``img.png`` as written by ``edje_decc``.

    Decoding takes up to a minute or more per bundle, so a complete ``folder/img.png`` is reused.
    """
    image = folder / "img.png"
    if loads(image):
        return image
    decoder = shutil.which("edje_decc")
    if decoder is None:
        raise SystemExit(f"edje_decc is not on PATH; it is needed to decode {edj.name} "
                         "(install the Debian package libedje-bin, or pass --edje-cache with decoded folders)")
    if folder.exists():
        shutil.rmtree(folder)  # leftovers of an interrupted run
    folder.parent.mkdir(parents=True, exist_ok=True)
    print(f"decoding {edj.name} with edje_decc (up to a minute or more)", file=sys.stderr)
    r = subprocess.run([decoder, str(edj), "-output", str(folder)], capture_output=True, text=True)
    if not loads(image):
        # Bundles made of several layers (tiles, drawings) have no single img.png.
        raise SystemExit(f"edje_decc {edj} (exit {r.returncode}) left no readable {image}: {r.stderr.strip()[-500:]}")
    return image


def describe(ph: Photo, root: Path, version: str, edje_cache: Path) -> dict:
    """Manifest entry of one photo; ``_src`` is the file to copy."""
    src = root / ph.path
    if not src.exists():
        raise SystemExit(f"{ph.package} {version} has no {ph.path}")
    decoded = {}
    if src.suffix == ".edj":
        decoded = {"decoded": "img.png decoded from the .edj with edje_decc", "edj_sha256": sha256(src)}
        src = edj_image(src, edje_cache / src.stem)
    with Image.open(src) as im:
        w, h = im.size
    return {**asdict(ph), "version": version, "sha256": sha256(src), "bytes": src.stat().st_size, "width": w, "height": h, **decoded, "_src": str(src)}


def check_split(entries: list[dict]) -> None:
    """The evaluation photographs must not be in the training split: by name and content."""
    train = [e for e in entries if e["split"] == "train"]
    evals = [e for e in entries if e["split"] == "eval"]
    check_not_held_out(e["name"] for e in train)
    if not all(base_stem(e["name"]) in HELD_OUT_STEMS for e in evals):
        raise AssertionError("an evaluation photo is not in data.HELD_OUT_STEMS")
    clash = {e["sha256"] for e in train} & {e["sha256"] for e in evals}
    if clash:
        raise AssertionError(f"evaluation photos duplicated in train: {sorted(clash)}")


def contact_sheet(paths: list[Path], out: Path, tile: tuple[int, int] = (240, 150), cols: int = 6) -> None:
    """Thumbnails with their file names, to check the selection by eye."""
    tw, th = tile
    rows = (len(paths) + cols - 1) // cols
    sheet = Image.new("RGB", (cols * tw, rows * (th + 14)), "white")
    draw = ImageDraw.Draw(sheet)
    for i, p in enumerate(paths):
        with Image.open(p) as im:
            im.draft("RGB", (2 * tw, 2 * th))
            thumb = im.convert("RGB")
        thumb.thumbnail((tw, th))
        x, y = (i % cols) * tw, (i // cols) * (th + 14)
        sheet.paste(thumb, (x, y))
        draw.text((x + 2, y + th), p.name[:38], fill="black")
    sheet.save(out)


def main(argv: list[str] | None = None) -> list[dict]:
    p = argparse.ArgumentParser(prog="python -m tools.train.fetch_photos", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True, help="writes <out>/train, <out>/eval, <out>/manifest.json")
    p.add_argument("--cache", default=None, help="debs and extracted trees (default <out>/.cache)")
    p.add_argument("--debs", action="append", default=[], help="folder with already downloaded .debs (repeatable)")
    p.add_argument("--contact-sheet", action="store_true", help="also write <out>/contact-train.png and contact-eval.png")
    p.add_argument("--with-enlightenment", action="store_true", help="also the enlightenment-data photographs (needs edje_decc from libedje-bin)")
    p.add_argument("--edje-cache", default=None, help="edje_decc output folders, one per .edj, reused when complete (default <cache>/edje)")
    args = p.parse_args(argv)
    out = Path(args.out)
    cache = Path(args.cache) if args.cache else out / ".cache"
    edje_cache = Path(args.edje_cache) if args.edje_cache else cache / "edje"
    extra = [Path(d) for d in args.debs]

    packages, photos = selection(args.with_enlightenment)
    roots, versions = fetch_packages(packages, cache, extra)
    entries = [describe(ph, roots[ph.package], versions[ph.package], edje_cache) for ph in photos if ph.package in roots]
    check_split(entries)

    for split in ("train", "eval"):
        folder = out / split
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
    for e in entries:
        shutil.copyfile(e.pop("_src"), out / e["split"] / e["name"])
    (out / "manifest.json").write_text(json.dumps({"photos": entries}, indent=2, ensure_ascii=False) + "\n")
    if args.contact_sheet:
        for split in ("train", "eval"):
            contact_sheet(sorted((out / split).iterdir()), out / f"contact-{split}.png")
    n = {s: sum(e["split"] == s for e in entries) for s in ("train", "eval")}
    mp = sum(e["width"] * e["height"] for e in entries if e["split"] == "train") / 1e6
    print(f"{out}: {n['train']} training photos ({mp:.0f} MP), {n['eval']} evaluation photos")
    return entries


if __name__ == "__main__":
    main()
