"""fetch_photos: the opt-in enlightenment-data photographs (.edj decoded by edje_decc).

No .deb is fetched and the real edje_decc never runs: the package trees are built in a
temporary folder and a stand-in ``edje_decc`` script writes a small ``img.png``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from PIL import Image

from tools.train import data as D
from tools.train import fetch_photos as F

TRAIN = F._mate("Aqua", "someone")
EVAL = F._skimage("coffee.png", "someone else", "CC0-1.0")

FAKE_EDJE_DECC = """#!{python}
import sys, zlib
from pathlib import Path
from PIL import Image
edj = Path(sys.argv[1])
out = Path(sys.argv[sys.argv.index("-output") + 1])
out.mkdir(parents=True)
# A colour per bundle, so that every decoded image has its own sha256.
colour = tuple(zlib.crc32(edj.name.encode()).to_bytes(4, "big")[:3])
Image.new("RGB", (32, 18), colour).save(out / "img.png")
Image.new("RGB", (16, 9), colour).save(out / "img-16x9.png")
with open({log!r}, "a") as f:
    f.write(edj.stem + "\\n")
"""


def _png(path: Path, colour: tuple[int, int, int], size: tuple[int, int] = (32, 18)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path)


@pytest.fixture
def trees(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """Extracted package trees in tmp_path; records which packages main asked for."""
    roots = {p: tmp_path / "x" / p for p in (TRAIN.package, EVAL.package, F.ENLIGHTENMENT_PACKAGE)}
    Image.new("RGB", (40, 30), (200, 10, 10)).save(_parent(roots[TRAIN.package] / TRAIN.path), format="JPEG")
    _png(roots[EVAL.package] / EVAL.path, (10, 200, 10))
    for ph in F.ENLIGHTENMENT_PHOTOS:
        _parent(roots[ph.package] / ph.path).write_bytes(ph.path.encode())  # content is never read as an image
    asked: list[list[str]] = []

    def fake_fetch_packages(packages: dict[str, bool], cache: Path, extra: list[Path]):
        asked.append(sorted(packages))
        return {p: roots[p] for p in packages if p in roots}, {p: "1.0" for p in packages}

    monkeypatch.setattr(F, "PHOTOS", (TRAIN, EVAL))
    monkeypatch.setattr(F, "fetch_packages", fake_fetch_packages)
    monkeypatch.setenv("PATH", str(_parent(tmp_path / "empty-bin" / "x")))  # no edje_decc unless a test adds it
    return {"root": tmp_path, "asked": asked, "out": tmp_path / "photos"}


def _parent(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _fake_edje_decc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Puts the stand-in edje_decc first on PATH; returns the log of the bundles it decoded."""
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    log = tmp_path / "edje_decc.log"
    log.touch()
    script = bin_dir / "edje_decc"
    script.write_text(FAKE_EDJE_DECC.format(python=sys.executable, log=str(log)))
    script.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    return log


def _manifest(out: Path) -> list[dict]:
    return json.loads((out / "manifest.json").read_text())["photos"]


def test_enlightenment_list_is_separate_and_not_held_out() -> None:
    names = [p.name for p in F.ENLIGHTENMENT_PHOTOS]
    assert names and len(set(names)) == len(names)
    assert not set(names) & {p.name for p in F.PHOTOS}
    D.check_not_held_out(names)
    for ph in F.ENLIGHTENMENT_PHOTOS:
        stem = Path(ph.path).stem
        assert ph.package == "enlightenment-data" and ph.split == "train" and ph.licence == "BSD-2-clause"
        assert ph.path == f"usr/share/enlightenment/data/backgrounds/{stem}.edj"
        assert ph.name == f"enlightenment_{stem}.png"
    packages, photos = F.selection(with_enlightenment=False)
    assert packages == F.PACKAGES and photos == F.PHOTOS
    assert "enlightenment-data" not in packages
    packages, photos = F.selection(with_enlightenment=True)
    assert packages["enlightenment-data"] is False  # asked for by name: required
    assert photos == F.PHOTOS + F.ENLIGHTENMENT_PHOTOS


def test_without_the_flag_nothing_of_enlightenment(trees: dict) -> None:
    out = trees["out"]
    entries = F.main(["--out", str(out)])  # no edje_decc on PATH: must not be needed
    assert [e["name"] for e in entries] == ["mate_Aqua.jpg", "coffee.png"]
    assert "enlightenment-data" not in trees["asked"][0]
    assert sorted(p.name for p in (out / "train").iterdir()) == ["mate_Aqua.jpg"]
    assert all("decoded" not in e and "edj_sha256" not in e for e in _manifest(out))
    assert not (out / ".cache" / "edje").exists()


def test_edj_is_decoded_copied_and_then_reused(trees: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = _fake_edje_decc(tmp_path, monkeypatch)
    out = trees["out"]
    F.main(["--out", str(out), "--with-enlightenment"])
    assert "enlightenment-data" in trees["asked"][0]
    stems = [Path(p.path).stem for p in F.ENLIGHTENMENT_PHOTOS]
    assert log.read_text().split() == stems

    by_name = {e["name"]: e for e in _manifest(out)}
    assert by_name["mate_Aqua.jpg"].keys() == by_name["coffee.png"].keys()  # plain entries unchanged
    for ph, stem in zip(F.ENLIGHTENMENT_PHOTOS, stems):
        e = by_name[ph.name]
        decoded = out / ".cache" / "edje" / stem / "img.png"  # default --edje-cache
        copied = out / "train" / ph.name
        assert copied.read_bytes() == decoded.read_bytes()
        assert (e["sha256"], e["bytes"], e["width"], e["height"]) == (F.sha256(copied), copied.stat().st_size, 32, 18)
        assert "edje_decc" in e["decoded"]
        assert e["edj_sha256"] == F.sha256(trees["root"] / "x" / "enlightenment-data" / ph.path)

    F.main(["--out", str(out), "--with-enlightenment"])
    assert log.read_text().split() == stems  # complete img.png: not decoded again

    truncated = out / ".cache" / "edje" / stems[0] / "img.png"
    truncated.write_bytes(truncated.read_bytes()[:60])  # as left by an interrupted edje_decc
    F.main(["--out", str(out), "--with-enlightenment"])
    assert log.read_text().split() == stems + stems[:1]


def test_edje_cache_option_needs_no_decoder_when_complete(trees: dict, tmp_path: Path) -> None:
    edje = tmp_path / "edje"
    for k, ph in enumerate(F.ENLIGHTENMENT_PHOTOS):
        _png(edje / Path(ph.path).stem / "img.png", (k, 50, 90), size=(24, 12))
    entries = F.main(["--out", str(trees["out"]), "--with-enlightenment", "--edje-cache", str(edje)])
    widths = {e["width"] for e in entries if e["package"] == "enlightenment-data"}
    assert widths == {24}
    assert not (trees["out"] / ".cache" / "edje").exists()


def test_missing_edje_decc_names_the_package(trees: dict) -> None:
    with pytest.raises(SystemExit) as err:
        F.main(["--out", str(trees["out"]), "--with-enlightenment"])
    assert "edje_decc" in str(err.value) and "libedje-bin" in str(err.value)
    assert not (trees["out"] / "manifest.json").exists()


def test_decoded_photo_identical_to_an_evaluation_photo_is_refused(trees: dict, tmp_path: Path) -> None:
    edje = tmp_path / "edje"
    coffee = trees["root"] / "x" / EVAL.package / EVAL.path
    for k, ph in enumerate(F.ENLIGHTENMENT_PHOTOS):
        _png(edje / Path(ph.path).stem / "img.png", (k, 50, 90))
    first = edje / Path(F.ENLIGHTENMENT_PHOTOS[0].path).stem / "img.png"
    first.write_bytes(coffee.read_bytes())
    with pytest.raises(AssertionError, match="duplicated in train"):
        F.main(["--out", str(trees["out"]), "--with-enlightenment", "--edje-cache", str(edje)])
    assert not (trees["out"] / "train").exists()
