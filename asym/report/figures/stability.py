"""Figure: adversarial training dynamics (the stability part of claim C4).

Command::

    python -m asym.report.figures.stability \\
        --logs results/optimize/runs/*/train_log.csv \\
        --out report/build/figures/stability.png

Runs with a GAN term only, grouped by adversarial setting (the middle part of
the run name, e.g. "patchgan-w0.05"), one colour each. Left: discriminator
accuracy on real (solid) and generated (dashed) patches; a discriminator that
wins everything sits at 1/1, one that oscillates swings between 0 and 1.
Middle and right: gradient norms of discriminator and generator (log axis).
Each curve is the median over the runs of a setting (all losses and seeds),
smoothed like the training figure, with the interquartile range over runs as a
band (with 3 or more runs). Writes the PNG and a
PDF beside it.
"""

from __future__ import annotations

import argparse

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from asym.report.figures import style
from asym.report.figures.runlogs import load_logs, minor_label, smooth

PANELS = [
    ("discriminator accuracy", [("d_real_acc", "-", "real"), ("d_fake_acc", "--", "generated")], False),
    ("discriminator gradient norm", [("grad_norm_d", "-", None)], True),
    ("generator gradient norm", [("grad_norm_g", "-", None)], True),
]


def make_figure(logs: pd.DataFrame):
    """Build the three panels; returns the matplotlib figure."""
    style.apply()
    fig, axes = plt.subplots(1, 3, figsize=(style.FULL_WIDTH, 2.3))
    gan = logs[logs["adversarial"]] if "adversarial" in logs else logs.iloc[:0]
    if gan.empty:
        for ax, (title, _, _) in zip(axes, PANELS):
            ax.set_title(title)
            style.empty_panel(ax, "no runs with GAN")
        fig.tight_layout()
        return fig
    settings = sorted(gan["setting"].astype(str).unique())
    colors = style.palette(settings)
    for ax, (title, series, logy) in zip(axes, PANELS):
        drawn = False
        for setting in settings:
            part = gan[gan["setting"].astype(str) == setting]
            for col, ls, _ in series:
                if col not in part:
                    continue
                wide = part.pivot_table(index="step", columns="run", values=col, aggfunc="mean")
                wide = wide.apply(pd.to_numeric, errors="coerce").apply(smooth)
                if not np.isfinite(wide.to_numpy(dtype=float)).any():
                    continue
                steps = wide.index.to_numpy(float)
                ax.plot(steps, wide.median(axis=1), color=colors[setting], ls=ls, lw=1.0)
                if wide.shape[1] > 2:  # interquartile band: min-max would only show outliers
                    ax.fill_between(steps, wide.quantile(0.25, axis=1), wide.quantile(0.75, axis=1),
                                    color=colors[setting], alpha=0.15, lw=0)
                drawn = True
        ax.set_title(title)
        ax.set_xlabel("step")
        if not drawn:
            style.empty_panel(ax, "not logged")
            continue
        if logy:
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            ax.yaxis.set_minor_formatter(FuncFormatter(minor_label))
    axes[0].set_ylim(-0.03, 1.03)
    axes[0].set_ylabel("fraction correct")
    axes[1].set_ylabel("L2 norm")
    handles = [Line2D([], [], color=colors[s], label=s) for s in settings]
    handles += [Line2D([], [], color="0.3", ls=ls, label=f"accuracy on {lab}")
                for _, ls, lab in PANELS[0][1]]
    fig.tight_layout()
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), frameon=False,
               ncol=min(len(handles), 4))
    return fig


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m asym.report.figures.stability",
                                description="Discriminator accuracy and gradient norms of GAN runs.")
    p.add_argument("--logs", nargs="+", required=True,
                   help="train_log.csv files; the run name is each file's folder")
    p.add_argument("--out", required=True, help="PNG to write (a PDF is written beside it)")
    return p


def main(argv=None) -> int:
    return style.run_cli(argv, build_parser(), lambda a: make_figure(load_logs(a.logs)))


if __name__ == "__main__":
    import asym.errors

    asym.errors.run(main)
