"""tools/clip_tokenizer.py against OpenCLIP's own tokenizer: the ids stored in the core
tokenizer fixture (tools/fixtures/gen_tokenizer.py ran OpenCLIP's SimpleTokenizer on the
official merges). Our Python tokenizer skips ftfy, so the comparison covers the prompts
whose cleaning ftfy leaves alone (printable ASCII, no HTML entities)."""
import base64
import json
from pathlib import Path

from tools.clip_tokenizer import ClipTokenizer

FIXTURE = Path(__file__).resolve().parents[2] / "packages/core/test/fixtures/tokenizer.json"


def test_ids_match_openclip_on_plain_prompts(tmp_path):
    fx = json.loads(FIXTURE.read_text(encoding="utf-8"))
    merges = tmp_path / "merges.txt.gz"
    merges.write_bytes(base64.b64decode(fx["merges"]["gzipBase64"]))
    tok = ClipTokenizer.from_file(merges)
    plain = [p for p in fx["prompts"] if all(" " <= c <= "~" for c in p["text"]) and "&" not in p["text"]]
    assert len(plain) >= 20
    for p in plain:
        row = tok(p["text"])[0].tolist()
        assert row[: len(p["ids"])] == p["ids"], p["text"]
        assert all(v == 0 for v in row[len(p["ids"]) :])


def test_single_byte_tokens_use_openclip_numbering(tmp_path):
    fx = json.loads(FIXTURE.read_text(encoding="utf-8"))
    merges = tmp_path / "merges.txt.gz"
    merges.write_bytes(base64.b64decode(fx["merges"]["gzipBase64"]))
    tok = ClipTokenizer.from_file(merges)
    # "!" is the first printable byte: id 0; "a</w>" is 256 + index of "a" (64) = 320.
    assert tok.encoder["!"] == 0
    assert tok.encoder["a</w>"] == 320
