"""One paper style for every figure, and an atomic PNG + PDF writer.

Usage in a figure module::

    from asym.report.figures import style
    style.apply()                       # before creating any figure
    fig, ax = plt.subplots(figsize=(style.COLUMN_WIDTH, 2.4))
    ...
    style.save(fig, "report/build/figures/name.png")   # also writes name.pdf
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import matplotlib

# headless backend before pyplot is imported anywhere: figures are built on
# machines without a display (CI, cluster nodes)
matplotlib.use("Agg", force=True)

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from asym.io import InputError, atomic_path

#: Widths of a two-column paper, inches.
COLUMN_WIDTH = 3.3
FULL_WIDTH = 6.9
FONT_SIZE = 8
DPI = 200

#: Colour/marker for runs without and with the adversarial loss (shared by all figures).
ADVERSARIAL_STYLE = {
    False: {"label": "without GAN", "color": "#1f77b4", "marker": "o", "linestyle": "-"},
    True: {"label": "with GAN", "color": "#d62728", "marker": "s", "linestyle": "--"},
}


def apply() -> None:
    """Set backend, seaborn "paper" context with white grid, and ~8 pt fonts."""
    matplotlib.use("Agg", force=True)
    sns.set_theme(context="paper", style="whitegrid")
    plt.rcParams.update({
        "font.size": FONT_SIZE,
        "axes.titlesize": FONT_SIZE,
        "axes.labelsize": FONT_SIZE,
        "xtick.labelsize": FONT_SIZE - 1,
        "ytick.labelsize": FONT_SIZE - 1,
        "legend.fontsize": FONT_SIZE - 1,
        "legend.title_fontsize": FONT_SIZE - 1,
        "figure.dpi": 100,
        "savefig.dpi": DPI,
        "savefig.bbox": "tight",
        "savefig.pad_inches": 0.02,
        "lines.linewidth": 1.0,
        "lines.markersize": 4,
        "axes.linewidth": 0.6,
        "grid.linewidth": 0.4,
        # embed TrueType fonts so text in the PDF stays text (editable, searchable)
        "pdf.fonttype": 42,
        "ps.fonttype": 42,
        # dates in file metadata would make every rebuild a different file
        "svg.hashsalt": "asym",
    })


def save(fig, out_png: str | os.PathLike) -> tuple[Path, Path]:
    """Write ``fig`` as PNG (200 dpi) and as a vector PDF with the same stem, atomically.

    Metadata dates are dropped so that identical figures give identical files.
    Returns the two paths. The figure is closed afterwards.
    """
    out_png = Path(out_png)
    if out_png.suffix.lower() != ".png":
        raise ValueError(f"output must end in .png, got {out_png}")
    out_pdf = out_png.with_suffix(".pdf")
    try:
        with atomic_path(out_png) as tmp:
            fig.savefig(tmp, format="png", dpi=DPI, metadata={"Software": None})
        with atomic_path(out_pdf) as tmp:
            fig.savefig(tmp, format="pdf", metadata={"CreationDate": None, "ModDate": None,
                                                     "Producer": None, "Creator": None})
    finally:
        plt.close(fig)
    return out_png, out_pdf


def run_cli(argv, parser, build) -> int:
    """Every figure module's ``main``: parse, ``build(args) -> Figure``, save PNG + PDF.

    Bad input (a missing or malformed table) raises :class:`InputError` inside
    ``build``; it is printed and the command exits with status 2.
    """
    args = parser.parse_args(argv)
    try:
        fig = build(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    png, pdf = save(fig, args.out)
    print(f"wrote {png} and {pdf}")
    return 0


def read_table(path) -> pd.DataFrame:
    """Read a result CSV; a missing file raises InputError naming it (CLIs exit 2)."""
    try:
        return pd.read_csv(path)
    except FileNotFoundError as exc:
        raise InputError(f"input table not found: {path}; run the stage that writes it first") from exc


def empty_panel(ax, text: str) -> None:
    """A panel that says why it has no data instead of staying blank."""
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="0.4",
            fontsize=FONT_SIZE - 1, wrap=True)
    ax.set_xticks([])
    ax.set_yticks([])


def palette(names) -> dict:
    """Stable colour per name (tab10 in sorted order), shared by panels of one figure."""
    colors = plt.get_cmap("tab10").colors
    return {n: colors[k % len(colors)] for k, n in enumerate(sorted({str(x) for x in names}))}
