"""The SLURM path for real: the tiny workflow through sbatch on a single-node test cluster.

    sudo .venv/bin/python -m pytest tests/test_slurm.py     # root, slurm-wlm and munge installed

The cluster test starts SLURM with scripts/slurm/start-test-cluster.sh (stopped afterwards,
also on failure), runs `snakemake --profile workflow/profiles/slurm` on the tiny config with
the demo scale of the profile (no GPU requests), and checks that every job went through
sbatch and ran to completion under SLURM, and that the results equal a local run's. Without
root or the SLURM packages it is skipped with the reason and the command that installs them.
The profile checks at the bottom need no cluster.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import REPO, TINY_CONFIG

PROFILE = REPO / "workflow" / "profiles" / "slurm"
SCRIPTS = REPO / "scripts" / "slurm"
SLURM_CONF = Path("/etc/slurm/slurm.conf")
CONF_MARKER = "# asym single-node test cluster (scripts/slurm/start-test-cluster.sh)"
INSTALL = "apt-get update && apt-get install -y slurm-wlm munge (or: .ci/slurm-setup.sh)"
RESULTS = ["results/analysis/claims.csv", "results/optimize/evaluation.csv", "results/assess/correlations.csv"]
LOCK_WAIT_S = 900
SUBMITTED = re.compile(r"Job (\d+) has been submitted with SLURM jobid (\d+)")


def _why_no_cluster() -> str | None:
    """Why a test cluster cannot be started here, or None."""
    if os.geteuid() != 0:
        return "the SLURM test cluster needs root (it starts slurmctld, slurmd and munged)"
    path = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])  # daemons live in sbin
    missing = [cmd for cmd in ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "srun")
               if shutil.which(cmd, path=path) is None]
    if missing:
        return f"{', '.join(missing)} not installed; install with: {INSTALL}"
    try:
        import snakemake_executor_plugin_slurm  # noqa: F401
    except ImportError:
        return f"snakemake-executor-plugin-slurm not installed; install with: {sys.executable} -m pip install -e '.[slurm]'"
    if SLURM_CONF.exists() and SLURM_CONF.read_text().splitlines()[:1] != [CONF_MARKER]:
        return f"{SLURM_CONF} belongs to another SLURM installation; the test cluster would replace it"
    return None


def _clean_env(**extra) -> dict:
    """This process's environment without settings that would change the profile or SLURM."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ASYM_SLURM_", "SBATCH_", "SLURM_", "SQUEUE_")) and k != "SNAKEMAKE_PROFILE"}
    return {**env, "HF_HUB_OFFLINE": "1", **extra}


@pytest.fixture(scope="module")
def slurm_cluster():
    """A running single-node SLURM; yields its state folder (logs under log/).

    One machine has one test cluster (/etc/slurm/slurm.conf, SLURM's ports), so concurrent
    test sessions take turns: a file lock is held while the cluster is in use."""
    reason = _why_no_cluster()
    if reason:
        pytest.skip(reason)
    with open(Path(tempfile.gettempdir()) / "asym-slurm-test.lock", "w") as lock:
        deadline = time.monotonic() + LOCK_WAIT_S
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    pytest.skip(f"another test session held the SLURM test cluster for over {LOCK_WAIT_S} s")
                time.sleep(2)
        yield from _cluster()


def _cluster():
    env = _clean_env()
    state = Path(os.environ.get("ASYM_SLURM_TEST_DIR", "/tmp/asym-slurm-test"))
    env["ASYM_SLURM_TEST_DIR"] = str(state)
    def start_cluster():
        return subprocess.run([str(SCRIPTS / "start-test-cluster.sh")], check=False, capture_output=True,
                              text=True, env=env, timeout=120)

    start = start_cluster()
    if start.returncode != 0 and "half up" in start.stderr:  # left over from an interrupted session
        subprocess.run([str(SCRIPTS / "stop-test-cluster.sh")], check=False, env=env, timeout=120,
                       capture_output=True)
        start = start_cluster()
    # A cluster someone started by hand is used and left running; one started here is stopped.
    ours = "already running" not in start.stdout
    try:
        assert start.returncode == 0, f"start-test-cluster.sh failed:\n{start.stdout}\n{start.stderr}"
        yield state
    finally:
        if ours:
            subprocess.run([str(SCRIPTS / "stop-test-cluster.sh"), "--keep-logs"], check=False, env=env,
                           timeout=120, capture_output=True)


def _workdir(tmp_path: Path, name: str, tiny_workdir: Path) -> Path:
    """A fresh work folder with the prepared tiny data (copied: each run writes its own results)."""
    work = tmp_path / name
    shutil.copytree(tiny_workdir / "data", work / "data")
    return work


def _snakemake_cmd(work: Path, *args) -> list[str]:
    return [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
            "--configfile", str(TINY_CONFIG), "--directory", str(work), *args]


def _run_cmd(work: Path, *args) -> list[str]:
    """Snakemake up to the compared results: every stage that computes numbers (the figures
    and the report, which only read them, are left to tests/test_workflow.py)."""
    return _snakemake_cmd(work, *args, *RESULTS)


def _jobs_run(log: str, local: bool) -> list[str]:
    """Rule names of the jobs a Snakemake log announces: `rule X:` (submitted to the executor)
    or `localrule X:` (run by Snakemake itself)."""
    return sorted(re.findall(r"^localrule (\w+):$" if local else r"^rule (\w+):$", log, flags=re.MULTILINE))


@pytest.mark.slow
@pytest.mark.integration
def test_tiny_workflow_through_slurm_equals_local_run(slurm_cluster, tiny_workdir, tmp_path):
    local_dir = _workdir(tmp_path, "local", tiny_workdir)
    slurm_dir = _workdir(tmp_path, "slurm", tiny_workdir)

    # The local reference runs while the SLURM jobs wait in the queue (same 2 cores, less wall time).
    local = subprocess.Popen(_run_cmd(local_dir, "--cores", "2"), stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, env=_clean_env())
    try:
        # Demo scale of the profile: CPU-only requests (no --gpus), minutes of wall time, 2 GB.
        slurm = subprocess.run(
            _run_cmd(slurm_dir, "--profile", str(PROFILE), "--slurm-keep-successful-logs",
                     "--slurm-init-seconds-before-status-checks", "1", "--retries", "0", "--printshellcmds"),
            check=False, capture_output=True, text=True, timeout=900,
            env=_clean_env(ASYM_SLURM_SCALE="demo", ASYM_SLURM_GPUS="0"),
        )
        local_log, _ = local.communicate(timeout=900)
    finally:
        if local.poll() is None:
            local.kill()
    slurm_log = slurm.stdout + slurm.stderr
    ctld_log = (slurm_cluster / "log" / "slurmctld.log").read_text()
    assert local.returncode == 0, local_log[-3000:]
    assert slurm.returncode == 0, slurm_log[-4000:] + "\n--- slurmctld.log\n" + ctld_log[-2000:]

    # Every job Snakemake ran went through sbatch: one SLURM job id per job, each allocated
    # by slurmctld and finished with exit status 0, each with its SLURM log.
    jobs = _jobs_run(slurm_log, local=False)
    assert not _jobs_run(slurm_log, local=True), "jobs ran on the submit host, not through SLURM"
    assert jobs == _jobs_run(local_log, local=True), "the SLURM run ran other jobs than the local run"
    submitted = dict(SUBMITTED.findall(slurm_log))
    assert len(submitted) == len(jobs) and {"assess_score", "train_sr", "evaluate_run", "claims"} <= set(jobs), \
        (submitted, jobs)
    slurm_ids = set(submitted.values())
    assert len(slurm_ids) == len(jobs)
    for jid in slurm_ids:
        assert re.search(rf"sched\S* .*(Allocate|Started) JobId={jid} ", ctld_log), f"slurmctld never started job {jid}"
        assert re.search(rf"_job_complete: JobId={jid} WEXITSTATUS 0", ctld_log), f"SLURM job {jid} did not exit 0"
    slurm_logs = {p.stem: p for p in (slurm_dir / ".snakemake" / "slurm_logs").rglob("*.log")}
    assert set(slurm_logs) == slurm_ids
    # Jobs ran this interpreter (rules call sys.executable of the job's Snakemake), as the
    # shell command that --printshellcmds writes to each SLURM log shows.
    python = re.escape(str(Path(sys.executable).parent)) + r"/python[\d.]* -m asym\.optimize\.train_sr "
    for path in slurm_logs.values():
        if "rule_train_sr" in str(path):
            assert re.search(python, path.read_text()), path.read_text()[-3000:]

    # Same numbers as the local run (training is deterministic on the CPU with fixed seeds).
    for rel in RESULTS:
        got, want = pd.read_csv(slurm_dir / rel), pd.read_csv(local_dir / rel)
        pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=0, atol=1e-9, obj=rel)


# --- the profile itself (no cluster needed)

def _profile(**env) -> dict:
    """The profile as Snakemake reads it, with the given ASYM_SLURM_* environment."""
    from snakemake.profiles import ProfileConfigFileParser

    saved = dict(os.environ)
    try:
        for key in [k for k in os.environ if k.startswith("ASYM_SLURM_")]:
            del os.environ[key]
        os.environ.update(env)
        with open(PROFILE / "config.yaml") as stream:
            return ProfileConfigFileParser().parse(stream)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _set_resources(profile: dict) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for entry in profile["set-resources"]:
        rule, assign = entry.split(":", 1)
        key, value = assign.split("=", 1)
        out.setdefault(rule, {})[key] = value
    return out


def _workflow_rules(work: Path) -> set[str]:
    """The workflow's rule names, as Snakemake lists them (figure rules are generated)."""
    done = subprocess.run(_snakemake_cmd(work, "--list-rules"), check=False, capture_output=True, text=True,
                          timeout=120, env=_clean_env())
    assert done.returncode == 0, done.stderr[-2000:]
    return set(done.stdout.split())


def _rules_with_a_device() -> set[str]:
    """Rules whose command takes --device (they run on the GPU at paper scale)."""
    rules = set()
    for path in (REPO / "workflow" / "rules").glob("*.smk"):
        blocks = re.split(r"^rule (\w+):", path.read_text(), flags=re.MULTILINE)
        rules |= {name for name, body in zip(blocks[1::2], blocks[2::2]) if "--device" in body}
    return rules


def test_profile_requests_gpus_at_paper_scale_only():
    paper = _set_resources(_profile())
    # train_sr gets the device inside its --spec; the others as --device
    gpu_rules = _rules_with_a_device() | {"train_sr"}
    assert {"evaluate_run", "assess_score"} <= gpu_rules
    for rule in gpu_rules:
        assert paper.get(rule, {}).get("gpu") == "1", f"rule {rule} runs with --device but the profile gives it no GPU"
    wasted = {rule for rule, res in paper.items() if "gpu" in res} - gpu_rules
    assert not wasted, f"the profile gives GPUs to rules that never use one: {sorted(wasted)}"
    assert paper["train_sr"]["cpus_per_gpu"] == "8"  # = optimize.threads of paper.yaml
    assert "gpu" not in paper["claims"]
    demo = _set_resources(_profile(ASYM_SLURM_SCALE="demo"))
    assert not any("gpu" in key for res in demo.values() for key in res)
    cpu_paper = _set_resources(_profile(ASYM_SLURM_GPUS="0"))
    assert not any("gpu" in key for res in cpu_paper.values() for key in res)
    assert cpu_paper["train_sr"]["runtime"] == paper["train_sr"]["runtime"]


def test_profile_gives_pretraining_gpus_only_when_asked():
    # paper.yaml imports the published checkpoint: no GPU held for it by default.
    assert "gpu" not in _set_resources(_profile())["pretrain_sr"]
    pretrain = _set_resources(_profile(ASYM_SLURM_PRETRAIN_GPUS="4", ASYM_SLURM_GPU_PARTITION="gpu"))["pretrain_sr"]
    train = _set_resources(_profile(ASYM_SLURM_TRAIN_GPUS="4", ASYM_SLURM_GPU_PARTITION="gpu"))["train_sr"]
    assert pretrain == train  # the same GPU, CPU, memory and wall-time lines as a training run


def test_profile_takes_partition_and_account_from_the_environment():
    bare = _profile()
    assert not any(r.startswith(("slurm_partition", "slurm_account")) for r in bare["default-resources"])
    assert bare["executor"] == "slurm" and bare["slurm-status-command"] == "squeue"
    env = _profile(ASYM_SLURM_PARTITION="all", ASYM_SLURM_GPU_PARTITION="gpu-a100", ASYM_SLURM_ACCOUNT="lab1",
                   ASYM_SLURM_GPU_MODEL="a100")
    assert "slurm_partition='all'" in env["default-resources"]  # quoted: `all` is a Python builtin
    assert "slurm_account='lab1'" in env["default-resources"]
    res = _set_resources(env)
    assert res["train_sr"]["slurm_partition"] == "'gpu-a100'" and res["train_sr"]["gpu_model"] == "'a100'"
    assert "slurm_partition" not in res["claims"]  # CPU jobs: the default partition
    with pytest.raises(Exception, match="ASYM_SLURM_SCALE"):
        _profile(ASYM_SLURM_SCALE="huge")


def test_profile_sets_resources_of_existing_rules_only(tmp_path):
    """A renamed rule would silently fall back to the default resources (no GPU for training)."""
    rules = _workflow_rules(tmp_path)
    assert {"train_sr", "evaluate_run", "assess_score", "claims"} <= rules
    named = set(_set_resources(_profile()))
    assert named <= rules, f"the slurm profile names rules the workflow lacks: {sorted(named - rules)}"


FAKE_SLURM = {
    # sbatch records its arguments and refuses, so that no job runs and Snakemake stops soon
    "sbatch": 'echo "$*" >> "$FAKE_SLURM_CALLS"; echo "fake sbatch: not submitting" >&2; exit 1',
    "sinfo": 'echo PARTITION; echo "debug*"',
    "sacctmgr": "echo lab1",  # the account list the plugin validates ASYM_SLURM_ACCOUNT against
    "sacct": "exit 1", "sshare": "exit 1", "squeue": "exit 1", "scontrol": "exit 1", "srun": "exit 1",
}


def test_sbatch_requests_at_paper_scale(tiny_workdir, tmp_path):
    """The sbatch lines the profile produces for a GPU cluster (fake SLURM commands record them)."""
    pytest.importorskip("snakemake_executor_plugin_slurm",
                        reason="snakemake-executor-plugin-slurm not installed; pip install -e '.[slurm]'")
    fake = tmp_path / "bin"
    fake.mkdir()
    for name, body in FAKE_SLURM.items():
        (fake / name).write_text(f"#!/bin/sh\n{body}\n")
        (fake / name).chmod(0o755)
    calls = tmp_path / "sbatch-calls.txt"
    work = _workdir(tmp_path, "work", tiny_workdir)
    env = _clean_env(PATH=f"{fake}:{os.environ['PATH']}", FAKE_SLURM_CALLS=str(calls),
                     ASYM_SLURM_PARTITION="cpu", ASYM_SLURM_GPU_PARTITION="gpu", ASYM_SLURM_ACCOUNT="lab1",
                     ASYM_SLURM_GPU_MODEL="a100")
    done = subprocess.run(_snakemake_cmd(work, "--profile", str(PROFILE), "--retries", "0",
                                         "--slurm-init-seconds-before-status-checks", "1"),
                          check=False, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode != 0 and calls.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    lines = {re.search(r"--comment (\S+)", line).group(1): line for line in calls.read_text().splitlines()}
    train = next(line for comment, line in lines.items() if comment.startswith("rule_train_sr_"))
    for flag in ("-p gpu", "-A lab1", "--gpus=a100:1", "--cpus-per-gpu=8", "-t 1440", "--mem 32000", "--requeue"):
        assert f" {flag} " in f" {train} ", (flag, train)
    snapshot = lines["rule_config_snapshot"]
    for flag in ("-p cpu", "-A lab1", "--cpus-per-task=1", "-t 10", "--mem 1000", "--requeue"):
        assert f" {flag} " in f" {snapshot} ", (flag, snapshot)
    assert "--gpus" not in snapshot
