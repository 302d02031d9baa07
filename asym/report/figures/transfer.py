"""Figure: transfer results, SRCC per backbone and initialization (claims C3, C5).

Command::

    python -m asym.report.figures.transfer --transfer results/transfer/correlations.csv \\
        --out report/build/figures/transfer.png

One panel per IQA set; grouped bars: x = backbone (convolutional ones first,
then Transformers, split by a thin line), one bar per initialization (random,
discriminator weights, a published checkpoint, in that order where present) with 95 % CI
error bars. Values are means over seeds (:func:`asym.analysis.summaries.transfer_summary`);
with several seeds the single seeds are dots on the bars.
Writes the PNG and a PDF beside it.
"""

from __future__ import annotations

import argparse
import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from asym.analysis.c3 import init_kind
from asym.analysis.c5 import is_transformer
from asym.analysis.summaries import backbone_order, init_order, transfer_summary
from asym.io import InputError
from asym.report.figures import style

MAX_COLS = 3
INIT_COLORS = {"random": "#9e9e9e", "discriminator": "#d62728", "pretrained": "#1f77b4"}


def make_figure(transfer: pd.DataFrame):
    """Build the grouped-bar panels; returns the matplotlib figure."""
    style.apply()
    summary = transfer_summary(transfer)
    datasets = sorted(summary["dataset"].astype(str).unique()) or ["(no data)"]
    backbones = backbone_order(summary["backbone"])
    inits = init_order(summary["init"])
    extra = [i for i in inits if init_kind(i) not in INIT_COLORS]
    colors = {i: INIT_COLORS.get(init_kind(i)) for i in inits}
    colors.update(style.palette(extra) if extra else {})
    ncols = min(len(datasets), MAX_COLS)
    nrows = math.ceil(len(datasets) / ncols)
    width = style.COLUMN_WIDTH + 0.6 if ncols == 1 else style.FULL_WIDTH
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, 0.5 + 2.1 * nrows), sharey=True,
                             squeeze=False)
    bar_w = 0.8 / max(len(inits), 1)
    seeds = transfer.copy()
    seeds["srcc"] = pd.to_numeric(seeds["srcc"], errors="coerce")
    for ax, ds in zip(axes.flat, datasets):
        part = summary[summary["dataset"].astype(str) == ds]
        ax.set_title(ds)
        if part.empty:
            style.empty_panel(ax, "no results")
            continue
        for k, init in enumerate(inits):
            p = part[part["init"].astype(str) == init].set_index("backbone")
            xs = np.array([backbones.index(b) for b in p.index], dtype=float) + (k - (len(inits) - 1) / 2) * bar_w
            y = p["srcc"].to_numpy(float)
            err = np.vstack([y - p["ci_low"].to_numpy(float), p["ci_high"].to_numpy(float) - y])
            err = np.where(np.isfinite(err), np.clip(err, 0, None), 0)
            ax.bar(xs, y, width=bar_w * 0.95, color=colors[init], yerr=err,
                   error_kw={"elinewidth": 0.7, "capsize": 1.5, "ecolor": "0.2"})
            if p["seeds"].max() > 1:
                s = seeds[(seeds["dataset"].astype(str) == ds) & (seeds["init"].astype(str) == init)]
                sx = s["backbone"].map(lambda b: backbones.index(str(b))).to_numpy(float)
                sx = sx + (k - (len(inits) - 1) / 2) * bar_w
                ax.scatter(sx, s["srcc"], s=5, color="0.1", zorder=3, lw=0)
        n_conv = sum(not is_transformer(b) for b in backbones)
        if 0 < n_conv < len(backbones):
            ax.axvline(n_conv - 0.5, color="0.5", lw=0.6, ls=":")
        ax.set_xticks(range(len(backbones)), backbones, rotation=30, ha="right")
        ax.axhline(0, color="0.3", lw=0.6)
        ax.grid(axis="x", visible=False)
    for ax in list(axes.flat)[len(datasets):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("SRCC")
    lo = min(0.0, float(np.nanmin(summary["ci_low"].to_numpy(float), initial=0.0)))
    axes[0, 0].set_ylim(lo - 0.02, 1.0)
    handles = [Patch(color=colors[i], label=i) for i in inits]
    fig.tight_layout()
    fig.legend(handles=handles, title="initialization", loc="upper center", frameon=False,
               bbox_to_anchor=(0.5, 0.0), ncol=min(len(handles), 4))
    return fig


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m asym.report.figures.transfer",
                                description="SRCC per backbone and initialization, per IQA set.")
    p.add_argument("--transfer", required=True, help="results/transfer/correlations.csv")
    p.add_argument("--out", required=True, help="PNG to write (a PDF is written beside it)")
    return p


def read_transfer(path) -> pd.DataFrame:
    """results/transfer/correlations.csv, checked for the columns the figure needs."""
    transfer = style.read_table(path)
    missing = {"backbone", "init", "dataset", "srcc"} - set(transfer.columns)
    if missing:
        raise InputError(f"{path} lacks columns {sorted(missing)}")
    return transfer


def main(argv=None) -> int:
    return style.run_cli(argv, build_parser(), lambda a: make_figure(read_transfer(a.transfer)))


if __name__ == "__main__":
    import asym.errors

    asym.errors.run(main)
