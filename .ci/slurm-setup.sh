#!/usr/bin/env bash
# What tests/test_slurm.py needs beyond `make test`'s own set-up: SLURM and munge from the
# Debian packages (root only; skipped with a note otherwise) and the Snakemake SLURM
# executor plugin in .venv (the `[slurm]` extra). Idempotent; quiet unless something fails.
#
#   .ci/slurm-setup.sh        # from .ci/run, before `make test`
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
export PATH="$PATH:/usr/sbin:/sbin"  # the daemons live in sbin
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

if [ "$(id -u)" -ne 0 ]; then
  echo "slurm-setup: not root; SLURM not installed (tests/test_slurm.py will skip its cluster test)"
else
  missing=0
  for cmd in munged slurmctld slurmd sbatch squeue sinfo srun; do
    command -v "$cmd" >/dev/null || missing=1
  done
  if [ "$missing" = 1 ]; then
    if ! { apt-get update -q && apt-get install -y -q slurm-wlm munge; } >"$log" 2>&1; then
      cat "$log" >&2
      echo "slurm-setup: installing slurm-wlm and munge failed" >&2
      exit 1
    fi
    echo "slurm-setup: installed $(slurmctld -V 2>/dev/null || echo slurm-wlm) and munge"
  fi
fi

# The project's environment first (make setup creates .venv when missing), then the plugin.
if ! make -s setup >"$log" 2>&1; then
  cat "$log" >&2
  echo "slurm-setup: make setup failed" >&2
  exit 1
fi
if ! .venv/bin/python -c "import snakemake_executor_plugin_slurm" 2>/dev/null; then
  if ! .venv/bin/python -m pip install -q -e ".[slurm]" >"$log" 2>&1; then
    cat "$log" >&2
    echo "slurm-setup: pip install -e '.[slurm]' failed" >&2
    exit 1
  fi
  echo "slurm-setup: installed snakemake-executor-plugin-slurm into .venv"
fi
