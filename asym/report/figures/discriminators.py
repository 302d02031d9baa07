"""Figure: discriminator design comparison (claim C4).

Command::

    python -m asym.report.figures.discriminators --evaluation results/optimize/evaluation.csv \\
        --out report/build/figures/discriminators.png

One row per discriminator ("no GAN" on top for reference): the mean normalized
evaluator quality over every fidelity loss, GAN weight, seed and test-image
cell of that discriminator, with its 95 % bootstrap CI (large marker), and the
mean of each fidelity loss alone (small dots, one colour per loss). Marker
colour of the means = design group used by C4 (patch-level convolutional vs
image-level or Transformer, :func:`asym.analysis.c4.discriminator_group`). Numbers
from :func:`asym.analysis.summaries.discriminator_summary`. Writes the PNG and a PDF.
"""

from __future__ import annotations

import argparse

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from asym.analysis.c4 import design_groups, discriminator_group
from asym.analysis.summaries import discriminator_summary
from asym.report.figures import style

GROUP_STYLE = {
    "none": {"color": "0.45", "label": "no GAN"},
    "patch_conv": {"color": "#1f77b4", "label": "patch-level conv"},
    "image_or_transformer": {"color": "#ff7f0e", "label": "image-level / Transformer"},
}


def make_figure(overall: pd.DataFrame, per_loss: pd.DataFrame, groups: dict | None = None):
    """Build the dot-and-CI chart; returns the matplotlib figure. ``groups`` maps a design to its
    C4 group from the recorded traits (:func:`asym.analysis.c4.design_groups`); a design missing
    there is grouped by name."""
    style.apply()
    groups = groups or {}

    def group_of(d):
        return groups.get(d) or discriminator_group(d)

    discs = [d for d in overall["discriminator"] if d != "none"]
    order = (["none"] if (overall["discriminator"] == "none").any() else []) + sorted(discs)
    fig, ax = plt.subplots(figsize=(style.COLUMN_WIDTH + 1.2, 0.9 + 0.32 * max(len(order), 1)))
    if not order:
        style.empty_panel(ax, "no runs")
        return fig
    ypos = {d: k for k, d in enumerate(order)}
    losses = sorted(per_loss["fidelity"].astype(str).unique())
    loss_colors = style.palette(losses)
    jitter = np.linspace(-0.22, 0.22, max(len(losses), 1)) if len(losses) > 1 else np.zeros(1)
    for k, loss in enumerate(losses):
        part = per_loss[(per_loss["fidelity"].astype(str) == loss) & per_loss["discriminator"].isin(order)]
        ax.scatter(part["mean"], part["discriminator"].map(ypos) + jitter[k], s=9,
                   color=loss_colors[loss], alpha=0.8, lw=0, zorder=2)
    for r in overall.itertuples():
        if r.discriminator not in ypos:
            continue
        group = "none" if r.discriminator == "none" else group_of(r.discriminator)
        st = GROUP_STYLE[group]
        ax.errorbar(r.mean, ypos[r.discriminator],
                    xerr=[[max(r.mean - r.ci_low, 0)], [max(r.ci_high - r.mean, 0)]],
                    fmt="D", ms=5, color=st["color"], elinewidth=1.2, capsize=2.5, zorder=3)
    if "none" in ypos:
        base = overall[overall["discriminator"] == "none"].iloc[0]
        ax.axvline(base["mean"], color="0.6", ls=":", lw=0.8, zorder=1)
    ax.set_yticks(range(len(order)), ["no GAN" if d == "none" else d for d in order])
    ax.set_ylim(len(order) - 0.5, -0.5)
    ax.set_xlabel("optimization quality (evaluator z-score, higher = better)")
    ax.grid(axis="y", visible=False)
    shown = ["none"] * ("none" in ypos) + sorted({group_of(d) for d in discs})
    handles = [Line2D([], [], color=GROUP_STYLE[g]["color"], marker="D", ls="", ms=5,
                      label=GROUP_STYLE[g]["label"] + " (mean, 95 % CI)") for g in shown]
    handles += [Line2D([], [], color=loss_colors[l], marker="o", ls="", ms=3, label=l) for l in losses]
    fig.tight_layout()
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), frameon=False,
               ncol=2 if len(handles) > 3 else 1)
    return fig


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m asym.report.figures.discriminators",
                                description="Mean quality per discriminator with CIs.")
    p.add_argument("--evaluation", required=True, help="results/optimize/evaluation.csv")
    p.add_argument("--out", required=True, help="PNG to write (a PDF is written beside it)")
    p.add_argument("--n-boot", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    return p


def _build(args):
    evaluation = style.read_table(args.evaluation)
    overall, per_loss = discriminator_summary(evaluation, args.n_boot, args.seed)
    return make_figure(overall, per_loss, design_groups(evaluation))


def main(argv=None) -> int:
    return style.run_cli(argv, build_parser(), _build)


if __name__ == "__main__":
    import asym.errors

    asym.errors.run(main)
