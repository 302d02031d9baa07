"""The human ranking beside the model panel's (asym.analysis.human) and its report section."""

import pandas as pd
import pytest

from asym.analysis.human import human_vs_panel
from asym.report.human import human_section

RUNS = ["a__nogan__s0", "b__nogan__s0", "c__nogan__s0", "d__nogan__s0"]


def evaluation(panel_order):
    """Model rows: two evaluators (one lower-better) that order the runs as ``panel_order`` (best first)."""
    rows = []
    for rank, run in enumerate(panel_order):
        for image in ("x", "y"):
            rows.append({"run": run, "fidelity": run[0], "setting": "nogan", "image": image, "evaluator": "psnr",
                         "score": 30.0 - rank, "lower_better": False})
            rows.append({"run": run, "fidelity": run[0], "setting": "nogan", "image": image, "evaluator": "gmsd",
                         "score": 0.1 + 0.02 * rank, "lower_better": True})
    return pd.DataFrame(rows)


def human(order):
    rows = [{"run": run, "fidelity": run[0], "setting": "nogan", "image": image, "evaluator": "human",
             "score": 1.5 - rank, "lower_better": False, "baseline": False}
            for rank, run in enumerate(order) for image in ("x", "y")]
    rows += [{"run": "bicubic", "fidelity": "none", "setting": "none", "image": image, "evaluator": "human",
              "score": -3.0, "lower_better": False, "baseline": True} for image in ("x", "y")]
    return pd.DataFrame(rows)


def test_identical_rankings_agree_fully():
    table, agreement = human_vs_panel(evaluation(RUNS), human(RUNS))
    assert agreement["kendall_tau"] == pytest.approx(1.0) and agreement["concordant_share"] == 1.0
    assert agreement["n_runs"] == 4 and agreement["panel"] == "gmsd, psnr"
    assert list(table["run"]) == RUNS + ["bicubic"]
    assert list(table["human_rank"][:4]) == [1, 2, 3, 4] and pd.isna(table["human_rank"].iloc[-1])


def test_reversed_rankings_disagree():
    _, agreement = human_vs_panel(evaluation(RUNS), human(RUNS[::-1]))
    assert agreement["kendall_tau"] == pytest.approx(-1.0) and agreement["concordant_share"] == 0.0
    _, agreement = human_vs_panel(evaluation(RUNS), human([RUNS[1], RUNS[0], RUNS[2], RUNS[3]]))
    assert agreement["concordant_share"] == pytest.approx(5 / 6)


def test_without_human_rows_the_report_says_so():
    assert human_vs_panel(evaluation(RUNS), None) is None
    assert human_vs_panel(evaluation(RUNS), human(RUNS).iloc[:0]) is None
    text = human_section(evaluation(RUNS), None)
    assert "No human judgements collected" in text and "model evaluator panel" in text
    assert 'id="human-ranking"' not in text


def test_section_shows_both_rankings():
    text = human_section(evaluation(RUNS), human(RUNS))
    assert 'id="human-ranking"' in text and "Kendall tau" in text and "1.000" in text
    assert text.count("<tr>") == 1 + 5  # header + four runs + bicubic


def test_agreement_section():
    from asym.report.human import agreement_section

    table = pd.DataFrame([
        {"metric": m, "dataset": "bapps", "category": c, "measure": "2afc", "n": 10, "agreement": a,
         "ci_low": a - 0.05, "ci_high": a + 0.05, "human_ceiling": 0.8, "lower_better": True}
        for m, a in (("l1", 0.6), ("dists", 0.7)) for c in ("cnn", "all")])
    text = agreement_section(table)
    assert text.index("dists") < text.index("l1")  # best first
    assert text.count("<tr>") == 1 + 2  # overall rows only
    assert agreement_section(None) == "" and agreement_section(table.iloc[:0]) == ""
