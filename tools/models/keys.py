"""Official checkpoint prefixes and a strict, well-reported state-dict loader.

The SD 2.1 checkpoint holds three networks under ``OFFICIAL_PREFIX['unet'|'vae'|'text']``;
the DiffBIR ControlNet file is a plain state dict (prefix ''). ``load_strict`` keeps only
the keys that start with the prefix, strips it, and loads with strict name/shape checking.
Keys under other prefixes are ignored, so the whole SD checkpoint can be passed for each
of its three networks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

OFFICIAL_PREFIX: dict[str, str] = {
    "unet": "model.diffusion_model.",
    "vae": "first_stage_model.",
    "text": "cond_stage_model.model.",
    "controlnet": "",
}

_SHOW = 20


class StateDictMismatchError(ValueError):
    """Raised by :func:`load_strict`; carries the three lists it reports."""

    def __init__(
        self,
        missing: list[str],
        unexpected: list[str],
        mismatched: list[tuple[str, tuple[int, ...], tuple[int, ...]]],
        what: str = "",
    ) -> None:
        self.missing = missing
        self.unexpected = unexpected
        self.mismatched = mismatched
        lines = [f"state dict does not match {what}".rstrip()]
        if missing:
            lines.append(f"missing keys ({len(missing)}): " + ", ".join(missing[:_SHOW]))
        if unexpected:
            lines.append(f"unexpected keys ({len(unexpected)}): " + ", ".join(unexpected[:_SHOW]))
        if mismatched:
            shown = ", ".join(f"{k} checkpoint {list(a)} vs model {list(b)}" for k, a, b in mismatched[:_SHOW])
            lines.append(f"shape mismatches ({len(mismatched)}): {shown}")
        super().__init__("\n".join(lines))


def strip_prefix(state_dict: Mapping[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    """Keys that start with ``prefix``, with it removed (all keys when prefix is '')."""
    return {k[len(prefix) :]: v for k, v in state_dict.items() if k.startswith(prefix)}


def add_prefix(state_dict: Mapping[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    return {prefix + k: v for k, v in state_dict.items()}


def compare_state_dict(
    expected: Mapping[str, tuple[int, ...]], actual: Mapping[str, tuple[int, ...]]
) -> tuple[list[str], list[str], list[tuple[str, tuple[int, ...], tuple[int, ...]]]]:
    """(missing from actual, unexpected in actual, (key, actual shape, expected shape))."""
    missing = sorted(set(expected) - set(actual))
    unexpected = sorted(set(actual) - set(expected))
    mismatched = [
        (k, tuple(actual[k]), tuple(expected[k]))
        for k in sorted(set(expected) & set(actual))
        if tuple(actual[k]) != tuple(expected[k])
    ]
    return missing, unexpected, mismatched


def load_strict(module: nn.Module, state_dict: Mapping[str, torch.Tensor], prefix: str) -> nn.Module:
    """Load ``state_dict`` (keys under ``prefix``) into ``module``; raise on any mismatch.

    Raises :class:`StateDictMismatchError` listing missing keys, unexpected keys and shape
    mismatches (the first 20 of each, with counts). Values are cast to the module's dtype.
    """
    sd = strip_prefix(state_dict, prefix)
    want = {k: tuple(v.shape) for k, v in module.state_dict().items()}
    have = {k: tuple(v.shape) for k, v in sd.items()}
    missing, unexpected, mismatched = compare_state_dict(want, have)
    if missing or unexpected or mismatched:
        raise StateDictMismatchError(
            missing, unexpected, mismatched, f"{type(module).__name__} (prefix {prefix!r})"
        )
    module.load_state_dict(sd, strict=True)
    return module


_LINE = re.compile(r"^(\S+)\t\[([0-9, ]*)\]$")


def read_checkpoint_keys(path: str | Path) -> dict[str, tuple[int, ...]]:
    """Parse a ``checkpoint-keys/*.txt`` file (``name<TAB>[d0, d1, ...]`` per line)."""
    out: dict[str, tuple[int, ...]] = {}
    for n, line in enumerate(Path(path).read_text().splitlines(), 1):
        if not line.strip():
            continue
        m = _LINE.match(line)
        if not m:
            raise ValueError(f"{path}:{n}: cannot parse {line!r}")
        dims = m.group(2).strip()
        out[m.group(1)] = tuple(int(d) for d in dims.split(",")) if dims else ()
    return out
