"""Figure: the asymmetry between assessment and optimization (claims C1, C2).

Command::

    python -m asym.report.figures.asymmetry --ranks results/analysis/ranks.csv \\
        --out report/build/figures/asymmetry.png

Everything plotted comes from ranks.csv, the table C1/C2 test (:func:`figure_data`):
x = each fidelity metric's assessment SRCC (mean over IQA sets); y = the mean quality of
the training runs with it as loss, with the 95 % hierarchical-bootstrap CI (runs, then
test images) of :func:`asym.analysis.c1_c2.rank_table`. One panel without and one with the adversarial loss,
sharing both axes, so a metric's move between panels is the GAN's effect.
Writes the PNG and a PDF beside it.
"""

from __future__ import annotations

import argparse

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from asym.analysis.summaries import quality_ci  # ranks.csv's numbers, as the report's optimization table
from asym.report.figures import style

# candidate label offsets (points) around a marker: close ones first, then a
# farther ring drawn with a thin leader line
_NEAR = [((4, 2), "left", "bottom"), ((4, -2), "left", "top"),
         ((-4, 2), "right", "bottom"), ((-4, -2), "right", "top"),
         ((0, 5), "center", "bottom"), ((0, -5), "center", "top")]
_FAR = [((14, 10), "left", "bottom"), ((14, -10), "left", "top"),
        ((-14, 10), "right", "bottom"), ((-14, -10), "right", "top"),
        ((0, 16), "center", "bottom"), ((0, -16), "center", "top"),
        ((18, 0), "left", "center"), ((-18, 0), "right", "center")]


def place_labels(ax, xs, ys, names, color, spans=None) -> None:
    """Annotate points, choosing offsets so labels avoid each other, markers and error bars.

    ``spans`` optionally gives each point's vertical error bar as (low, high) in
    data units; labels crossing a bar are hard to read, so bars are obstacles too.

    Greedy, top to bottom: the first candidate offset whose text box overlaps no
    earlier label or marker and stays inside the axes wins; if none is free, the
    least-overlapping one is used. Far offsets get a leader line to their point.
    """
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    pad = 4  # pixels around each marker kept free
    taken = []  # display-space boxes of placed labels and of markers
    for x, y in zip(xs, ys):
        px, py = ax.transData.transform((x, y))
        taken.append((px - pad, py - pad, px + pad, py + pad))
    for x, (lo, hi) in zip(xs, spans if spans is not None else []):
        if np.isfinite(lo) and np.isfinite(hi):
            px, plo = ax.transData.transform((x, lo))
            _, phi = ax.transData.transform((x, hi))
            taken.append((px - 1.5, min(plo, phi), px + 1.5, max(plo, phi)))
    order = np.argsort(-np.asarray(ys, dtype=float), kind="stable")
    for k in order:
        best, best_cost = None, np.inf
        for offset, ha, va in _NEAR + _FAR:
            far = (offset, ha, va) in _FAR
            t = ax.annotate(names[k], (xs[k], ys[k]), xytext=offset, textcoords="offset points",
                            ha=ha, va=va, fontsize=style.FONT_SIZE - 2, color=color,
                            arrowprops={"arrowstyle": "-", "color": color, "lw": 0.4,
                                        "shrinkA": 0, "shrinkB": 3} if far else None)
            bb = t.get_window_extent(renderer)
            box = (bb.x0, bb.y0, bb.x1, bb.y1)
            cost = sum(_overlap(box, b) for b in taken)
            if not (frame.contains(bb.x0, bb.y0) and frame.contains(bb.x1, bb.y1)):
                cost += 1e6  # labels outside the axes would be clipped or collide
            if cost < best_cost:
                if best is not None:
                    best[0].remove()
                best, best_cost = (t, box), cost
            else:
                t.remove()
            if cost == 0:
                break
        taken.append(best[1])


def _overlap(a, b) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(w, 0) * max(h, 0)


def _tau(x, y) -> float:
    from scipy.stats import kendalltau

    if len(x) < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(kendalltau(x, y).statistic)


def figure_data(ranks: pd.DataFrame) -> pd.DataFrame:
    """The plotted points: ranks.csv with its CI columns as ``ci_low``/``ci_high`` (no other source)."""
    r = ranks.copy()
    r["adversarial"] = r["adversarial"].astype(str).str.lower().eq("true")
    cis = quality_ci(ranks)[["metric", "adversarial", "ci_low", "ci_high"]]
    return r.merge(cis, on=["metric", "adversarial"], how="left")


def make_figure(ranks: pd.DataFrame):
    """Build the two-panel scatter from ranks.csv; returns the matplotlib figure."""
    style.apply()
    fig, axes = plt.subplots(1, 2, figsize=(style.FULL_WIDTH, 2.8), sharex=True, sharey=True)
    merged = figure_data(ranks)
    # pad the shared axes so labels at the extremes stay inside
    if len(merged):
        lo = np.nanmin(np.r_[merged["optimization_quality"], merged["ci_low"]])
        hi = np.nanmax(np.r_[merged["optimization_quality"], merged["ci_high"]])
        xlo, xhi = merged["assessment_srcc"].min(), merged["assessment_srcc"].max()
        xpad = max(0.15 * (xhi - xlo), 0.02)
        ypad = max(0.12 * (hi - lo), 0.02)
        axes[0].set_xlim(xlo - xpad, xhi + xpad)
        axes[0].set_ylim(lo - ypad, hi + ypad)
    for ax, flag in zip(axes, (False, True)):
        st = style.ADVERSARIAL_STYLE[flag]
        part = merged[merged["adversarial"] == flag].sort_values("assessment_srcc")
        if part.empty:
            ax.text(0.5, 0.5, f"no runs {st['label']}", ha="center", va="center",
                    transform=ax.transAxes, color="0.4")
            ax.set_title(st["label"])
            continue
        y = part["optimization_quality"].to_numpy(dtype=float)
        yerr = np.vstack([y - part["ci_low"].to_numpy(dtype=float),
                          part["ci_high"].to_numpy(dtype=float) - y])
        yerr = np.where(np.isfinite(yerr), np.clip(yerr, 0, None), 0)
        ax.errorbar(part["assessment_srcc"], y, yerr=yerr, fmt=st["marker"], color=st["color"],
                    ms=4, elinewidth=0.7, capsize=1.5, label=st["label"])
        tau = _tau(part["assessment_srcc"].to_numpy(), y)
        ax.set_title(f"{st['label']}: Kendall $\\tau$ = {tau:.2f} (n = {len(part)})")
    axes[0].set_ylabel("optimization quality\n(evaluator z-score, higher = better)")
    for ax in axes:
        ax.set_xlabel("assessment SRCC (mean over IQA sets)")
    # lay out first: labels are placed in display space, which layout would move
    fig.tight_layout()
    for ax, flag in zip(axes, (False, True)):
        part = merged[merged["adversarial"] == flag]
        if not part.empty:
            place_labels(ax, part["assessment_srcc"].to_numpy(dtype=float),
                         part["optimization_quality"].to_numpy(dtype=float),
                         list(part["metric"]), style.ADVERSARIAL_STYLE[flag]["color"],
                         spans=list(zip(part["ci_low"].to_numpy(dtype=float),
                                        part["ci_high"].to_numpy(dtype=float))))
    return fig


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m asym.report.figures.asymmetry",
                                description="Assessment SRCC vs optimization quality scatter.")
    p.add_argument("--ranks", required=True, help="results/analysis/ranks.csv")
    p.add_argument("--out", required=True, help="PNG to write (a PDF is written beside it)")
    return p


def main(argv=None) -> int:
    return style.run_cli(argv, build_parser(), lambda a: make_figure(style.read_table(a.ranks)))


if __name__ == "__main__":
    import asym.errors

    asym.errors.run(main)
