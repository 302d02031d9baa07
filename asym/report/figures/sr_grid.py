"""Figure: visual comparison grid of super-resolved crops.

Command::

    python -m asym.report.figures.sr_grid --runs-dir results/optimize/runs \\
        --test-dir data/demo/sr/test --evaluation results/optimize/evaluation.csv \\
        --image first --crop 48 --out report/build/figures/sr_grid.png

Top row: the whole high-resolution (HR) test image with the crop marked (left,
above the loss names), the HR crop, and the bicubic baseline: with ``--bicubic-dir``
the very image the evaluation scored (``python -m asym.optimize.baseline``: the
generators' input upsampled bicubically; the baseline's rows of evaluation.csv are
not drawn as a loss), else bicubic upsampling of its x``--scale-factor`` downsampled
version computed here (PIL bicubic with antialiasing). Then one row per fidelity loss and one column per adversarial
setting (without GAN first): the same crop of that run's output
``<runs-dir>/<run>/sr/<image>.png``, from the lowest seed that has one. The
crop is a ``--crop`` pixel square (HR pixels) placed where the HR image has
the most gradient energy (the most detail to get right) unless ``--crop-xy``
fixes its top-left corner. Pixels are shown unsmoothed (nearest neighbour).
Runs come from evaluation.csv (``run, fidelity, adversarial, discriminator,
gan_weight, seed``). Reads images with PIL and draws with matplotlib only.
Writes the PNG and a PDF beside it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Rectangle
from PIL import Image

from asym.analysis.baseline import trained_runs
from asym.analysis.stats import as_bool
from asym.io import InputError, read_rgb
from asym.report.figures import style

CELL = 1.05  # inches per image cell


def run_table(evaluation: pd.DataFrame) -> pd.DataFrame:
    """One row per run: run, fidelity, setting, adversarial, discriminator, gan_weight, seed."""
    cols = ["run", "fidelity", "adversarial", "discriminator", "gan_weight", "seed"]
    missing = set(cols) - set(evaluation.columns)
    if missing:
        raise InputError(f"evaluation table lacks columns {sorted(missing)}")
    extra = ["setting"] if "setting" in evaluation.columns else []  # from each run's run.json
    runs = trained_runs(evaluation)[cols + extra].drop_duplicates("run").copy()
    runs["adversarial"] = as_bool(runs["adversarial"].to_numpy())
    if not extra:  # tables from before the setting column: name the setting by its design
        runs["setting"] = ["nogan" if not a else str(d) for a, d in zip(runs["adversarial"], runs["discriminator"])]
    return runs.reset_index(drop=True)


def setting_columns(runs: pd.DataFrame) -> list[tuple[str, str]]:
    """(setting, column title) in display order: without GAN first, then by discriminator, weight."""
    s = runs.drop_duplicates("setting")
    s = s.assign(w=pd.to_numeric(s["gan_weight"], errors="coerce").fillna(0.0))
    s = s.sort_values(["adversarial", "discriminator", "w", "setting"], kind="stable")
    return [(r.setting, f"with GAN\n({r.discriminator}, w={r.w:g})" if r.adversarial else "without GAN")
            for r in s.itertuples()]


def pick_image(runs_dir: Path, test_dir: Path, runs: pd.DataFrame, image: str) -> str:
    """The image stem to show: ``image``, or with "first" the first HR image some run super-resolved."""
    stems = sorted(p.stem for p in Path(test_dir).glob("*.png"))
    if not stems:
        raise InputError(f"no PNG test images in {test_dir}")
    if image != "first":
        name = Path(image).stem
        if name not in stems:
            raise InputError(f"test image {name!r} not in {test_dir} (have: {', '.join(stems)})")
        return name
    for stem in stems:
        if any((Path(runs_dir) / r / "sr" / f"{stem}.png").is_file() for r in runs["run"]):
            return stem
    return stems[0]


def detail_crop(hr: np.ndarray, crop: int) -> tuple[int, int]:
    """Top-left (x, y) of the ``crop`` square with the most gradient energy (stride crop/4)."""
    h, w = hr.shape[:2]
    crop = min(crop, h, w)
    g = hr.astype(float).mean(axis=2)
    energy = np.zeros_like(g)
    energy[:, 1:] += np.abs(np.diff(g, axis=1))
    energy[1:, :] += np.abs(np.diff(g, axis=0))
    integral = np.pad(energy.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    step = max(1, crop // 4)
    best, best_xy = -1.0, (0, 0)
    for y in range(0, h - crop + 1, step):
        for x in range(0, w - crop + 1, step):
            e = (integral[y + crop, x + crop] - integral[y, x + crop]
                 - integral[y + crop, x] + integral[y, x])
            if e > best:
                best, best_xy = e, (x, y)
    return best_xy


def bicubic(hr: np.ndarray, scale: int) -> np.ndarray:
    """Bicubic downsampling by ``scale`` then bicubic upsampling back to the HR size (PIL)."""
    h, w = hr.shape[:2]
    im = Image.fromarray(hr)
    small = im.resize((max(1, w // scale), max(1, h // scale)), Image.Resampling.BICUBIC)
    return np.asarray(small.resize((w, h), Image.Resampling.BICUBIC))


def _cut(img: np.ndarray, x: int, y: int, crop: int) -> np.ndarray:
    return img[y:y + crop, x:x + crop]


def _show(ax, img, title) -> None:
    ax.imshow(img, interpolation="nearest")
    ax.set_title(title, fontsize=style.FONT_SIZE - 1, pad=2)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for sp in ax.spines.values():
        sp.set_linewidth(0.4)


def make_figure(runs_dir, test_dir, evaluation: pd.DataFrame, image: str = "first", crop: int = 48,
                crop_xy=None, scale: int = 4, bicubic_dir=None):
    """Build the grid; returns the matplotlib figure."""
    style.apply()
    runs = run_table(evaluation)
    name = pick_image(runs_dir, test_dir, runs, image)
    hr = read_rgb(Path(test_dir) / f"{name}.png")
    crop = int(min(crop, *hr.shape[:2]))
    x, y = detail_crop(hr, crop) if crop_xy is None else (int(crop_xy[0]), int(crop_xy[1]))
    x = int(np.clip(x, 0, hr.shape[1] - crop))
    y = int(np.clip(y, 0, hr.shape[0] - crop))
    columns = setting_columns(runs)
    losses = sorted(runs["fidelity"].astype(str).unique())
    ncols = max(2, len(columns))
    # rows: reference, a spacer that holds the two-line column titles, one per loss
    label_w, spacer = 1.0, 0.32
    heights = [1.0, spacer] + [1.0] * len(losses)
    fig = plt.figure(figsize=(CELL * (ncols + label_w), CELL * sum(heights) + 0.25))
    gs = fig.add_gridspec(len(heights), ncols + 1, width_ratios=[label_w] + [1] * ncols,
                          height_ratios=heights, wspace=0.06, hspace=0.1,
                          left=0.01, right=0.99, bottom=0.01, top=1 - 0.22 / (CELL * sum(heights) + 0.25))
    # reference row: the whole HR image with the crop marked (in the label column),
    # then the HR crop and its bicubic reconstruction
    ax = fig.add_subplot(gs[0, 0])
    _show(ax, hr, f"{name} (HR)")
    ax.add_patch(Rectangle((x - 0.5, y - 0.5), crop, crop, fill=False, ec="#d62728", lw=1.0))
    _show(fig.add_subplot(gs[0, 1]), _cut(hr, x, y, crop), "HR crop")
    evaluated = Path(bicubic_dir) / f"{name}.png" if bicubic_dir else None
    if evaluated is not None and evaluated.is_file():
        _show(fig.add_subplot(gs[0, 2]), _cut(read_rgb(evaluated), x, y, crop), f"bicubic x{scale}\n(baseline)")
    else:
        _show(fig.add_subplot(gs[0, 2]), _cut(bicubic(hr, scale), x, y, crop), f"bicubic x{scale}")
    for i, loss in enumerate(losses):
        row = 2 + i
        lab = fig.add_subplot(gs[row, 0])
        lab.axis("off")
        lab.text(0.95, 0.5, loss, ha="right", va="center", fontsize=style.FONT_SIZE - 1,
                 transform=lab.transAxes)
        for j, (setting, title) in enumerate(columns):
            ax = fig.add_subplot(gs[row, j + 1])
            cand = runs[(runs["fidelity"].astype(str) == loss) & (runs["setting"] == setting)]
            cand = cand.sort_values("seed")
            path = next((Path(runs_dir) / r / "sr" / f"{name}.png" for r in cand["run"]
                         if (Path(runs_dir) / r / "sr" / f"{name}.png").is_file()), None)
            head = title if i == 0 else ""
            if path is None:
                _show(ax, np.full((crop, crop, 3), 235, dtype=np.uint8), head)
                ax.text(0.5, 0.5, "no output" if len(cand) else "not trained", ha="center",
                        va="center", transform=ax.transAxes, fontsize=style.FONT_SIZE - 2, color="0.4")
                continue
            _show(ax, _cut(read_rgb(path), x, y, crop), head)
    return fig


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m asym.report.figures.sr_grid",
                                description="Crops of SR outputs per fidelity loss and GAN setting.")
    p.add_argument("--runs-dir", required=True, help="results/optimize/runs")
    p.add_argument("--test-dir", required=True, help="HR test images (PNG), e.g. data/demo/sr/test")
    p.add_argument("--evaluation", required=True, help="results/optimize/evaluation.csv (lists the runs)")
    p.add_argument("--image", default="first", help="test image stem, or 'first'")
    p.add_argument("--crop", type=int, default=48, help="crop side in HR pixels")
    p.add_argument("--crop-xy", type=int, nargs=2, default=None, metavar=("X", "Y"),
                   help="top-left corner of the crop (default: the most detailed region)")
    p.add_argument("--scale-factor", type=int, default=4, help="SR scale, for the bicubic baseline")
    p.add_argument("--bicubic-dir", default=None,
                   help="the evaluated bicubic baseline's images (results/optimize/bicubic/sr)")
    p.add_argument("--out", required=True, help="PNG to write (a PDF is written beside it)")
    return p


def _build(args):
    evaluation = style.read_table(args.evaluation)
    return make_figure(args.runs_dir, args.test_dir, evaluation, args.image, args.crop, args.crop_xy,
                       args.scale_factor, args.bicubic_dir)


def main(argv=None) -> int:
    return style.run_cli(argv, build_parser(), _build)


if __name__ == "__main__":
    import asym.errors

    asym.errors.run(main)
