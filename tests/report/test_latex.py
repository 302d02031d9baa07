"""LaTeX tables and macros: escaping, every cited number generated, same numbers as the HTML."""

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from asym.analysis import summaries
from asym.analysis.claims import (
    CLAIM_COLUMNS,
    MIXEDLM_COLUMNS,
    PAIRWISE_COLUMNS,
)
from asym.report import html as report
from asym.report import latex

TRANSFER_COLUMNS = ["backbone", "init", "dataset", "n", "seed", "srcc", "srcc_ci_low", "srcc_ci_high", "plcc"]

ROOT = Path(__file__).parents[2]


@pytest.fixture
def tables():
    claims = pd.DataFrame([
        {"claim": "C1", "statistic": "kendall_tau(a, b), no GAN", "estimate": 0.4, "ci_low": -0.2,
         "ci_high": 0.8, "p_value": 0.0004, "n": 5, "verdict": "supported", "scale": "demo", "note": "x"},
        {"claim": "C2", "statistic": "tau_with_GAN - tau_without_GAN", "estimate": -0.6, "ci_low": -1.0,
         "ci_high": -0.2, "p_value": 0.03, "n": 5, "verdict": "not_supported", "scale": "demo", "note": ""},
    ] + [{"claim": c, "statistic": "not computed", "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan,
          "p_value": np.nan, "n": 0, "verdict": "inconclusive", "scale": "demo",
          "note": "stage not run at this scale"} for c in ("C3", "C4", "C5")], columns=CLAIM_COLUMNS)
    corr = pd.DataFrame([{"metric": m, "family": "x", "backbone": "", "init": "", "dataset": ds, "n": 20,
                          "srcc": s, "srcc_ci_low": s - 0.1, "srcc_ci_high": s + 0.05, "plcc": s, "krcc": s - 0.2}
                         for ds in ("synthetic", "kadid") for m, s in (("l1", 0.8), ("dists_vgg16-R", 0.6))])
    rng = np.random.default_rng(0)
    ev = pd.DataFrame([{"run": f"{m}__{'patchgan-w0.05' if adv else 'nogan'}__s{s}", "generator": "swinir",
                        "fidelity": m, "adversarial": adv, "discriminator": "patchgan" if adv else "none",
                        "gan_weight": 0.05 if adv else 0.0, "seed": s, "dataset": "test", "image": f"i{i}",
                        "evaluator": e, "score": rng.normal() + (m == "l1"), "lower_better": e == "lpips"}
                       for m in ("l1", "dists_vgg16-R") for adv in (False, True) for s in (0, 1)
                       for i in range(3) for e in ("psnr", "lpips")])
    ranks = pd.DataFrame([{"metric": m, "adversarial": adv, "assessment_srcc": a, "optimization_quality": q,
                           "optimization_ci_low": q - 0.2, "optimization_ci_high": q + 0.3, "n_runs": 2,
                           "assessment_rank": r, "optimization_rank": o}
                          for adv in (False, True)
                          for m, a, q, r, o in (("l1", 0.8, 0.5 if not adv else -0.5, 1, 1 if not adv else 2),
                                                ("dists_vgg16-R", 0.6, -0.5 if not adv else 0.5, 2,
                                                 2 if not adv else 1))])
    mixed = pd.DataFrame([{"term": "assessment_srcc:adversarial", "coef": -2.5, "se": 1.0, "ci_low": -4.46,
                           "ci_high": -0.54, "p_value": 0.012, "n_obs": 24, "n_groups": 3, "converged": True,
                           "note": "C2 term"}], columns=MIXEDLM_COLUMNS)
    pairwise = pd.DataFrame([{"disc_a": "patchgan", "disc_b": "vanilla", "estimate": 0.3, "ci_low": 0.1,
                              "ci_high": 0.5, "p_value": 0.01, "p_holm": 0.01, "reject": True, "n": 12}],
                            columns=PAIRWISE_COLUMNS)
    transfer = pd.DataFrame([{"backbone": b, "init": i, "dataset": "kadid", "n": 50, "seed": 0, "srcc": 0.7,
                              "srcc_ci_low": 0.6, "srcc_ci_high": 0.8, "plcc": 0.7}
                             for b in ("vgg16", "vit_b16") for i in ("random", "imagenet")],
                            columns=TRANSFER_COLUMNS)
    return {"claims": claims, "corr": corr, "ev": ev, "ranks": ranks, "mixed": mixed, "pairwise": pairwise,
            "transfer": transfer}


def test_escape():
    assert latex.escape("dists_vgg16-R & 95% {x}") == r"dists\_vgg16-R \& 95\% \{x\}"
    assert latex.escape("[-0.20, -1.5]") == "[$-$0.20, $-$1.5]"
    assert latex.escape("tau_with_GAN - tau_without_GAN") == r"tau\_with\_GAN - tau\_without\_GAN"
    assert latex.escape("psnr ↑ – < 0.001") == r"psnr $\uparrow$ -- $<$ 0.001"
    assert latex.escape("a\\b") == r"a\textbackslash{}b"


def _macros(text):
    return dict(re.findall(r"\\newcommand\{\\([A-Za-z]+)\}\{(.*)\}", text))


def test_write_all_files_and_macros(tables, tmp_path):
    t = tables
    paths = latex.write_all(t["claims"], t["corr"], t["ev"], t["ranks"], "demo", tmp_path,
                            mixed=t["mixed"], pairwise=t["pairwise"])
    names = {p.name for p in paths}
    assert {"macros.tex", "table_claims.tex", "table_optimization.tex", "table_evaluators.tex",
            "table_assessment.tex", "table_transfer.tex", "table_mixedlm.tex", "table_pairwise.tex",
            "verdict_rules.tex", "table_power.tex", "table_panels.tex"} == names
    macros_text = (tmp_path / "macros.tex").read_text()
    m = _macros(macros_text)
    assert m["Scale"] == "demo" and m["NumRuns"] == "8" and m["NumTestImages"] == "3"
    assert m["NumSeeds"] == "2" and m["NumIQASets"] == "2" and m["NumIQAImages"] == "40"
    assert m["ConeTau"] == "0.400" and m["ConeCIlow"] == "$-$0.200" and m["ConePstat"] == "p $<$ 0.001"
    assert m["CtwoDelta"] == "$-$0.600" and m["CtwoVerdict"] == "not supported"
    assert m["CtwoTauNoGAN"] == "1.000" and m["CtwoTauGAN"] == "$-$1.000"  # from ranks.csv
    assert m["CtwoMixedCoef"] == "$-$2.500" and m["CtwoMixedPstat"] == "p = 0.012"
    assert m["CthreeEstimate"] == "--" and m["CthreeNote"] == "stage not run at this scale"
    assert m["BestAssessMetric"] == r"l1" and m["WorstAssessMetric"] == r"dists\_vgg16-R"
    assert "proxy" in m["ScaleStatement"] and "CaptionSrGrid" in m and "CfiveSentence" in m
    assert r"\ConeComputedtrue" in macros_text and r"\CthreeComputedfalse" in macros_text
    assert r"\TransferRunfalse" in macros_text and r"\MixedLMtrue" in macros_text
    # no number is left unformatted: every numeric macro has at most 3 decimals
    for name, value in m.items():
        assert not re.search(r"\d\.\d{4,}", value), (name, value)


def test_tables_are_booktabs_and_escaped(tables, tmp_path):
    t = tables
    latex.write_all(t["claims"], t["corr"], t["ev"], t["ranks"], "paper", tmp_path, transfer=t["transfer"])
    opt = (tmp_path / "table_optimization.tex").read_text()
    assert r"\toprule" in opt and r"\midrule" in opt and r"\bottomrule" in opt
    assert r"\multicolumn{3}{c}{without GAN}" in opt and r"\label{tab:optimization}" in opt
    assert r"dists\_vgg16-R" in opt and "dists_vgg16" not in opt
    assess = (tmp_path / "table_assessment.tex").read_text()
    assert assess.count(r"\midrule") == 2  # header rule + one between the two IQA sets
    assert "kadid &" in assess and "synthetic &" in assess
    tr = (tmp_path / "table_transfer.tex").read_text()
    assert "vit\\_b16 & Transformer" in tr and "0.700 [0.600, 0.800]" in tr
    assert "not been run" in (tmp_path / "table_mixedlm.tex").read_text() or \
        "not fitted" in (tmp_path / "table_mixedlm.tex").read_text()
    assert "Fewer than two" in (tmp_path / "table_pairwise.tex").read_text()
    ev_tab = (tmp_path / "table_evaluators.tex").read_text()
    assert r"psnr $\uparrow$" in ev_tab and r"lpips $\downarrow$" in ev_tab
    for f in tmp_path.glob("table_*.tex"):  # balanced environments
        text = f.read_text()
        assert text.count(r"\begin{") == text.count(r"\end{"), f.name


def test_latex_and_html_show_the_same_numbers(tables):
    t = tables
    q = summaries.optimization_display(summaries.quality_ci(t["ranks"]))
    tex = latex.optimization_tex(t["ev"], t["ranks"])
    html = report.optimization_section(t["ev"], t["ranks"])
    for value in q["95% CI (with GAN)"]:
        assert latex.escape(value) in tex and value in html
    claims_html = report.claims_section(t["claims"])
    claims_tex = latex.claims_tex(t["claims"])
    assert "[-0.200, 0.800]" in claims_html and "[$-$0.200, 0.800]" in claims_tex
    assert "&lt; 0.001" in claims_html and "$<$ 0.001" in claims_tex
    # the optimization table's numbers are the rank table's (C1/C2's numbers), CI included
    for r in t["ranks"].itertuples():
        shown = q.set_index("fidelity loss").loc[r.metric]
        label = "with GAN" if r.adversarial else "without GAN"
        assert shown[label] == summaries.fmt(r.optimization_quality, summaries.QUALITY_DIGITS)
        assert shown[f"95% CI ({label})"] == summaries.fmt_ci(r.optimization_ci_low, r.optimization_ci_high,
                                                              summaries.QUALITY_DIGITS)


def test_cli_and_missing_input(tables, tmp_path, capsys):
    t = tables
    paths = {}
    for key in ("claims", "corr", "ev", "ranks", "transfer"):
        paths[key] = tmp_path / f"{key}.csv"
        t[key].to_csv(paths[key], index=False)
    out = tmp_path / "tex"
    rc = latex.main(["--claims", str(paths["claims"]), "--correlations", str(paths["corr"]),
                     "--evaluation", str(paths["ev"]), "--ranks", str(paths["ranks"]),
                     "--transfer", str(paths["transfer"]), "--scale", "demo", "--out-dir", str(out)])
    assert rc == 0 and (out / "macros.tex").is_file()
    assert r"\TransferRuntrue" in (out / "macros.tex").read_text()
    rc = latex.main(["--claims", str(tmp_path / "nope.csv"), "--correlations", str(paths["corr"]),
                     "--evaluation", str(paths["ev"]), "--ranks", str(paths["ranks"]), "--scale", "demo",
                     "--out-dir", str(tmp_path / "tex2")])
    assert rc == 2 and "not found" in capsys.readouterr().err and not (tmp_path / "tex2").exists()


def test_report_tex_cites_only_generated_macros(tables, tmp_path):
    text = (ROOT / "report" / "report.tex").read_text()
    t = tables
    latex.write_all(t["claims"], t["corr"], t["ev"], t["ranks"], "demo", tmp_path)
    defined = set(_macros((tmp_path / "macros.tex").read_text()))
    defined |= set(re.findall(r"\\newif\\if([A-Za-z]+)", (tmp_path / "macros.tex").read_text()))
    used = set(re.findall(r"\\(C(?:one|two|three|four|five)[A-Za-z]+|Num[A-Za-z]+|Best[A-Za-z]+|Caption[A-Za-z]+)",
                          text))
    used = {u.removeprefix("if") for u in used}
    assert used and used <= defined, used - defined
    for name in re.findall(r"\\input\{build/tex/([a-z_]+)\.tex\}", text):
        assert (tmp_path / f"{name}.tex").is_file(), name
    # no digits typed into the prose (outside comments, macros and LaTeX lengths)
    body = text[text.index(r"\begin{document}"):]
    prose = re.sub(r"(?<!\\)%.*", "", body)  # comments (an escaped \\% stays)
    prose = re.sub(r"\{[^{}]*(?:width|height)\}", "", prose)  # lengths such as 0.9\\linewidth
    prose = re.sub(r"\w+!\d+", "", prose)  # colour mixes such as black!60
    prose = re.sub(r"arXiv \S+", "", prose)  # the paper's identifier
    prose = prose.replace("95\\,\\%", "")  # the CI level, a convention of every table
    digits = re.findall(r"(?<![\\\w])\d+(?:\.\d+)?(?![\w])", prose)
    assert not digits, digits


@pytest.mark.skipif(shutil.which("latexmk") is None, reason="LaTeX (latexmk) not installed")
def test_report_tex_compiles(tables, tmp_path):
    t = tables
    rep = tmp_path / "report"
    latex.write_all(t["claims"], t["corr"], t["ev"], t["ranks"], "demo", rep / "build" / "tex",
                    mixed=t["mixed"], pairwise=t["pairwise"], transfer=t["transfer"])
    shutil.copy(ROOT / "report" / "report.tex", rep / "report.tex")
    # stand-in figures (one tiny vector PDF under every name the report includes)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 1))
    ax.plot([0, 1], [0, 1])
    (rep / "build" / "figures").mkdir(parents=True)
    fig.savefig(tmp_path / "stand_in.pdf")
    plt.close(fig)
    for stem in summaries.CAPTIONS:
        shutil.copy(tmp_path / "stand_in.pdf", rep / "build" / "figures" / f"{stem}.pdf")
    proc = subprocess.run(["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error",
                           "-outdir=build", "report.tex"], check=False, cwd=rep, capture_output=True,
                          text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert (rep / "build" / "report.pdf").read_bytes()[:5] == b"%PDF-"
    log = (rep / "build" / "report.log").read_text(errors="replace")
    assert "There were undefined references" not in log
    assert "has not been built" not in proc.stdout
