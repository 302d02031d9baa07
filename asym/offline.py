"""Offline guards for pyiqa, torchvision and timm: what a metric would download, and no sockets.

    from asym.offline import block_network, pyiqa_requirements
    reqs, note = pyiqa_requirements("lpips", "lpips")   # files pyiqa would fetch; never reads them
    with block_network():                                 # any connection attempt raises NetworkBlocked
        ...

:func:`pyiqa_requirements` builds the metric once in a *dry run*: every download function
pyiqa, torchvision and timm use is replaced by one that records the URL and its cache
path (pyiqa's files under ``$TORCH_HOME/hub/pyiqa``, torchvision backbones under
``$TORCH_HOME/hub/checkpoints``, timm backbones from the Hugging Face hub, CLIP models
under ``$TORCH_HOME/hub/clip``), weight loading is skipped and opening a socket raises.
A CLIP checkpoint is never read either: a randomly initialised CLIP of its architecture
(:data:`CLIP_ARCHS`) stands in, so the constructor goes on to the files after it.
A constructor that stops early (e.g. reading a missing file directly) is reported with
the files recorded up to that point. :mod:`asym.assess.fidelity` uses this before building any
pyiqa metric; :mod:`asym.weights` uses it to list a whole config's files. This module
never imports the config, so the training and scoring jobs that use it do not depend on
it (see :mod:`asym.codedeps`).
"""


from __future__ import annotations

import builtins
import contextlib
import io
import os
import socket
import sys
import warnings
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from urllib.parse import urlparse

from asym.patching import environ, replaced

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@dataclass
class Requirement:
    """One file a metric needs."""

    metric: str
    what: str
    path: str
    present: bool
    source: str
    made_by_workflow: bool = False  # absent is fine: a workflow rule writes it

    @property
    def missing(self) -> bool:
        return not self.present and not self.made_by_workflow

    def line(self) -> str:
        status = "present" if self.present else ("made by the workflow" if self.made_by_workflow else "MISSING")
        return f"{self.metric}\t{self.what}\t{self.path}\t{status}\t{self.source}"


class NetworkBlocked(RuntimeError):
    """Raised by the dry run when anything tries to open a network connection."""


class _Placeholder(dict):
    """Stands for a state dict during a dry run: any key lookup gives another placeholder."""

    def __missing__(self, key):
        return _Placeholder()


# OpenAI CLIP architectures by checkpoint file name: (embed_dim, image_resolution,
# vision_layers, vision_width, vision_patch_size, transformer_width, transformer_layers),
# context length 77 and vocabulary 49408 for all (Radford et al. 2021, the released
# models). The dry run builds a randomly initialised CLIP of the right shape from these,
# so a metric's constructor goes on past its CLIP model and lists the files after it
# (A-FINE's own checkpoint, for one) without reading hundreds of megabytes.
CLIP_ARCHS = {
    "RN50.pt": (1024, 224, (3, 4, 6, 3), 64, None, 512, 12),
    "RN101.pt": (512, 224, (3, 4, 23, 3), 64, None, 512, 12),
    "ViT-B-32.pt": (512, 224, 12, 768, 32, 512, 12),
    "ViT-B-16.pt": (512, 224, 12, 768, 16, 512, 12),
    "ViT-L-14.pt": (768, 224, 24, 1024, 14, 768, 12),
    "ViT-L-14-336px.pt": (768, 336, 24, 1024, 14, 768, 12),
}


def clip_shape_state_dict(file_name: str) -> dict:
    """Meta tensors with exactly the keys and shapes the CLIP ``build_model`` functions of
    pyiqa read to infer an architecture (values are never read)."""
    if file_name not in CLIP_ARCHS:
        raise FileNotFoundError(f"dry run: no known architecture for CLIP file {file_name!r} "
                                f"(known: {', '.join(CLIP_ARCHS)}); its later files cannot be listed")
    import torch

    embed, res, layers, width, patch, t_width, t_layers = CLIP_ARCHS[file_name]

    def meta(*shape):
        return torch.empty(shape, device="meta")

    sd = {"text_projection": meta(t_width, embed), "positional_embedding": meta(77, t_width),
          "token_embedding.weight": meta(49408, t_width), "ln_final.weight": meta(t_width)}
    sd.update({f"transformer.resblocks.{i}.ln_1.weight": meta(t_width) for i in range(t_layers)})
    if patch is not None:  # vision transformer
        grid = res // patch
        sd.update({"visual.proj": meta(width, embed), "visual.conv1.weight": meta(width, 3, patch, patch),
                   "visual.positional_embedding": meta(grid * grid + 1, width)})
        sd.update({f"visual.transformer.resblocks.{i}.attn.in_proj_weight": meta(3 * width, width)
                   for i in range(layers)})
    else:  # modified ResNet
        out = res // 32
        sd["visual.attnpool.positional_embedding"] = meta(out * out + 1, width * 32)
        for b, n in enumerate(layers, start=1):
            sd.update({f"visual.layer{b}.{i}.conv1.weight": meta(width * 2 ** (b - 1), 1, 1, 1) for i in range(n)})
    return sd


class _DryRunFile(io.BytesIO):
    """What ``open`` gives, in a dry run, for a recorded weight file: an empty stream that
    remembers the path (``torch.jit.load`` rejects it; :func:`torch.load` recognises it)."""

    def __init__(self, path: str):
        super().__init__(b"")
        self.path = path


def _cache_path(url: str, folder: str, file_name: str | None = None) -> str:
    return os.path.abspath(os.path.join(folder, file_name or os.path.basename(urlparse(url).path)))


@contextmanager
def _pyiqa_dry_run(found: list[tuple[str, str, str]]):
    """Patch every download route of pyiqa/torchvision/timm to record (what, path, source) into ``found``."""
    import pyiqa  # noqa: F401  (loads pyiqa's utilities; its arch modules are imported lazily, see below)
    import timm.models._builder as timm_builder
    import torch
    import torch.hub
    import torchvision.models._api as tv_api
    from pyiqa.archs import arch_util
    from pyiqa.utils import download_util

    recorded_paths: set[str] = set()

    def record(what: str, path: str, source: str) -> str:
        found.append((what, path, source))
        recorded_paths.add(os.path.abspath(path))
        return path

    def load_file_from_url(url, model_dir=None, progress=True, file_name=None):
        folder = model_dir or download_util.DEFAULT_CACHE_DIR
        return record("pyiqa weights", _cache_path(url, folder, file_name), url)

    def load_pretrained_network(net, model_path, strict=True, weight_keys=None):
        if model_path.startswith(("https://", "http://")):
            load_file_from_url(model_path)
        else:
            record("pyiqa weights", os.path.abspath(model_path), "pyiqa option pretrained_model_path")

    def clip_download(url, root):
        return record("CLIP model", _cache_path(url, root), url)

    def load_state_dict_from_url(url, model_dir=None, *args, file_name=None, **kwargs):
        folder = model_dir or os.path.join(torch.hub.get_dir(), "checkpoints")
        record("backbone weights", _cache_path(url, folder, file_name), url)
        return _Placeholder()

    def get_state_dict(self, *args, **kwargs):
        return load_state_dict_from_url(self.url)

    def timm_load_pretrained(model, pretrained_cfg=None, *args, **kwargs):
        cfg = pretrained_cfg or getattr(model, "pretrained_cfg", None) or {}
        load_from, loc = timm_builder._resolve_pretrained_source(cfg)
        if load_from == "hf-hub":
            repo = loc[0] if isinstance(loc, (tuple, list)) else loc
            record("timm backbone (Hugging Face hub)", _hf_cache_path(repo), f"https://huggingface.co/{repo}")
        elif load_from == "url":
            record("timm backbone", _cache_path(loc, os.path.join(torch.hub.get_dir(), "checkpoints")), loc)
        elif load_from == "file":
            record("timm backbone", os.path.abspath(loc), "timm pretrained_cfg file")

    original_load = torch.load

    def guarded_load(f, *args, **kwargs):
        if isinstance(f, _DryRunFile):  # a CLIP checkpoint opened by pyiqa's CLIP loader
            return clip_shape_state_dict(os.path.basename(f.path))
        if isinstance(f, (str, os.PathLike)) and os.path.abspath(f) in recorded_paths:
            return _Placeholder()  # dry run: a recorded file is never read, present or not
        return original_load(f, *args, **kwargs)

    def guarded_open(file, mode="r", *args, **kwargs):
        if isinstance(file, (str, os.PathLike)) and "r" in mode and os.path.abspath(file) in recorded_paths:
            return _DryRunFile(os.fspath(file))
        return builtins.open(file, mode, *args, **kwargs)

    def no_load_state_dict(self, state_dict, strict=True, assign=False):
        return torch.nn.modules.module._IncompatibleKeys([], [])

    originals = {
        "load_file_from_url": download_util.load_file_from_url,
        "load_pretrained_network": arch_util.load_pretrained_network,
        "load_state_dict_from_url": torch.hub.load_state_dict_from_url,
    }
    replacements = {"load_file_from_url": load_file_from_url, "load_pretrained_network": load_pretrained_network,
                    "load_state_dict_from_url": load_state_dict_from_url}
    for key, fn in replacements.items():
        fn._asym_dry_run = key  # marks a replacement, so a stray reference can be found and undone
    with ExitStack() as stack:
        stack.callback(_undo_stray_replacements, originals)
        # Modules that imported a download function by name hold their own reference.
        for name, module in _download_modules():
            for attr, value in list(vars(module).items()):
                key = next((k for k, old in originals.items() if value is old), None)
                if key is not None:
                    stack.enter_context(replaced(module, attr, replacements[key]))
                elif attr == "_download" and callable(value) and name.startswith("pyiqa"):
                    # A CLIP loader module: record instead of downloading, and open recorded
                    # files as _DryRunFile (a module-level ``open`` shadows the builtin).
                    stack.enter_context(replaced(module, attr, clip_download))
                    stack.enter_context(replaced(module, "open", guarded_open, create=True))
        stack.enter_context(replaced(tv_api.WeightsEnum, "get_state_dict", get_state_dict))
        stack.enter_context(replaced(timm_builder, "load_pretrained", timm_load_pretrained))
        stack.enter_context(replaced(torch, "load", guarded_load))
        stack.enter_context(replaced(torch.nn.Module, "load_state_dict", no_load_state_dict))
        stack.enter_context(block_network())
        stack.enter_context(warnings.catch_warnings())  # torch.jit.load's deprecation, on _DryRunFile
        warnings.filterwarnings("ignore", message=".*torch.jit.load.* is deprecated", category=FutureWarning)
        stack.enter_context(environ({"HF_HUB_OFFLINE": "1"}))
        yield


@contextmanager
def block_network():
    """Any attempt to open a network connection inside raises :class:`NetworkBlocked` at once."""

    def blocked(*args, **kwargs):
        raise NetworkBlocked("network access attempted; this project never downloads inside a job")

    with replaced(socket.socket, "connect", blocked), replaced(socket, "create_connection", blocked):
        yield


def _download_modules():
    return [(name, module) for name, module in list(sys.modules.items())
            if module is not None and (name.startswith("pyiqa") or name in ("torch.hub", "torch.utils.model_zoo"))]


def _undo_stray_replacements(originals: dict) -> None:
    """A module first imported during the dry run bound a replacement by name: give it the original."""
    for _, module in _download_modules():
        for attr, value in list(vars(module).items()):
            key = getattr(value, "_asym_dry_run", None)
            if key in originals:
                setattr(module, attr, originals[key])


def _hf_cache_path(repo: str) -> str:
    from huggingface_hub import constants

    return os.path.join(constants.HF_HUB_CACHE, "models--" + repo.replace("/", "--"))


def _hf_present(repo: str) -> bool:
    from huggingface_hub import try_to_load_from_cache

    for filename in ("model.safetensors", "pytorch_model.bin", "open_clip_pytorch_model.bin"):
        if isinstance(try_to_load_from_cache(repo, filename), str):
            return True
    return False


def import_pyiqa_arch_module(arch: str) -> str | None:
    """Import the one ``pyiqa.archs`` module whose source defines ``class <arch>``; return its name.

    pyiqa finds an arch's module by its name (``CFANet`` -> ``cfanet_arch``); where that
    fails (``MS_SSIM`` and ``CW_SSIM`` live in ``ssim_arch``, ``CFANet`` in ``topiq_arch``:
    15 of pyiqa 0.1.16's metrics) it imports all 50 arch modules, transformers-based ones
    included: ~2.5 s of every job that scores MS-SSIM. A text search of the arch sources
    finds the module in milliseconds. Returns None (pyiqa's own lookup then runs) when no
    source or several define the class.
    """
    import importlib
    import re
    from pathlib import Path

    import pyiqa.archs

    pattern = re.compile(rf"^class\s+{re.escape(arch)}\b", re.MULTILINE)
    folder = Path(pyiqa.archs.__file__).parent
    hits = [f.stem for f in sorted(folder.glob("*_arch.py")) if pattern.search(f.read_text(errors="ignore"))]
    if len(hits) != 1:
        return None
    name = f"{pyiqa.archs.__name__}.{hits[0]}"
    importlib.import_module(name)
    return name


def pyiqa_requirements(metric: str, pyiqa_name: str) -> tuple[list[Requirement], str | None]:
    """The files pyiqa would fetch to build ``pyiqa_name``, and an error note if the dry run stopped early."""
    import pyiqa

    found: list[tuple[str, str, str]] = []
    note = None
    # Import the metric's arch module before patching (pyiqa imports them lazily, and a module
    # imported inside the dry run would bind the replacements). Unknown names and missing
    # optional dependencies surface in the dry run below.
    with contextlib.suppress(Exception):
        from pyiqa.archs import _lazy_import_arch
        from pyiqa.default_model_configs import DEFAULT_CONFIGS

        arch = DEFAULT_CONFIGS[pyiqa_name]["metric_opts"]["type"]
        import_pyiqa_arch_module(arch)
        _lazy_import_arch(arch)  # a no-op once the arch is registered
    with _pyiqa_dry_run(found):
        try:
            pyiqa.create_metric(pyiqa_name, device="cpu")
        except NetworkBlocked as exc:
            note = f"pyiqa tried the network while building {pyiqa_name!r} ({exc}); its files cannot be listed offline"
        except Exception as exc:  # noqa: BLE001 - any constructor failure is reported, not raised
            note = f"building {pyiqa_name!r} stopped early: {type(exc).__name__}: {str(exc)[:200]}"
    out, seen = [], set()
    for what, path, source in found:
        if path in seen:
            continue
        seen.add(path)
        if "Hugging Face" in what:
            present = _hf_present(source.rsplit("huggingface.co/", 1)[-1])
        else:
            present = os.path.isfile(path)
        out.append(Requirement(metric, what, path, present, source))
    return out, note


