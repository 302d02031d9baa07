"""The report's section on human judgement: the human ranking beside the model panel's.

Without a fitted study (no ``human_evaluation.csv``, or no ``human`` rows in it) the
section says "no human judgements collected" and that the claims use the model panel.
The numbers come from :func:`asym.analysis.human.human_vs_panel`; no torch.
"""

from __future__ import annotations

from html import escape

import pandas as pd

from asym.analysis.human import NO_HUMANS, human_vs_panel


def _fmt(value, digits=3) -> str:
    if isinstance(value, (bool,)) or value is None:
        return escape(str(value))
    if isinstance(value, float):
        return "" if pd.isna(value) else f"{value:.{digits}f}"
    return escape(str(value))


def human_section(evaluation: pd.DataFrame, human: pd.DataFrame | None) -> str:
    """HTML of the section (see the module docstring)."""
    result = human_vs_panel(evaluation, human)
    if result is None:
        return ("<h2>Human judgement</h2>"
                f'<p class="note" id="human-none">{escape(NO_HUMANS.capitalize())}: claims C1 and C2 use the '
                "fixed model evaluator panel. A paired-comparison study of the SR outputs is built by rule "
                "judge_build and run with <code>asym judge invite/serve/fit</code>.</p>")
    table, agreement = result
    head = "".join(f"<th>{escape(c)}</th>" for c in table.columns)
    rows = "".join("<tr>" + "".join(f"<td>{_fmt(v)}</td>" for v in row) + "</tr>"
                   for row in table.itertuples(index=False))
    tau = agreement["kendall_tau"]
    summary = (f"Kendall tau between the human and the panel ranking over {agreement['n_runs']} runs: "
               f"{_fmt(tau)} (p = {_fmt(agreement['p_value'])}); share of run pairs ordered alike: "
               f"{_fmt(agreement['concordant_share'])}." if not pd.isna(tau)
               else f"Too few runs ({agreement['n_runs']}) for a rank agreement.")
    return ("<h2>Human judgement</h2>"
            '<p class="note">Human score: mean Bradley-Terry log-strength per test image from the paired-'
            "comparison study (asym judge fit); claims C1 and C2 use it as the primary yardstick. Panel score: "
            f"mean z-scored quality over the model evaluators ({escape(agreement['panel'])}). The bicubic "
            "baseline is shown, not ranked.</p>"
            f'<p id="human-agreement">{summary}</p>'
            f'<table id="human-ranking"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>')


def agreement_section(agreement: pd.DataFrame | None) -> str:
    """The metrics' agreement with public human choices (``results/assess/human_agreement.csv``):
    BAPPS 2AFC score and SRIQA-Bench pairwise accuracy, overall rows, best first per set."""
    if agreement is None or agreement.empty:
        return ""
    overall = agreement[agreement["category"] == "all"].sort_values(["dataset", "agreement"], ascending=[True, False])
    columns = ["dataset", "measure", "metric", "n", "agreement", "ci_low", "ci_high", "human_ceiling"]
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    rows = "".join("<tr>" + "".join(f"<td>{_fmt(v)}</td>" for v in row) + "</tr>"
                   for row in overall[columns].itertuples(index=False))
    return ("<h2>Agreement with human choices</h2>"
            '<p class="note">How often each metric makes the choice people made, beside its SRCC above: '
            "the 2AFC score on BAPPS (share of observers the metric sides with) and the pairwise accuracy "
            "on SRIQA-Bench's SR outputs (pairs people did not tie). human_ceiling: the same score for the "
            "majority of people. 95 % bootstrap intervals; per-category rows in human_agreement.csv.</p>"
            f'<table id="human-agreement-table"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>')
