"""Figure: rank-to-rank slope chart of the fidelity metrics (claims C1, C2).

Command::

    python -m asym.report.figures.slope --ranks results/analysis/ranks.csv \\
        --out report/build/figures/slope.png

Per panel (without / with the adversarial loss) each metric is a line from its
assessment rank (left, SRCC mean over IQA sets) to its optimization rank
(right, mean normalized evaluator quality); rank 1 = best, on top. Parallel
lines mean the two rankings agree; crossings are the misalignment C1 measures,
and more crossings with GAN is C2. A metric keeps its colour in both panels.
Writes the PNG and a PDF beside it.
"""

from __future__ import annotations

import argparse

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from asym.report.figures import style


def _tau(x, y) -> float:
    from scipy.stats import kendalltau

    if len(x) < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(kendalltau(x, y).statistic)


def _label_positions(ranks: pd.Series, min_gap: float = 0.62) -> dict:
    """Label heights per metric: its rank, spread apart (centred) where ranks tie.

    Labels closer than ``min_gap`` (rank units) form a cluster laid out at that
    spacing around the cluster's mean rank; clusters merge until none overlap.
    """
    clusters = []  # [members, ranks]
    for metric, r in ranks.sort_values(kind="stable").items():
        clusters.append([[metric], [float(r)]])
        while len(clusters) > 1:
            (pm, pr), (lm, lr) = clusters[-2], clusters[-1]
            prev_bottom = np.mean(pr) + (len(pm) - 1) / 2 * min_gap
            last_top = np.mean(lr) - (len(lm) - 1) / 2 * min_gap
            if last_top - prev_bottom >= min_gap - 1e-9:
                break
            clusters[-2:] = [[pm + lm, pr + lr]]
    pos = {}
    for members, rs in clusters:
        top = np.mean(rs) - (len(members) - 1) / 2 * min_gap
        for k, m in enumerate(members):
            pos[m] = top + k * min_gap
    return pos


def make_figure(ranks: pd.DataFrame):
    """Build the two-panel slope chart; returns the matplotlib figure."""
    style.apply()
    ranks = ranks.copy()
    ranks["adversarial"] = ranks["adversarial"].astype(str).str.lower().eq("true")
    n_max = int(ranks.groupby("adversarial")["metric"].nunique().max()) if len(ranks) else 1
    height = max(2.2, 0.5 + 0.26 * n_max)
    fig, axes = plt.subplots(1, 2, figsize=(style.FULL_WIDTH, height), sharey=True)
    colors = style.palette(ranks["metric"])
    for ax, flag in zip(axes, (False, True)):
        st = style.ADVERSARIAL_STYLE[flag]
        part = ranks[ranks["adversarial"] == flag]
        ax.set_title(st["label"])
        if part.empty:
            style.empty_panel(ax, f"no runs {st['label']}")
            continue
        part = part.set_index("metric")
        left = _label_positions(part["assessment_rank"])
        right = _label_positions(part["optimization_rank"])
        for m, r in part.iterrows():
            c = colors[m]
            a, o = float(r["assessment_rank"]), float(r["optimization_rank"])
            ax.plot([0, 1], [a, o], color=c, lw=1.4, marker="o", ms=3.5, solid_capstyle="round")
            ax.text(-0.05, left[m], m, ha="right", va="center", color=c, fontsize=style.FONT_SIZE - 1)
            ax.text(1.05, right[m], m, ha="left", va="center", color=c, fontsize=style.FONT_SIZE - 1)
        tau = _tau(part["assessment_srcc"].to_numpy(float), part["optimization_quality"].to_numpy(float))
        ax.set_title(f"{st['label']}: Kendall $\\tau$ = {tau:.2f} (n = {len(part)})")
        ax.set_xticks([0, 1], ["assessment\nrank", "optimization\nrank"])
        ax.set_xlim(-0.75, 1.75)
        ax.grid(axis="x", visible=False)
        ax.tick_params(axis="y", length=0)
        for side in ("top", "right", "bottom"):
            ax.spines[side].set_visible(False)
    axes[0].set_ylim(n_max + 0.6, 0.4)  # rank 1 on top
    axes[0].set_yticks(range(1, n_max + 1))
    axes[0].set_ylabel("rank (1 = best)")
    fig.tight_layout()
    return fig


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m asym.report.figures.slope",
                                description="Assessment rank vs optimization rank per metric.")
    p.add_argument("--ranks", required=True, help="results/analysis/ranks.csv")
    p.add_argument("--out", required=True, help="PNG to write (a PDF is written beside it)")
    return p


def main(argv=None) -> int:
    return style.run_cli(argv, build_parser(), lambda a: make_figure(style.read_table(a.ranks)))


if __name__ == "__main__":
    import asym.errors

    asym.errors.run(main)
