"""Each figure CLI writes a non-empty PNG and a vector PDF from tiny synthetic CSVs."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from asym.report.figures import (
    assessment,
    asymmetry,
    discriminators,
    gan_sweep,
    runlogs,
    slope,
    sr_grid,
    stability,
    style,
    training,
    transfer,
)

METRICS = ["l1", "ssim", "gmsd", "dists_vgg16-R"]


@pytest.fixture(autouse=True)
def low_dpi(monkeypatch):
    # tests check what is drawn, not the print resolution: 80 dpi keeps them fast
    monkeypatch.setattr(style, "DPI", 80)


def write_correlations(path):
    rows = []
    for ds in ("synthetic", "kadid"):
        for k, m in enumerate(METRICS):
            s = 0.9 - 0.15 * k
            rows.append({"metric": m, "family": "deep" if "dists" in m else "classical",
                         "backbone": "vgg16" if "dists" in m else "none", "init": "random",
                         "dataset": ds, "n": 40, "srcc": s, "srcc_ci_low": s - 0.05,
                         "srcc_ci_high": min(s + 0.05, 1.0), "plcc": s, "krcc": s - 0.1})
    pd.DataFrame(rows).to_csv(path, index=False)


def write_evaluation_and_ranks(ev_path, ranks_path):
    rng = np.random.default_rng(0)
    rows, ranks = [], []
    for adv in (False, True):
        for k, m in enumerate(METRICS):
            q = (3 - k) if not adv else k
            for s in (0, 1):
                for i in range(3):
                    for ev, lower in (("psnr", False), ("lpips", True)):
                        v = q + rng.normal(scale=0.2)
                        rows.append({"run": f"{m}__{'gan' if adv else 'nogan'}__s{s}",
                                     "generator": "swinir", "fidelity": m, "adversarial": adv,
                                     "discriminator": "patchgan" if adv else "none",
                                     "gan_weight": 0.05 if adv else 0.0, "seed": s,
                                     "dataset": "test", "image": f"i{i}", "evaluator": ev,
                                     "score": -v if lower else v, "lower_better": lower})
            ranks.append({"metric": m, "adversarial": adv, "assessment_srcc": 0.9 - 0.15 * k,
                          "optimization_quality": (3 - k if not adv else k) - 1.5,
                          "optimization_ci_low": (3 - k if not adv else k) - 1.8,
                          "optimization_ci_high": (3 - k if not adv else k) - 1.2, "n_runs": 2,
                          "assessment_rank": k + 1, "optimization_rank": k + 1 if not adv else 4 - k})
    pd.DataFrame(rows).to_csv(ev_path, index=False)
    pd.DataFrame(ranks).to_csv(ranks_path, index=False)


def write_record(run_dir, fidelity, adversarial):
    """The run.json training writes beside its log (asym.optimize.runrecord), with these traits."""
    import json

    traits = {"generator": "swinir", "fidelity": fidelity, "adversarial": adversarial,
              "setting": "patchgan-w0.05" if adversarial else "nogan",
              "discriminator": "patchgan" if adversarial else "none",
              "objective": "nonsaturating" if adversarial else "none", "level": "patch" if adversarial else "none",
              "family": "conv" if adversarial else "none", "gan_weight": 0.05 if adversarial else 0.0, "seed": 0}
    (run_dir / "run.json").write_text(json.dumps({"run": run_dir.name, "spec": {}, "traits": traits,
                                                  "status": "finished", "code_digest": None}))


def write_logs(root):
    paths = []
    steps = np.arange(0, 60, 10)
    for m in METRICS[:2]:
        for adv in (False, True):
            run = root / f"{m}__{'patchgan-w0.05' if adv else 'nogan'}__s0"
            run.mkdir(parents=True)
            log = pd.DataFrame({
                "step": steps, "loss_total": np.nan,
                "loss_fidelity": 0.5 * np.exp(-steps / 30) + 0.05,
                "loss_gan": 0.7 if adv else np.nan, "loss_d": (1.3 - steps / 100) if adv else np.nan,
                "d_real_acc": np.nan, "d_fake_acc": np.nan, "grad_norm_g": 1.0,
                "grad_norm_d": np.nan, "lr": 5e-4, "seconds": steps * 0.1})
            log.to_csv(run / "train_log.csv", index=False)
            write_record(run, m, adv)
            paths.append(run / "train_log.csv")
    return paths


def assert_written(png):
    pdf = png.with_suffix(".pdf")
    assert png.stat().st_size > 5_000 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert pdf.stat().st_size > 1_000 and pdf.read_bytes()[:5] == b"%PDF-"
    # atomic writes leave no temporary files behind
    assert not [p for p in png.parent.iterdir() if p.name.endswith(".tmp")]


def test_assessment_cli(tmp_path):
    corr = tmp_path / "correlations.csv"
    write_correlations(corr)
    out = tmp_path / "figs" / "assessment.png"
    assert assessment.main(["--correlations", str(corr), "--out", str(out)]) == 0
    assert_written(out)


def test_assessment_order_best_on_top(tmp_path):
    corr = tmp_path / "c.csv"
    write_correlations(corr)
    order = assessment.metric_order(pd.read_csv(corr))
    assert order[-1] == "l1" and order[0] == "dists_vgg16-R"


def test_asymmetry_cli(tmp_path):
    ev, ranks = tmp_path / "evaluation.csv", tmp_path / "ranks.csv"
    write_evaluation_and_ranks(ev, ranks)
    out = tmp_path / "figs" / "asymmetry.png"
    rc = asymmetry.main(["--ranks", str(ranks), "--out", str(out)])
    assert rc == 0
    assert_written(out)


def test_asymmetry_plots_ranks_csv_only(tmp_path):
    ev, ranks = tmp_path / "evaluation.csv", tmp_path / "ranks.csv"
    write_evaluation_and_ranks(ev, ranks)
    r = pd.read_csv(ranks)
    data = asymmetry.figure_data(r)
    assert len(data) == 2 * len(METRICS)
    assert np.allclose(data["optimization_quality"], r["optimization_quality"])
    assert np.allclose(data["ci_low"], r["optimization_ci_low"]) and np.allclose(data["ci_high"], r["optimization_ci_high"])


def test_training_cli(tmp_path):
    logs = write_logs(tmp_path / "runs")
    out = tmp_path / "figs" / "training.png"
    assert training.main(["--logs", *map(str, logs), "--out", str(out)]) == 0
    assert_written(out)
    table = runlogs.load_logs(logs)
    assert set(table["fidelity"]) == {"l1", "ssim"}
    assert table.groupby("run")["adversarial"].first().sum() == 2


def test_training_cli_without_gan_runs(tmp_path):
    logs = [p for p in write_logs(tmp_path / "runs") if "nogan" in str(p)]
    out = tmp_path / "t.png"
    assert training.main(["--logs", *map(str, logs), "--out", str(out)]) == 0
    assert_written(out)


def test_logs_take_traits_from_run_json_not_names(tmp_path):
    logs = write_logs(tmp_path / "runs")
    odd = logs[0].parent.with_name("renamed")
    logs[0].parent.rename(odd)
    table = runlogs.load_logs([odd / "train_log.csv", *logs[1:]])
    assert "renamed" not in set(table["run"])  # the run's name and traits come from run.json, not the folder
    assert set(table["fidelity"]) == {"l1", "ssim"}
    (odd / "run.json").unlink()
    with pytest.raises(Exception, match="run.json"):
        runlogs.load_logs([odd / "train_log.csv"])


def test_save_rejects_non_png(tmp_path):
    import matplotlib.pyplot as plt

    style.apply()
    fig = plt.figure()
    with pytest.raises(ValueError):
        style.save(fig, tmp_path / "x.jpg")


def test_analysis_and_figures_do_not_import_torch():
    # a fresh interpreter: this test process may have torch loaded by other tests
    modules = ["asym.analysis.stats", "asym.analysis.claims", "asym.analysis.summaries", "asym.report.latex", "asym.report.html"] + [
        f"asym.report.figures.{p.stem}" for p in (Path(__file__).parents[2] / "asym" / "report" / "figures").glob("*.py")
        if p.stem != "__init__"]
    code = (f"import sys; import {', '.join(modules)}; "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])


def test_asymmetry_labels_do_not_overlap():
    # eight metrics crowded into a small region: the greedy placement must still
    # keep every label box clear of the others
    rng = np.random.default_rng(4)
    names = [f"metric_{k}" for k in range(8)]
    ranks = pd.DataFrame({"metric": names * 2, "adversarial": [False] * 8 + [True] * 8,
                          "assessment_srcc": 0.8 + rng.normal(0, 0.02, 16),
                          "optimization_quality": rng.normal(0, 0.1, 16)})
    ranks = ranks.assign(optimization_ci_low=ranks["optimization_quality"] - 0.05,
                         optimization_ci_high=ranks["optimization_quality"] + 0.05, n_runs=2)
    fig = asymmetry.make_figure(ranks)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        boxes = [t.get_window_extent(renderer) for t in ax.texts]
        assert len(boxes) == 8
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                assert not boxes[i].overlaps(boxes[j]), (ax.texts[i].get_text(), ax.texts[j].get_text())


# --------------------------------------------------------------------------- #
# Figures added with the paper-ready report
# --------------------------------------------------------------------------- #
def test_slope_cli_and_tie_labels(tmp_path):
    ev, ranks = tmp_path / "evaluation.csv", tmp_path / "ranks.csv"
    write_evaluation_and_ranks(ev, ranks)
    out = tmp_path / "figs" / "slope.png"
    assert slope.main(["--ranks", str(ranks), "--out", str(out)]) == 0
    assert_written(out)
    # tied ranks get separate, centred label positions at least min_gap apart
    pos = slope._label_positions(pd.Series({"a": 1, "b": 2, "c": 2, "d": 4}), min_gap=0.6)
    assert pos["a"] == 1 and pos["d"] == 4
    assert pos["c"] - pos["b"] == pytest.approx(0.6) and (pos["b"] + pos["c"]) / 2 == pytest.approx(2)


def test_slope_lines_connect_ranks(tmp_path):
    ev, ranks = tmp_path / "evaluation.csv", tmp_path / "ranks.csv"
    write_evaluation_and_ranks(ev, ranks)
    fig = slope.make_figure(pd.read_csv(ranks))
    ax_no, ax_gan = fig.axes
    ends = sorted(tuple(line.get_ydata()) for line in ax_gan.lines)
    assert ends == [(1, 4), (2, 3), (3, 2), (4, 1)]  # with GAN the order is reversed
    assert "-1.00" in ax_gan.get_title() and "1.00" in ax_no.get_title()


def write_sr_runs(tmp_path, missing=()):
    """HR test images, SR outputs per run (a shifted copy), and the evaluation table naming runs."""
    rng = np.random.default_rng(0)
    test = tmp_path / "test"
    test.mkdir()
    hr = {}
    for name in ("a", "b"):
        img = (rng.random((64, 64, 3)) * 255).astype(np.uint8)
        img[20:40, 20:40] = 255  # a flat patch: the detail crop must avoid it
        Image.fromarray(img).save(test / f"{name}.png")
        hr[name] = img
    rows = []
    for m in ("l1", "ssim"):
        for setting, adv in (("nogan", False), ("patchgan-w0.05", True)):
            run = f"{m}__{setting}__s0"
            if run not in missing:
                (tmp_path / "runs" / run / "sr").mkdir(parents=True)
                for name, img in hr.items():
                    Image.fromarray(np.roll(img, 1, axis=0)).save(tmp_path / "runs" / run / "sr" / f"{name}.png")
            rows.append({"run": run, "generator": "swinir", "fidelity": m, "adversarial": adv,
                         "discriminator": "patchgan" if adv else "none", "gan_weight": 0.05 if adv else 0.0,
                         "seed": 0, "dataset": "test", "image": "a", "evaluator": "psnr", "score": 20.0,
                         "lower_better": False})
    ev = tmp_path / "evaluation.csv"
    pd.DataFrame(rows).to_csv(ev, index=False)
    return test, ev


def test_sr_grid_cli(tmp_path):
    test, ev = write_sr_runs(tmp_path, missing={"ssim__patchgan-w0.05__s0"})
    out = tmp_path / "figs" / "sr_grid.png"
    rc = sr_grid.main(["--runs-dir", str(tmp_path / "runs"), "--test-dir", str(test), "--evaluation", str(ev),
                       "--image", "first", "--crop", "16", "--out", str(out)])
    assert rc == 0
    assert_written(out)


def test_sr_grid_layout_and_crop(tmp_path):
    test, ev = write_sr_runs(tmp_path, missing={"ssim__patchgan-w0.05__s0"})
    hr = np.asarray(Image.open(test / "a.png"))
    x, y = sr_grid.detail_crop(hr, 16)
    assert not (20 <= x and x + 16 <= 40 and 20 <= y and y + 16 <= 40)
    assert sr_grid.bicubic(hr, 4).shape == hr.shape
    runs = sr_grid.run_table(pd.read_csv(ev))
    assert [c[1].split("\n")[0] for c in sr_grid.setting_columns(runs)] == ["without GAN", "with GAN"]
    fig = sr_grid.make_figure(tmp_path / "runs", test, pd.read_csv(ev), image="b", crop=16, crop_xy=(8, 4))
    images = [ax for ax in fig.axes if ax.images]
    assert len(images) == 3 + 2 * 2  # reference row + 2 losses x 2 settings
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert "no output" in texts and "l1" in texts and "ssim" in texts
    crop = images[1].images[0].get_array()
    assert np.array_equal(np.asarray(crop), np.asarray(Image.open(test / "b.png"))[4:20, 8:24])


def test_sr_grid_unknown_image_fails_cleanly(tmp_path, capsys):
    test, ev = write_sr_runs(tmp_path)
    rc = sr_grid.main(["--runs-dir", str(tmp_path / "runs"), "--test-dir", str(test), "--evaluation", str(ev),
                       "--image", "nope", "--out", str(tmp_path / "x.png")])
    assert rc == 2 and "nope" in capsys.readouterr().err


def sweep_evaluation(weights=(0.01, 0.1), discs=("patchgan", "vit-patch")):
    rng = np.random.default_rng(1)
    rows = []
    settings = [(False, "none", 0.0)] + [(True, d, w) for d in discs for w in weights]
    for adv, d, w in settings:
        for m in ("l1", "dists_vgg16-R"):
            for s in (0, 1):
                for i in range(3):
                    q = (-5 * w if "vit" in d else 0.0) + rng.normal(scale=0.1)
                    rows.append({"run": f"{m}__{d}-w{w}__s{s}", "generator": "swinir", "fidelity": m,
                                 "adversarial": adv, "discriminator": d, "gan_weight": w, "seed": s,
                                 "dataset": "test", "image": f"i{i}", "evaluator": "psnr", "score": q,
                                 "lower_better": False})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("weights", [(0.01, 0.1), (0.05,)])
def test_gan_sweep_cli(tmp_path, weights):
    ev = tmp_path / "evaluation.csv"
    sweep_evaluation(weights).to_csv(ev, index=False)
    out = tmp_path / "gan_sweep.png"
    assert gan_sweep.main(["--evaluation", str(ev), "--out", str(out), "--n-boot", "50"]) == 0
    assert_written(out)


def test_gan_sweep_summary_has_baseline_and_every_weight():
    from asym.analysis.summaries import gan_sweep_summary

    s = gan_sweep_summary(sweep_evaluation(), n_boot=50)
    assert set(s["discriminator"]) == {"none", "patchgan", "vit-patch"}
    assert set(s.loc[s["discriminator"] == "none", "gan_weight"]) == {0.0}
    vit = s[(s["discriminator"] == "vit-patch") & (s["fidelity"] == "l1")].set_index("gan_weight")
    assert vit.loc[0.1, "mean"] < vit.loc[0.01, "mean"]  # the planted degradation with weight
    assert (s["n_cells"] == 2).all()  # runs: 2 seeds (the CI resamples them, then the images)
    fig = gan_sweep.make_figure(s)
    assert sum(ax.get_visible() for ax in fig.axes) == 2


def test_discriminators_cli_and_summary(tmp_path):
    ev = tmp_path / "evaluation.csv"
    sweep_evaluation().to_csv(ev, index=False)
    out = tmp_path / "discriminators.png"
    assert discriminators.main(["--evaluation", str(ev), "--out", str(out), "--n-boot", "50"]) == 0
    assert_written(out)
    from asym.analysis.summaries import discriminator_summary

    overall, per_loss = discriminator_summary(sweep_evaluation(), n_boot=50)
    o = overall.set_index("discriminator")
    assert list(o.index) == ["none", "patchgan", "vit-patch"]
    assert o.loc["vit-patch", "mean"] < o.loc["patchgan", "mean"]
    assert (o["ci_low"] <= o["mean"]).all() and (o["mean"] <= o["ci_high"]).all()
    assert len(per_loss) == 3 * 2


def write_transfer(path, seeds=(0, 1)):
    rng = np.random.default_rng(2)
    rows = []
    for b in ("vgg16", "resnet50", "vit_b16"):
        for init, eff in (("random", 0.0), ("discriminator:patchgan", 0.05), ("imagenet", 0.3)):
            for ds in ("kadid", "koniq"):
                for s in seeds:
                    v = 0.5 + eff + rng.normal(scale=0.02)
                    rows.append({"backbone": b, "init": init, "dataset": ds, "n": 50, "seed": s, "srcc": v,
                                 "srcc_ci_low": v - 0.05, "srcc_ci_high": v + 0.05, "plcc": v})
    pd.DataFrame(rows).to_csv(path, index=False)


@pytest.mark.parametrize("seeds", [(0, 1), (0,)])
def test_transfer_cli(tmp_path, seeds):
    t = tmp_path / "correlations.csv"
    write_transfer(t, seeds)
    out = tmp_path / "transfer.png"
    assert transfer.main(["--transfer", str(t), "--out", str(out)]) == 0
    assert_written(out)


def test_transfer_orders():
    assert transfer.backbone_order(["vit_b16", "vgg16", "resnet50"]) == ["resnet50", "vgg16", "vit_b16"]
    assert transfer.init_order(["imagenet", "random", "discriminator:x"]) == ["random", "discriminator:x",
                                                                              "imagenet"]
    from asym.analysis.summaries import transfer_summary

    df = pd.DataFrame({"backbone": ["vgg16"] * 2, "init": ["random"] * 2, "dataset": ["d"] * 2,
                       "seed": [0, 1], "srcc": [0.4, 0.6], "srcc_ci_low": [0.3, 0.5],
                       "srcc_ci_high": [0.5, 0.7], "plcc": [0.4, 0.6]})
    s = transfer_summary(df).iloc[0]
    assert s["srcc"] == pytest.approx(0.5) and s["seeds"] == 2 and s["family"] == "conv"


def test_transfer_missing_columns_fails_cleanly(tmp_path, capsys):
    t = tmp_path / "t.csv"
    pd.DataFrame({"backbone": ["x"]}).to_csv(t, index=False)
    assert transfer.main(["--transfer", str(t), "--out", str(tmp_path / "x.png")]) == 2
    assert "lacks columns" in capsys.readouterr().err


def test_stability_cli(tmp_path):
    logs = write_logs(tmp_path / "runs")
    for p in logs:  # give the GAN runs discriminator accuracies and gradient norms
        log = pd.read_csv(p)
        if "patchgan" in str(p):
            log["d_real_acc"] = np.linspace(0.5, 1.0, len(log))
            log["d_fake_acc"] = np.linspace(0.5, 0.9, len(log))
            log["grad_norm_d"] = 2.0
        log.to_csv(p, index=False)
    out = tmp_path / "stability.png"
    assert stability.main(["--logs", *map(str, logs), "--out", str(out)]) == 0
    assert_written(out)
    fig = stability.make_figure(runlogs.load_logs(logs))
    acc = fig.axes[0]
    assert len(acc.lines) == 2  # one setting: real and generated
    assert acc.lines[0].get_ydata()[-1] == pytest.approx(1.0, abs=0.1)


def test_stability_without_gan_runs_says_so(tmp_path):
    logs = [p for p in write_logs(tmp_path / "runs") if "nogan" in str(p)]
    fig = stability.make_figure(runlogs.load_logs(logs))
    assert all(any("no runs with GAN" in t.get_text() for t in ax.texts) for ax in fig.axes)
