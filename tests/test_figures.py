"""Each figure CLI writes a non-empty PNG and a vector PDF from tiny synthetic CSVs."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from asym.figures import assessment, asymmetry, style, training

METRICS = ["l1", "ssim", "gmsd", "dists_vgg16-R"]


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
                          "assessment_rank": k + 1, "optimization_rank": k + 1 if not adv else 4 - k})
    pd.DataFrame(rows).to_csv(ev_path, index=False)
    pd.DataFrame(ranks).to_csv(ranks_path, index=False)


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
    rc = asymmetry.main(["--ranks", str(ranks), "--evaluation", str(ev), "--out", str(out),
                         "--n-boot", "100"])
    assert rc == 0
    assert_written(out)


def test_asymmetry_ci_brackets_mean(tmp_path):
    ev, ranks = tmp_path / "evaluation.csv", tmp_path / "ranks.csv"
    write_evaluation_and_ranks(ev, ranks)
    ci = asymmetry.quality_ci(pd.read_csv(ev), n_boot=200, seed=0)
    assert len(ci) == 2 * len(METRICS)
    assert (ci["ci_low"] <= ci["mean"]).all() and (ci["mean"] <= ci["ci_high"]).all()
    assert (ci["n_cells"] == 6).all()  # 2 seeds x 3 images


def test_training_cli(tmp_path):
    logs = write_logs(tmp_path / "runs")
    out = tmp_path / "figs" / "training.png"
    assert training.main(["--logs", *map(str, logs), "--out", str(out)]) == 0
    assert_written(out)
    table = training.load_logs(logs)
    assert set(table["fidelity"]) == {"l1", "ssim"}
    assert table.groupby("run")["adversarial"].first().sum() == 2


def test_training_cli_without_gan_runs(tmp_path):
    logs = [p for p in write_logs(tmp_path / "runs") if "nogan" in str(p)]
    out = tmp_path / "t.png"
    assert training.main(["--logs", *map(str, logs), "--out", str(out)]) == 0
    assert_written(out)


def test_parse_run_name():
    assert training.parse_run_name("dists_vgg16-R__patchgan-w0.05__s1") == ("dists_vgg16-R", "patchgan-w0.05")
    assert training.parse_run_name("odd") == ("odd", "")


def test_save_rejects_non_png(tmp_path):
    import matplotlib.pyplot as plt

    style.apply()
    fig = plt.figure()
    with pytest.raises(ValueError):
        style.save(fig, tmp_path / "x.jpg")


def test_analysis_and_figures_do_not_import_torch():
    # a fresh interpreter: this test process may have torch loaded by other tests
    code = ("import sys; import asym.stats, asym.claims, asym.report, asym.figures.style, "
            "asym.figures.asymmetry, asym.figures.assessment, asym.figures.training; "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1])


def test_asymmetry_labels_do_not_overlap():
    # eight metrics crowded into a small region: the greedy placement must still
    # keep every label box clear of the others
    rng = np.random.default_rng(4)
    names = [f"metric_{k}" for k in range(8)]
    ranks = pd.DataFrame({"metric": names * 2, "adversarial": [False] * 8 + [True] * 8,
                          "assessment_srcc": 0.8 + rng.normal(0, 0.02, 16),
                          "optimization_quality": rng.normal(0, 0.1, 16)})
    cis = ranks[["metric", "adversarial"]].assign(
        mean=ranks["optimization_quality"], ci_low=ranks["optimization_quality"] - 0.05,
        ci_high=ranks["optimization_quality"] + 0.05, n_cells=6)
    fig = asymmetry.make_figure(ranks, cis)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        boxes = [t.get_window_extent(renderer) for t in ax.texts]
        assert len(boxes) == 8
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                assert not boxes[i].overlaps(boxes[j]), (ax.texts[i].get_text(), ax.texts[j].get_text())
