"""Per-design stability of the SR training runs, aggregated across seeds.

    python -m asym.optimize.stability \\
        --logs results/optimize/runs/l1__nogan__s0/train_log.csv \\
               results/optimize/runs/l1__patchgan-w0.05__s0/train_log.csv \\
        --out results/optimize/stability.csv

What each run was (its loss, discriminator, GAN weight, objective, seed) comes from the
run record ``run.json`` that training wrote beside the log (:mod:`asym.optimize.runrecord`);
folder names are never parsed. Reads each run's ``train_log.csv`` (columns step, loss_total, loss_fidelity, loss_gan, loss_d,
d_real_acc, d_fake_acc, grad_norm_g, grad_norm_d, lr, seconds; one row every
``log_every`` steps) and writes one row per (discriminator, gan_weight, objective, fidelity): the discriminator design and
GAN settings, and the training loss too, because loss values of different fidelity
losses have different scales and their dynamics differ. Runs without an adversarial
term form their own groups (discriminator ``none``), the baseline for oscillation.

Per run (one log), with rows ordered by step:

- ``diverged``: some logged value of loss_total, loss_fidelity or grad_norm_g -- and, for
  runs with a discriminator, of loss_gan, loss_d or grad_norm_d -- is NaN or infinite.
  (The discriminator columns are empty by design for runs without one.)
- oscillation of a loss series ``y``: over the last half of the log (rows with
  ``step > max(step) / 2``), the sample standard deviation (ddof 1) of the first
  differences ``y[i+1] - y[i]`` divided by ``|mean(y)|`` over the same rows. NaN with
  fewer than three rows in that half, with a zero mean or with non-finite values.
  Computed for the generator's loss (``loss_total``: fidelity + weighted GAN term) and
  the discriminator's (``loss_d``).
- discriminator win rate: the fraction of logged rows in which the discriminator
  classified more than 95 % of both real and generated patches correctly
  (``d_real_acc > 0.95`` and ``d_fake_acc > 0.95``), over rows where both are finite.
- gradient-norm spikes: the number of logged rows whose gradient norm exceeds 10 times
  the running median, the median of all earlier finite values of the same run (the
  first row has no history and is never a spike; non-finite values count towards
  ``diverged``, not here). Counted for grad_norm_g and grad_norm_d.
- final fidelity loss: ``loss_fidelity`` in the row with the largest step.

Columns of the output (one row per group, sorted by the group keys):

==========================  ===========================================================
discriminator               design name from the config (``none`` without GAN)
gan_weight                  weight of the adversarial term (0 without GAN)
objective                   GAN objective (``none`` without GAN)
fidelity                    training loss (config metric name)
n_seeds                     number of runs (seeds) in the group
seeds                       their seeds, ``;``-separated
diverged_runs               number of runs with ``diverged``
g_loss_oscillation          mean over the group's runs of the oscillation of loss_total
d_loss_oscillation          same for loss_d (NaN without a discriminator)
d_win_rate                  mean over runs of the discriminator win rate (NaN without)
grad_spikes_g               mean over runs of the grad_norm_g spike count
grad_spikes_d               same for grad_norm_d (NaN without a discriminator)
final_fidelity_mean         mean over the non-diverged runs of the final fidelity loss
final_fidelity_sd           their sample standard deviation (ddof 1; NaN for one run)
final_step                  largest step logged by any run of the group
==========================  ===========================================================

Means over runs skip runs whose value is NaN (e.g. a log too short for an oscillation);
a group where every run is NaN gets NaN. No torch: pandas and numpy only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from asym.io import InputError, write_csv
from asym.optimize.runrecord import read_run_record

LOG_COLUMNS = ("step", "loss_total", "loss_fidelity", "loss_gan", "loss_d", "d_real_acc", "d_fake_acc",
               "grad_norm_g", "grad_norm_d")
GROUP_KEYS = ["discriminator", "gan_weight", "objective", "fidelity"]
RUN_KEYS = ("fidelity", "discriminator", "gan_weight", "objective", "seed")
OUTPUT_COLUMNS = GROUP_KEYS + ["n_seeds", "seeds", "diverged_runs", "g_loss_oscillation", "d_loss_oscillation",
                               "d_win_rate", "grad_spikes_g", "grad_spikes_d", "final_fidelity_mean",
                               "final_fidelity_sd", "final_step"]
WIN_ACCURACY = 0.95  # both accuracies above this: the discriminator "wins" that logged step
SPIKE_FACTOR = 10.0  # a gradient norm this many times the running median is a spike


def oscillation(steps: np.ndarray, values: np.ndarray) -> float:
    """std(ddof=1) of first differences / |mean| over rows with step > max(step) / 2."""
    steps, values = np.asarray(steps, float), np.asarray(values, float)
    tail = values[steps > steps.max() / 2] if len(steps) else values
    if len(tail) < 3 or not np.isfinite(tail).all():
        return float("nan")
    mean = tail.mean()
    if mean == 0:
        return float("nan")
    return float(np.diff(tail).std(ddof=1) / abs(mean))


def win_rate(real_acc: np.ndarray, fake_acc: np.ndarray) -> float:
    """Fraction of rows with both accuracies > WIN_ACCURACY, among rows where both are finite."""
    real_acc, fake_acc = np.asarray(real_acc, float), np.asarray(fake_acc, float)
    ok = np.isfinite(real_acc) & np.isfinite(fake_acc)
    if not ok.any():
        return float("nan")
    return float(((real_acc[ok] > WIN_ACCURACY) & (fake_acc[ok] > WIN_ACCURACY)).mean())


def spike_count(values: np.ndarray) -> int:
    """Rows whose value exceeds SPIKE_FACTOR x the median of all earlier finite values."""
    history, spikes = [], 0
    for v in np.asarray(values, float):
        if not np.isfinite(v):
            continue
        if history and v > SPIKE_FACTOR * np.median(history):
            spikes += 1
        history.append(v)
    return spikes


def run_statistics(log: pd.DataFrame, adversarial: bool) -> dict:
    """The per-run statistics (see the module docstring) of one train log."""
    log = log.sort_values("step")
    col = {c: pd.to_numeric(log[c], errors="coerce").to_numpy(float) for c in LOG_COLUMNS}
    checked = ["loss_total", "loss_fidelity", "grad_norm_g"]
    if adversarial:
        checked += ["loss_gan", "loss_d", "grad_norm_d"]
    diverged = not all(np.isfinite(col[c]).all() for c in checked)
    nan = float("nan")
    return {
        "diverged": diverged,
        "g_loss_oscillation": oscillation(col["step"], col["loss_total"]),
        "d_loss_oscillation": oscillation(col["step"], col["loss_d"]) if adversarial else nan,
        "d_win_rate": win_rate(col["d_real_acc"], col["d_fake_acc"]) if adversarial else nan,
        "grad_spikes_g": spike_count(col["grad_norm_g"]),
        "grad_spikes_d": spike_count(col["grad_norm_d"]) if adversarial else nan,
        "final_fidelity": col["loss_fidelity"][-1] if len(log) else nan,
        "final_step": col["step"][-1] if len(log) else nan,
    }


def read_log(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise InputError(f"training log not found: {path}; run the workflow's train_sr rule for it first")
    log = pd.read_csv(path)
    missing = [c for c in LOG_COLUMNS if c not in log]
    if missing:
        raise InputError(f"{path} lacks the columns {missing} (expected the train_log.csv that "
                         "python -m asym.optimize.train_sr writes)")
    if log.empty:
        raise InputError(f"{path} has no rows; the run logged nothing (rerun it)")
    return log


def _nanmean(values) -> float:
    values = np.asarray(values, float)
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")


def summarize(logs: dict[str, pd.DataFrame], runs: dict[str, dict]) -> pd.DataFrame:
    """One row per group from ``{run name: train log}`` and ``{run name: traits}`` (the ``traits``
    of each run record, or any mapping with the keys ``RUN_KEYS``)."""
    rows = []
    for name, log in logs.items():
        if name not in runs:
            raise InputError(f"run {name!r} (its train_log.csv) has no traits among the run records; "
                             f"known runs: {sorted(runs)[:5]}{' ...' if len(runs) > 5 else ''}")
        meta = runs[name]
        lacking = [k for k in RUN_KEYS if k not in meta]
        if lacking:
            raise InputError(f"the traits of run {name!r} lack {lacking}; expected the keys {list(RUN_KEYS)} "
                             "(a run.json written by python -m asym.optimize.train_sr)")
        adversarial = meta["discriminator"] not in (None, "none")
        rows.append({**{k: meta[k] for k in RUN_KEYS}, "gan_weight": float(meta["gan_weight"]),
                     **run_statistics(log, adversarial)})
    per_run = pd.DataFrame(rows)
    out = []
    for keys, part in per_run.groupby(GROUP_KEYS, sort=True):
        finals = part.loc[~part["diverged"], "final_fidelity"].to_numpy(float)
        finals = finals[np.isfinite(finals)]
        out.append({
            **dict(zip(GROUP_KEYS, keys)),
            "n_seeds": len(part),
            "seeds": ";".join(str(s) for s in sorted(part["seed"])),
            "diverged_runs": int(part["diverged"].sum()),
            **{c: _nanmean(part[c]) for c in ("g_loss_oscillation", "d_loss_oscillation", "d_win_rate",
                                                 "grad_spikes_g", "grad_spikes_d")},
            "final_fidelity_mean": float(finals.mean()) if len(finals) else float("nan"),
            "final_fidelity_sd": float(finals.std(ddof=1)) if len(finals) > 1 else float("nan"),
            "final_step": int(part["final_step"].max()),
        })
    return pd.DataFrame(out, columns=OUTPUT_COLUMNS)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m asym.optimize.stability", description=__doc__.split("\n\n")[0])
    parser.add_argument("--logs", nargs="+", required=True, type=Path, help="runs' train_log.csv files")
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args(argv)
    try:
        logs, runs = {}, {}
        for path in args.logs:
            log = read_log(path)
            record = read_run_record(path.parent)  # written by train_sr beside its log
            logs[record["run"]], runs[record["run"]] = log, record["traits"]
        table = summarize(logs, runs)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    write_csv(table, args.out)
    print(f"wrote {args.out} ({len(table)} groups from {len(logs)} runs)")
    return 0


if __name__ == "__main__":
    from asym.errors import run

    asym.errors.run(main)
