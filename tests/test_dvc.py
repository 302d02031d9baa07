"""DVC and Snakemake around the paper data: a real `dvc repro` of a fetch stage against a
loopback server, a `dvc push`/`dvc pull` round trip through a local directory remote, and
`snakemake -n` of the paper config listing every job of the study."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from asym.data.iqa_sets import load_iqa_set
from tests.data.test_fetch import KADID_PATH, LoopbackServer, kadid_zip, pinned

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # dvc, snakemake and the `python` DVC stages call


def run(*args, cwd, env=None, check=True):
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def dvc_repo(path: Path) -> dict:
    """An empty git + DVC repository at ``path``; returns the environment to run DVC in."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "DVC_NO_ANALYTICS": "1"}
    path.mkdir(parents=True)
    run("git", "init", "-q", cwd=path, env=env)
    run(str(BIN / "dvc"), "init", "-q", cwd=path, env=env)
    return env


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_dvc_repro_runs_the_fetch_stage_against_the_mirror(tmp_path):
    repo = tmp_path / "repo"
    env = dvc_repo(repo)
    (repo / "data" / "paper").mkdir(parents=True)
    for name in ("dvc.yaml", "sources.yaml", "weights.yaml"):
        shutil.copy(REPO / "data" / "paper" / name, repo / "data" / "paper" / name)
    archive = kadid_zip(tmp_path)
    checksums = yaml.safe_load((REPO / "data" / "paper" / "checksums.yaml").read_text())
    checksums.update(pinned("kadid10k", {"kadid10k.zip": archive}))  # as `fetch pin` would record it
    (repo / "data" / "paper" / "checksums.yaml").write_text(yaml.safe_dump(checksums))
    server = LoopbackServer()
    server.files[KADID_PATH] = archive
    try:
        env["ASYM_DATA_MIRROR"] = server.url
        # A plain `dvc repro` reproduces the top-level dvc.yaml (the demo's) and never a paper stage.
        (repo / "dvc.yaml").write_text("stages:\n  demo:\n    cmd: echo demo > demo.txt\n    outs: [demo.txt]\n")
        plain = run(str(BIN / "dvc"), "repro", cwd=repo, env=env).stdout
        assert "'demo'" in plain and "data@" not in plain and server.requests == []
        run(str(BIN / "dvc"), "repro", "data/paper/dvc.yaml:data@kadid10k", cwd=repo, env=env)
    finally:
        server.close()
    target = repo / "data" / "paper" / "iqa" / "kadid10k"
    assert len(load_iqa_set("kadid10k", target)) == 3
    assert server.requests == [KADID_PATH]
    lock = yaml.safe_load((repo / "data" / "paper" / "dvc.lock").read_text())
    stage = lock["stages"]["data@kadid10k"]
    assert stage["outs"][0]["path"] == "data/paper/iqa/kadid10k" and stage["outs"][0]["nfiles"] == 6
    assert stage["params"]["data/paper/checksums.yaml"]["kadid10k"]["kadid10k.zip"]["size"] == len(archive)
    status = run(str(BIN / "dvc"), "status", "data/paper/dvc.yaml:data@kadid10k", cwd=repo, env=env).stdout
    assert "up to date" in status


def test_dvc_push_and_pull_through_a_local_directory_remote(tmp_path):
    repo = tmp_path / "repo"
    env = dvc_repo(repo)
    dvc = str(BIN / "dvc")
    remote = tmp_path / "labstore"
    run(dvc, "remote", "add", "-d", "labstore", str(remote), cwd=repo, env=env)
    data = repo / "data" / "paper" / "iqa" / "kadid10k"
    from tests.iqa_fixtures import BUILDERS

    BUILDERS["kadid10k"](data)
    before = tree(data)
    run(dvc, "add", "-q", "data/paper/iqa/kadid10k", cwd=repo, env=env)
    run(dvc, "push", "-q", cwd=repo, env=env)
    assert any(p.is_file() for p in remote.rglob("*"))
    shutil.rmtree(data)
    shutil.rmtree(repo / ".dvc" / "cache")
    run(dvc, "pull", "-q", "data/paper/iqa/kadid10k.dvc", cwd=repo, env=env)
    assert tree(data) == before
    assert len(load_iqa_set("kadid10k", data)) == 3


def job_counts(output: str) -> dict[str, int]:
    table = output[output.index("Job stats:"):]
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.MULTILINE)}


def test_snakemake_dry_run_of_the_paper_config_lists_every_job():
    from asym.config import fitted_files, load_config, runs, transfer_jobs, transfer_weights
    from asym.data.fetch import dvc_stages

    config = REPO / "workflow" / "config" / "paper.yaml"
    cfg = load_config(config)
    result = run(str(BIN / "snakemake"), "-n", "--configfile", str(config), cwd=REPO)
    counts = job_counts(result.stdout + result.stderr)
    n_runs = len(runs(cfg))
    assert counts["train_sr"] == n_runs and counts["evaluate_run"] == n_runs
    assert counts["assess_score"] == len(cfg["assess"]["metrics"]) * len(cfg["assess"]["datasets"])
    assert counts["train_iqa"] == len(transfer_jobs(cfg))
    used = set(cfg["assess"]["metrics"]) | set(cfg["optimize"]["losses"]) | set(cfg["evaluate"]["evaluators"])
    assert counts["fit_metric"] == len(fitted_files(cfg, sorted(used)))
    fetches = {name for name in counts if name.startswith("fetch_")}
    # One fetch job per data folder / weight file that some job reads, unless it is already there.
    fitted = {cfg["metrics"][m]["fit"]["dataset"] for m in used if "fit" in cfg["metrics"][m]}
    sets = set(cfg["assess"]["datasets"]) | set(cfg["transfer"]["datasets"]) | fitted
    read = {cfg["data"]["sr_train"], cfg["data"]["sr_test"]} | {cfg["data"]["iqa_sets"][s]["root"] for s in sets}
    read |= {cfg["metrics"][m]["weights"] for m in used if cfg["metrics"][m].get("init") == "imagenet"}
    read |= {transfer_weights(cfg, name, init) for name, b in cfg["transfer"]["backbones"].items()
             for init in b["inits"]} - {None}
    read |= {d["weights"] for d in cfg["optimize"]["discriminators"].values() if d.get("weights")}
    read |= {cfg["optimize"]["pretrain"]["official"]} if cfg["optimize"].get("pretrain", {}).get("official") else set()
    read |= {spec["root"] for spec in (cfg["assess"].get("human_sets") or {}).values()}  # 2AFC sets (assess_human)
    stages = dvc_stages(cfg)
    expected = {f"fetch_{stages[p][0].replace('-', '_')}" for p in read if p in stages and not (REPO / p).exists()}
    assert fetches == expected and all(counts[name] == 1 for name in fetches)
    assert fetches or all((REPO / p).exists() for p in read)
    assert counts["all"] == 1
