"""Figure: optimization quality against the GAN weight, per discriminator and fidelity loss.

Command::

    python -m asym.report.figures.gan_sweep --evaluation results/optimize/evaluation.csv \\
        --out report/build/figures/gan_sweep.png

One panel per fidelity loss; x = GAN weight (the weights that were trained,
evenly spaced and labelled, so a log-spaced sweep reads well and a single
weight still makes a panel); y = mean normalized evaluator quality (higher is
better) with 95 % hierarchical bootstrap CIs over training runs, then test images
(:func:`asym.analysis.summaries.gan_sweep_summary`); one colour per discriminator,
lines join the weights of a discriminator. The same loss without GAN is the
dashed grey line with its CI as a band. Writes the PNG and a PDF beside it.
"""

from __future__ import annotations

import argparse
import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from asym.analysis.summaries import gan_sweep_summary
from asym.report.figures import style

MAX_COLS = 4


def make_figure(summary: pd.DataFrame):
    """Build the sweep panels from :func:`asym.analysis.summaries.gan_sweep_summary`."""
    style.apply()
    losses = sorted(summary["fidelity"].astype(str).unique()) or ["(no runs)"]
    gan = summary[summary["discriminator"] != "none"]
    weights = sorted(gan["gan_weight"].unique())
    discs = sorted(gan["discriminator"].unique())
    colors = style.palette(discs)
    ncols = min(len(losses), MAX_COLS)
    nrows = math.ceil(len(losses) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(style.FULL_WIDTH, 0.4 + 1.75 * nrows),
                             sharey=True, squeeze=False)
    xpos = {w: k for k, w in enumerate(weights)}
    n_d = max(len(discs), 1)
    dodge = 0.08 if n_d > 1 else 0.0
    for ax, loss in zip(axes.flat, losses):
        part = summary[summary["fidelity"].astype(str) == loss]
        ax.set_title(loss)
        base = part[part["discriminator"] == "none"]
        lo_x, hi_x = -0.5, max(len(weights) - 0.5, 0.5)
        if len(base):
            b = base.iloc[0]
            ax.axhspan(b["ci_low"], b["ci_high"], color="0.85", lw=0, zorder=0)
            ax.axhline(b["mean"], color="0.45", ls="--", lw=0.9, zorder=1)
        g = part[part["discriminator"] != "none"]
        if g.empty and base.empty:
            style.empty_panel(ax, "no runs")
            continue
        for k, d in enumerate(discs):
            dp = g[g["discriminator"] == d].sort_values("gan_weight")
            if dp.empty:
                continue
            x = dp["gan_weight"].map(xpos).to_numpy(float) + (k - (n_d - 1) / 2) * dodge
            y = dp["mean"].to_numpy(float)
            err = np.vstack([y - dp["ci_low"].to_numpy(float), dp["ci_high"].to_numpy(float) - y])
            ax.errorbar(x, y, yerr=np.clip(err, 0, None), color=colors[d], marker="s", ms=3.5,
                        lw=1.0, elinewidth=0.7, capsize=1.5)
        ax.set_xlim(lo_x, hi_x)
        ax.set_xticks(range(len(weights)), [f"{w:g}" for w in weights])
        ax.grid(axis="x", visible=False)
    for ax in list(axes.flat)[len(losses):]:
        ax.set_visible(False)
    for ax in axes[-1, :]:
        ax.set_xlabel("GAN weight")
    for ax in axes[:, 0]:
        ax.set_ylabel("quality (z-score)")
    handles = [Line2D([], [], color=colors[d], marker="s", ms=3.5, label=d) for d in discs]
    handles.append(Line2D([], [], color="0.45", ls="--", label="without GAN (band: 95 % CI)"))
    fig.tight_layout()
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0),
               ncol=min(len(handles), 4), frameon=False, title="discriminator")
    return fig


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m asym.report.figures.gan_sweep",
                                description="Quality vs GAN weight per discriminator and loss.")
    p.add_argument("--evaluation", required=True, help="results/optimize/evaluation.csv")
    p.add_argument("--out", required=True, help="PNG to write (a PDF is written beside it)")
    p.add_argument("--n-boot", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    return p


def _build(args):
    return make_figure(gan_sweep_summary(style.read_table(args.evaluation), args.n_boot, args.seed))


def main(argv=None) -> int:
    return style.run_cli(argv, build_parser(), _build)


if __name__ == "__main__":
    import asym.errors

    asym.errors.run(main)
