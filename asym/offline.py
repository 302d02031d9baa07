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
A constructor that stops early (e.g. reading a missing file directly) is reported with
the files recorded up to that point. :mod:`asym.fidelity` uses this before building any
pyiqa metric; :mod:`asym.weights` uses it to list a whole config's files. This module
never imports the config, so the training and scoring jobs that use it do not depend on
it (see :mod:`asym.codedeps`).
"""


from __future__ import annotations

import contextlib
import os
import socket
import sys
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from unittest import mock
from urllib.parse import urlparse

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
        if isinstance(f, (str, os.PathLike)) and os.path.abspath(f) in recorded_paths:
            return _Placeholder()  # dry run: a recorded file is never read, present or not
        return original_load(f, *args, **kwargs)

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
                    stack.enter_context(mock.patch.object(module, attr, replacements[key]))
                elif attr == "_download" and callable(value) and name.startswith("pyiqa"):
                    stack.enter_context(mock.patch.object(module, attr, clip_download))
        stack.enter_context(mock.patch.object(tv_api.WeightsEnum, "get_state_dict", get_state_dict))
        stack.enter_context(mock.patch.object(timm_builder, "load_pretrained", timm_load_pretrained))
        stack.enter_context(mock.patch.object(torch, "load", guarded_load))
        stack.enter_context(mock.patch.object(torch.nn.Module, "load_state_dict", no_load_state_dict))
        stack.enter_context(block_network())
        stack.enter_context(mock.patch.dict(os.environ, {"HF_HUB_OFFLINE": "1"}))
        yield


@contextmanager
def block_network():
    """Any attempt to open a network connection inside raises :class:`NetworkBlocked` at once."""

    def blocked(*args, **kwargs):
        raise NetworkBlocked("network access attempted; this project never downloads inside a job")

    with mock.patch.object(socket.socket, "connect", blocked), mock.patch.object(socket, "create_connection", blocked):
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

        _lazy_import_arch(DEFAULT_CONFIGS[pyiqa_name]["metric_opts"]["type"])
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


