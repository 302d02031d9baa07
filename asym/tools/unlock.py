"""Release a Snakemake lock that a killed run left behind, and only then.

    python -m asym.tools.unlock            # what `make demo` runs before Snakemake

A Snakemake run killed outright (SIGKILL, a closed terminal, a lost node) cannot remove
its lock in ``.snakemake/locks``, and the next run then refuses to start ("Directory
cannot be locked"). Unlocking while another Snakemake works in the same directory
would let two runs write the same files, so this looks first: the lock is stale when no
live process whose working directory is this one runs Snakemake (Linux ``/proc``; where
there is no ``/proc`` nothing is unlocked and Snakemake's own message stands). Outputs
a killed job left half-written are Snakemake's to redo (``rerun-incomplete`` in the
profiles).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

LOCKS = Path(".snakemake") / "locks"


def _is_snakemake(cmdline: list[str]) -> bool:
    """A Snakemake process: the console script, ``python .../snakemake`` or ``python -m snakemake``."""
    names = [Path(a).name for a in cmdline[:2]]
    return "snakemake" in names or cmdline[1:3] == ["-m", "snakemake"]


def live_snakemake(workdir: Path, proc: Path = Path("/proc")) -> list[int] | None:
    """Process ids of the Snakemake runs working in ``workdir``; None where processes cannot be listed."""
    if not proc.is_dir():
        return None
    workdir = workdir.resolve()
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cwd = Path(os.readlink(entry / "cwd"))
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:  # gone meanwhile, or another user's process
            continue
        if cwd == workdir and _is_snakemake([c for c in cmdline if c]):
            found.append(int(entry.name))
    return sorted(found)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    # Everything given is passed on to `snakemake --unlock` (e.g. --profile workflow/profiles/local).
    _, passed = parser.parse_known_args(argv)
    locks = [p for p in LOCKS.glob("*") if p.is_file()] if LOCKS.is_dir() else []
    if not locks:
        return 0
    live = live_snakemake(Path.cwd())
    if live is None:
        print(f"{LOCKS} holds {len(locks)} lock files; cannot tell whether a Snakemake still runs here, "
              "so they stay (run `snakemake --unlock` if none does)", file=sys.stderr)
        return 0
    if live:
        print(f"Snakemake is running in this directory (pid {', '.join(map(str, live))}); its lock stays",
              file=sys.stderr)
        return 0
    print(f"unlocking {LOCKS}: left by a Snakemake run that was killed (no Snakemake runs here now)",
          file=sys.stderr)
    return subprocess.run([sys.executable, "-m", "snakemake", "--unlock", *passed], check=False).returncode


if __name__ == "__main__":
    import asym.errors

    asym.errors.run(main)
