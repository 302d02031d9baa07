"""The bicubic baseline, the within-distortion-type assessment statistic and the released
pretrained generator (asym.optimize.baseline, asym.analysis.baseline, asym.assess.correlate,
asym.optimize.release), on tiny inputs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from asym.analysis.baseline import BASELINE_LABEL, baseline_image_quality, trained_runs
from asym.analysis.stats import srcc
from asym.assess import correlate
from asym.config import metric_spec
from asym.data.images import bicubic_downsample
from asym.io import InputError, read_rgb
from asym.optimize import baseline
from asym.optimize.evaluate import EVALUATION_COLUMNS

REPO = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------- bicubic rows

def test_bicubic_sr_is_plain_bicubic_of_the_generators_input():
    hr = torch.rand(1, 3, 16, 24, generator=torch.Generator().manual_seed(0))
    out = baseline.bicubic_sr(hr, 4)
    lr = bicubic_downsample(hr, 4)
    assert out.shape == hr.shape and float(out.min()) >= 0 and float(out.max()) <= 1
    # Downsampling the output again gives back (nearly) the LR input: bicubic interpolates it.
    assert torch.allclose(bicubic_downsample(out, 4), lr, atol=0.05)
    flat = torch.full((1, 3, 8, 8), 0.3)
    assert torch.allclose(baseline.bicubic_sr(flat, 4), flat, atol=1e-6)
    with pytest.raises(InputError, match="not a multiple of the scale 4"):
        baseline.bicubic_sr(torch.rand(1, 3, 10, 8), 4)


def test_evaluate_bicubic_rows_follow_the_evaluation_contract(tiny_cfg, tiny_workdir, tmp_path):
    panel = {name: metric_spec(tiny_cfg, name) for name in ("psnr", "ssim")}
    test_dir = tiny_workdir / tiny_cfg["data"]["sr_test"]
    table = baseline.evaluate_bicubic(panel, test_dir, "tiny-test", tmp_path / "sr", scale=4, batch_size=2)
    assert list(table.columns) == EVALUATION_COLUMNS == baseline.COLUMNS
    n_images = len(list(test_dir.glob("*.png")))
    assert len(table) == n_images * len(panel)
    assert (table["run"] == "bicubic").all() and table["baseline"].all()
    assert (table["fidelity"] == "none").all() and not table["adversarial"].any()
    # The PSNR written is that of the saved 8-bit image against the HR crop.
    row = table[table["evaluator"] == "psnr"].iloc[0]
    sr = read_rgb(tmp_path / "sr" / f"{row['image']}.png").astype(float)
    hr = read_rgb(test_dir / f"{row['image']}.png").astype(float)
    assert row["score"] == pytest.approx(10 * np.log10(255.0**2 / np.mean((sr - hr) ** 2)), abs=0.05)
    assert 10 < row["score"] < 60


def _evaluation(run_scores: dict[str, list[float]], bicubic: list[float]) -> pd.DataFrame:
    """An evaluation table: runs (fidelity = run name, seed 0) and a baseline, one evaluator
    per score position (even ones higher-better, odd ones lower-better), one image."""
    rows = []
    for run, scores in [*run_scores.items(), ("bicubic", bicubic)]:
        for k, score in enumerate(scores):
            rows.append({"run": run, "fidelity": "none" if run == "bicubic" else run, "adversarial": False,
                         "discriminator": "none", "gan_weight": 0.0, "seed": np.nan if run == "bicubic" else 0,
                         "dataset": "t", "image": "a", "evaluator": f"e{k}", "score": score,
                         "lower_better": bool(k % 2), "baseline": run == "bicubic"})
    return pd.DataFrame(rows)


def test_baseline_quality_uses_the_runs_scale_only():
    from asym.analysis import summaries

    ev = _evaluation({"r1": [1.0, 4.0], "r2": [3.0, 2.0]}, bicubic=[2.0, 1.0])
    assert list(trained_runs(ev)["run"].unique()) == ["r1", "r2"]
    # e0 (higher better): runs 1, 3 -> mean 2, sd 1 -> bicubic z 0; e1 (lower better): runs 4, 2
    # -> mean 3, sd 1 -> bicubic z = -2, quality +2; per image mean over evaluators: 1.0.
    quality = baseline_image_quality(ev)
    assert quality.to_dict() == {"t/a": pytest.approx(1.0)}
    row = summaries.baseline_quality(ev, n_boot=50)
    assert row["metric"].tolist() == [BASELINE_LABEL] and row["mean"].iloc[0] == pytest.approx(1.0)
    assert baseline_image_quality(trained_runs(ev)).empty


def test_optimization_table_shows_bicubic_last_and_unranked():
    from asym.analysis import summaries

    ev = _evaluation({"r1": [1.0, 4.0], "r2": [3.0, 2.0]}, bicubic=[9.0, 0.0])
    qci = pd.DataFrame({"metric": ["r1", "r2"], "adversarial": [False, False], "mean": [-1.0, 1.0],
                        "ci_low": [-2.0, 0.0], "ci_high": [0.0, 2.0], "n_cells": [1, 1]})
    base = summaries.baseline_quality(ev, n_boot=50)
    assert base["mean"].iloc[0] == pytest.approx(5.0)  # e0: (9 - 2) / 1 = 7; e1: -(0 - 3) / 1 = 3; mean 5
    table = summaries.optimization_display(qci, base)
    assert table["fidelity loss"].tolist() == ["r2", "r1", BASELINE_LABEL]  # best, yet last: not ranked
    assert table["without GAN"].iloc[-1] == summaries.fmt(base["mean"].iloc[0], summaries.QUALITY_DIGITS)
    evaluators = summaries.evaluator_table(ev)
    assert BASELINE_LABEL in set(evaluators["fidelity"])


# ---------------------------------------------------------------- within distortion type

def _scores_and_labels():
    """Two references x two distortion types x three levels; the metric orders levels perfectly
    within each type, but type "b" scores sit far above type "a": pooled SRCC is poor."""
    rows, labels = [], []
    for ref in ("r1", "r2"):
        for dist, offset in (("a", 0.0), ("b", 10.0)):
            for level in (1, 2, 3):
                name = f"distorted/{ref}_{dist}_{level}.png"
                rows.append({"dataset": "synthetic", "metric": "m", "reference": f"reference/{ref}.png",
                             "distorted": name, "score": offset - level + (0.1 if ref == "r2" else 0.0),
                             "lower_better": False, "mos": 4 - level})
                labels.append({"distorted": name, "distortion": dist})
    return pd.DataFrame(rows), pd.DataFrame(labels)


def test_within_type_statistic_replaces_pooled_for_level_labels():
    scores, labels = _scores_and_labels()
    pooled = correlate.correlations(scores, n_boot=50, seed=0, metric_info={})
    assert pooled["scope"].tolist() == ["pooled"]
    assert pooled["srcc"].iloc[0] == pytest.approx(srcc(scores["score"], scores["mos"]))
    within = correlate.correlations(scores, n_boot=50, seed=0, metric_info={}, within_type={"synthetic": labels})
    row = within.iloc[0]
    d = scores.merge(labels, on="distorted")
    per_type = [srcc(p["score"], p["mos"]) for _, p in d.groupby("distortion")]
    assert per_type == pytest.approx([0.956, 0.956], abs=1e-3)  # ties in the labels: below 1, equal per type
    assert row["scope"] == "within_distortion" and row["srcc"] == pytest.approx(np.mean(per_type))
    assert row["srcc_pooled"] == pytest.approx(pooled["srcc"].iloc[0]) and row["srcc_pooled"] < 0.5
    assert row["srcc_ci_low"] <= row["srcc"] <= row["srcc_ci_high"]


def test_within_type_ci_resamples_references():
    scores, labels = _scores_and_labels()
    # Reference r2 inverts type "a": the within-type mean over r1 and r2 then depends on which
    # references a resample draws, so the CI has width; all-r1 resamples give 1.0.
    flip = (scores["reference"] == "reference/r2.png") & scores["distorted"].str.contains("_a_")
    scores.loc[flip, "score"] = -scores.loc[flip, "score"]
    d = scores.merge(labels, on="distorted")
    row = correlate.correlations(scores, n_boot=200, seed=0, metric_info={}, within_type={"synthetic": labels})
    expected = np.mean([srcc(p["score"], p["mos"]) for _, p in d.groupby("distortion")])
    assert row["srcc"].iloc[0] == pytest.approx(expected)
    assert row["srcc_ci_low"].iloc[0] < row["srcc"].iloc[0] < row["srcc_ci_high"].iloc[0]


def test_within_type_refuses_bad_labels(tmp_path):
    scores, labels = _scores_and_labels()
    with pytest.raises(InputError, match="not in the label file"):
        correlate.correlations(scores, 10, 0, {}, within_type={"synthetic": labels.iloc[1:]})
    with pytest.raises(InputError, match="no scores here"):
        correlate.correlations(scores, 10, 0, {}, within_type={"kadid10k": labels})
    (tmp_path / "s.csv").write_text("distorted,level\nx.png,1\n")
    with pytest.raises(InputError, match=r"s\.csv lacks columns \['distortion'\]"):
        correlate.read_distortion_labels(tmp_path / "s.csv")


def test_correlate_cli_within_type(tmp_path):
    scores, labels = _scores_and_labels()
    scores.to_csv(tmp_path / "m.csv", index=False)
    labels.to_csv(tmp_path / "scores.csv", index=False)
    out = tmp_path / "corr.csv"
    correlate.main(["--scores", str(tmp_path / "m.csv"), "--metric-info", "{}", "--n-boot", "20",
                    "--within-type", f"synthetic={tmp_path / 'scores.csv'}", "--out", str(out)])
    table = pd.read_csv(out)
    assert table["scope"].tolist() == ["within_distortion"] and table["srcc"].iloc[0] == pytest.approx(0.956, abs=1e-3)


# ---------------------------------------------------------------- the released demo generator

def test_dvc_stages_list_the_code_they_run():
    from asym.codedeps import module_files

    stages = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]
    prepare = {d for d in stages["prepare_demo"]["deps"] if d.startswith("asym/")}
    assert prepare == {os.path.relpath(f, REPO) for f in module_files("asym.data.prepare")}
    stage = stages["pretrain_demo"]
    code = {d for d in stage["deps"] if d.startswith("asym/")}
    assert code == {os.path.relpath(f, REPO) for f in module_files("asym.optimize.release")}
    demo = yaml.safe_load((REPO / "workflow" / "config" / "demo.yaml").read_text())
    assert demo["optimize"]["pretrain"]["official"] in stage["cmd"]
    assert all(out[next(iter(out))]["cache"] is False for out in stage["outs"])  # versioned by git


def test_committed_demo_generator_beats_bicubic_and_loads():
    """The weights file in git: the check the stage made, and it loads as optimize.pretrain.official."""
    from asym.nets.generators import build_generator, load_official

    demo = yaml.safe_load((REPO / "workflow" / "config" / "demo.yaml").read_text())
    path = REPO / demo["optimize"]["pretrain"]["official"]
    provenance = json.loads(path.with_suffix(".json").read_text())
    check = provenance["check"]
    assert check["generator_mean"] > check["bicubic_mean"]
    assert check["generator_mean"] == pytest.approx(np.mean(check["generator_psnr"]))
    assert provenance["generator"] == demo["optimize"]["generator"]
    assert path.stat().st_size < 5 * 2**20
    net = load_official(build_generator(demo["optimize"]["generator"]), path)
    from asym.optimize.release import weights_digest

    assert weights_digest(net.state_dict()) == provenance["weights_sha256"]


@pytest.mark.slow
def test_release_trains_checks_and_writes(tiny_cfg, tiny_workdir, tmp_path):
    from asym.nets.generators import build_generator, load_official
    from asym.optimize import release

    config = REPO / "tests" / "configs" / "tiny.yaml"  # its generator; the recipe replaces its pretrain block
    recipe = {"steps": 3, "loss": "l1", "lr": 1e-3, "batch_size": 2, "patch_size": 32, "seed": 0, "threads": 1,
              "min_gain_db": -100.0}
    (tmp_path / "recipe.yaml").write_text(yaml.safe_dump(recipe))
    train_dir = tiny_workdir / tiny_cfg["data"]["sr_train"]
    test_dir = tiny_workdir / tiny_cfg["data"]["sr_test"]
    out = tmp_path / "rel" / "gen.pth"
    prov = release.release(config, tmp_path / "recipe.yaml", train_dir, test_dir, out)
    assert prov["steps"] == 3 and len(prov["check"]["images"]) == len(list(test_dir.glob("*.png")))
    net = load_official(build_generator(tiny_cfg["optimize"]["generator"]), out)
    assert release.weights_digest(net.state_dict()) == prov["weights_sha256"]
    assert json.loads(out.with_suffix(".json").read_text())["weights_sha256"] == prov["weights_sha256"]
    assert len(pd.read_csv(out.with_suffix(".train_log.csv"))) >= 1
    assert sorted(p.name for p in out.parent.iterdir()) == ["gen.json", "gen.pth", "gen.train_log.csv"]
    # The check: a generator that does not beat bicubic by the recipe's margin writes nothing.
    (tmp_path / "strict.yaml").write_text(yaml.safe_dump(dict(recipe, min_gain_db=100.0)))
    with pytest.raises(RuntimeError, match="not more than the recipe's min_gain_db 100.*kept in") as failure:
        release.release(config, tmp_path / "strict.yaml", train_dir, test_dir, tmp_path / "no" / "gen.pth")
    assert not (tmp_path / "no" / "gen.pth").exists()
    kept = Path(str(failure.value).rsplit("kept in ", 1)[1])
    assert (kept / "final.pt").is_file()
    (tmp_path / "typo.yaml").write_text(yaml.safe_dump({**recipe, "step": 1}))
    with pytest.raises(InputError, match="unknown keys \\['step'\\]"):
        release.read_recipe(tmp_path / "typo.yaml")


def test_sr_grid_shows_the_evaluated_bicubic_image_and_no_baseline_row(tmp_path):
    from asym.io import write_png
    from asym.report.figures.sr_grid import make_figure, run_table

    rng = np.random.default_rng(0)
    hr = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    write_png(hr, tmp_path / "test" / "img.png")
    write_png(hr, tmp_path / "runs" / "l1__nogan__s0" / "sr" / "img.png")
    evaluated = np.zeros_like(hr)
    evaluated[..., 0] = 200  # recognisable: plain red
    write_png(evaluated, tmp_path / "bicubic" / "img.png")
    ev = pd.DataFrame([
        {"run": "l1__nogan__s0", "fidelity": "l1", "adversarial": False, "discriminator": "none",
         "gan_weight": 0.0, "seed": 0, "baseline": False},
        {"run": "bicubic", "fidelity": "none", "adversarial": False, "discriminator": "none",
         "gan_weight": 0.0, "seed": np.nan, "baseline": True}])
    assert run_table(ev)["run"].tolist() == ["l1__nogan__s0"]
    fig = make_figure(tmp_path / "runs", tmp_path / "test", ev, crop=16, crop_xy=(0, 0),
                      bicubic_dir=tmp_path / "bicubic")
    titles = {ax.get_title(): ax for ax in fig.axes}
    shown = titles["bicubic x4\n(baseline)"].images[0].get_array()
    assert np.array_equal(np.asarray(shown), evaluated[:16, :16])
    assert not any("none" == t.get_text() for ax in fig.axes for t in ax.texts)  # no "none" loss row


def test_c1_assessment_side_correlates_within_types_too():
    """The analysis's assessment side (asym.analysis.assessment) takes the same within-type SRCC."""
    from asym.analysis.assessment import assessment_draws, prepare_assessment

    scores, labels = _scores_and_labels()
    pooled = prepare_assessment(scores)
    typed = prepare_assessment(scores.merge(labels, on="distorted"))
    assert pooled.srcc()[0] == pytest.approx(srcc(scores["score"], scores["mos"]))
    within = correlate.correlations(scores, 10, 0, {}, within_type={"synthetic": labels})
    assert typed.srcc()[0] == pytest.approx(within["srcc"].iloc[0])
    draws = assessment_draws(typed, 50, 0)
    assert np.isfinite(draws).all() and (np.abs(draws) <= 1).all()
