"""Releasing a stale Snakemake lock (what `make demo` runs first): only when no Snakemake
works in the folder.

    python -m pytest -q tests/tools/test_unlock.py
"""

from __future__ import annotations

import os
import subprocess
import sys

from asym.tools import unlock


def _fake_proc(root, entries):
    """A /proc-like folder: one numbered entry per (cwd, argv)."""
    for pid, (cwd, argv) in enumerate(entries, start=1000):
        entry = root / str(pid)
        entry.mkdir(parents=True)
        os.symlink(cwd, entry / "cwd")
        (entry / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")
    (root / "self").mkdir()  # not a process id: ignored
    return root


def test_live_snakemake_is_found_by_working_directory(tmp_path):
    here, elsewhere = tmp_path / "repo", tmp_path / "other"
    here.mkdir()
    elsewhere.mkdir()
    proc = _fake_proc(tmp_path / "proc", [
        (here, ["/venv/bin/python", "/venv/bin/snakemake", "--cores", "2"]),   # pid 1000
        (elsewhere, ["/venv/bin/python", "/venv/bin/snakemake"]),             # another folder
        (here, ["/bin/sh", "-c", "snakemake --profile x"]),                   # a shell naming it
        (here, ["/venv/bin/python", "-m", "snakemake", "-n"]),                # pid 1003
        (here, ["/venv/bin/python", "-m", "asym.optimize.train_sr"]),         # a job of the run
    ])
    assert unlock.live_snakemake(here, proc) == [1000, 1003]
    assert unlock.live_snakemake(elsewhere, proc) == [1001]
    assert unlock.live_snakemake(here, tmp_path / "no_proc") is None


def test_no_lock_nothing_to_do(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "asym.tools.unlock"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0 and proc.stderr == ""


def test_lock_of_a_live_run_stays(tmp_path, monkeypatch, capsys):
    locks = tmp_path / ".snakemake" / "locks"
    locks.mkdir(parents=True)
    (locks / "0.input.lock").write_text("x")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(unlock, "live_snakemake", lambda workdir: [4242])
    assert unlock.main([]) == 0
    assert (locks / "0.input.lock").exists()
    assert "pid 4242" in capsys.readouterr().err


def test_stale_lock_is_released(tmp_path):
    """No Snakemake runs in the folder: `snakemake --unlock` removes the lock files."""
    (tmp_path / "Snakefile").write_text("rule all:\n    input: []\n")
    locks = tmp_path / ".snakemake" / "locks"
    locks.mkdir(parents=True)
    (locks / "0.input.lock").write_text("left by a killed run")
    proc = subprocess.run([sys.executable, "-m", "asym.tools.unlock", "--cores", "1"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "left by a Snakemake run that was killed" in proc.stderr
    assert not locks.exists() or not any(locks.iterdir())  # snakemake --unlock removes the folder
