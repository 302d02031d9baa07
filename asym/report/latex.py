"""LaTeX tables (booktabs) and number macros for ``report/report.tex``.

Command::

    python -m asym.report.latex --claims results/analysis/claims.csv \\
        --correlations results/assess/correlations.csv \\
        --evaluation results/optimize/evaluation.csv \\
        --ranks results/analysis/ranks.csv \\
        [--transfer results/transfer/correlations.csv] \\
        [--mixedlm results/analysis/c2_mixedlm.csv] \\
        [--pairwise results/analysis/c4_pairwise.csv] \\
        --scale demo --out-dir report/build/tex

Writes into ``--out-dir`` (every file always, so ``report.tex`` can ``\\input``
all of them; a table whose input is missing says so in one line):

* ``macros.tex``: a ``\\newcommand`` for every number and name the report text
  cites (:func:`asym.analysis.summaries.cited_numbers`), the figure captions
  (``\\Caption<Stem>``), the scale statement and ``\\if...`` switches for
  optional parts (``\\ifTransferRun``, ``\\ifMixedLM``, ``\\ifPairwise``);
* ``table_claims.tex``, ``table_optimization.tex``, ``table_evaluators.tex``,
  ``table_assessment.tex``, ``table_transfer.tex``, ``table_mixedlm.tex``,
  ``table_pairwise.tex``: one ``table`` float each;
* ``verdict_rules.tex``: the verdict rules as a list.

Numbers are never typed by hand: the tables come from the same builders as the
HTML report (:mod:`asym.analysis.summaries`), so both show identical numbers.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import pandas as pd

from asym.analysis import summaries
from asym.analysis.sentences import CLAIM_SENTENCES
from asym.analysis.summaries import CAPTIONS, SCALE_TEXT
from asym.io import InputError, write_text

#: Above this many columns a table is scaled to the line width.
MAX_COLUMNS_UNSCALED = 7

_SPECIAL = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "–": "--", "↑": r"$\uparrow$", "↓": r"$\downarrow$", "<": r"$<$", ">": r"$>$",
    "≥": r"$\geq$", "≤": r"$\leq$", "±": r"$\pm$", "×": r"$\times$", "τ": r"$\tau$",
}
_SPECIAL_RE = re.compile("|".join(re.escape(k) for k in _SPECIAL))
# a minus sign: "-" before a digit or ".5" that does not follow a letter/digit (not a hyphen)
_MINUS_RE = re.compile(r"(?<![\w.])-(?=\.?\d)")


def escape(text) -> str:
    """Text for LaTeX: special characters escaped, numeric minus signs typeset as $-$."""
    s = "" if text is None else str(text)
    s = _MINUS_RE.sub("\x00", s)
    s = _SPECIAL_RE.sub(lambda m: _SPECIAL[m.group(0)], s)
    return s.replace("\x00", r"$-$")


def macro_name_ok(name: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z]+", name))


def tabular(df: pd.DataFrame, colspec: str | None = None, group: str | None = None,
            header: dict | None = None) -> str:
    """A booktabs ``tabular`` of a display table (all cells strings).

    ``group`` names a column whose runs of equal values are printed once, with
    ``\\midrule`` between runs (e.g. the dataset of the assessment table).
    ``header`` optionally renames columns for printing.
    """
    header = header or {}
    cols = list(df.columns)
    if colspec is None:
        # text columns left, number columns right
        colspec = "".join("r" if k > 0 and _numeric_column(df[c]) else "l" for k, c in enumerate(cols))
    lines = [rf"\begin{{tabular}}{{{colspec}}}", r"\toprule",
             " & ".join(rf"\textbf{{{escape(header.get(c, c))}}}" for c in cols) + r" \\",
             r"\midrule"]
    previous = None
    for k, row in enumerate(df.itertuples(index=False)):
        cells = [escape(v) for v in row]
        if group is not None:
            gi = cols.index(group)
            value = row[gi]
            if k > 0 and value != previous:
                lines.append(r"\midrule")
            if value == previous:
                cells[gi] = ""
            previous = value
        lines.append(" & ".join(cells) + r" \\")
    if df.empty:
        lines.append(rf"\multicolumn{{{len(cols)}}}{{l}}{{(no rows)}} \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines)


def _numeric_column(col: pd.Series) -> bool:
    vals = [str(v) for v in col if str(v) not in ("", summaries.MISSING)]
    return bool(vals) and all(re.fullmatch(r"[<\s]*-?[\d.]+(e-?\d+)?( \[.*\])?|\[.*\]", v) for v in vals)


def table_float(body: str, caption: str, label: str, ncols: int, size: str = r"\small") -> str:
    """Wrap a tabular in a ``table`` float; wide tables are scaled to the line width."""
    inner = body
    if ncols > MAX_COLUMNS_UNSCALED:
        inner = r"\resizebox{\linewidth}{!}{%" + "\n" + body + "}"
    return "\n".join([r"\begin{table}[htbp]", r"\centering", size,
                      rf"\caption{{{caption}}}", rf"\label{{{label}}}", inner, r"\end{table}", ""])


def unavailable_table(caption: str, label: str, text: str) -> str:
    """A float that only says why the table is empty (keeps \\ref and \\input working)."""
    return "\n".join([r"\begin{table}[htbp]", r"\centering", r"\small", rf"\caption{{{caption}}}",
                      rf"\label{{{label}}}", rf"\emph{{{escape(text)}}}", r"\end{table}", ""])


# --------------------------------------------------------------------------- #
# The tables
# --------------------------------------------------------------------------- #
def claims_tex(claims: pd.DataFrame) -> str:
    t = summaries.claims_display(claims)
    # ragged-right statistic column (needs \usepackage{array}): long names wrap between words
    body = tabular(t, colspec=r"l l >{\raggedright\arraybackslash}p{4.2cm} r c r r r "
                              r">{\raggedright\arraybackslash}p{2.8cm}")
    return table_float(body, "Claims C1--C5: statistic, estimate with 95\\,\\% CI, one-sided "
                       "p-value raw and Holm-adjusted across the five claims, the units and their "
                       "number, and the verdict (rules in Section~\\ref{sec:rules}).",
                       "tab:claims", len(t.columns), r"\footnotesize")


def optimization_tex(evaluation: pd.DataFrame, ranks: pd.DataFrame) -> str:
    t = summaries.optimization_display(summaries.quality_ci(ranks),
                                       summaries.baseline_quality(evaluation))
    header = {c: c.replace(" (without GAN)", "").replace(" (with GAN)", "") for c in t.columns}
    header["without GAN"] = "mean"
    header["with GAN"] = "mean"
    groups = [("without GAN", 3), ("with GAN", 3)]
    present = [(g, n) for g, n in groups if g in t.columns]
    colspec = "l" + "rcr" * len(present)
    body = tabular(t, colspec=colspec, header=header)
    top = " & ".join([""] + [rf"\multicolumn{{{n}}}{{c}}{{{g}}}" for g, n in present]) + r" \\"
    rules = " ".join(rf"\cmidrule(lr){{{2 + 3 * k}-{4 + 3 * k}}}" for k in range(len(present)))
    body = body.replace(r"\toprule", r"\toprule" + "\n" + top + "\n" + rules, 1)
    return table_float(body, "Optimization: mean quality of the training runs of each fidelity "
                       "loss (primary evaluator panel, z-score per evaluator, higher is better), "
                       "without GAN and with the main GAN setting, as in ranks.csv, with 95\\,\\% "
                       "hierarchical bootstrap CIs over runs, then test images (cells = runs); last row: the bicubic "
                       "baseline on the same scale (CI over test images), not ranked.",
                       "tab:optimization", len(t.columns))


def evaluators_tex(evaluation: pd.DataFrame) -> str:
    t = summaries.evaluator_display(evaluation)
    return table_float(tabular(t), "Mean raw score of each evaluator ($\\uparrow$ higher is "
                       "better, $\\downarrow$ lower is better) per training loss and adversarial "
                       "setting, over seeds and test images; -- = evaluator left out because it "
                       "shares the loss's metric group.", "tab:evaluators", len(t.columns),
                       r"\footnotesize")


def assessment_tex(corr: pd.DataFrame) -> str:
    t = summaries.assessment_display(corr)
    return table_float(tabular(t, group="dataset"), "Assessment: SRCC with 95\\,\\% bootstrap CI "
                       "(resampling reference images), PLCC after logistic mapping and KRCC of "
                       "each fidelity metric with the quality labels, per IQA set (quality "
                       "direction: higher is better). On a set whose labels are distortion levels, "
                       "which order severity only within one distortion type, the statistics are "
                       "computed within each type and averaged over types.", "tab:assessment", len(t.columns))


def transfer_tex(transfer: pd.DataFrame | None) -> str:
    caption = ("Transfer: SRCC [95\\,\\% CI] of IQA models whose backbone starts from random, "
               "ImageNet or discriminator weights, means over seeds.")
    if transfer is None:
        return unavailable_table(caption, "tab:transfer", "The transfer stage has not been run at this scale.")
    t = summaries.transfer_display(transfer)
    return table_float(tabular(t, group="backbone"), caption, "tab:transfer", len(t.columns),
                       r"\footnotesize")


def mixedlm_tex(mixed: pd.DataFrame | None) -> str:
    caption = ("C2, second view: least squares on run means, quality $\\sim$ loss + adversarial + "
               "assessment SRCC $\\times$ adversarial (one observation per training run; one-sided "
               "t-test of the interaction).")
    if mixed is None:
        return unavailable_table(caption, "tab:mixedlm", "The regression on run means was not fitted.")
    t = summaries.mixedlm_display(mixed)
    return table_float(tabular(t), caption, "tab:mixedlm", len(t.columns))


def pairwise_tex(pairwise: pd.DataFrame | None) -> str:
    caption = ("C4: pairwise discriminator comparisons (difference of mean run quality over shared "
               "loss $\\times$ GAN weight strata, relabelling test of whole runs, Holm-corrected).")
    if pairwise is None or pairwise.empty:
        return unavailable_table(caption, "tab:pairwise", "Fewer than two discriminator designs: nothing to compare.")
    t = summaries.pairwise_display(pairwise)
    return table_float(tabular(t), caption, "tab:pairwise", len(t.columns))


def power_tex(power: pd.DataFrame | None) -> str:
    caption = ("What this design can detect (asym power): per claim the false-positive rate under the "
               "null with a random effect per training run, the power at planted standardized effects, "
               "and the seeds (split seeds for C3, C5) needed for 80\\,\\% power.")
    if power is None or power.empty:
        return unavailable_table(caption, "tab:power", "The power simulation was not run.")
    t = summaries.power_display(power)
    return table_float(tabular(t), caption, "tab:power", len(t.columns), r"\footnotesize")


def panels_tex(panels: pd.DataFrame | None) -> str:
    caption = ("C1 and C2 under other evaluator panels: full-reference and no-reference evaluators "
               "apart, and the primary panel without each evaluator (raw one-sided p).")
    if panels is None or panels.empty:
        return unavailable_table(caption, "tab:panels", "No panel comparison was computed.")
    t = summaries.panels_display(panels)
    return table_float(tabular(t), caption, "tab:panels", len(t.columns), r"\footnotesize")


def verdict_rules_tex(claims: pd.DataFrame | None = None) -> str:
    """The verdict rules (:func:`asym.analysis.summaries.rules_for`: at the claims' own alpha)."""
    items = "\n".join(rf"\item[{escape(c)}] {escape(r)}" for c, r in summaries.rules_for(claims))
    return "\\begin{description}\n" + items + "\n\\end{description}\n"


def macros_tex(numbers, scale: str, flags: dict) -> str:
    """``\\newcommand`` per cited number, the captions, the scale statement and switches."""
    lines = ["% Generated by python -m asym.report.latex: do not edit; rerun the workflow instead.",
             "% Every number the report text cites is a macro below."]
    for name, value in numbers.items():
        if not macro_name_ok(name):
            raise ValueError(f"macro name {name!r} must be letters only")
        lines.append(rf"\newcommand{{\{name}}}{{{escape(value)}}}")
    lines.append(rf"\newcommand{{\ScaleStatement}}{{{escape(SCALE_TEXT.get(scale, scale))}}}")
    for cid, text in CLAIM_SENTENCES.items():  # \ConeSentence ... \CfiveSentence
        word = "C" + summaries.CLAIM_WORD[cid].lower()
        lines.append(rf"\newcommand{{\{word}Sentence}}{{{escape(text)}}}")
    for stem, text in CAPTIONS.items():
        name = "Caption" + "".join(part.capitalize() for part in re.split(r"[_\W]+", stem))
        lines.append(rf"\newcommand{{\{name}}}{{{escape(text)}}}")
    for flag, on in flags.items():
        lines.append(rf"\newif\if{flag}" + "\n" + rf"\{flag}{'true' if on else 'false'}")
    return "\n".join(lines) + "\n"


def write_all(claims, corr, evaluation, ranks, scale, out_dir, transfer=None, mixed=None,
              pairwise=None, power=None, panels=None) -> list[Path]:
    """Write every ``.tex`` file into ``out_dir``; returns their paths."""
    out_dir = Path(out_dir)
    numbers = summaries.cited_numbers(claims, corr, evaluation, ranks, scale, transfer, mixed)
    flags = {"TransferRun": transfer is not None, "MixedLM": mixed is not None,
             "Pairwise": pairwise is not None and not pairwise.empty,
             "DemoScale": scale == "demo"}
    # \ifConeComputed ... \ifCfiveComputed: the claim has an estimate (else the text cites its note)
    est = claims.set_index("claim")["estimate"] if len(claims) else pd.Series(dtype=float)
    for cid, word in summaries.CLAIM_WORD.items():
        value = pd.to_numeric(pd.Series([est.get(cid, float("nan"))]), errors="coerce").iloc[0]
        flags[f"C{word.lower()}Computed"] = bool(pd.notna(value))
    files = {
        "macros.tex": macros_tex(numbers, scale, flags),
        "table_claims.tex": claims_tex(claims),
        "table_optimization.tex": optimization_tex(evaluation, ranks),
        "table_power.tex": power_tex(power),
        "table_panels.tex": panels_tex(panels),
        "table_evaluators.tex": evaluators_tex(evaluation),
        "table_assessment.tex": assessment_tex(corr),
        "table_transfer.tex": transfer_tex(transfer),
        "table_mixedlm.tex": mixedlm_tex(mixed),
        "table_pairwise.tex": pairwise_tex(pairwise),
        "verdict_rules.tex": verdict_rules_tex(claims),
    }
    paths = []
    for name, text in files.items():
        write_text(text, out_dir / name)
        paths.append(out_dir / name)
    return paths


# --------------------------------------------------------------------------- #
# CLI
# --------------------------------------------------------------------------- #
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m asym.report.latex",
                                description="booktabs tables and number macros for report/report.tex")
    summaries.add_result_arguments(p)
    p.add_argument("--out-dir", required=True, help="folder for the .tex files")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        tables, extra = summaries.read_results(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    paths = write_all(*tables, args.scale, args.out_dir, **extra)
    print(f"wrote {len(paths)} files to {args.out_dir}")
    return 0


if __name__ == "__main__":
    import asym.errors

    asym.errors.run(main)
