"""Fitting DISTS-style alpha/beta: planted relation recovered, constraints kept, artefact round trip."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from asym.analysis.stats import mean_within, srcc
from asym.assess.fidelity import DistsStyle, build_metric
from asym.assess.fit_metric import (
    OBJECTIVE_WITHIN_TYPE,
    _mean_pearson,
    fit,
    fit_metric,
    main,
    quality_srcc,
    ranked_pairs,
)
from asym.io import write_png
from asym.nets.backbones import WeightsMissingError

SPEC = {"name": "dists_vgg16-R", "kind": "dists_style", "backbone": "vgg16", "init": "random", "init_seed": 0,
        "group": "vgg16"}


def _planted(n_refs=6, per_ref=10, n_channels=12, seed=0):
    """Terms in [0, 1] where only texture channel 3 carries quality (plus noise elsewhere)."""
    g = torch.Generator().manual_seed(seed)
    n = n_refs * per_ref
    texture, structure = torch.rand(n, n_channels, generator=g), torch.rand(n, n_channels, generator=g)
    mos = texture[:, 3].numpy() + 0.02 * torch.randn(n, generator=g).numpy()  # higher term = better
    groups = np.repeat(np.arange(n_refs), per_ref)
    return texture, structure, mos, groups


def test_fitting_raises_train_srcc_on_a_planted_relation():
    texture, structure, mos, groups = _planted()
    n = texture.shape[1]
    uniform = torch.full((n,), 1 / (2 * n))
    before = quality_srcc(texture, structure, uniform, uniform, mos)
    out = fit(texture, structure, mos, groups, steps=150, lr=0.1)
    after = quality_srcc(texture, structure, out["alpha"], out["beta"], mos)
    assert after > before + 0.3 and after > 0.9
    assert int(torch.argmax(torch.cat([out["alpha"], out["beta"]]))) == 3  # the planted channel wins


def test_fitted_weights_are_non_negative_and_sum_to_one():
    texture, structure, mos, groups = _planted(seed=1)
    out = fit(texture, structure, mos, groups, steps=20)
    assert (out["alpha"] >= 0).all() and (out["beta"] >= 0).all()
    assert float(out["alpha"].sum() + out["beta"].sum()) == pytest.approx(1.0, abs=1e-5)


def test_ranked_pairs_stay_within_a_reference_and_skip_ties():
    mos = np.array([1.0, 2.0, 2.0, 5.0, 3.0])
    groups = np.array([0, 0, 0, 1, 1])
    better, worse = ranked_pairs(mos, groups)
    pairs = set(zip(better.tolist(), worse.tolist()))
    assert pairs == {(1, 0), (2, 0), (3, 4)}


def test_fit_without_rankable_pairs_fails_clearly():
    texture, structure = torch.rand(4, 3), torch.rand(4, 3)
    with pytest.raises(ValueError, match="nothing to rank"):
        fit(texture, structure, [1.0, 1.0, 2.0, 2.0], [0, 0, 1, 1], steps=1)


@pytest.fixture(scope="module")
def tiny_iqa_set(tmp_path_factory):
    """4 references x 2 distortions x 2 levels at 24 px, in the synthetic set's layout."""
    root = tmp_path_factory.mktemp("iqa")
    rng = np.random.default_rng(0)
    rows = []
    for r in range(4):
        ref = rng.random((24, 24, 3))
        write_png((ref * 255).astype(np.uint8), root / "reference" / f"img{r}.png")
        for dist in ("noise", "flat"):
            for level in (1, 2):
                if dist == "noise":
                    out = np.clip(ref + 0.15 * level * rng.standard_normal(ref.shape), 0, 1)
                else:
                    out = ref * (1 - 0.4 * level) + 0.5 * 0.4 * level
                name = f"distorted/img{r}__{dist}__{level}.png"
                write_png((out * 255).astype(np.uint8), root / name)
                rows.append({"reference": f"reference/img{r}.png", "distorted": name, "distortion": dist,
                             "level": level, "mos": 3 - level})
    pd.DataFrame(rows).to_csv(root / "scores.csv", index=False)
    return root


def test_within_type_labels_rank_only_pairs_of_one_type():
    # each (reference, type) holds one image: pooled over types there are pairs to rank,
    # within a type there are none, so the within-type fit refuses instead of comparing
    # level 1 of blur with level 2 of noise
    texture, structure = torch.rand(4, 3), torch.rand(4, 3)
    mos, refs, types = [2.0, 1.0, 2.0, 1.0], [0, 0, 1, 1], ["blur", "noise", "blur", "noise"]
    fit(texture, structure, mos, refs, steps=1)
    with pytest.raises(ValueError, match="reference and distortion type has different MOS"):
        fit(texture, structure, mos, refs, steps=1, types=types)


def test_within_type_correlations_ignore_offsets_between_types():
    # distances that order each type perfectly but sit on different scales per type
    level = np.tile([1.0, 2.0, 3.0], 2)
    types = np.repeat(["blur", "jpeg"], 3)
    quality = torch.tensor(-level + np.where(types == "jpeg", 10.0, 0.0), dtype=torch.float64)
    mos = torch.tensor(4.0 - level, dtype=torch.float64)
    assert float(_mean_pearson(quality, mos, types)) == pytest.approx(1.0)
    assert float(_mean_pearson(quality, mos, None)) < 0.2
    parts = [np.corrcoef(quality[types == t], mos[types == t])[0, 1] for t in ("blur", "jpeg")]
    assert float(_mean_pearson(quality, mos, types)) == pytest.approx(np.mean(parts))
    # the SRCC reported with the fit is the one the assessment table uses
    texture, structure = torch.rand(6, 2, dtype=torch.float64), torch.rand(6, 2, dtype=torch.float64)
    alpha, beta = torch.tensor([0.4, 0.1]), torch.tensor([0.3, 0.2])
    d = 1 - texture @ alpha.double() - structure @ beta.double()
    expected = mean_within(srcc, pd.DataFrame({"score": -d.numpy(), "mos": mos.numpy(), "distortion": types}))
    assert quality_srcc(texture, structure, alpha, beta, mos.numpy(), types) == pytest.approx(expected)


def test_fit_metric_cli_writes_a_weights_only_artefact_that_metrics_load(tiny_iqa_set, tmp_path, capsys):
    out = tmp_path / "fitted" / "dists_vgg16-R.pt"
    main(["--metric-spec", json.dumps(SPEC), "--dataset-kind", "synthetic", "--root", str(tiny_iqa_set),
          "--test-fraction", "0.25", "--seed", "0", "--steps", "15", "--out", str(out)])
    assert "train SRCC" in capsys.readouterr().out
    art = torch.load(out, weights_only=True)
    assert art["format"] == DistsStyle.FITTED_FORMAT and art["metric_spec"] == SPEC
    assert len(art["train_references"]) == 3 and len(art["test_references"]) == 1
    assert not set(art["train_references"]) & set(art["test_references"])
    assert art["alpha"].shape == (1475,) and float(art["alpha"].sum() + art["beta"].sum()) == pytest.approx(1, abs=1e-5)
    for key in ("objective", "train_srcc", "test_srcc", "initial_train_srcc", "channels"):
        assert key in art
    metric = build_metric({**SPEC, "fitted": str(out)})
    assert torch.allclose(metric.alpha, art["alpha"]) and torch.allclose(metric.beta, art["beta"])
    x = torch.rand(1, 3, 24, 24)
    assert metric.score(x, x).abs().item() < 1e-4


def test_fit_metric_is_deterministic(tiny_iqa_set):
    a = fit_metric(SPEC, "synthetic", tiny_iqa_set, steps=5)
    b = fit_metric(SPEC, "synthetic", tiny_iqa_set, steps=5)
    assert torch.equal(a["alpha"], b["alpha"]) and a["train_references"] == b["train_references"]
    # the synthetic set's levels compare images within a distortion type only
    assert a["label_scope"] == "within_distortion" and a["objective"] == OBJECTIVE_WITHIN_TYPE


def test_missing_fitted_file_names_it_and_the_command(tmp_path):
    missing = tmp_path / "nope.pt"
    with pytest.raises(WeightsMissingError) as err:
        build_metric({**SPEC, "fitted": str(missing)})
    assert str(missing) in str(err.value) and "python -m asym.assess.fit_metric" in str(err.value)


def test_fitted_file_for_another_backbone_is_rejected(tmp_path):
    art = {"format": DistsStyle.FITTED_FORMAT, "metric_spec": {**SPEC, "init_seed": 1},
           "alpha": torch.full((1475,), 1.0), "beta": torch.full((1475,), 1.0)}
    path = tmp_path / "other.pt"
    torch.save(art, path)
    with pytest.raises(ValueError, match="refit"):
        build_metric({**SPEC, "fitted": str(path)})


def test_only_dists_style_metrics_can_be_fitted(tiny_iqa_set):
    with pytest.raises(ValueError, match="only dists_style"):
        fit_metric({"name": "l1", "kind": "l1", "group": "pixel"}, "synthetic", tiny_iqa_set)
