"""Generate ``data/paper/weights.yaml``, the manifest of every pinned weight file a config needs.

    python -m asym.data.fetch weights-manifest --config workflow/config/paper.yaml [--check]

The entries come from the weights registry (:mod:`asym.weights`,
:data:`asym.nets.backbones.OFFICIAL_WEIGHTS` and pyiqa's own addresses, found by an
offline dry run), so no address is typed twice; :mod:`asym.data.fetch` then fetches them
like the data sets. Kept apart from fetching: generating the manifest imports pyiqa and
the backbone registry, fetching needs neither.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlparse

import yaml

from asym.data.manifest import HF_HUB_CACHE, HF_LAYOUT, TORCH_HOME, TORCHVISION_HASH, WEIGHTS_ROOT
from asym.errors import FetchError
from asym.patching import environ, replaced


def _direct_url(text: str, target: str) -> str | None:
    """A downloadable address in a registry's free-text source (``OFFICIAL_WEIGHTS``), if it has one."""
    for token in text.split():
        if token.startswith(("https://", "http://")) and re.search(r"\.(pth|pt|bin|safetensors)$", token):
            return token
    hub = re.search(r"Hugging Face hub (\S+)", text)
    if hub:  # timm keeps the hub's own file names; the target's suffix says which format
        name = "model.safetensors" if target.endswith(".safetensors") else "open_clip_pytorch_model.bin"
        return f"https://huggingface.co/{hub.group(1)}/resolve/main/{name}"
    return None


def _key(target: str) -> str:
    rel = os.path.relpath(target, WEIGHTS_ROOT) if target.startswith(str(WEIGHTS_ROOT)) else target
    rel = re.sub(r"\.(pth|pt|bin|safetensors|mat|pkl|ckpt|npz)$", "", rel)  # a file's type, not a hub cache's dots
    return re.sub(r"[^A-Za-z0-9_-]", "_", rel.replace(os.sep, "__"))


def weight_entries(cfg: dict) -> tuple[dict, list[str]]:
    """Every pinned weight file the config needs, as manifest entries, and the files this tool cannot fetch.

    Backbone files come from the config's ``weights:`` paths and
    :data:`asym.nets.backbones.OFFICIAL_WEIGHTS`; pyiqa's files from the offline dry run of
    :mod:`asym.weights`, with ``TORCH_HOME`` at ``data/weights/torch`` so they fall inside
    the repository.
    """
    from pyiqa.utils import download_util

    from asym.nets.backbones import OFFICIAL_WEIGHTS
    from asym.weights import generator_requirements, metric_requirements, used_metrics

    entries: dict[str, dict] = {}
    skipped: list[str] = []

    def add(target: str, url: str | None, used_by: str, official: str, note: str = "", layout: str = "") -> None:
        target = os.path.normpath(target)
        if url is None:
            skipped.append(f"{used_by}: {target} (source: {official}; no single downloadable file)")
            return
        entry = entries.setdefault(_key(target), {"target": target, "url": url, "used_by": []})
        if entry["url"] != url:
            raise FetchError(f"{target} is needed from two addresses: {entry['url']} and {url}")
        entry["used_by"].append(used_by)
        if note:
            entry["note"] = note
        if layout:
            entry["layout"] = layout
        name_hash = TORCHVISION_HASH.search(os.path.basename(target))
        url_hash = TORCHVISION_HASH.search(urlparse(url).path)
        if name_hash and url_hash and name_hash.group(1) != url_hash.group(1):
            raise FetchError(f"{used_by}: the config expects {target} but the registry's official file is "
                             f"{url}: the sha256 prefixes differ ({name_hash.group(1)} vs {url_hash.group(1)}), "
                             "so these are different files. Name the file after the official one in the config.")

    for name in used_metrics(cfg):
        spec = cfg["metrics"][name]
        if spec.get("kind") == "dists_style" and spec.get("init") == "imagenet" and spec.get("weights"):
            official = OFFICIAL_WEIGHTS.get(spec["backbone"], "")
            add(spec["weights"], _direct_url(official, spec["weights"]), f"metric {name}", official)
    for r in generator_requirements(cfg):
        add(r.path, r.source if r.source.startswith(("https://", "http://")) else None, r.metric, r.source)
    for name, spec in (cfg.get("transfer") or {}).get("backbones", {}).items():
        if spec.get("weights"):
            official = OFFICIAL_WEIGHTS.get(spec.get("backbone"), "")
            add(spec["weights"], _direct_url(official, spec["weights"]), f"transfer backbone {name}", official)

    torch_home = TORCH_HOME.resolve()
    # An empty HOME makes the listing the same on every machine: pyiqa's CLIP loader reads
    # ~/.cache/clip, and a file present there would let the dry run go further than elsewhere.
    home = Path(tempfile.mkdtemp(prefix="asym-weights-home-"))
    clip_home = home / ".cache" / "clip"
    with environ({"TORCH_HOME": str(torch_home), "HOME": str(home)}), \
            replaced(download_util, "DEFAULT_CACHE_DIR", str(torch_home / "hub" / "pyiqa")), \
            contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, home, ignore_errors=True)
        for name in used_metrics(cfg):
            if cfg["metrics"][name].get("kind") != "pyiqa":
                continue
            reqs, notes = metric_requirements(name, cfg["metrics"][name], cfg)
            # Paths as every clone writes them: ~ for the empty home, the repository-relative TORCH_HOME.
            skipped.extend(f"{n.replace(str(home), '~').replace(str(torch_home), str(TORCH_HOME))} "
                           "(files after that point are not listed)" for n in notes)
            for r in reqs:
                path = Path(r.path)
                if path.is_relative_to(torch_home):
                    add(str(TORCH_HOME / path.relative_to(torch_home)), r.source, f"metric {name} ({r.what})", r.source)
                elif path.is_relative_to(clip_home):
                    add(str(WEIGHTS_ROOT / "clip" / path.relative_to(clip_home)), r.source,
                        f"metric {name} ({r.what})", r.source,
                        note="pyiqa reads CLIP models from ~/.cache/clip: ln -s \"$PWD/data/weights/clip\" ~/.cache/clip")
                elif "Hugging Face" in r.what:
                    repo = r.source.rsplit("huggingface.co/", 1)[-1]
                    add(str(HF_HUB_CACHE / ("models--" + repo.replace("/", "--"))),
                        f"https://huggingface.co/{repo}/resolve/main/model.safetensors",
                        f"metric {name} ({r.what})", r.source, layout=HF_LAYOUT)
                else:
                    skipped.append(f"metric {name} ({r.what}): {r.path} from {r.source} (outside "
                                   f"{TORCH_HOME} and the hub cache: put it there yourself)")
    return dict(sorted(entries.items())), skipped


def weights_manifest_text(cfg: dict, config_path: str) -> str:
    entries, skipped = weight_entries(cfg)
    header = [f"# GENERATED by `python -m asym.data.fetch weights-manifest --config {config_path}`; do not edit.",
              "# Every pinned weight file that config needs, from asym/weights.py's registry",
              "# (asym.nets.backbones.OFFICIAL_WEIGHTS and pyiqa's own addresses). pyiqa's caches are",
              "# under data/weights/torch, the Hugging Face hub's (timm backbones) under data/weights/hf:",
              "# the paper config's torch_home and hf_hub_cache point every job there.",
              "# Fetched by the DVC stages weights@<name> of data/paper/dvc.yaml.",
              "# Not fetched by this tool (get them yourself):"]
    header += [f"#   {line}" for line in skipped] or ["#   (none)"]
    return "\n".join(header) + "\n" + yaml.safe_dump({"weights": entries}, sort_keys=False, width=120)

