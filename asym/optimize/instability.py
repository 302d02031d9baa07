"""Stability of the SR training runs: one row per run, one instability definition (claim C4).

The definitions live here, apart from the job that writes ``stability.csv``
(:mod:`asym.optimize.stability`), so the report's figures and tables read logs and
summarise runs with the same functions without depending on that job.

What each run was (its loss, discriminator, level, family, GAN weight, objective, seed)
and whether it finished or diverged comes from the run record ``run.json`` that training
wrote beside the log (:mod:`asym.optimize.runrecord`); folder names are never parsed.
Reads each run's ``train_log.csv`` (columns step, loss_total, loss_fidelity, loss_gan,
loss_d, d_real_acc, d_fake_acc, grad_norm_g, grad_norm_d, lr, seconds; one row every
``log_every`` steps, plus the diverging step of a diverged run) and writes one row per
run: the run is the unit of every stability comparison, so the claim's test and the
report's table (:func:`group_summary`, per design over seeds) start from the same rows.

**Instability** (column ``instability``; the one definition the C4 verdict and the table
use): the oscillation (below) of the run's *fidelity* loss ``loss_fidelity``, over the
rows logged before the run diverged (all rows of a run that finished). Why the fidelity
loss: it is what the generator is judged on, it is the same quantity for every design
trained with one loss (and for that loss without GAN, the baseline), and it does not
depend on the discriminator's head. Statistics of the discriminator's own outputs (its
accuracy, or the GAN terms, each a mean over the logits of a batch) average over as many
logits as the head emits (one per image, or hundreds per patch map), so they are less
noisy for patch-level heads by construction and would favour them for the wrong reason.

Per run, with rows ordered by step:

- ``diverged``: the run record says ``diverged`` (training stopped at a non-finite loss,
  :mod:`asym.optimize.divergence`), or some logged value of loss_total, loss_fidelity or
  grad_norm_g -- and, for runs with a discriminator, of loss_gan, loss_d or grad_norm_d --
  is NaN or infinite. (The discriminator columns are empty by design for runs without one.)
  A diverged run is counted, never dropped; analyses rank it as the least stable.
- oscillation of a loss series ``y``: over the last half of the rows it is computed on
  (``step > max(step) / 2``), the sample standard deviation (ddof 1) of the first
  differences ``y[i+1] - y[i]`` divided by ``|mean(y)|`` over the same rows. NaN with
  fewer than three rows in that half, with a zero mean or with non-finite values.
  ``instability`` is that of loss_fidelity (finite rows before divergence);
  ``g_loss_oscillation`` of loss_total and ``d_loss_oscillation`` of loss_d (all rows),
  reported beside it, not judged.
- discriminator win rate: the fraction of logged rows in which the discriminator
  classified more than 95 % of both real and generated patches correctly
  (``d_real_acc > 0.95`` and ``d_fake_acc > 0.95``), over rows where both are finite.
- gradient-norm spikes: the number of logged rows whose gradient norm exceeds 10 times
  the running median, the median of all earlier finite values of the same run (the
  first row has no history and is never a spike; non-finite values count towards
  ``diverged``, not here). Counted for grad_norm_g and grad_norm_d.
- final fidelity loss: ``loss_fidelity`` in the row with the largest step.

Columns of the output (:data:`RUN_COLUMNS`): ``run``, the traits ``fidelity,
discriminator, gan_weight, objective, seed, level, family, setting, adversarial``,
``status`` (the record's), ``diverged``, ``instability``, ``g_loss_oscillation``,
``d_loss_oscillation``, ``d_win_rate``, ``grad_spikes_g``, ``grad_spikes_d``,
``final_fidelity``, ``final_step``. :func:`group_summary` turns them into one row per
(discriminator, gan_weight, objective, fidelity) with ``n_seeds``, ``seeds``,
``diverged_runs`` and means over runs (NaN values skipped; ``final_fidelity_mean``/``_sd``
over the runs that did not diverge). No torch: pandas and numpy only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from asym.io import InputError

LOG_COLUMNS = ("step", "loss_total", "loss_fidelity", "loss_gan", "loss_d", "d_real_acc", "d_fake_acc",
               "grad_norm_g", "grad_norm_d")
GROUP_KEYS = ["discriminator", "gan_weight", "objective", "fidelity"]
RUN_KEYS = ("fidelity", "discriminator", "gan_weight", "objective", "seed")
# Traits copied when the record has them (older callers pass only RUN_KEYS).
EXTRA_TRAITS = ("level", "family", "setting", "adversarial")
STATISTICS = ["diverged", "instability", "g_loss_oscillation", "d_loss_oscillation", "d_win_rate", "grad_spikes_g",
              "grad_spikes_d", "final_fidelity", "final_step"]
RUN_COLUMNS = ["run", *RUN_KEYS, *EXTRA_TRAITS, "status", *STATISTICS]
MEANS = ["instability", "g_loss_oscillation", "d_loss_oscillation", "d_win_rate", "grad_spikes_g", "grad_spikes_d"]
OUTPUT_COLUMNS = GROUP_KEYS + ["n_seeds", "seeds", "diverged_runs", *MEANS, "final_fidelity_mean",
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


def instability(steps: np.ndarray, fidelity: np.ndarray, checked: list[np.ndarray] | None = None) -> float:
    """The instability of one run (module docstring): oscillation of the fidelity loss over
    the rows before the first row where it, or any series in ``checked``, is not finite."""
    steps, fidelity = np.asarray(steps, float), np.asarray(fidelity, float)
    ok = np.isfinite(fidelity)
    for series in checked or []:
        ok &= np.isfinite(np.asarray(series, float))
    end = len(ok) if ok.all() else int(np.argmin(ok))  # rows up to the first non-finite one
    return oscillation(steps[:end], fidelity[:end])


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


def run_statistics(log: pd.DataFrame, adversarial: bool, status: str | None = None) -> dict:
    """The per-run statistics (see the module docstring) of one train log; ``status`` is the
    run record's (``diverged`` flags the run whatever the log holds)."""
    log = log.sort_values("step")
    col = {c: pd.to_numeric(log[c], errors="coerce").to_numpy(float) for c in LOG_COLUMNS}
    checked = ["loss_total", "loss_fidelity", "grad_norm_g"]
    if adversarial:
        checked += ["loss_gan", "loss_d", "grad_norm_d"]
    diverged = status == "diverged" or not all(np.isfinite(col[c]).all() for c in checked)
    nan = float("nan")
    return {
        "diverged": bool(diverged),
        "instability": instability(col["step"], col["loss_fidelity"], [col[c] for c in checked]),
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


def per_run(logs: dict[str, pd.DataFrame], runs: dict[str, dict], statuses: dict[str, str] | None = None
            ) -> pd.DataFrame:
    """One row per run (:data:`RUN_COLUMNS`) from ``{run name: train log}``, ``{run name: traits}``
    (a run record's ``traits``, or any mapping with the keys ``RUN_KEYS``) and, optionally,
    ``{run name: record status}``."""
    statuses = statuses or {}
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
        status = statuses.get(name)
        rows.append({"run": name, **{k: meta[k] for k in RUN_KEYS}, "gan_weight": float(meta["gan_weight"]),
                     **{k: meta.get(k) for k in EXTRA_TRAITS}, "status": status,
                     **run_statistics(log, adversarial, status)})
    return pd.DataFrame(rows, columns=RUN_COLUMNS)


def group_summary(runs_table: pd.DataFrame) -> pd.DataFrame:
    """One row per design group (:data:`OUTPUT_COLUMNS`) from the per-run rows of :func:`per_run`."""
    out = []
    for keys, part in runs_table.groupby(GROUP_KEYS, sort=True):
        diverged = part["diverged"].astype(bool)
        finals = part.loc[~diverged, "final_fidelity"].to_numpy(float)
        finals = finals[np.isfinite(finals)]
        out.append({
            **dict(zip(GROUP_KEYS, keys)),
            "n_seeds": len(part),
            "seeds": ";".join(str(s) for s in sorted(part["seed"])),
            "diverged_runs": int(diverged.sum()),
            **{c: _nanmean(part[c]) for c in MEANS},
            "final_fidelity_mean": float(finals.mean()) if len(finals) else float("nan"),
            "final_fidelity_sd": float(finals.std(ddof=1)) if len(finals) > 1 else float("nan"),
            "final_step": int(part["final_step"].max()),
        })
    return pd.DataFrame(out, columns=OUTPUT_COLUMNS)


def summarize(logs: dict[str, pd.DataFrame], runs: dict[str, dict], statuses: dict[str, str] | None = None
              ) -> pd.DataFrame:
    """:func:`group_summary` of :func:`per_run`: one row per design group."""
    return group_summary(per_run(logs, runs, statuses))
