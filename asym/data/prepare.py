"""Build the offline demo data set from the collected reference photographs.

Command::

    python -m asym.data.prepare --raw data/raw --out data/demo --config workflow/config/demo.yaml

Reads ``data.prepare`` from the YAML config (seed, n_sr_test, n_iqa, sr_test_size,
iqa_size, distortions, levels, and optionally sr_test_crops, default 1) and
``<raw>/references/sources.csv`` written by ``python -m asym.data.collect --out data/raw``.
Splits the photographs by source photograph into ``sr_train``, ``sr_test`` and ``iqa``
(disjoint, so neither a test crop nor an IQA reference shares a photograph with SR
training) and writes::

    <out>/splits.csv                                  image, split, source_file
    <out>/sr/train/<image>.png                        full-resolution training images
    <out>/sr/test/<image>-c<k>.png                    the sr_test_crops most detailed non-overlapping
                                                      tiles of each test photograph, sr_test_size square
    <out>/sr/test_crops.csv                           image, source, top, left, size (the source
                                                      photograph of every test crop: resample by it)
    <out>/iqa/synthetic/reference/<image>.png         centre crop, iqa_size pixels square
    <out>/iqa/synthetic/distorted/<image>__<distortion>__<level>.png
    <out>/iqa/synthetic/scores.csv                    reference, distorted, distortion, level, mos
    <out>/README.md                                   description, proxy-MOS caveat, licences

The whole of ``<out>`` is built in a temporary sibling folder and renamed into
place at the end, so a failure never leaves a half-built set. Every output is a
function of the raw files and the config only (seeds come from SHA-256 of names,
not Python's salted ``hash()``), so re-runs give identical bytes.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import numbers
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from asym.data import distortions as dist
from asym.io import InputError, read_rgb, write_csv, write_png, write_text

SR_SCALE = 4  # the study's super-resolution factor; SR test crops must be divisible by it
SPLITS = ("sr_train", "sr_test", "iqa")
COLLECT_HINT = "run `python -m asym.data.collect --out data/raw`"
PARAM_KEYS = ("seed", "n_sr_test", "n_iqa", "sr_test_size", "iqa_size", "distortions", "levels")
# Optional keys and their defaults (a config written before they existed keeps its meaning).
OPTIONAL_KEYS = {"sr_test_crops": 1}
TEST_CROPS_CSV = "test_crops.csv"
# Image names become file names and are joined with "__" in distorted file names.
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


# ---------------------------------------------------------------- inputs

def load_params(config: str | os.PathLike) -> dict:
    """The ``data.prepare`` block of the YAML config file ``config``."""
    config = Path(config)
    if not config.is_file():
        raise InputError(f"config file not found: {config}")
    with open(config) as handle:
        document = yaml.safe_load(handle) or {}
    params = (document.get("data") or {}).get("prepare") if isinstance(document, dict) else None
    if not isinstance(params, dict):
        raise InputError(f"config {config} has no `data: prepare:` block")
    return params


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_params(params: dict) -> dict:
    """Check the prepare parameters this stage relies on; return them with ints cast."""
    missing = [key for key in PARAM_KEYS if key not in params]
    if missing:
        raise InputError(f"data.prepare lacks keys {missing} (needs {list(PARAM_KEYS)})")
    for key in ("seed", "n_sr_test", "n_iqa", "sr_test_size", "iqa_size", "levels"):
        if not _is_int(params[key]) or params[key] < 0:
            raise InputError(f"data.prepare.{key} must be a non-negative integer, "
                             f"got {params[key]!r}")
    unknown_keys = sorted(set(params) - set(PARAM_KEYS) - set(OPTIONAL_KEYS))
    if unknown_keys:
        raise InputError(f"data.prepare has unknown keys {unknown_keys} "
                         f"(known: {list(PARAM_KEYS) + list(OPTIONAL_KEYS)})")
    crops = params.get("sr_test_crops", OPTIONAL_KEYS["sr_test_crops"])
    if not _is_int(crops) or crops < 1:
        raise InputError(f"data.prepare.sr_test_crops must be a positive integer, got {crops!r}")
    out = {key: params[key] if key == "distortions" else int(params[key]) for key in PARAM_KEYS}
    out["sr_test_crops"] = int(crops)
    if out["sr_test_size"] < SR_SCALE or out["sr_test_size"] % SR_SCALE:
        raise InputError(f"data.prepare.sr_test_size must be a positive multiple of {SR_SCALE}, "
                         f"got {out['sr_test_size']}")
    if out["iqa_size"] < 1:
        raise InputError("data.prepare.iqa_size must be at least 1")
    if not 1 <= out["levels"] <= len(dist.LEVELS):
        raise InputError(f"data.prepare.levels must be in 1..{len(dist.LEVELS)}, "
                         f"got {out['levels']}")
    names = out["distortions"]
    if not isinstance(names, (list, tuple)) or not names:
        raise InputError(f"data.prepare.distortions must be a non-empty list, got {names!r}")
    unknown = [name for name in names if name not in dist.DISTORTIONS]
    if unknown:
        raise InputError(f"unknown distortion(s) {unknown} in data.prepare.distortions; "
                         f"known: {sorted(dist.DISTORTIONS)}")
    if len(set(names)) != len(names):
        raise InputError(f"data.prepare.distortions lists a name twice: {names}")
    out["distortions"] = list(names)
    return out


def read_sources(raw: Path) -> pd.DataFrame:
    """``<raw>/references/sources.csv``, checked: columns, unique safe names, files present."""
    if not raw.is_dir():
        raise InputError(f"raw data folder not found: {raw}; {COLLECT_HINT}")
    path = raw / "references" / "sources.csv"
    if not path.is_file():
        raise InputError(f"sources table not found: {path}; {COLLECT_HINT}")
    sources = pd.read_csv(path, dtype={"image": str, "file": str})
    for column in ("image", "file"):
        if column not in sources.columns:
            raise InputError(f"{path} lacks column '{column}'; {COLLECT_HINT}")
    if sources.empty:
        raise InputError(f"{path} lists no images; {COLLECT_HINT}")
    bad = [name for name in sources["image"] if not NAME_PATTERN.match(name) or "__" in name]
    if bad:
        raise InputError(f"{path}: image names {bad} are not usable as file names "
                         "(letters, digits, '-', single '_' only)")
    duplicated = sorted(set(sources["image"][sources["image"].duplicated()]))
    if duplicated:
        raise InputError(f"{path} lists images more than once: {duplicated}")
    for name, file in zip(sources["image"], sources["file"]):
        if not (raw / "references" / file).is_file():
            raise InputError(f"reference image '{name}' missing: {raw / 'references' / file}; "
                             f"{COLLECT_HINT}")
    if "scene" not in sources.columns:
        sources["scene"] = sources["image"]
    return sources.sort_values("image", ignore_index=True)


def read_references(raw: Path, sources: pd.DataFrame) -> dict[str, np.ndarray]:
    """Decode every reference image; a corrupt file raises InputError naming the image."""
    images = {}
    for name, file in zip(sources["image"], sources["file"]):
        try:
            images[name] = read_rgb(raw / "references" / file)
        except InputError as exc:
            raise InputError(f"reference image '{name}' is unreadable: {exc}") from exc
    return images


# ---------------------------------------------------------------- split and seeds

def stable_seed(*parts) -> int:
    """A 64-bit seed from SHA-256 of the parts: same on every machine and Python run."""
    digest = hashlib.sha256("/".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "little")


def split_images(sources: pd.DataFrame, seed: int, n_sr_test: int, n_iqa: int,
                 test_ok: set[str] | None = None) -> dict[str, str]:
    """Assign every image to sr_train, sr_test or iqa; returns image -> split.

    Held-out images (sr_test, iqa) are drawn only from scenes with a single
    photograph: a multi-view scene (the stereo pair) stays whole in sr_train, so
    no held-out image has a near-duplicate in training. ``test_ok`` (default: all)
    are the photographs large enough to give the configured number of test crops;
    sr_test is drawn among them first, iqa among the remaining ones. The draw is a
    seeded permutation: images ranked by SHA-256 of (seed, name), which, unlike a
    numpy shuffle, does not move other images when one is added or removed.
    """
    scene_sizes = sources["scene"].value_counts()
    eligible = [name for name, scene in zip(sources["image"], sources["scene"])
                if scene_sizes[scene] == 1]
    held_out = n_sr_test + n_iqa
    if len(eligible) < held_out or len(sources) < held_out + 1:
        raise InputError(
            f"too few reference images: there are {len(sources)} ({len(eligible)} of them "
            f"single-photo scenes that can be held out), but the config asks for "
            f"n_sr_test={n_sr_test} + n_iqa={n_iqa} = {held_out} held-out images plus at "
            f"least 1 training image; lower n_sr_test/n_iqa or add references"
        )
    ranked = sorted(eligible, key=lambda name: stable_seed("split", seed, name))
    testable = [name for name in ranked if test_ok is None or name in test_ok]
    if len(testable) < n_sr_test:
        raise InputError(
            f"only {len(testable)} single-photo scenes ({testable}) are large enough for "
            f"data.prepare.sr_test_crops test crops each, but n_sr_test={n_sr_test}; lower "
            "sr_test_crops, sr_test_size or n_sr_test"
        )
    test = testable[:n_sr_test]
    iqa = [name for name in ranked if name not in test][:n_iqa]
    splits = {name: "sr_train" for name in sources["image"]}
    splits.update({name: "sr_test" for name in test})
    splits.update({name: "iqa" for name in iqa})
    return splits


def detail(tile: np.ndarray) -> float:
    """Mean absolute horizontal + vertical difference of the grey levels: how much detail a tile has."""
    grey = tile.astype(np.float64).mean(axis=2)
    return float(np.abs(np.diff(grey, axis=0)).mean() + np.abs(np.diff(grey, axis=1)).mean())


def tile_origins(height: int, width: int, size: int, count: int,
                 image: np.ndarray | None = None) -> list[tuple[int, int]]:
    """(top, left) of ``count`` non-overlapping ``size`` x ``size`` tiles of an image, row-major.

    The image is cut into the centred grid of whole tiles. With ``image`` the ``count``
    tiles with the most detail (:func:`detail`) are taken: a flat tile (sky, out-of-focus
    background, black space) is reconstructed almost perfectly by any upscaler, so it
    tells nothing about super-resolution and only dilutes differences between methods.
    Without, ``count`` tiles evenly spaced along the grid. Fewer tiles than ``count``: [].
    """
    rows, cols = height // size, width // size
    if rows * cols < count or count < 1:
        return []
    top0, left0 = (height - rows * size) // 2, (width - cols * size) // 2
    grid = [(top0 + r * size, left0 + c * size) for r in range(rows) for c in range(cols)]
    if image is None:
        picks = np.linspace(0, len(grid) - 1, count).round().astype(int)
    else:
        energy = [detail(image[t:t + size, left:left + size]) for t, left in grid]
        picks = sorted(np.argsort(-np.asarray(energy), kind="stable")[:count])
    return [grid[i] for i in picks]


def centre_crop(img: np.ndarray, size: int, name: str) -> np.ndarray:
    """The central ``size`` x ``size`` pixels of ``img``; InputError if it is smaller."""
    height, width = img.shape[:2]
    if height < size or width < size:
        raise InputError(f"reference image '{name}' is {width}x{height} pixels, smaller than "
                         f"the {size}-pixel crop the config asks for")
    top, left = (height - size) // 2, (width - size) // 2
    return img[top:top + size, left:left + size]


# ---------------------------------------------------------------- outputs

def write_sr(out: Path, images: dict, splits: dict, test_size: int, n_crops: int = 1) -> pd.DataFrame:
    """SR training images at full resolution; ``n_crops`` non-overlapping test crops per
    SR test photograph. Returns (and writes) the table of test crops and their source."""
    rows = []
    for name, split in sorted(splits.items()):
        if split == "sr_train":
            write_png(images[name], out / "sr" / "train" / f"{name}.png")
        elif split == "sr_test":
            height, width = images[name].shape[:2]
            origins = tile_origins(height, width, test_size, n_crops, images[name])
            if not origins:
                raise InputError(f"reference image '{name}' is {width}x{height} pixels, too small for "
                                 f"{n_crops} non-overlapping {test_size}-pixel test crops")
            for k, (top, left) in enumerate(origins, start=1):
                crop_name = f"{name}-c{k}"
                write_png(images[name][top:top + test_size, left:left + test_size],
                          out / "sr" / "test" / f"{crop_name}.png")
                rows.append({"image": crop_name, "source": name, "top": top, "left": left,
                             "size": test_size})
    crops = pd.DataFrame(rows, columns=["image", "source", "top", "left", "size"])
    write_csv(crops, out / "sr" / TEST_CROPS_CSV)
    return crops


def write_iqa(out: Path, images: dict, splits: dict, params: dict) -> pd.DataFrame:
    """Synthetic IQA set: reference crops, distorted versions, proxy-MOS table."""
    root = out / "iqa" / "synthetic"
    levels = params["levels"]
    rows = []
    for name in sorted(n for n, s in splits.items() if s == "iqa"):
        reference = centre_crop(images[name], params["iqa_size"], name)
        write_png(reference, root / "reference" / f"{name}.png")
        for distortion in params["distortions"]:
            for level in range(1, levels + 1):
                # One generator per output file: no output depends on generation order.
                rng = np.random.default_rng(stable_seed(params["seed"], name, distortion, level))
                distorted = dist.DISTORTIONS[distortion](reference, level, rng)
                file = f"{name}__{distortion}__{level}.png"
                write_png(distorted, root / "distorted" / file)
                rows.append({"reference": f"reference/{name}.png", "distorted": f"distorted/{file}",
                             "distortion": distortion, "level": level,
                             "mos": levels + 1 - level})
    scores = pd.DataFrame(rows, columns=["reference", "distorted", "distortion", "level", "mos"])
    write_csv(scores, root / "scores.csv")
    return scores


def _cell(value) -> str:
    """A value made safe for a markdown table cell."""
    return "" if pd.isna(value) else str(value).replace("|", "\\|").replace("\n", " ")


def readme_text(sources: pd.DataFrame, splits: dict, params: dict, n_scores: int) -> str:
    """README.md of the demo set: contents, proxy-MOS caveat, parameters, sources and licences."""
    levels = params["levels"]
    counts = {split: sum(s == split for s in splits.values()) for split in SPLITS}
    test_side, iqa_side = params["sr_test_size"], params["iqa_size"]
    tables = {"gaussian_blur": ("sigma, pixels", dist.BLUR_SIGMA_PX),
              "gaussian_noise": ("std, 8-bit levels", dist.NOISE_STD_8BIT),
              "jpeg": ("JPEG quality", dist.JPEG_QUALITY),
              "contrast": ("contrast kept (factor)", dist.CONTRAST_FACTOR),
              "saturation": ("chroma kept (factor)", dist.SATURATION_FACTOR),
              "pixelate": ("block side, pixels", dist.PIXELATE_BLOCK_PX)}
    lines = [
        "# Demo data set (synthetic, offline)",
        "",
        ("Built by `python -m asym.data.prepare` from colour photographs that installed "
         "Python packages ship (see `data/raw/references/sources.csv`), plus synthetic "
         "distortions. Nothing was downloaded. It exercises the pipeline; it is not a "
         "benchmark, and results on it say nothing about the study's conclusions."),
        "",
        "## Contents",
        "",
        ("- `splits.csv`: image, split, source_file (relative to the raw folder). "
         "Splits are by source image and disjoint: IQA references are never used for SR "
         "training; photographs of one scene (stereo pair) stay together in `sr_train`."),
        f"- `sr/train/`: {counts['sr_train']} full-resolution training images (PNG).",
        (f"- `sr/test/`: {counts['sr_test'] * params['sr_test_crops']} crops of "
         f"{test_side}x{test_side} pixels, the {params['sr_test_crops']} most detailed non-overlapping "
         f"tiles of each of {counts['sr_test']} photographs (flat tiles tell nothing about "
         f"super-resolution; HR; bicubic x{SR_SCALE} gives the LR input). "
         f"`sr/{TEST_CROPS_CSV}` names each crop's source photograph and position: crops of one "
         "photograph are not independent, so any resampling over test images draws whole "
         "photographs."),
        (f"- `iqa/synthetic/reference/`: {counts['iqa']} centre crops of "
         f"{iqa_side}x{iqa_side} pixels, one per photograph, so a reference is also the "
         "photograph it comes from (bootstrap CIs and train/test splits by reference are by "
         "photograph)."),
        (f"- `iqa/synthetic/distorted/`: {n_scores} images "
         f"`<image>__<distortion>__<level>.png`, distortions "
         f"{', '.join(params['distortions'])}, levels 1..{levels}."),
        ("- `iqa/synthetic/scores.csv`: reference, distorted (paths relative to "
         "`iqa/synthetic/`), distortion, level, mos."),
        "",
        "## The `mos` column is a PROXY",
        "",
        (f"`mos = {levels} + 1 - level`: higher is better, as for every IQA reader in "
         "`asym.data.iqa_sets`. It only encodes the ordering of severity levels within a "
         "distortion; it is NOT a human opinion score, and it is not comparable across "
         "distortion types. The assessment therefore correlates a metric with these labels "
         "within each distortion type and averages over types (`asym.assess.correlate`)."),
        "",
        "## Distortion parameters (level 1 to 5)",
        "",
        "| distortion | parameter | " + " | ".join(str(level) for level in dist.LEVELS) + " |",
        "|---|---|" + "---|" * len(dist.LEVELS),
    ]
    for name in params["distortions"]:
        unit, values = tables.get(name, ("see asym/data/distortions.py", ("",) * len(dist.LEVELS)))
        lines.append(f"| {name} | {unit} | " + " | ".join(str(v) for v in values) + " |")
    lines += [
        "",
        "## Build parameters",
        "",
        *(f"- {key}: {params[key]}" for key in (*PARAM_KEYS, *OPTIONAL_KEYS)),
        "",
        "## Sources and licences",
        "",
        "| image | split | description | licence | credit |",
        "|---|---|---|---|---|",
    ]
    for _, row in sources.iterrows():
        lines.append("| " + " | ".join(_cell(row.get(c)) if c != "split" else splits[row["image"]]
                                       for c in ("image", "split", "description", "licence",
                                                 "credit")) + " |")
    return "\n".join(lines) + "\n"


def build(raw: Path, out: Path, params: dict) -> dict:
    """Write the whole demo set into the (empty) folder ``out``; returns counts."""
    sources = read_sources(raw)
    images = read_references(raw, sources)
    size, n_crops = params["sr_test_size"], params["sr_test_crops"]
    test_ok = {name for name, img in images.items() if tile_origins(*img.shape[:2], size, n_crops)}
    splits = split_images(sources, params["seed"], params["n_sr_test"], params["n_iqa"], test_ok)
    # Crop sizes are checked before anything is written.
    for name, split in splits.items():
        if split == "iqa":
            centre_crop(images[name], params["iqa_size"], name)
    table = pd.DataFrame({"image": sources["image"],
                          "split": [splits[name] for name in sources["image"]],
                          "source_file": ["references/" + f for f in sources["file"]]})
    write_csv(table, out / "splits.csv")
    crops = write_sr(out, images, splits, size, n_crops)
    scores = write_iqa(out, images, splits, params)
    write_text(readme_text(sources, splits, params, len(scores)), out / "README.md")
    counts = {split: int((table["split"] == split).sum()) for split in SPLITS}
    counts["distorted"] = len(scores)
    counts["test_crops"] = len(crops)
    return counts


def _replace_dir(new: Path, out: Path) -> None:
    """Put folder ``new`` at ``out``, removing what was there, with renames only."""
    old = None
    if out.exists() or out.is_symlink():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        os.replace(out, old)
    os.replace(new, out)
    if old is not None:
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old)
        else:
            old.unlink()


def prepare(raw: str | os.PathLike, out: str | os.PathLike, params: dict) -> dict:
    """Rebuild ``out`` from scratch from ``raw`` and the ``data.prepare`` params; returns counts."""
    params = check_params(params)
    raw, out = Path(raw), Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        # mkdtemp makes the folder private (0700); give it the usual permissions.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)
        counts = build(raw, tmp, params)
        _replace_dir(tmp, out)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(tmp)
        raise
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--raw", default="data/raw", help="raw data folder (asym.data.collect)")
    parser.add_argument("--out", default="data/demo", help="demo data folder to (re)build")
    parser.add_argument("--config", required=True, help="YAML config with a data.prepare block")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    counts = prepare(args.raw, args.out, load_params(args.config))
    print(f"prepared {args.out}: {counts['sr_train']} sr_train, {counts['sr_test']} sr_test "
          f"({counts['test_crops']} crops), {counts['iqa']} iqa references, "
          f"{counts['distorted']} distorted images "
          f"in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    import asym.errors

    asym.errors.run(main)
