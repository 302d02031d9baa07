"""Figure: training curves of the super-resolution runs.

Command::

    python -m asym.report.figures.training \\
        --logs results/optimize/runs/*/train_log.csv \\
        --out report/build/figures/training.png

Left: fidelity loss against step, one line per run, colour = fidelity loss,
line style = without (solid) / with (dashed) the adversarial loss. Losses of
different metrics live on different scales, so each curve is divided by its
first logged value (log axis) when all of them are positive. Right (only if
some run has a GAN): discriminator loss against step. What each run was (loss,
setting, adversarial) comes from the run.json beside its log
(:func:`asym.report.figures.runlogs.load_logs`). Writes the PNG and a PDF beside it.
"""

from __future__ import annotations

import argparse

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from asym.report.figures import style
from asym.report.figures.runlogs import load_logs, minor_label, smooth


def make_figure(logs: pd.DataFrame):
    """Build the training-curve figure; returns the matplotlib figure."""
    style.apply()
    logs = logs.sort_values(["run", "step"])
    has_gan = bool(logs["adversarial"].any()) and "loss_d" in logs
    ncols = 2 if has_gan else 1
    width = style.FULL_WIDTH if has_gan else style.COLUMN_WIDTH
    fig, axes = plt.subplots(1, ncols, figsize=(width, 2.5), squeeze=False)
    axes = axes[0]
    fids = sorted(logs["fidelity"].unique())
    palette = plt.get_cmap("tab10").colors
    color = {f: palette[k % len(palette)] for k, f in enumerate(fids)}
    firsts = logs.groupby("run")["loss_fidelity"].first()
    relative = bool((firsts > 0).all())
    for run, part in logs.groupby("run", sort=True):
        adv = bool(part["adversarial"].iloc[0])
        st = style.ADVERSARIAL_STYLE[adv]
        y = part["loss_fidelity"].astype(float)
        if relative:
            y = y / y.iloc[0]
        axes[0].plot(part["step"], smooth(y), color=color[part["fidelity"].iloc[0]],
                     ls=st["linestyle"], lw=0.9, alpha=0.85)
        if has_gan and adv:
            d = pd.to_numeric(part["loss_d"], errors="coerce")
            # every curve here is adversarial: solid lines read better than dashes
            axes[1].plot(part["step"], smooth(d), color=color[part["fidelity"].iloc[0]],
                         lw=0.9, alpha=0.85)
    axes[0].set_xlabel("step")
    if relative:
        axes[0].set_yscale("log")
        # plain decimals instead of 6x10^-1 style ticks; minor labels only at 2, 3, 5
        # so that several decades do not crowd the axis
        axes[0].yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        axes[0].yaxis.set_minor_formatter(FuncFormatter(minor_label))
        axes[0].set_ylabel("fidelity loss / first value")
    else:
        axes[0].set_ylabel("fidelity loss")
    axes[0].set_title("generator: fidelity loss")
    if has_gan:
        axes[1].set_xlabel("step")
        axes[1].set_ylabel("discriminator loss")
        axes[1].set_title("discriminator loss (runs with GAN)")
    handles = [Line2D([], [], color=color[f], label=f) for f in fids]
    handles += [Line2D([], [], color="0.3", ls=style.ADVERSARIAL_STYLE[a]["linestyle"],
                       label=style.ADVERSARIAL_STYLE[a]["label"])
                for a in (False, True) if (logs["adversarial"] == a).any()]
    fig.tight_layout()
    # legend outside the axes: curves fill the panels
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0),
               ncol=min(len(handles), 5 if has_gan else 3), frameon=False)
    return fig


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m asym.report.figures.training",
                                description="Fidelity and discriminator loss curves per run.")
    p.add_argument("--logs", nargs="+", required=True,
                   help="train_log.csv files; the run name is each file's folder")
    p.add_argument("--out", required=True, help="PNG to write (a PDF is written beside it)")
    return p


def main(argv=None) -> int:
    return style.run_cli(argv, build_parser(), lambda a: make_figure(load_logs(a.logs)))


if __name__ == "__main__":
    import asym.errors

    asym.errors.run(main)
