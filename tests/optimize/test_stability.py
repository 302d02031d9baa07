"""Stability summary: each statistic on tiny hand-made logs whose values are known."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from asym.io import InputError
from asym.optimize.instability import (
    OUTPUT_COLUMNS,
    RUN_COLUMNS,
    group_summary,
    instability,
    oscillation,
    per_run,
    spike_count,
    summarize,
    win_rate,
)
from asym.optimize.stability import main


def make_log(steps=(10, 20, 30, 40, 50, 60), loss_total=None, loss_fidelity=None, real=None, fake=None,
             grad_g=None, grad_d=None, loss_d=None, adversarial=True) -> pd.DataFrame:
    n = len(steps)
    nan = [math.nan] * n
    ones = [1.0] * n
    return pd.DataFrame({
        "step": list(steps),
        "loss_total": loss_total or ones,
        "loss_fidelity": loss_fidelity or ones,
        "loss_gan": ones if adversarial else nan,
        "loss_d": (loss_d or ones) if adversarial else nan,
        "d_real_acc": (real or [0.5] * n) if adversarial else nan,
        "d_fake_acc": (fake or [0.5] * n) if adversarial else nan,
        "grad_norm_g": grad_g or ones,
        "grad_norm_d": (grad_d or ones) if adversarial else nan,
        "lr": [1e-4] * n,
        "seconds": [float(i) for i in range(n)],
    })


def meta(discriminator="patchgan", gan_weight=0.05, objective="nonsaturating", fidelity="l1", seed=0):
    return {"fidelity": fidelity, "discriminator": discriminator, "gan_weight": gan_weight,
            "objective": objective, "seed": seed}


def test_oscillation_uses_last_half_and_relative_std_of_differences():
    steps = np.arange(10, 90, 10)  # 10..80: last half is steps 50, 60, 70, 80
    values = np.array([100.0, -50, 7, 3, 2.0, 4.0, 2.0, 4.0])  # the first half is ignored
    # differences 2, -2, 2: sample std = sqrt(((2-2/3)^2*2 + (-2-2/3)^2) / 2); mean of the values = 3
    d = np.array([2.0, -2.0, 2.0])
    assert oscillation(steps, values) == pytest.approx(d.std(ddof=1) / 3.0)
    assert oscillation(steps, np.full(8, 5.0)) == 0.0
    assert math.isnan(oscillation(steps[:4], values[:4]))  # only steps 30, 40 in the last half
    assert math.isnan(oscillation(steps, np.r_[values[:-1], np.nan]))
    assert math.isnan(oscillation(steps, np.zeros(8)))  # zero mean: undefined


def test_win_rate_needs_both_accuracies_above_threshold():
    real = [1.0, 0.96, 0.96, 0.95, math.nan]
    fake = [1.0, 0.99, 0.20, 1.00, 1.0]
    # row 0 and 1 win; row 2 (fake low) and row 3 (0.95 is not > 0.95) do not; row 4 is skipped
    assert win_rate(real, fake) == pytest.approx(2 / 4)
    assert math.isnan(win_rate([math.nan], [math.nan]))


def test_spike_count_against_running_median_of_earlier_values():
    # medians before each row: -, 1, 1.5, 1, ... ; 11 > 10 x 1 is a spike, 10 is not (not >),
    # 50 > 10 x median(1, 2, 1, 11, 1) = 10 x 1 is a spike; NaN rows are skipped.
    assert spike_count([1.0, 2.0, 1.0, 11.0, 1.0, math.nan, 50.0]) == 2
    assert spike_count([1.0, 10.0]) == 0
    assert spike_count([100.0]) == 0


def test_summary_groups_seeds_and_aggregates(tmp_path):
    logs = {
        # two seeds of one design: seed 0 oscillates in its last half, its discriminator wins 3 of 6 rows
        "l1__patchgan-w0.05__s0": make_log(loss_total=[9, 9, 9, 2.0, 4.0, 2.0], loss_fidelity=[1, 1, 1, 1, 1, 0.2],
                                           real=[1, 1, 1, 0.5, 0.5, 0.5], fake=[1, 1, 1, 0.5, 0.5, 0.5],
                                           grad_g=[1, 1, 20, 1, 1, 1]),
        "l1__patchgan-w0.05__s1": make_log(loss_fidelity=[1, 1, 1, 1, 1, 0.4]),
        # a third seed of the same design that diverged (NaN discriminator loss)
        "l1__patchgan-w0.05__s2": make_log(loss_d=[1, 1, 1, 1, math.nan, math.nan], loss_fidelity=[1] * 5 + [9.0]),
        # another GAN weight: its own group
        "l1__patchgan-w0.2__s0": make_log(grad_d=[1, 1, 1, 1, 1, 100]),
        # no discriminator: GAN columns empty by design, not divergence
        "l1__nogan__s0": make_log(adversarial=False),
    }
    runs = {
        "l1__patchgan-w0.05__s0": meta(seed=0), "l1__patchgan-w0.05__s1": meta(seed=1),
        "l1__patchgan-w0.05__s2": meta(seed=2), "l1__patchgan-w0.2__s0": meta(gan_weight=0.2),
        "l1__nogan__s0": meta(discriminator="none", gan_weight=0.0, objective="none"),
    }
    table = summarize(logs, runs)
    assert list(table.columns) == OUTPUT_COLUMNS
    assert len(table) == 3
    row = table[(table["discriminator"] == "patchgan") & (table["gan_weight"] == 0.05)].iloc[0]
    assert row["n_seeds"] == 3 and row["seeds"] == "0;1;2"
    assert row["diverged_runs"] == 1
    # seed 0: last half = steps 40, 50, 60 -> values 2, 4, 2: diffs 2, -2 (std 2*sqrt 2), mean 8/3;
    # seeds 1 and 2: constant -> 0; mean over the three runs
    assert row["g_loss_oscillation"] == pytest.approx((2 * math.sqrt(2) / (8 / 3)) / 3)
    # seed 2's loss_d has NaN in its last half: its oscillation is NaN and skipped in the mean
    assert row["d_loss_oscillation"] == 0.0
    assert row["d_win_rate"] == pytest.approx((3 / 6 + 0 + 0) / 3)
    assert row["grad_spikes_g"] == pytest.approx(1 / 3)
    assert row["grad_spikes_d"] == 0.0
    # the diverged seed is left out of the final fidelity: mean and sd of 0.2 and 0.4
    assert row["final_fidelity_mean"] == pytest.approx(0.3)
    assert row["final_fidelity_sd"] == pytest.approx(np.std([0.2, 0.4], ddof=1))
    assert row["final_step"] == 60
    other = table[table["gan_weight"] == 0.2].iloc[0]
    assert other["grad_spikes_d"] == 1.0 and other["n_seeds"] == 1 and math.isnan(other["final_fidelity_sd"])
    base = table[table["discriminator"] == "none"].iloc[0]
    assert base["diverged_runs"] == 0
    assert all(math.isnan(base[c]) for c in ("d_loss_oscillation", "d_win_rate", "grad_spikes_d"))


def _train_spec(name="l1__patchgan-w0.05__s0", discriminator="patchgan", gan_weight=0.05, seed=0):
    """The parts of a train spec (asym.config.train_spec) a run record's traits come from."""
    adversarial = discriminator != "none"
    return {"run": {"name": name, "fidelity": "l1", "adversarial": adversarial, "setting": name.split("__")[1],
                    "discriminator": discriminator, "gan_weight": gan_weight,
                    "objective": "nonsaturating" if adversarial else "none", "seed": seed},
            "generator": {"name": "swinir"},
            "discriminator": {"name": discriminator} if adversarial else None}


def test_cli_reads_run_records_and_rejects_bad_input(tmp_path, capsys):
    from asym.optimize.runrecord import write_run_record

    # the folder's name says nothing: the record names the run and its traits
    run_dir = tmp_path / "runs" / "some-folder"
    run_dir.mkdir(parents=True)
    make_log().to_csv(run_dir / "train_log.csv", index=False)
    write_run_record(run_dir, _train_spec(), "finished", digest="x")
    base_dir = tmp_path / "runs" / "other-folder"
    base_dir.mkdir(parents=True)
    make_log(adversarial=False).to_csv(base_dir / "train_log.csv", index=False)
    write_run_record(base_dir, _train_spec("l1__nogan__s3", "none", 0.0, 3), "finished", digest="x")
    # a run that diverged: its record says so, its log ends in the non-finite step
    div_dir = tmp_path / "runs" / "third-folder"
    div_dir.mkdir(parents=True)
    make_log(steps=(10, 20, 30, 40, 50, 55), loss_total=[1, 1, 1, 1, 1, math.nan],
             loss_fidelity=[1, 1, 1, 1, 1, math.nan]).to_csv(div_dir / "train_log.csv", index=False)
    write_run_record(div_dir, _train_spec("l1__patchgan-w0.05__s1", seed=1), "diverged", digest="x")
    out = tmp_path / "stability.csv"
    logs = [str(d / "train_log.csv") for d in (run_dir, base_dir, div_dir)]
    assert main(["--logs", *logs, "--out", str(out)]) == 0
    written = pd.read_csv(out).set_index("run")
    assert list(written.reset_index().columns) == RUN_COLUMNS and len(written) == 3  # one row per run
    assert written["diverged"].dtype == bool
    assert written["diverged"].to_dict() == {"l1__patchgan-w0.05__s0": False, "l1__nogan__s3": False,
                                             "l1__patchgan-w0.05__s1": True}
    assert written.loc["l1__patchgan-w0.05__s1", "status"] == "diverged"  # counted, not dropped
    assert written.loc["l1__nogan__s3", "seed"] == 3 and written.loc["l1__nogan__s3", "discriminator"] == "none"
    assert written.loc["l1__patchgan-w0.05__s0", "level"] == "patch"
    assert written["instability"].notna().all()
    groups = group_summary(written.reset_index())
    assert list(groups.columns) == OUTPUT_COLUMNS and groups["n_seeds"].tolist() == [1, 2]
    assert groups.set_index("discriminator").loc["patchgan", "diverged_runs"] == 1

    # a log without its run record names the record and the rule that writes it
    (run_dir / "run.json").unlink()
    with pytest.raises(InputError, match="run.json"):
        main(["--logs", str(run_dir / "train_log.csv"), "--out", str(out)])
    # a broken record
    (run_dir / "run.json").write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        main(["--logs", str(run_dir / "train_log.csv"), "--out", str(out)])
    write_run_record(run_dir, _train_spec(), "finished", digest="x")
    # a missing log names the file
    missing = tmp_path / "runs" / "x__y__s0" / "train_log.csv"
    with pytest.raises(InputError) as err:
        main(["--logs", str(missing), "--out", str(out)])
    assert str(missing) in str(err.value)
    # a log without the expected columns
    make_log().drop(columns=["d_real_acc"]).to_csv(run_dir / "train_log.csv", index=False)
    with pytest.raises(InputError, match="d_real_acc"):
        main(["--logs", str(run_dir / "train_log.csv"), "--out", str(out)])


def test_instability_is_the_fidelity_loss_oscillation_before_divergence():
    steps = np.arange(10, 90, 10)
    fidelity = np.array([9.0, 9, 9, 9, 2.0, 4.0, 2.0, 4.0])
    assert instability(steps, fidelity) == pytest.approx(oscillation(steps, fidelity))
    # diverged at step 80: only the rows before count (last half of 10..70 = 40..70: 9, 2, 4, 2)
    broken = np.r_[fidelity[:-1], np.nan]
    assert instability(steps, broken) == pytest.approx(oscillation(steps[:-1], fidelity[:-1]))
    # another series turning non-finite (the discriminator loss) ends the trajectory there too
    loss_d = np.r_[np.ones(6), np.inf, np.inf]
    assert instability(steps, fidelity, [loss_d]) == pytest.approx(oscillation(steps[:6], fidelity[:6]))


def test_instability_does_not_depend_on_the_discriminator_head():
    """Two runs whose generator's fidelity trajectory is the same, one with a patch head (its
    accuracy a mean over many logits: smooth) and one with an image head (one logit per image:
    jumpy accuracy and GAN terms), get the same instability; the accuracy SD would not."""
    fidelity = [1.0, 0.9, 0.8, 0.85, 0.7, 0.75, 0.6, 0.65]
    steps = tuple(range(10, 90, 10))
    rng = np.random.default_rng(0)
    patch = make_log(steps=steps, loss_fidelity=fidelity, real=[0.6, 0.62, 0.61, 0.6, 0.62, 0.61, 0.6, 0.61],
                     fake=[0.6] * 8, loss_d=[1.3, 1.31, 1.29, 1.3, 1.3, 1.31, 1.3, 1.29])
    image = make_log(steps=steps, loss_fidelity=fidelity, real=list(rng.integers(0, 2, 8).astype(float)),
                     fake=list(rng.integers(0, 2, 8).astype(float)), loss_d=list(rng.uniform(0.2, 3.0, 8)))
    runs = {"a": meta("patchgan"), "b": meta("vgg")}
    table = per_run({"a": patch, "b": image}, runs).set_index("run")
    assert table.loc["a", "instability"] == table.loc["b", "instability"] > 0
    assert np.std(image["d_real_acc"]) > 10 * np.std(patch["d_real_acc"])  # what the head does differ


def test_per_run_keeps_diverged_runs_and_flags_them_from_the_record():
    logs = {"ok": make_log(loss_fidelity=[1, 1, 1, 2.0, 4.0, 2.0]),
            # the record says diverged although the last logged row happened to be finite
            "bad": make_log(loss_fidelity=[1, 1, 1, 2.0, 4.0, 2.0])}
    runs = {"ok": meta(seed=0), "bad": meta(seed=1)}
    table = per_run(logs, runs, {"ok": "finished", "bad": "diverged"}).set_index("run")
    assert list(table.reset_index().columns) == RUN_COLUMNS
    assert table["diverged"].to_dict() == {"ok": False, "bad": True}
    assert table.loc["bad", "instability"] == table.loc["ok", "instability"]
    group = group_summary(table.reset_index()).iloc[0]
    assert group["n_seeds"] == 2 and group["diverged_runs"] == 1


@pytest.mark.parametrize("module", ["asym.optimize.instability", "asym.optimize.stability"])
def test_module_does_not_import_torch(module):
    import ast
    import importlib
    import inspect

    tree = ast.parse(inspect.getsource(importlib.import_module(module)))
    names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
             for a in n.names} | {n.module.split(".")[0] for n in ast.walk(tree)
                                  if isinstance(n, ast.ImportFrom) and n.module}
    assert "torch" not in names


def test_report_shows_the_stability_table():
    from asym.io import InputError
    from asym.report.html import stability_section

    logs = {"l1__patchgan-w0.05__s0": make_log(), "l1__nogan__s0": make_log(adversarial=False)}
    runs = {"l1__patchgan-w0.05__s0": meta(), "l1__nogan__s0": meta("none", 0.0, "none")}
    page = stability_section(summarize(logs, runs))
    assert "Training stability per design" in page and page.count("<tr>") == 3  # header + 2 groups
    assert "patchgan" in page and "nonsaturating" in page and "instability" in page
    # stability.csv holds one row per run; the report groups it with the same code
    assert stability_section(per_run(logs, runs)) == page
    assert stability_section(None) == ""
    with pytest.raises(InputError, match="d_win_rate"):
        stability_section(pd.DataFrame({"discriminator": ["x"]}))
