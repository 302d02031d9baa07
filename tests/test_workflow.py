"""End to end: the whole Snakemake workflow on the tiny config in a temporary folder."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest

from tests.conftest import REPO, TINY_CONFIG

SNAKEMAKE = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile")]


def _snakemake(workdir, *args, configfile=TINY_CONFIG):
    cmd = [*SNAKEMAKE, "--directory", str(workdir), "--configfile", str(configfile), *args]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)


@pytest.mark.slow
def test_tiny_workflow_end_to_end(tiny_workdir, tiny_cfg):
    done = _snakemake(tiny_workdir, "--cores", "2")
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
    assert evaluation["run"].nunique() == n_runs
    assert not (evaluation["evaluator"] == evaluation["fidelity"]).any()
    assert not ((evaluation["fidelity"] == "l1") & (evaluation["evaluator"] == "psnr")).any()

    correlations = pd.read_csv(tiny_workdir / "results/assess/correlations.csv")
    assert set(correlations["metric"]) == set(tiny_cfg["assess"]["metrics"])

    html = (tiny_workdir / "report/build/report.html").read_text()
    assert "proxy" in html.lower() and "data:image/png;base64" in html
    for name in ("assessment", "asymmetry", "training"):
        assert (tiny_workdir / f"report/build/figures/{name}.png").stat().st_size > 0
        assert (tiny_workdir / f"report/build/figures/{name}.pdf").stat().st_size > 0

    again = _snakemake(tiny_workdir, "-n", "--cores", "2")
    assert again.returncode == 0, again.stderr[-2000:]
    assert "Nothing to be done" in again.stdout + again.stderr


def test_unknown_config_key_fails_the_workflow_with_its_name(tmp_path):
    text = TINY_CONFIG.read_text().replace("  steps: 4\n", "  steps: 4\n  stepz: 4\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    done = _snakemake(tmp_path, "-n", "--cores", "1", configfile=bad)
    assert done.returncode != 0
    assert "stepz" in done.stdout + done.stderr
