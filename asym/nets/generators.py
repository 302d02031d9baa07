"""Registry of super-resolution generators, a builder from a config dict, and a
loader for officially released weights.

Generators: SwinIR (Liang et al., "SwinIR: Image Restoration Using Swin
Transformer", ICCV-W 2021), see :mod:`asym.nets.swinir`; RRDBNet (Wang et al.,
"ESRGAN", ECCV-W 2018), see :mod:`asym.nets.rrdbnet`.

Usage::

    from asym.nets.generators import build_generator
    net = build_generator({"name": "swinir", "upscale": 4, "embed_dim": 24,
                           "depths": [2, 2], "num_heads": [2, 2], "window_size": 4,
                           "mlp_ratio": 2.0})

``name`` picks the class in :data:`GENERATORS`; every other key is passed to its
constructor as a keyword argument. Unknown names and unknown keywords raise
``ValueError`` (rather than ``TypeError`` deep inside a constructor) so a typo
in a config file is reported with the valid choices. (RRDBNet also accepts
``upscale``, the key configs use, as an alias of its ``scale``.)

Official weights (never downloaded; put the file there yourself)::

    from asym.nets.generators import build_generator, load_official
    net = build_generator({"name": "rrdbnet", "upscale": 4})
    load_official(net, "weights/RRDB_ESRGAN_x4.pth")
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from asym.nets.registry import build_from_spec
from asym.nets.rrdbnet import RRDBNet
from asym.nets.swinir import SwinIR

GENERATORS: dict[str, type[nn.Module]] = {"swinir": SwinIR, "rrdbnet": RRDBNet}

# Where official generator weights are released, for the "missing file" message.
OFFICIAL_SOURCES = {
    "SwinIR": "https://github.com/JingyunLiang/SwinIR/releases (e.g. 001_classicalSR_DF2K_s64w8_SwinIR-M_x4.pth)",
    "RRDBNet": "https://github.com/xinntao/ESRGAN (RRDB_ESRGAN_x4.pth, RRDB_PSNR_x4.pth), "
    "https://github.com/XPixelGroup/BasicSR or https://github.com/xinntao/Real-ESRGAN/releases",
}

# Old ESRGAN repository names (RRDBNet_arch.py) -> BasicSR names, applied to key prefixes/parts.
_ESRGAN_OLD_TO_NEW = (
    (re.compile(r"^RRDB_trunk\."), "body."),
    (re.compile(r"\.RDB([123])\."), r".rdb\1."),
    (re.compile(r"^trunk_conv\."), "conv_body."),
    (re.compile(r"^upconv1\."), "conv_up1."),
    (re.compile(r"^upconv2\."), "conv_up2."),
    (re.compile(r"^HRconv\."), "conv_hr."),
)

__all__ = [
    "GENERATORS",
    "OfficialWeightsError",
    "build_from_spec",
    "build_generator",
    "esrgan_old_to_new",
    "load_official",
]


def build_generator(spec: Mapping) -> nn.Module:
    """Build a generator from ``{"name": ..., **constructor_kwargs}``."""
    return build_from_spec(GENERATORS, spec, "generator")


# --------------------------------------------------------------------------- official weights


from asym.errors import OfficialWeightsError


def esrgan_old_to_new(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Rename the old ESRGAN repository's RRDBNet keys to BasicSR's names.

    ``RRDB_trunk.N.RDBk.convj`` -> ``body.N.rdbk.convj``, ``trunk_conv`` -> ``conv_body``,
    ``upconv1/2`` -> ``conv_up1/2``, ``HRconv`` -> ``conv_hr``; ``conv_first`` and
    ``conv_last`` keep their names. Keys already in the new layout pass unchanged.
    """
    out = {}
    for key, value in state.items():
        for pattern, repl in _ESRGAN_OLD_TO_NEW:
            key = pattern.sub(repl, key)
        out[key] = value
    return out


def _read_weights(path: Path, model_name: str) -> object:
    if not path.is_file():
        raise FileNotFoundError(
            f"official {model_name} weights not found at {str(path)!r}. Nothing is downloaded: put the "
            f"file there (official source: {OFFICIAL_SOURCES.get(model_name, 'the model authors release page')})."
        )
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated zip, not a torch file, disallowed pickle content
        raise OfficialWeightsError(
            f"weight file {str(path)!r} cannot be read ({type(exc).__name__}: {exc}); it is probably "
            "truncated (an interrupted download) or not a PyTorch weight file. Fetch it again."
        ) from exc


def _select_state(obj: object, path: Path, key: str | None) -> dict[str, torch.Tensor]:
    """The state dict inside an official file: ``params_ema`` first, then ``params``, else the file itself."""
    if not isinstance(obj, Mapping):
        raise OfficialWeightsError(f"{str(path)!r} holds a {type(obj).__name__}, not a state dict")
    if key is not None:
        if key not in obj:
            raise OfficialWeightsError(f"{str(path)!r} has no key {key!r}; top-level keys: {sorted(obj)[:10]}")
        obj = obj[key]
    else:
        for candidate in ("params_ema", "params"):
            if isinstance(obj.get(candidate), Mapping):
                obj = obj[candidate]
                break
    not_tensors = [k for k, v in obj.items() if not isinstance(v, torch.Tensor)]
    if not_tensors:
        raise OfficialWeightsError(
            f"{str(path)!r} is not a plain state dict: entries {sorted(map(str, not_tensors))[:5]} are not "
            "tensors (expected a BasicSR/SwinIR file with 'params_ema' or 'params', or a bare state dict)"
        )
    # Weights saved from a DataParallel/DistributedDataParallel wrapper carry a "module." prefix.
    return {k.removeprefix("module."): v for k, v in obj.items()}


def load_official(model: nn.Module, path: str | os.PathLike, key: str | None = None) -> nn.Module:
    """Load officially released weights into a :class:`SwinIR` or :class:`RRDBNet`, strictly.

    Reads ``path`` with ``torch.load(weights_only=True)`` (no code runs from the file).
    Accepted layouts:

    - SwinIR releases: ``{"params": state}`` (classical/lightweight SR) or
      ``{"params_ema": state}`` (real-world SR); with both, ``params_ema`` is used.
    - ESRGAN via BasicSR / Real-ESRGAN: ``{"params_ema": state}`` or ``{"params": state}``.
    - the old ESRGAN repository (``RRDB_ESRGAN_x4.pth``): a bare state dict with keys
      ``RRDB_trunk.N.RDBk.convj``, ``trunk_conv``, ``upconv1/2``, ``HRconv``; renamed by
      :func:`esrgan_old_to_new`.

    ``key`` forces one top-level entry (e.g. ``"params"`` to skip the EMA weights).
    Errors: :class:`FileNotFoundError` naming the path and the official source;
    :class:`OfficialWeightsError` for an unreadable/truncated file, missing or unexpected
    keys, and a shape mismatch naming the parameter (for SwinIR's ``attn_mask`` buffers:
    ``img_size`` must be the checkpoint's training patch size). Returns ``model``.
    """
    path = Path(path)
    model_name = type(model).__name__
    state = _select_state(_read_weights(path, model_name), path, key)
    if isinstance(model, RRDBNet):
        state = esrgan_old_to_new(state)
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    if missing or unexpected:
        raise OfficialWeightsError(
            f"{str(path)!r} does not fit this {model_name}: {len(missing)} missing key(s) {missing[:5]}, "
            f"{len(unexpected)} unexpected key(s) {unexpected[:5]}. Check the architecture settings "
            "(e.g. num_block, depths, upsampler, resi_connection) against the file's model."
        )
    for k, value in state.items():
        if value.shape != own[k].shape:
            hint = ""
            if k.endswith("attn_mask"):
                hint = " (SwinIR: set img_size to the patch size the checkpoint was trained with, e.g. 64 for s64w8)"
            raise OfficialWeightsError(
                f"{str(path)!r}: parameter {k!r} has shape {tuple(value.shape)} in the file but "
                f"{tuple(own[k].shape)} in this {model_name}{hint}"
            )
    model.load_state_dict(state, strict=True)
    return model
