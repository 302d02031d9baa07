"""The HTML report is self-contained and states scale, proxy labels and every claim."""

import base64

import numpy as np
import pandas as pd
import pytest

import asym
from asym.analysis.claims import CLAIM_COLUMNS
from asym.report import html as report

# 1x1 transparent PNG: enough to check embedding without drawing a figure
TINY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


@pytest.fixture
def inputs(tmp_path):
    claims = pd.DataFrame([
        {"claim": "C1", "statistic": "kendall_tau", "estimate": 0.2, "ci_low": -0.4, "ci_high": 0.4,
         "p_value": 0.3, "n": 5, "verdict": "supported", "scale": "demo", "note": "a <b>note</b>"},
        {"claim": "C2", "statistic": "delta", "estimate": -0.1, "ci_low": -0.5, "ci_high": 0.3,
         "p_value": 0.4, "n": 5, "verdict": "inconclusive", "scale": "demo", "note": ""},
    ] + [{"claim": c, "statistic": "not computed", "estimate": np.nan, "ci_low": np.nan,
          "ci_high": np.nan, "p_value": np.nan, "n": 0, "verdict": "inconclusive", "scale": "demo",
          "note": "stage not run at this scale"} for c in ("C3", "C4", "C5")],
        columns=CLAIM_COLUMNS)
    corr = pd.DataFrame([{"metric": "l1", "family": "classical", "backbone": "none", "init": "none",
                          "dataset": "synthetic", "n": 20, "srcc": 0.8, "srcc_ci_low": 0.7,
                          "srcc_ci_high": 0.9, "plcc": 0.82, "krcc": 0.6}])
    ev = pd.DataFrame([{"run": f"l1__{'g' if adv else 'n'}__s{s}", "generator": "swinir",
                        "fidelity": "l1", "adversarial": adv,
                        "discriminator": "patchgan" if adv else "none", "gan_weight": 0.05 * adv,
                        "seed": s, "dataset": "test", "image": "i0", "evaluator": e,
                        "score": 1.0 + s, "lower_better": e == "lpips"}
                       for adv in (False, True) for s in (0, 1) for e in ("psnr", "lpips")])
    ranks = pd.DataFrame([{"metric": "l1", "adversarial": False, "assessment_srcc": 0.8,
                           "optimization_quality": 0.1, "assessment_rank": 1, "optimization_rank": 1}])
    paths = {}
    for name, df in (("claims", claims), ("correlations", corr), ("evaluation", ev), ("ranks", ranks)):
        paths[name] = tmp_path / f"{name}.csv"
        df.to_csv(paths[name], index=False)
    paths["figure"] = tmp_path / "asymmetry.png"
    paths["figure"].write_bytes(TINY_PNG)
    paths["config"] = tmp_path / "demo.yaml"
    paths["config"].write_text("scale: demo\nanalysis: {n_boot: 10}  # <cfg>\n")
    return paths


def run_report(paths, scale, out):
    return report.main([
        "--claims", str(paths["claims"]), "--correlations", str(paths["correlations"]),
        "--evaluation", str(paths["evaluation"]), "--ranks", str(paths["ranks"]),
        "--figures", str(paths["figure"]), "--scale", scale,
        "--config-file", str(paths["config"]), "--out", str(out)])


def test_demo_report_contents(inputs, tmp_path):
    out = tmp_path / "build" / "report.html"
    assert run_report(inputs, "demo", out) == 0
    page = out.read_text(encoding="ascii")
    assert "Scale: demo" in page
    assert "NOT the paper" in page
    assert "proxy" in page
    for claim in ("C1", "C2", "C3", "C4", "C5"):
        assert f"<td>{claim}</td>" in page
    assert "data:image/png;base64," + base64.b64encode(TINY_PNG).decode() in page
    assert 'class="verdict-supported"' in page and 'class="verdict-inconclusive"' in page
    assert "rank higher in IQA" in page and "adversarial loss is added" in page  # the paper's sentences
    # text is escaped, not interpreted as markup
    assert "a &lt;b&gt;note&lt;/b&gt;" in page and "<b>note</b>" not in page
    assert "# &lt;cfg&gt;" in page and "<pre>" in page
    assert f"by asym {asym.__version__}" in page and "Generated 20" in page  # footer
    assert "seeds" in page and "psnr" in page
    assert "<script" not in page and "src=\"http" not in page  # self-contained


def test_paper_scale_statement(inputs, tmp_path):
    out = tmp_path / "report.html"
    assert run_report(inputs, "paper", out) == 0
    page = out.read_text()
    assert "Scale: paper" in page and "full protocol" in page
    assert "NOT the paper" not in page


def test_optimization_table_counts_seeds(inputs):
    t = report.optimization_table(pd.read_csv(inputs["evaluation"]))
    assert list(t["seeds"]) == [2, 2]
    assert {"psnr ↑", "lpips ↓"} <= set(t.columns)
    assert t["psnr ↑"].tolist() == [1.5, 1.5]


def test_missing_figure_fails_cleanly(inputs, tmp_path, capsys):
    inputs["figure"] = tmp_path / "nope.png"
    assert run_report(inputs, "demo", tmp_path / "r.html") == 2
    assert "figure not found" in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()


def test_optional_sections(inputs, tmp_path):
    from asym.analysis.claims import MIXEDLM_COLUMNS, PAIRWISE_COLUMNS

    mixed = pd.DataFrame([{"term": "assessment_srcc:adversarial", "coef": -1.25, "se": 0.5,
                           "ci_low": -2.23, "ci_high": -0.27, "p_value": 0.0001, "n_obs": 24,
                           "n_groups": 3, "converged": True, "note": "C2 term"}], columns=MIXEDLM_COLUMNS)
    pairwise = pd.DataFrame([{"disc_a": "patchgan", "disc_b": "vanilla", "estimate": 0.31, "ci_low": 0.1,
                              "ci_high": 0.5, "p_value": 0.01, "p_holm": 0.02, "reject": True, "n": 12}],
                            columns=PAIRWISE_COLUMNS)
    transfer = pd.DataFrame([{"backbone": "vit_b16", "init": "imagenet", "dataset": "kadid", "n": 50,
                              "seed": s, "srcc": 0.6 + 0.1 * s, "srcc_ci_low": 0.5 + 0.1 * s,
                              "srcc_ci_high": 0.7 + 0.1 * s, "plcc": 0.6} for s in (0, 1)])
    extra = []
    for name, df in (("mixedlm", mixed), ("pairwise", pairwise), ("transfer", transfer)):
        path = tmp_path / f"{name}.csv"
        df.to_csv(path, index=False)
        extra += [f"--{name}", str(path)]
    out = tmp_path / "r.html"
    rc = report.main(["--claims", str(inputs["claims"]), "--correlations", str(inputs["correlations"]),
                      "--evaluation", str(inputs["evaluation"]), "--ranks", str(inputs["ranks"]), *extra,
                      "--scale", "demo", "--out", str(out)])
    assert rc == 0
    page = out.read_text()
    assert "regression on run means" in page and "-1.250" in page and "&lt; 0.001" in page
    assert "patchgan - vanilla" in page and "0.020" in page  # Holm-corrected p
    assert "Transfer (C3, C5)" in page and "0.650 [0.550, 0.750]" in page  # mean over two seeds
    assert "not been run" not in page


def test_transfer_section_says_when_not_run(inputs, tmp_path):
    out = tmp_path / "r.html"
    assert run_report(inputs, "demo", out) == 0
    assert "The transfer stage has not been run at this scale." in out.read_text()
    # the optimization table shows the mean normalized quality with its CI per loss
    assert "95% CI (without GAN)" in out.read_text()
