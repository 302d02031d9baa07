"""End to end: the whole Snakemake workflow on the tiny config in a temporary folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from tests.conftest import REPO, TINY_CONFIG


def _snakemake(workdir, *args, configfile=TINY_CONFIG, snakefile=REPO / "Snakefile"):
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(snakefile), "--directory", str(workdir),
           "--configfile", str(configfile), *args]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run(cmd, check=False, capture_output=True, text=True, env=env, timeout=900)


@pytest.fixture()
def workflow_copy(tmp_path):
    """A copy of the workflow and package sources, so the test can edit a module safely.

    Jobs still run the installed package; the copy only decides what is out of date.
    """
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copy(REPO / "Snakefile", repo / "Snakefile")
    for folder in ("workflow", "asym", "report"):
        shutil.copytree(REPO / folder, repo / folder, ignore=shutil.ignore_patterns("__pycache__", "build"))
    return repo


@pytest.mark.slow
@pytest.mark.integration
def test_tiny_workflow_end_to_end(tiny_workdir, tiny_cfg, workflow_copy):
    def snakemake(*args):
        return _snakemake(tiny_workdir, *args, snakefile=workflow_copy / "Snakefile")

    done = snakemake("--cores", "2")
    assert done.returncode == 0, done.stderr[-4000:]

    claims = pd.read_csv(tiny_workdir / "results/analysis/claims.csv")
    assert list(claims.columns)[:9] == ["claim", "statistic", "estimate", "ci_low", "ci_high", "p_value", "n",
                                        "verdict", "scale"]
    assert claims["claim"].tolist() == ["C1", "C2", "C3", "C4", "C5"]
    assert set(claims["verdict"]) <= {"supported", "not_supported", "inconclusive"}
    assert (claims["scale"] == "demo").all()

    evaluation = pd.read_csv(tiny_workdir / "results/optimize/evaluation.csv")
    n_runs = len(tiny_cfg["optimize"]["losses"]) * len(tiny_cfg["optimize"]["adversarial"]) * len(
        tiny_cfg["optimize"]["seeds"])
    baseline = evaluation["baseline"].astype(str).str.lower().eq("true")
    assert evaluation.loc[~baseline, "run"].nunique() == n_runs
    # the bicubic baseline: every evaluator on every test image, flagged
    assert set(evaluation.loc[baseline, "run"]) == {"bicubic"}
    assert set(evaluation.loc[baseline, "evaluator"]) == set(tiny_cfg["evaluate"]["evaluators"])
    assert not (evaluation["evaluator"] == evaluation["fidelity"]).any()
    assert not ((evaluation["fidelity"] == "l1") & (evaluation["evaluator"] == "psnr")).any()

    correlations = pd.read_csv(tiny_workdir / "results/assess/correlations.csv")
    assert set(correlations["metric"]) == set(tiny_cfg["assess"]["metrics"])
    assert (correlations["scope"] == "within_distortion").all()  # the synthetic set's labels are levels

    transfer = pd.read_csv(tiny_workdir / "results/transfer/correlations.csv")
    assert set(transfer["init"]) == {"random", "disc"}  # init labels name the weights (asym.config.WEIGHTS_LABELS)
    if shutil.which("latexmk"):
        assert (tiny_workdir / "report/build/report.pdf").stat().st_size > 10_000
    assert (tiny_workdir / "report/build/tex/macros.tex").is_file()

    html = (tiny_workdir / "report/build/report.html").read_text()
    assert "proxy" in html.lower() and "data:image/png;base64" in html
    for name in ("assessment", "asymmetry", "training", "slope", "sr_grid", "gan_sweep", "discriminators",
                 "stability", "transfer"):
        assert (tiny_workdir / f"report/build/figures/{name}.png").stat().st_size > 0
        assert (tiny_workdir / f"report/build/figures/{name}.pdf").stat().st_size > 0

    again = snakemake("-n", "--cores", "2")
    assert again.returncode == 0, again.stderr[-2000:]
    assert "Nothing to be done" in again.stdout + again.stderr

    # Editing one figure module reruns that figure and the report, never training.
    figure = workflow_copy / "asym" / "report" / "figures" / "training.py"
    expected = {"figure_training", "report_html"} | ({"report_pdf"} if shutil.which("latexmk") else set())
    assert _planned_jobs(snakemake, figure) == expected
    claims = _planned_jobs(snakemake, workflow_copy / "asym" / "analysis" / "claims.py")
    assert {"claims", "report_html"} <= claims and "train_sr" not in claims
    assert "evaluate_run" not in claims and "assess_score" not in claims


def _planned_jobs(snakemake, edited) -> set[str]:
    """Rules a dry run would execute after a real edit of ``edited`` (then undone)."""
    original = edited.read_text()
    try:
        edited.write_text(original + "\n# an edit\n")
        plan = snakemake("-n", "--cores", "2", "--quiet", "rules")
    finally:
        edited.write_text(original)
    assert plan.returncode == 0, plan.stderr[-2000:]
    table = (plan.stdout + plan.stderr).split("Job stats:")[-1]
    rules = set()
    for line in table.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit() and parts[0] not in ("job", "total", "all"):
            rules.add(parts[0])
    return rules


def test_unknown_config_key_fails_the_workflow_with_its_name(tmp_path):
    text = TINY_CONFIG.read_text().replace("  steps: 4\n", "  steps: 4\n  stepz: 4\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    done = _snakemake(tmp_path, "-n", "--cores", "1", configfile=bad)
    assert done.returncode != 0
    assert "stepz" in done.stdout + done.stderr
