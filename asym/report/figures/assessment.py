"""Figure: assessment ranking of the fidelity metrics (SRCC with MOS, per IQA set).

Command::

    python -m asym.report.figures.assessment --correlations results/assess/correlations.csv \\
        --out report/build/figures/assessment.png

Horizontal bars of SRCC (quality direction, so higher = better) with 95 %
bootstrap CIs that resample reference images, one panel per IQA dataset. Metrics
are sorted by their mean SRCC over datasets (best on top) and keep that order in
every panel, so panels can be compared row by row. Bar colour = metric family.
Writes the PNG and a PDF beside it.
"""

from __future__ import annotations

import argparse
import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from asym.report.figures import style

MAX_COLS = 3


def metric_order(corr: pd.DataFrame) -> list:
    """Metrics sorted by mean SRCC over datasets, worst first (barh draws bottom-up)."""
    return list(corr.groupby("metric")["srcc"].mean().sort_values(kind="stable").index)


def family_colors(families) -> dict:
    fams = sorted({str(f) for f in families})
    palette = plt.get_cmap("tab10").colors
    return {f: palette[k % len(palette)] for k, f in enumerate(fams)}


def make_figure(corr: pd.DataFrame):
    """Build one bar panel per dataset; returns the matplotlib figure."""
    style.apply()
    corr = corr.copy()
    corr["family"] = corr["family"].fillna("").astype(str).replace("", "unspecified")
    datasets = sorted(corr["dataset"].unique()) or ["(no data)"]
    order = metric_order(corr)
    colors = family_colors(corr["family"])
    ncols = min(len(datasets), MAX_COLS)
    nrows = math.ceil(len(datasets) / ncols)
    width = style.COLUMN_WIDTH if ncols == 1 else style.FULL_WIDTH
    height = nrows * (0.5 + 0.17 * max(len(order), 1)) + 0.4
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), sharey=True, squeeze=False)
    lo = min(0.0, np.nanmin(corr["srcc_ci_low"].to_numpy(dtype=float), initial=0.0))
    pos = {m: k for k, m in enumerate(order)}
    for ax, ds in zip(axes.flat, datasets):
        part = corr[corr["dataset"] == ds]
        y = part["metric"].map(pos).to_numpy()
        x = part["srcc"].to_numpy(dtype=float)
        err = np.vstack([x - part["srcc_ci_low"].to_numpy(dtype=float),
                         part["srcc_ci_high"].to_numpy(dtype=float) - x])
        err = np.where(np.isfinite(err), np.clip(err, 0, None), 0)
        ax.barh(y, x, color=[colors[f] for f in part["family"]], height=0.7,
                xerr=err, error_kw={"elinewidth": 0.7, "capsize": 1.5, "ecolor": "0.2"})
        n = part["n"].max() if len(part) else 0
        ax.set_title(f"{ds} (n = {n} images)")
        ax.set_xlim(lo - 0.02, 1.0)
        ax.axvline(0, color="0.3", lw=0.6)
        ax.set_xlabel("SRCC with quality labels (MOS)")
        ax.grid(axis="y", visible=False)
    for ax in list(axes.flat)[len(datasets):]:
        ax.set_visible(False)
    axes[0, 0].set_yticks(range(len(order)), order)
    axes[0, 0].set_ylim(-0.6, len(order) - 0.4)
    handles = [Patch(color=c, label=f) for f, c in colors.items()]
    fig.tight_layout()
    if handles:
        fig.legend(handles=handles, title="family", loc="upper center", ncol=min(len(handles), 4),
                   bbox_to_anchor=(0.5, 0.0), frameon=False)
    return fig


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m asym.report.figures.assessment",
                                description="SRCC bars with bootstrap CIs per IQA dataset.")
    p.add_argument("--correlations", required=True, help="results/assess/correlations.csv")
    p.add_argument("--out", required=True, help="PNG to write (a PDF is written beside it)")
    return p


def main(argv=None) -> int:
    return style.run_cli(argv, build_parser(), lambda a: make_figure(style.read_table(a.correlations)))


if __name__ == "__main__":
    import asym.errors

    asym.errors.run(main)
