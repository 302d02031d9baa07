"""Checks of a configuration against what the code can build and the data it will read.

    from asym.validation import registry_problems, size_problems, data_problems
    problems = registry_problems(cfg) + size_problems(cfg)     # part of asym.config.validate
    problems += data_problems(cfg)                            # `asym check`, when the data exist

The schema only knows that a backbone is a string; a typo (``vgg61``, pyiqa's ``psnrr``)
would pass it and fail hours later inside a job. So names are checked here against the
registries themselves: the package's backbone, discriminator and generator tables and
pyiqa's list of metrics. Both are read from the source files with :mod:`ast` instead
of being imported, since importing torch and pyiqa would add seconds to every
Snakemake start (the Snakefile validates its config on each parse) and pyiqa's list
is a plain dict literal. Sizes that cannot work together (a crop larger than the
images it is cut from, a ViT discriminator for another crop size) are reported too.
Each problem is one string naming the key, the value and what is allowed.
"""

from __future__ import annotations

import ast
import importlib.util
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
# MS-SSIM's five scales need an image side above about 160 px (pyiqa raises below).
MS_SSIM_MIN_SIDE = 161


def _dict_keys(path: Path, name: str) -> frozenset[str]:
    """String keys of the dict literal assigned to ``name`` at the top of ``path`` (also inside OrderedDict(...))."""
    for node in ast.parse(path.read_text(), filename=str(path)).body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            value = node.value
            if isinstance(value, ast.Call) and value.args:
                value = value.args[0]
            if isinstance(value, ast.Dict):
                return frozenset(k.value for k in value.keys if isinstance(k, ast.Constant) and isinstance(k.value, str))
    raise RuntimeError(f"no dict {name} in {path}; the registry moved: update asym/validation.py")


@cache
def backbone_names() -> frozenset[str]:
    return _dict_keys(PACKAGE / "nets" / "backbones.py", "BACKBONES")


@cache
def is_timm_model(name: str) -> bool:
    """Whether timm has a model of this name: build_backbone builds any timm CNN outside
    BACKBONES in timm's features_only mode (e.g. the small resnet18 of tests and quick
    configs). Imports timm, so it is asked only about names outside BACKBONES."""
    try:
        import timm
    except ImportError:
        return False
    return name in timm.list_models(name)


def _unknown_backbone(name, backbones) -> bool:
    return name not in backbones and not (isinstance(name, str) and is_timm_model(name))


@cache
def discriminator_names() -> frozenset[str]:
    return _dict_keys(PACKAGE / "nets" / "discriminators.py", "DISCRIMINATORS")


@cache
def generator_names() -> frozenset[str]:
    return _dict_keys(PACKAGE / "nets" / "generators.py", "GENERATORS")


@cache
def pyiqa_names() -> frozenset[str] | None:
    """pyiqa's metric names (its ``DEFAULT_CONFIGS``), or None where pyiqa is not installed."""
    spec = importlib.util.find_spec("pyiqa")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "default_model_configs.py"
    return _dict_keys(path, "DEFAULT_CONFIGS") if path.is_file() else None


def _unknown(where: str, value, known) -> str:
    return f"{where}: {value!r} is not a known name; use one of {sorted(known)}"


def registry_problems(cfg: dict) -> list[str]:
    """Backbone, discriminator, generator and pyiqa names the code cannot build."""
    problems = []
    backbones, pyiqa = backbone_names(), pyiqa_names()
    for name, spec in cfg.get("metrics", {}).items():
        if spec.get("kind") == "dists_style" and "backbone" in spec and _unknown_backbone(spec["backbone"], backbones):
            problems.append(_unknown(f"metrics.{name}.backbone", spec["backbone"], backbones))
        if spec.get("kind") == "pyiqa" and "name" in spec and pyiqa is not None and spec["name"] not in pyiqa:
            problems.append(f"metrics.{name}.name: {spec['name']!r} is not a pyiqa metric; pyiqa's names include "
                            f"{sorted(n for n in pyiqa if n[:2] == str(spec['name'])[:2]) or sorted(pyiqa)[:12]} "
                            "(python -c 'import pyiqa; print(pyiqa.list_models())' lists all)")
    optimize = cfg.get("optimize", {})
    generator = optimize.get("generator", {}).get("name")
    if generator is not None and generator not in generator_names():
        problems.append(_unknown("optimize.generator.name", generator, generator_names()))
    for name, disc in optimize.get("discriminators", {}).items():
        if disc.get("name") not in discriminator_names():
            problems.append(_unknown(f"optimize.discriminators.{name}.name", disc.get("name"), discriminator_names()))
        if "backbone" in disc and _unknown_backbone(disc["backbone"], backbones):
            problems.append(_unknown(f"optimize.discriminators.{name}.backbone", disc["backbone"], backbones))
    for name, spec in (cfg.get("transfer") or {}).get("backbones", {}).items():
        if "backbone" in spec and _unknown_backbone(spec["backbone"], backbones):
            problems.append(_unknown(f"transfer.backbones.{name}.backbone", spec["backbone"], backbones))
    return problems


def size_problems(cfg: dict) -> list[str]:
    """Crops larger than the images they come from, and networks built for another crop size."""
    problems = []
    optimize, prepare = cfg.get("optimize", {}), cfg.get("data", {}).get("prepare", {})
    patch = optimize.get("patch_size")
    for name, disc in optimize.get("discriminators", {}).items():
        if "img_size" in disc and patch is not None and disc["img_size"] != patch:
            problems.append(f"optimize.discriminators.{name}.img_size: {disc['img_size']} differs from "
                            f"optimize.patch_size {patch}, the HR crops it judges; make them equal")
    transfer = cfg.get("transfer") or {}
    crop, resize = transfer.get("crop"), transfer.get("resize")
    if crop is not None and resize is not None and crop > resize:
        problems.append(f"transfer.crop: {crop} px is larger than transfer.resize {resize} (the shorter side the "
                        "images are scaled to); lower crop or raise resize")
    iqa_size = prepare.get("iqa_size")
    if crop is not None and resize is None and iqa_size is not None and crop > iqa_size:
        problems.append(f"transfer.crop: {crop} px is larger than data.prepare.iqa_size {iqa_size}, the side of "
                        "the prepared IQA images; lower crop or raise iqa_size")
    uses = set(cfg.get("assess", {}).get("metrics", [])) | set(cfg.get("evaluate", {}).get("evaluators", []))
    ms_ssim = [m for m in sorted(uses) if cfg.get("metrics", {}).get(m, {}).get("name") == "ms_ssim"]
    for key in ("sr_test_size", "iqa_size"):
        if ms_ssim and key in prepare and prepare[key] < MS_SSIM_MIN_SIDE:
            problems.append(f"data.prepare.{key}: {prepare[key]} px is too small for MS-SSIM ({ms_ssim[0]}), "
                            f"which needs at least {MS_SSIM_MIN_SIDE} px; raise it or drop the metric")
    return problems


def data_problems(cfg: dict) -> list[str]:
    """Prepared training images smaller than the training crop (read from file headers only), unreadable
    ones, and image ids (file stems) used twice."""
    from PIL import Image, UnidentifiedImageError

    from asym.io import IMAGE_SUFFIXES

    folder, patch = Path(cfg["data"]["sr_train"]), cfg["optimize"]["patch_size"]
    problems = []
    if not folder.is_dir():
        return problems
    seen: dict[str, Path] = {}
    for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
        if path.stem in seen:
            problems.append(f"data.sr_train: image id {path.stem!r} is used twice ({seen[path.stem].name}, "
                            f"{path.name}); rename or remove one")
        seen[path.stem] = path
        try:
            with Image.open(path) as im:
                width, height = im.size
        except (UnidentifiedImageError, OSError) as exc:
            problems.append(f"data.sr_train: {path} cannot be read as an image ({exc}); replace or remove it")
            continue
        if min(width, height) < patch:
            problems.append(f"data.sr_train: {path} is {width}x{height} px, smaller than optimize.patch_size "
                            f"{patch}; remove it or lower patch_size")
    return problems
