"""Build the self-contained HTML report (figures embedded, no external files).

Command::

    python -m asym.report.html --claims results/analysis/claims.csv \\
        --correlations results/assess/correlations.csv \\
        --evaluation results/optimize/evaluation.csv \\
        --ranks results/analysis/ranks.csv \\
        --figures report/build/figures/assessment.png report/build/figures/asymmetry.png \\
                  report/build/figures/training.png \\
        [--transfer results/transfer/correlations.csv] \\
        [--mixedlm results/analysis/c2_mixedlm.csv] \\
        [--pairwise results/analysis/c4_pairwise.csv] \\
        [--stability results/optimize/stability.csv] \\
        [--human results/judge/human_evaluation.csv] \\
        [--human-agreement results/assess/human_agreement.csv] \\
        --scale demo --config-file results/config.yaml --out report/build/report.html

Sections: scale statement, claims with verdicts next to the paper's sentences,
assessment correlations (and agreement with public human choices, when given), optimization quality per loss without/with GAN and raw
scores per evaluator, the rank tables, C2's regression on run means and C4's pairwise tests
(when given), the human ranking beside the model panel's (or "no human judgements
collected"), training stability per discriminator design (when given), transfer results
(when given), figures with captions, the config
used, and when/with which version the page was made. The tables come from
:mod:`asym.analysis.summaries`, which also feeds the LaTeX report (:mod:`asym.report.latex`), so
both show the same numbers. All text goes through :func:`html.escape`; figures
are inlined as base64 PNG, so the single HTML file can be mailed or archived on
its own.
"""

from __future__ import annotations

import argparse
import base64
import datetime as _dt
import html
import platform
import sys
from pathlib import Path

import numpy as np
import pandas as pd

import asym
from asym.analysis import summaries
from asym.analysis.summaries import CAPTIONS, SCALE_TEXT
from asym.io import InputError, write_text
from asym.report.human import agreement_section, human_section

#: Table builders shared with the LaTeX report (kept under their old names here).
fmt = summaries.fmt
optimization_table = summaries.evaluator_table

PAPER = ("The Unanticipated Asymmetry Between Perceptual Optimization and Assessment "
         "(arXiv 2509.20878)")

VERDICT_STYLE = {
    "supported": "verdict-supported",
    "not_supported": "verdict-not-supported",
    "not supported": "verdict-not-supported",
    "inconclusive": "verdict-inconclusive",
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
    t = summaries.claims_display(claims, details=True)

    def klass(col, val):
        if col == "verdict":
            return VERDICT_STYLE.get(str(val))
        if col == "paper's claim":
            return "sentence"
        return None

    rules = "".join(f"<li><b>{esc(c)}</b>: {esc(r)}</li>" for c, r in summaries.rules_for(claims))
    return (f"<h2>Claims</h2>{table_html(t, klass)}"
            f'<p class="note">Verdict rules (95 % CIs from bootstraps of the units named in each '
            f"row; p-values one-sided, Holm-adjusted across the five claims):</p>"
            f'<ul class="note">{rules}</ul>')


def assessment_section(corr: pd.DataFrame) -> str:
    return ("<h2>Assessment: correlation with quality labels</h2>"
            '<p class="note">Correlations in the quality direction (scores of lower-is-better '
            "metrics negated), so a good metric is positive. PLCC after a monotonic 5-parameter "
            "logistic mapping; CI resamples reference images. n = distorted images. Where a set's labels "
            "are distortion levels (the synthetic set), a level orders severity only within one distortion "
            "type (level 3 of JPEG and level 3 of blur are not equally good), so its correlations are "
            "computed within each distortion type and averaged over the types, the CI resampling reference "
            "images (each one its own source photograph); pooled over types they would rank incomparable "
            "labels. Sets with human scores are correlated pooled.</p>"
            + table_html(summaries.assessment_display(corr)))


def optimization_section(evaluation: pd.DataFrame, ranks: pd.DataFrame) -> str:
    quality = summaries.optimization_display(summaries.quality_ci(ranks),
                                             summaries.baseline_quality(evaluation))
    return ("<h2>Optimization: quality of the trained generators</h2>"
            '<p class="note">Mean quality of the training runs per loss (the primary evaluator '
            "panel: human judgements where they exist, else the evaluators that scored every run; "
            "each z-scored, sign flipped where lower is better, averaged), without GAN and with the "
            "main GAN setting: the numbers of ranks.csv that C1/C2 test, with 95 % hierarchical "
            "bootstrap CIs over runs, then test images; cells = runs. The last row is the "
            "bicubic baseline (the same test inputs upsampled bicubically, scored by every evaluator, "
            "on the runs' scale; CI over test images); it is not ranked.</p>"
            + table_html(quality)
            + '<p class="note">Mean raw score per evaluator over seeds and test images per '
            "training loss and adversarial setting (↑ higher is better, ↓ lower is better); seeds "
            "= number of training seeds. A dash marks an evaluator that did not score those runs "
            "(a run is not evaluated by its own training loss's metric group, to avoid "
            "circularity).</p>"
            + table_html(summaries.evaluator_display(evaluation))
            + "<h2>Rankings used for C1 and C2</h2>"
            '<p class="note">assessment_srcc: mean SRCC over IQA sets; optimization_quality: mean '
            "z-normalized evaluator score (higher is better); rank 1 = best.</p>"
            + table_html(ranks))


def mixedlm_section(mixed: pd.DataFrame | None) -> str:
    if mixed is None:
        return ""
    notes = "".join(f"<li>{esc(t)}: {esc(n)}</li>" for t, n in zip(mixed["term"], mixed["note"])
                    if isinstance(n, str) and n)
    return ("<h2>C2, second view: regression on run means</h2>"
            '<p class="note">quality ~ loss + adversarial + assessment_srcc:adversarial by least '
            "squares, one observation per training run (the run is the unit), a fixed effect per "
            "loss. A negative assessment_srcc:adversarial means optimization quality follows "
            "assessment SRCC less with the adversarial loss (one-sided t-test).</p>"
            + table_html(summaries.mixedlm_display(mixed))
            + (f'<ul class="note">{notes}</ul>' if notes else ""))


def pairwise_section(pairwise: pd.DataFrame | None) -> str:
    if pairwise is None:
        return ""
    return ("<h2>C4: pairwise discriminator comparisons</h2>"
            '<p class="note">Difference of mean run quality over the loss x GAN weight strata both '
            "designs were trained in, two-sided relabelling test of whole runs, Holm-corrected over "
            "all pairs.</p>"
            + table_html(summaries.pairwise_display(pairwise)))


# Columns of the stability table shown in the report (asym.optimize.stability defines them all).
STABILITY_COLUMNS = ["discriminator", "gan_weight", "objective", "fidelity", "n_seeds", "diverged_runs",
                     "instability", "g_loss_oscillation", "d_win_rate", "grad_spikes_g", "grad_spikes_d",
                     "final_fidelity_mean", "final_fidelity_sd"]


def stability_section(stability: pd.DataFrame | None) -> str:
    if stability is None:
        return ""
    if "run" in stability:  # results/optimize/stability.csv: one row per run, grouped here by design
        from asym.optimize.instability import group_summary  # pandas only, no torch

        stability = group_summary(stability)
    missing = [c for c in STABILITY_COLUMNS if c not in stability]
    if missing:
        raise InputError(f"stability table lacks {missing}; rebuild it with python -m asym.optimize.stability")
    return ("<h2>Training stability per design</h2>"
            '<p class="note">One row per discriminator design x GAN weight x objective x training loss, '
            "over its seeds. instability (the measure claim C4 tests, per run): std of the first "
            "differences of the fidelity loss over the last half of training before any divergence / its "
            "mean, mean over seeds; g_loss_oscillation: the same for the generator's total loss; "
            "d_win_rate: fraction of "
            "logged steps where the discriminator got more than 95 % of both real and generated "
            "patches right; grad_spikes: logged gradient norms above 10x their running median, per "
            "run; diverged_runs: runs with a non-finite loss or gradient norm; final fidelity loss "
            "mean and sd over seeds. Definitions: asym/optimize/stability.py.</p>"
            + table_html(stability[STABILITY_COLUMNS]))


def transfer_section(transfer: pd.DataFrame | None) -> str:
    if transfer is None:
        return ("<h2>Transfer (C3, C5)</h2>"
                '<p class="note">The transfer stage has not been run at this scale.</p>')
    return ("<h2>Transfer (C3, C5)</h2>"
            '<p class="note">SRCC [95 % CI] of IQA models per backbone and initialization '
            "(means over seeds) on each IQA set; on a set with level labels (the synthetic set) within "
            "each distortion type and averaged over the types, as in the assessment table.</p>"
            + table_html(summaries.transfer_display(transfer)))


def figure_html(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    caption = CAPTIONS.get(path.stem, path.stem)
    return (f'<figure><img alt="{esc(path.stem)}" src="data:image/png;base64,{data}">'
            f"<figcaption><b>{esc(path.stem)}</b>: {esc(caption)}</figcaption></figure>")


def power_section(power: pd.DataFrame | None) -> str:
    """"What this design can detect": ``asym power``'s table."""
    if power is None or not len(power):
        return ""
    design = esc(str(power["design"].iloc[0])) if "design" in power else ""
    comps = esc(str(power["components"].iloc[0])) if "components" in power else ""
    return ("<h2>What this design can detect</h2>"
            f'<p class="note">Simulated with this config\'s design ({design}) and variance components '
            f"({comps}); each claim's own test, {int(power['reps'].iloc[0])} data sets per row. "
            "False-positive rate: share of data sets without an effect (H0 at its boundary, a random "
            "effect per training run) where the claim's p <= alpha; power: the same share at a planted "
            "effect, in standard deviations of the unit's noise; seeds (split seeds for C3, C5) for "
            "80 % power searched up to 20.</p>" + table_html(summaries.power_display(power)))


def panels_section(panels: pd.DataFrame | None) -> str:
    """C1/C2 under other yardsticks: FR and NR evaluators apart, leave one evaluator out."""
    if panels is None or not len(panels):
        return ""
    return ("<h2>C1 and C2 under other evaluator panels</h2>"
            '<p class="note">The primary panel decides the verdicts. Full-reference (fidelity) and '
            "no-reference (realism) evaluators apart, and the primary panel without each one evaluator: "
            "whether a single evaluator drives the result. Raw one-sided p, no Holm.</p>"
            + table_html(summaries.panels_display(panels)))


def config_section(config_file: Path | None) -> str:
    if config_file is None:
        return "<h2>Configuration</h2><p class=\"note\">(no config file given)</p>"
    return (f"<h2>Configuration</h2><p class=\"note\">{esc(config_file)}</p>"
            f"<pre>{esc(config_file.read_text(encoding='utf-8', errors='replace'))}</pre>")


def build_html(claims, corr, evaluation, ranks, figures, scale, config_file, now=None,
               transfer=None, mixed=None, pairwise=None, stability=None, power=None, panels=None,
               human=None, human_agreement=None) -> str:
    now = now or _dt.datetime.now(_dt.UTC)
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
        agreement_section(human_agreement),
        power_section(power),
        optimization_section(evaluation, ranks),
        human_section(evaluation, human),
        panels_section(panels),
        mixedlm_section(mixed),
        pairwise_section(pairwise),
        stability_section(stability),
        transfer_section(transfer),
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
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m asym.report.html", description="Self-contained HTML report.")
    summaries.add_result_arguments(p)
    p.add_argument("--figures", nargs="*", default=[], help="PNG files to embed")
    p.add_argument("--config-file", default=None, help="YAML config shown verbatim")
    p.add_argument("--stability", default=None, help="results/optimize/stability.csv (optional)")
    p.add_argument("--human", default=None, help="results/judge/human_evaluation.csv (optional; asym judge fit)")
    p.add_argument("--human-agreement", default=None, help="results/assess/human_agreement.csv (optional)")
    p.add_argument("--out", required=True)
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        tables, extra = summaries.read_results(args)
        extra["stability"] = summaries.read_csv(args.stability) if args.stability else None
        extra["human"] = summaries.read_csv(args.human) if args.human else None
        extra["human_agreement"] = summaries.read_csv(args.human_agreement) if args.human_agreement else None
        figures = [Path(f) for f in args.figures]
        for f in figures:
            if not f.is_file():
                raise InputError(f"figure not found: {f}")
        config = Path(args.config_file) if args.config_file else None
        if config is not None and not config.is_file():
            raise InputError(f"config file not found: {config}")
        page = build_html(*tables, figures, args.scale, config, **extra)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    # pure-ASCII file (arrows, dashes as character references): the bytes written
    # then do not depend on the machine's locale encoding
    page = page.encode("ascii", "xmlcharrefreplace").decode("ascii")
    write_text(page, args.out)
    print(f"wrote {args.out} ({len(page) // 1024} KiB)")
    return 0


if __name__ == "__main__":
    import asym.errors

    asym.errors.run(main)
