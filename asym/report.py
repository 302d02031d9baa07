"""Build the self-contained HTML report (figures embedded, no external files).

Command::

    python -m asym.report --claims results/analysis/claims.csv \\
        --correlations results/assess/correlations.csv \\
        --evaluation results/optimize/evaluation.csv \\
        --ranks results/analysis/ranks.csv \\
        --figures report/build/figures/assessment.png report/build/figures/asymmetry.png \\
                  report/build/figures/training.png \\
        --scale demo --config-file results/config.yaml --out report/build/report.html

Sections: scale statement, claims with verdicts next to the paper's sentences,
assessment correlations, optimization scores, the rank tables, figures with
captions, the config used, and when/with which version the page was made. All
text goes through :func:`html.escape`; figures are inlined as base64 PNG, so the
single HTML file can be mailed or archived on its own.
"""

from __future__ import annotations

import argparse
import base64
import datetime as _dt
import html
import math
import platform
import sys
from pathlib import Path

import numpy as np
import pandas as pd

import asym
from asym.claims import CLAIM_SENTENCES
from asym.io import InputError, write_text
from asym.stats import as_bool

PAPER = ("The Unanticipated Asymmetry Between Perceptual Optimization and Assessment "
         "(arXiv 2509.20878)")

SCALE_TEXT = {
    "demo": (
        "Demo scale: CPU only, random-initialized backbones (metric names ending in \"-R\"), "
        "a tiny SwinIR trained for a few hundred steps, and few images. The labels of the "
        "synthetic IQA set are distortion levels, a proxy for human quality scores, not "
        "human opinions. The numbers illustrate that the pipeline runs end to end; they are "
        "NOT the paper's results and the verdicts below say nothing about the paper's claims."
    ),
    "paper": (
        "Paper scale: the full protocol (public IQA datasets with human mean opinion scores, "
        "pretrained backbones, full-size SwinIR generators trained for the full schedule, "
        "several seeds). Verdicts below are this reproduction's test of the paper's claims."
    ),
}

VERDICT_STYLE = {
    "supported": "verdict-supported",
    "not_supported": "verdict-not-supported",
    "inconclusive": "verdict-inconclusive",
}

VERDICT_RULES = [
    ("C1", ("Kendall tau between assessment rank (SRCC, mean over IQA sets) and optimization "
            "rank (no GAN). supported if the 95 % CI upper bound < threshold (agreement "
            "demonstrably below strong alignment); not_supported if the CI lower bound >= "
            "threshold; otherwise inconclusive; always inconclusive with fewer than 4 metrics.")),
    ("C2", ("delta = tau with GAN - tau without GAN. supported if the CI upper bound < 0; "
            "not_supported if the CI lower bound > 0; otherwise inconclusive; always "
            "inconclusive with fewer than 4 metrics.")),
    ("C3-C5", "Their stages have not been run at this scale: reported as inconclusive."),
]

CAPTIONS = {
    "assessment": "Assessment ranking: SRCC of each fidelity metric with the quality labels of "
                  "each IQA set (quality direction, higher is better) with 95 % bootstrap CIs "
                  "that resample reference images.",
    "asymmetry": "The asymmetry (C1, C2): assessment SRCC (x) against the quality of the SR "
                 "generators trained with that metric as loss (y: evaluator scores z-normalized "
                 "per evaluator, higher is better, 95 % bootstrap CI over seed x test-image "
                 "cells), without and with the adversarial loss.",
    "training": "Training curves: fidelity loss (relative to its first logged value) and, for "
                "runs with GAN, discriminator loss against the step.",
}

CSS = """
body { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; max-width: 1100px;
       margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
.scale { border: 3px solid #b8860b; background: #fff8dc; padding: 0.8em 1em; margin: 1em 0;
         font-size: 1.05em; }
.scale.paper { border-color: #2e7d32; background: #edf7ed; }
.scale strong { text-transform: uppercase; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.verdict-supported { background: #c8e6c9; font-weight: bold; }
.verdict-not-supported { background: #ffcdd2; font-weight: bold; }
.verdict-inconclusive { background: #eeeeee; font-weight: bold; }
.sentence { font-style: italic; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-size: 0.9em; color: #444; }
pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; font-size: 0.8em; }
.note { font-size: 0.85em; color: #555; }
footer { margin-top: 3em; font-size: 0.8em; color: #666; }
"""


# --------------------------------------------------------------------------- #
# Small HTML helpers (everything passes through html.escape)
# --------------------------------------------------------------------------- #
def esc(value) -> str:
    return html.escape(str(value), quote=True)


def fmt(value, digits: int = 3) -> str:
    """Number for display: fixed digits, '–' for missing."""
    if value is None:
        return "–"
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(v):
        return "–"
    if v != 0 and abs(v) < 10 ** -digits:
        return f"{v:.1e}"
    return f"{v:.{digits}f}"


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def table_html(df: pd.DataFrame, cell_class=None, digits: int = 3) -> str:
    """HTML table of a DataFrame; ``cell_class(column, value)`` may return a CSS class."""
    if df.empty:
        return '<p class="note">(no rows)</p>'
    head = "".join(f"<th>{esc(c)}</th>" for c in df.columns)
    body = []
    for row in df.itertuples(index=False):
        cells = []
        for col, val in zip(df.columns, row):
            classes = ["num"] if _is_number(val) else []
            extra = cell_class(col, val) if cell_class else None
            if extra:
                classes.append(extra)
            cls = f' class="{" ".join(classes)}"' if classes else ""
            cells.append(f"<td{cls}>{esc(fmt(val, digits) if _is_number(val) else val)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


# --------------------------------------------------------------------------- #
# Sections
# --------------------------------------------------------------------------- #
def scale_section(scale: str) -> str:
    text = SCALE_TEXT.get(scale, f"Scale {scale!r}: unknown; treat the numbers with care.")
    return (f'<div class="scale {esc(scale)}"><strong>Scale: {esc(scale)}</strong><br>'
            f"{esc(text)}</div>")


def claims_section(claims: pd.DataFrame) -> str:
    t = claims.copy()
    t["paper's claim"] = t["claim"].map(CLAIM_SENTENCES).fillna("")
    t["95% CI"] = [f"[{fmt(lo)}, {fmt(hi)}]" for lo, hi in zip(t["ci_low"], t["ci_high"])]
    cols = ["claim", "paper's claim", "verdict", "statistic", "estimate", "95% CI",
            "p_value", "n", "scale", "note"]
    t = t[cols]

    def klass(col, val):
        if col == "verdict":
            return VERDICT_STYLE.get(str(val))
        if col == "paper's claim":
            return "sentence"
        return None

    rules = "".join(f"<li><b>{esc(c)}</b>: {esc(r)}</li>" for c, r in VERDICT_RULES)
    return (f"<h2>Claims</h2>{table_html(t, klass)}"
            f'<p class="note">Verdict rules (95 % CIs from a joint bootstrap of test images '
            f"and IQA reference images; p-values from one-sided permutation tests):</p>"
            f'<ul class="note">{rules}</ul>')


def assessment_section(corr: pd.DataFrame) -> str:
    t = corr.copy()
    if {"srcc_ci_low", "srcc_ci_high"} <= set(t.columns):
        t.insert(t.columns.get_loc("srcc") + 1, "SRCC 95% CI",
                 [f"[{fmt(lo)}, {fmt(hi)}]" for lo, hi in zip(t["srcc_ci_low"], t["srcc_ci_high"])])
        t = t.drop(columns=["srcc_ci_low", "srcc_ci_high"])
    if "srcc" in t:
        t = t.sort_values(["dataset", "srcc"], ascending=[True, False], kind="stable")
    return ("<h2>Assessment: correlation with quality labels</h2>"
            '<p class="note">Correlations in the quality direction (scores of lower-is-better '
            "metrics negated), so a good metric is positive. PLCC after a monotonic 5-parameter "
            "logistic mapping; CI resamples reference images. n = distorted images.</p>"
            + table_html(t))


def optimization_table(evaluation: pd.DataFrame) -> pd.DataFrame:
    """Mean raw score per (fidelity, adversarial setting) x evaluator, with seed counts."""
    ev = evaluation.copy()
    ev["adversarial"] = as_bool(ev["adversarial"].to_numpy())
    keys = ["fidelity", "adversarial", "discriminator", "gan_weight"]
    keys = [k for k in keys if k in ev.columns]
    arrows = {e: ("↓" if as_bool(g["lower_better"].iloc[0]) else "↑")
              for e, g in ev.groupby("evaluator")}
    wide = ev.pivot_table(index=keys, columns="evaluator", values="score", aggfunc="mean")
    wide.columns = [f"{c} {arrows[c]}" for c in wide.columns]
    seeds = ev.groupby(keys)["seed"].nunique().rename("seeds")
    out = pd.concat([seeds, wide], axis=1).reset_index()
    return out.sort_values(["adversarial", "fidelity"], kind="stable")


def optimization_section(evaluation: pd.DataFrame, ranks: pd.DataFrame) -> str:
    t = optimization_table(evaluation)
    r = ranks.copy()
    return ("<h2>Optimization: evaluator scores of the trained generators</h2>"
            '<p class="note">Mean raw score over seeds and test images per training loss and '
            "adversarial setting (↑ higher is better, ↓ lower is better); seeds = number of "
            "training seeds. A dash marks an evaluator that did not score those runs (a run is "
            "not evaluated by its own training loss's metric group, to avoid circularity).</p>"
            + table_html(t)
            + "<h2>Rankings used for C1 and C2</h2>"
            '<p class="note">assessment_srcc: mean SRCC over IQA sets; optimization_quality: mean '
            "z-normalized evaluator score (higher is better); rank 1 = best.</p>"
            + table_html(r))


def figure_html(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    caption = CAPTIONS.get(path.stem, path.stem)
    return (f'<figure><img alt="{esc(path.stem)}" src="data:image/png;base64,{data}">'
            f"<figcaption><b>{esc(path.stem)}</b>: {esc(caption)}</figcaption></figure>")


def config_section(config_file: Path | None) -> str:
    if config_file is None:
        return "<h2>Configuration</h2><p class=\"note\">(no config file given)</p>"
    return (f"<h2>Configuration</h2><p class=\"note\">{esc(config_file)}</p>"
            f"<pre>{esc(config_file.read_text(encoding='utf-8', errors='replace'))}</pre>")


def build_html(claims, corr, evaluation, ranks, figures, scale, config_file, now=None) -> str:
    now = now or _dt.datetime.now(_dt.timezone.utc)
    figs = "".join(figure_html(Path(f)) for f in figures) or '<p class="note">(no figures)</p>'
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc('asym report: ' + PAPER)}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>Reproduction report: {esc(PAPER)}</h1>",
        scale_section(scale),
        claims_section(claims),
        assessment_section(corr),
        optimization_section(evaluation, ranks),
        f"<h2>Figures</h2>{figs}",
        config_section(config_file),
        (f"<footer>Generated {esc(now.strftime('%Y-%m-%d %H:%M:%S %Z'))} by asym "
         f"{esc(asym.__version__)} (Python {esc(platform.python_version())}).</footer>"),
        "</body></html>",
    ]
    return "\n".join(parts)


# --------------------------------------------------------------------------- #
# CLI
# --------------------------------------------------------------------------- #
def _read_csv(path) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"input not found: {path}; run the stage that writes it first")
    return pd.read_csv(path)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m asym.report", description="Self-contained HTML report.")
    p.add_argument("--claims", required=True)
    p.add_argument("--correlations", required=True)
    p.add_argument("--evaluation", required=True)
    p.add_argument("--ranks", required=True)
    p.add_argument("--figures", nargs="*", default=[], help="PNG files to embed")
    p.add_argument("--scale", choices=sorted(SCALE_TEXT), required=True)
    p.add_argument("--config-file", default=None, help="YAML config shown verbatim")
    p.add_argument("--out", required=True)
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        tables = [_read_csv(p) for p in (args.claims, args.correlations, args.evaluation, args.ranks)]
        figures = [Path(f) for f in args.figures]
        for f in figures:
            if not f.is_file():
                raise InputError(f"figure not found: {f}")
        config = Path(args.config_file) if args.config_file else None
        if config is not None and not config.is_file():
            raise InputError(f"config file not found: {config}")
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    page = build_html(*tables, figures, args.scale, config)
    # pure-ASCII file (arrows, dashes as character references): the bytes written
    # then do not depend on the machine's locale encoding
    page = page.encode("ascii", "xmlcharrefreplace").decode("ascii")
    write_text(page, args.out)
    print(f"wrote {args.out} ({len(page) // 1024} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
