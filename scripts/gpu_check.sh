#!/usr/bin/env bash
# Time the paper-scale SwinIR training step (DISTS-style VGG-16 loss, bf16, channels_last)
# on this machine's GPU and print steps/s, images/s, peak memory and achieved FLOP/s as a
# fraction of the device's peak. Options: python -m asym.tools.gpucheck --help.
#
#   scripts/gpu_check.sh                                   # the reference figure (CUDA)
#   scripts/gpu_check.sh --record docs/gpu-reference.md    # ... and append it to the table
#   scripts/gpu_check.sh --device cpu --tiny               # try the script without a GPU
#
# Exit status 2 without CUDA (unless --device cpu). Uses the project's .venv when present.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f .venv/bin/activate ]; then
    # shellcheck disable=SC1091
    source .venv/bin/activate
fi
exec python -m asym.tools.gpucheck "$@"
