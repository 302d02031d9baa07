"""Assessment scoring, SR evaluation, tidy tables and atomic I/O on the tiny data set."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from asym.assess.score import SCORE_COLUMNS, score_set
from asym.config import evaluator_panel, metric_spec, run_by_name, train_spec
from asym.io import InputError, atomic_path, read_rgb, write_csv
from asym.optimize.evaluate import EVALUATION_COLUMNS, evaluate
from asym.optimize.train_sr import train
from asym.tables import concat


def test_score_set_rows_direction_and_relative_paths(tiny_cfg, tiny_workdir):
    root = tiny_workdir / tiny_cfg["data"]["iqa_sets"]["synthetic"]["root"]
    table = score_set(metric_spec(tiny_cfg, "l1"), "synthetic", "synthetic", root, batch_size=4)
    p = tiny_cfg["data"]["prepare"]
    assert list(table.columns) == SCORE_COLUMNS
    assert len(table) == p["n_iqa"] * len(p["distortions"]) * p["levels"]
    assert table["lower_better"].all()
    assert not table["reference"].str.startswith("/").any()
    # Stronger distortion (lower proxy MOS) -> larger L1 error, on average.
    by_mos = table.groupby("mos")["score"].mean().sort_index()
    assert by_mos.iloc[0] > by_mos.iloc[-1]


def test_evaluation_excludes_own_metric_and_saves_sr_images(tiny_cfg, tiny_workdir, tmp_path):
    run = run_by_name(tiny_cfg, "ssim__nogan__s0")
    train(dict(train_spec(tiny_cfg, run), steps=2), tiny_workdir / tiny_cfg["data"]["sr_train"], tmp_path / "run",
          progress=False)
    # Fitted metrics need the fit stage's artefact (tests/assess/test_fit_metric.py covers them).
    panel = {k: v for k, v in evaluator_panel(tiny_cfg, run).items() if "fitted" not in v}
    test_dir = tiny_workdir / tiny_cfg["data"]["sr_test"]
    table = evaluate(tmp_path / "run" / "final.pt", panel, test_dir, "tiny-test", tmp_path / "sr", batch_size=2)
    assert list(table.columns) == EVALUATION_COLUMNS
    assert set(table["evaluator"]) == set(panel) and "ssim" not in set(table["evaluator"])
    n_images = tiny_cfg["data"]["prepare"]["n_sr_test"]
    assert len(table) == n_images * len(panel)
    assert table["score"].notna().all()
    sr = sorted((tmp_path / "sr").glob("*.png"))
    assert len(sr) == n_images
    size = tiny_cfg["data"]["prepare"]["sr_test_size"]
    assert read_rgb(sr[0]).shape == (size, size, 3)


def test_concat_refuses_mismatched_columns(tmp_path):
    write_csv(pd.DataFrame({"a": [1], "b": [2]}), tmp_path / "x.csv")
    write_csv(pd.DataFrame({"a": [3], "b": [4]}), tmp_path / "y.csv")
    write_csv(pd.DataFrame({"a": [3], "c": [4]}), tmp_path / "z.csv")
    assert concat([tmp_path / "x.csv", tmp_path / "y.csv"])["a"].tolist() == [1, 3]
    with pytest.raises(ValueError, match="z.csv"):
        concat([tmp_path / "x.csv", tmp_path / "z.csv"])


def test_atomic_path_keeps_old_file_on_failure(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]


def test_read_rgb_names_corrupt_and_missing_files(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a png at all")
    with pytest.raises(InputError, match="bad.png"):
        read_rgb(bad)
    with pytest.raises(InputError, match="missing.png"):
        read_rgb(tmp_path / "missing.png")


def test_written_files_are_world_readable(tmp_path):
    write_csv(pd.DataFrame({"a": [1]}), tmp_path / "x.csv")
    assert (tmp_path / "x.csv").stat().st_mode & 0o044 == 0o044
    assert np.isfinite(pd.read_csv(tmp_path / "x.csv")["a"]).all()


def test_a_metric_fitted_on_the_set_is_assessed_on_its_held_out_references_only(tiny_cfg, tiny_workdir, tmp_path):
    from pathlib import Path

    from asym.assess.fit_metric import fit_metric, save_artefact

    root = tiny_workdir / tiny_cfg["data"]["iqa_sets"]["synthetic"]["root"]
    spec = metric_spec(tiny_cfg, "dists_vgg16-R")
    assert spec["fitted_on"] == "synthetic"
    spec["fitted"] = str(tmp_path / "fitted.pt")
    base = {k: v for k, v in spec.items() if k not in ("fitted", "fitted_on")}
    artefact = fit_metric(base, "synthetic", root, test_fraction=0.5, seed=0, steps=5)
    save_artefact(artefact, spec["fitted"])

    table = score_set(spec, "synthetic", "synthetic", root, batch_size=4)
    assessed = {Path(p).name for p in table["reference"]}
    assert assessed == set(artefact["test_references"])
    assert not assessed & set(artefact["train_references"])
    # On another set (or unfitted), every reference is assessed.
    elsewhere = score_set({**spec, "fitted_on": "kadid10k"}, "synthetic", "synthetic", root, batch_size=4)
    assert len(elsewhere) > len(table)
