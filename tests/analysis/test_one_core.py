"""One analysis core: the report's C1/C2 numbers are ranks.csv's; each core piece is defined once;
the README's verdict rules are the code's."""

import ast
from pathlib import Path

import numpy as np
import pandas as pd

from asym.analysis import claims, rules, summaries
from asym.analysis.runs import run_quality
from asym.report import html
from asym.report.figures import asymmetry
from tests.analysis.test_claims import ALIGNED, REVERSED, make_assessment, make_evaluation
from tests.conftest import REPO


def test_report_table_and_asymmetry_figure_equal_ranks_csv(tmp_path):
    scores = tmp_path / "scores.csv"
    make_assessment().to_csv(scores, index=False)
    ev = make_evaluation(ALIGNED, REVERSED, seeds=3)
    # a sweep setting for one loss only: C1/C2 (and so the report) must leave it out
    sweep = ev[ev["adversarial"] & (ev["fidelity"] == "m0")].assign(
        setting="patchgan-w0.5", gan_weight=0.5, run=lambda d: d["run"] + "-sweep", score=lambda d: d["score"] + 9)
    evp = tmp_path / "evaluation.csv"
    pd.concat([ev, sweep], ignore_index=True).to_csv(evp, index=False)
    out = tmp_path / "claims.csv"
    assert claims.main(["--assess-scores", str(scores), "--evaluation", str(evp), "--scale", "demo",
                        "--gan-setting", "patchgan-w0.05", "--n-boot", "40", "--n-perm", "200",
                        "--out", str(out)]) == 0
    ranks = pd.read_csv(tmp_path / "ranks.csv")
    # ranks.csv holds the run means of the compared rows (sweep excluded) ...
    rq = run_quality(ev).groupby(["fidelity", "adversarial"])["quality"].mean()
    for r in ranks.itertuples():
        assert r.optimization_quality == np.float64(rq[(r.metric, bool(r.adversarial))]).round(12) or \
            abs(r.optimization_quality - rq[(r.metric, bool(r.adversarial))]) < 1e-9
    # ... and the figure and the report table show exactly those numbers
    fig = asymmetry.figure_data(ranks).sort_values(["adversarial", "metric"])
    exp = ranks.sort_values(["adversarial", "metric"])
    assert np.allclose(fig["optimization_quality"], exp["optimization_quality"])
    assert np.allclose(fig["ci_low"], exp["optimization_ci_low"])
    assert np.allclose(fig["ci_high"], exp["optimization_ci_high"])
    table = summaries.optimization_display(summaries.quality_ci(ranks)).set_index("fidelity loss")
    page = html.optimization_section(pd.read_csv(evp), ranks)
    for r in ranks.itertuples():
        label = "with GAN" if r.adversarial else "without GAN"
        value = summaries.fmt(r.optimization_quality, summaries.QUALITY_DIGITS)
        assert table.loc[r.metric, label] == value and value in page


def _definitions(root: Path, folders=("analysis", "report", "optimize", "assess", "judge")) -> dict[str, list[str]]:
    """Function names defined in the analysis, report, optimize, assess and judge subpackages (what
    C1-C5, the report and the IQA-side tables run), and the files defining them."""
    found: dict[str, list[str]] = {}
    for path in (p for f in folders for p in (root / f).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef):
                found.setdefault(node.name, []).append(str(path.relative_to(root)))
    return found


def test_core_pieces_exist_once():
    defs = _definitions(REPO / "asym")
    for name in ("image_quality", "run_quality", "hierarchical_group_means", "bootstrap_mean", "percentile_ci",
                 "read_log", "normalize_evaluations", "instability_ranks"):
        assert len(defs.get(name, [])) == 1, (name, defs.get(name))
    # the old second and third copies are gone
    for gone in ("cell_quality", "quality_cells", "summarize_cells", "run_stability", "read_train_logs",
                 "paired_mean_test", "parse_run_name"):
        assert gone not in defs, (gone, defs.get(gone))


def test_readme_and_report_rules_are_the_code_rules():
    assert rules.update_readme(REPO / "README.md", check=True), \
        "README verdict rules are stale: python -m asym.analysis.rules --readme README.md"
    assert summaries.VERDICT_RULES == rules.verdict_rules()
    text = " ".join(r for _, r in rules.verdict_rules(alpha=0.01, threshold=0.3, margin=0.02))
    assert "alpha = 0.01" in text and "threshold 0.3" in text and "margin 0.02" in text
