"""The study kit in the workflow and the asym command: rule judge_build's jobs (dry run on
the tiny config), not required by `rule all`, and `asym judge build|invite|fit` end to end."""

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from asym.cli import main
from tests.judge_fixtures import TINY, write_inputs

REPO = Path(__file__).resolve().parents[2]


def dry_run(workdir, *targets):
    cmd = [sys.executable, "-m", "snakemake", *targets, "--snakefile", str(REPO / "Snakefile"), "--directory",
           str(workdir), "-n", "--cores", "1", "--quiet", "rules", "--configfile", str(TINY)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout + done.stderr


@pytest.mark.slow  # two Snakemake dry runs, about 20 s
def test_judge_build_is_a_rule_but_not_part_of_all(tiny_workdir):
    assert "judge_build" in dry_run(tiny_workdir, "judge_build")
    assert "judge_build" not in dry_run(tiny_workdir)


def test_asym_judge_commands(tmp_path, capsys):
    _, runs_dir, test_dir = write_inputs(tmp_path)
    study = tmp_path / "study"
    main(["judge", "build", "--config", str(TINY), "--out", str(study), "--runs-dir", str(runs_dir),
          "--test-dir", str(test_dir), "--max-all", "4", "--per-condition", "2"])
    assert "16 trials over 2 images and 6 conditions" in capsys.readouterr().out
    main(["judge", "invite", str(study), "--n", "2", "--base-url", "http://127.0.0.1:9999"])
    links = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in links] == ["O001", "O002"]
    assert all(line.split("\t")[1].startswith("http://127.0.0.1:9999/o/") for line in links)
    main(["judge", "fit", str(study), "--out-dir", str(tmp_path / "out"), "--n-boot", "10"])
    assert pd.read_csv(tmp_path / "out" / "observers.csv").empty  # invited, nobody answered yet
    assert not (tmp_path / "out" / "human_evaluation.csv").exists()
