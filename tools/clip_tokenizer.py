"""CLIP byte-level BPE tokenizer (the one OpenCLIP / SD 2.1 use), for prompt embeddings.

Vocabulary = 256 byte symbols, the same with an end-of-word marker, one entry per merge,
then <start_of_text> and <end_of_text> (OpenCLIP spelling); with the official merges file
(``bpe_simple_vocab_16e6.txt.gz``, 48894 merges used) that is 49408 ids, start 49406,
end 49407; padding is 0 and truncation keeps the end token (diffbir-inference.md §4).

Differences from OpenCLIP: no ``ftfy`` text repair (not installed here; it only changes
mis-encoded text) and the letter/number classes use Python's ``re`` (``[^\\W\\d_]`` for
\\p{L}, ``\\d`` for \\p{N}); identical for ASCII prompts such as the DiffBIR defaults.
"""

from __future__ import annotations

import gzip
import html
import os
import re
from functools import lru_cache

import numpy as np

# OpenCLIP's spelling of the special tokens (the original CLIP wrote <|startoftext|>).
START = "<start_of_text>"
END = "<end_of_text>"
# Merges the official vocabulary uses: 49408 - 2 * 256 - 2.
OFFICIAL_MERGES = 49152 - 256 - 2

_PATTERN = re.compile(
    r"<start_of_text>|<end_of_text>|'s|'t|'re|'ve|'m|'ll|'d|[^\W\d_]+|\d|(?:[^\s\w]|_)+",
    re.IGNORECASE,
)


@lru_cache
def bytes_to_unicode() -> dict[int, str]:
    """Byte -> printable character map of GPT-2/CLIP (printable bytes map to themselves).

    The dict's ORDER is part of the vocabulary: ids 0-255 follow it (printable bytes first,
    then the remapped ones), as in OpenCLIP; byte order would give different ids."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    out: dict[int, str] = {b: chr(b) for b in keep}
    extra = 0
    for b in range(256):
        if b not in out:
            out[b] = chr(256 + extra)
            extra += 1
    return out


def _pairs(word: tuple[str, ...]) -> set[tuple[str, str]]:
    return {(word[i], word[i + 1]) for i in range(len(word) - 1)}


class ClipTokenizer:
    """``tokenizer(texts) -> (B, context_length) int64``."""

    def __init__(self, merges: list[tuple[str, str]], context_length: int = 77) -> None:
        symbols = list(bytes_to_unicode().values())
        vocab = symbols + [s + "</w>" for s in symbols] + ["".join(m) for m in merges] + [START, END]
        self.encoder = {tok: i for i, tok in enumerate(vocab)}
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.byte_encoder = bytes_to_unicode()
        self.context_length = context_length
        self.start_token = self.encoder[START]
        self.end_token = self.encoder[END]
        self.pad_token = 0
        self.cache: dict[str, list[str]] = {START: [START], END: [END]}

    @property
    def vocab_size(self) -> int:
        return len(self.encoder)

    @classmethod
    def from_file(cls, path: str | os.PathLike, context_length: int = 77) -> ClipTokenizer:
        """Reads the merges file (plain or .gz; first line is a header)."""
        raw = gzip.open(path, "rt", encoding="utf-8") if str(path).endswith(".gz") else open(path, encoding="utf-8")
        with raw as f:
            lines = f.read().split("\n")
        merges = [tuple(line.split()) for line in lines[1 : OFFICIAL_MERGES + 1] if line.strip()]
        return cls([(a, b) for a, b in merges], context_length)

    def bpe(self, token: str) -> list[str]:
        if token in self.cache:
            return self.cache[token]
        word = tuple(token[:-1]) + (token[-1] + "</w>",)
        while len(word) > 1:
            best = min(_pairs(word), key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break
            first, second = best
            merged: list[str] = []
            i = 0
            while i < len(word):
                if i < len(word) - 1 and word[i] == first and word[i + 1] == second:
                    merged.append(first + second)
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = tuple(merged)
        self.cache[token] = list(word)
        return self.cache[token]

    def encode(self, text: str) -> list[int]:
        """Token ids of one text, without start/end tokens."""
        text = html.unescape(html.unescape(text)).strip()
        text = re.sub(r"\s+", " ", text).strip().lower()
        ids: list[int] = []
        for piece in _PATTERN.findall(text):
            mapped = "".join(self.byte_encoder[b] for b in piece.encode("utf-8"))
            ids.extend(self.encoder[t] for t in self.bpe(mapped))
        return ids

    def __call__(self, texts: str | list[str]) -> np.ndarray:
        if isinstance(texts, str):
            texts = [texts]
        out = np.full((len(texts), self.context_length), self.pad_token, dtype=np.int64)
        for row, text in enumerate(texts):
            ids = [self.start_token, *self.encode(text), self.end_token]
            if len(ids) > self.context_length:
                ids = ids[: self.context_length - 1] + [self.end_token]
            out[row, : len(ids)] = ids
        return out
