"""Unit tests of asym.analysis.stats on data with known answers."""

import warnings

import numpy as np
import pandas as pd
import pytest

from asym.analysis.stats import (
    CORRELATION_COLUMNS,
    bootstrap_correlation,
    correlation_table,
    krcc,
    logistic_plcc,
    normalize_evaluations,
    plcc,
    quality_direction,
    srcc,
)


@pytest.mark.parametrize("fn", [srcc, krcc, logistic_plcc])
def test_monotone_gives_one_and_reversed_minus_one(fn):
    x = np.linspace(0.0, 1.0, 30)
    y = 1.0 / (1.0 + np.exp(-8 * (x - 0.4)))  # monotone but nonlinear (logistic-shaped)
    assert fn(x, y) == pytest.approx(1.0, abs=1e-6)
    assert fn(x, -y) == pytest.approx(-1.0, abs=1e-6)


def test_logistic_plcc_beats_pearson_on_sigmoid():
    x = np.linspace(-3, 3, 60)
    y = 1.0 / (1.0 + np.exp(-3 * x))
    assert plcc(x, y) < 0.97  # the linear fit misses the saturation
    assert logistic_plcc(x, y) == pytest.approx(1.0, abs=1e-4)
    assert logistic_plcc(x, y, n_params=4) == pytest.approx(1.0, abs=1e-4)
    # invariant to the metric's and the MOS's units
    assert logistic_plcc(100 * x + 7, 5 * y - 2) == pytest.approx(1.0, abs=1e-4)


def test_logistic_plcc_falls_back_to_pearson_with_warning():
    x, y = [1.0, 2.0, 3.0], [1.0, 2.0, 4.0]  # too few points for any logistic
    with pytest.warns(RuntimeWarning, match="plain Pearson"):
        value = logistic_plcc(x, y)
    assert value == pytest.approx(plcc(x, y))


def test_undefined_correlations_are_nan():
    assert np.isnan(srcc([1, 1, 1], [1, 2, 3]))
    assert np.isnan(krcc([1], [2]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # constant input must not warn, just be NaN
        assert np.isnan(logistic_plcc([2, 2, 2, 2, 2, 2], [1, 2, 3, 4, 5, 6]))


def test_quality_direction_flips_lower_better():
    s = np.array([0.1, 0.5, 0.9])
    np.testing.assert_allclose(quality_direction(s, True), -s)
    np.testing.assert_allclose(quality_direction(s, "False"), s)
    np.testing.assert_allclose(quality_direction(s, np.array([True, False, True])), [-0.1, 0.5, -0.9])


def grouped_data(n_ref, per_ref=4, seed=0, noise=1.0):
    rng = np.random.default_rng(seed)
    ref = np.repeat(np.arange(n_ref), per_ref)
    mos = rng.normal(size=ref.size)
    return pd.DataFrame({"reference": ref, "mos": mos,
                         "score": mos + rng.normal(scale=noise, size=ref.size)})


def test_bootstrap_ci_contains_estimate_and_narrows():
    small, large = grouped_data(15), grouped_data(240)
    widths = []
    for d in (small, large):
        est = srcc(d["score"], d["mos"])
        lo, hi = bootstrap_correlation(d, "srcc", groups="reference", n_boot=300, seed=1)
        assert lo <= est <= hi
        widths.append(hi - lo)
    assert widths[1] < 0.5 * widths[0]


def test_bootstrap_is_deterministic_given_seed():
    d = grouped_data(20)
    a = bootstrap_correlation(d, "srcc", n_boot=100, seed=7)
    assert a == bootstrap_correlation(d, "srcc", n_boot=100, seed=7)
    assert a != bootstrap_correlation(d, "srcc", n_boot=100, seed=8)


def test_bootstrap_resamples_groups_not_rows():
    # every reference has 10 identical rows: resampling whole references keeps
    # each drawn reference's rows together (counts are multiples of 10) ...
    base = grouped_data(12, per_ref=1, seed=3)
    d = base.loc[base.index.repeat(10)].reset_index(drop=True)
    intact = lambda s: float((s.groupby("reference").size() % 10 == 0).all())
    lo, hi = bootstrap_correlation(d, intact, groups="reference", n_boot=50, seed=0)
    assert lo == hi == 1.0
    lo, hi = bootstrap_correlation(d, intact, groups=None, n_boot=50, seed=0)
    assert lo == hi == 0.0
    # ... and the CI reflects 12 independent units, not 120 rows
    g = bootstrap_correlation(d, "srcc", groups="reference", n_boot=300, seed=0)
    r = bootstrap_correlation(d, "srcc", groups=None, n_boot=300, seed=0)
    collapsed = bootstrap_correlation(base, "srcc", groups=None, n_boot=300, seed=0)
    assert (g[1] - g[0]) > 2 * (r[1] - r[0])
    assert (g[1] - g[0]) == pytest.approx(collapsed[1] - collapsed[0], rel=0.35)


def test_correlation_table_quality_direction_and_columns():
    rng = np.random.default_rng(0)
    rows = []
    for r in range(10):
        for lv in range(5):
            mos = lv + rng.normal(scale=0.3)
            for metric, lower, score in (("good_up", False, mos), ("good_down", True, -mos),
                                         ("noise", False, rng.normal())):
                rows.append({"dataset": "toy", "metric": metric, "reference": f"r{r}",
                             "distorted": f"r{r}_{lv}", "score": score, "lower_better": lower,
                             "mos": mos})
    scores = pd.DataFrame(rows)
    info = {"good_up": {"family": "classical", "backbone": "none", "init": "none"}}
    t = correlation_table(scores, n_boot=100, seed=0, metric_info=info)
    assert list(t.columns) == CORRELATION_COLUMNS
    t = t.set_index("metric")
    assert t.loc["good_up", "srcc"] == pytest.approx(1.0)
    assert t.loc["good_down", "srcc"] == pytest.approx(1.0)  # negated -> positive
    assert t.loc["good_down", "plcc"] == pytest.approx(1.0, abs=1e-6)
    assert abs(t.loc["noise", "srcc"]) < 0.5
    assert (t["n"] == 50).all()
    assert t.loc["good_up", "family"] == "classical"
    assert (t["srcc_ci_low"] <= t["srcc"]).all() and (t["srcc"] <= t["srcc_ci_high"]).all()


def test_normalize_evaluations_flips_lower_better():
    ev = pd.DataFrame({
        "evaluator": ["psnr"] * 3 + ["lpips"] * 3 + ["flat"] * 2,
        "score": [20.0, 25.0, 30.0, 0.1, 0.2, 0.3, 5.0, 5.0],
        "lower_better": [False] * 3 + [True] * 3 + [False] * 2,
    })
    out = normalize_evaluations(ev)
    assert "quality" in out and "quality" not in ev
    psnr = out.loc[out.evaluator == "psnr", "quality"].to_numpy()
    lpips = out.loc[out.evaluator == "lpips", "quality"].to_numpy()
    assert psnr.mean() == pytest.approx(0.0) and psnr.std() == pytest.approx(1.0)
    assert np.all(np.diff(psnr) > 0)
    assert np.all(np.diff(lpips) < 0)  # higher LPIPS = worse = lower quality
    np.testing.assert_allclose(lpips, -psnr, atol=1e-12)
    np.testing.assert_allclose(out.loc[out.evaluator == "flat", "quality"], 0.0, atol=0)


def test_normalize_evaluations_on_a_reference_scale():
    runs = pd.DataFrame({"evaluator": ["psnr"] * 3 + ["lpips"] * 2 + ["flat"] * 2,
                         "score": [20.0, 25.0, 30.0, 0.2, 0.4, 5.0, 5.0],
                         "lower_better": [False] * 3 + [True] * 2 + [False] * 2})
    base = pd.DataFrame({"evaluator": ["psnr", "lpips", "flat", "other"], "score": [15.0, 0.5, 9.0, 1.0],
                         "lower_better": [False, True, False, False]})
    q = normalize_evaluations(base, reference=runs)["quality"].to_numpy()
    assert q[0] == pytest.approx((15.0 - 25.0) / np.std([20.0, 25.0, 30.0]))
    assert q[1] == pytest.approx(-(0.5 - 0.3) / 0.1)      # lower is better: negated
    assert q[2] == 0.0 and np.isnan(q[3])                 # constant reference; evaluator it lacks
    both = normalize_evaluations(pd.concat([runs, base[:3]]), reference=runs)["quality"].to_numpy()
    np.testing.assert_allclose(both[:7], normalize_evaluations(runs)["quality"].to_numpy())


# --------------------------------------------------------------------------- #
# Paired differences
# --------------------------------------------------------------------------- #
def test_sign_flip_exact_small_sample():
    from asym.analysis.inference import sign_flip_test

    # 3 positive differences: only the identity pattern is as extreme, p = 1/8
    assert sign_flip_test([1.0, 2.0, 3.0], n_perm=100) == pytest.approx(1 / 8)
    assert sign_flip_test([1.0, 2.0, 3.0], n_perm=100, alternative="less") == pytest.approx(1.0)
    assert sign_flip_test([1.0, 2.0, 3.0], shift=10.0, alternative="less") == pytest.approx(1 / 8)
    assert np.isnan(sign_flip_test([np.nan]))


def test_tost_needs_the_difference_inside_the_margin():
    from asym.analysis.inference import tost_sign_flip

    rng = np.random.default_rng(0)
    inside = tost_sign_flip(rng.normal(scale=0.01, size=12), margin=0.05)
    outside = tost_sign_flip(0.1 + rng.normal(scale=0.01, size=12), margin=0.05)
    assert inside <= 2 ** -12 + 1e-12 and outside > 0.5


def test_two_sample_relabelling_is_exact():
    from asym.analysis.inference import two_sample_min_p, two_sample_perm_p

    assert two_sample_perm_p([3.0, 4.0], [1.0, 2.0]) == pytest.approx(1 / 6)  # C(4, 2) splits
    assert two_sample_min_p(2, 2) == pytest.approx(1 / 6)
    assert two_sample_perm_p([3.0, 4.0], [1.0, 2.0], "less") == pytest.approx(1.0)


def test_holm_adjusts_over_the_testable_claims():
    from asym.analysis.inference import holm, verdict

    adj = holm([0.01, 0.04, np.nan, 0.5])
    assert adj[[0, 1, 3]] == pytest.approx([0.03, 0.08, 0.5]) and np.isnan(adj[2])
    assert verdict(0.03, 1.0, True, 0.05) == "supported"
    assert verdict(0.03, 1.0, False, 0.05) == "inconclusive"   # underpowered design
    assert verdict(0.5, 0.01, True, 0.05) == "not_supported"


def test_ols_terms_matches_least_squares_and_flags_inestimable():
    from asym.analysis.inference import ols_terms

    rng = np.random.default_rng(1)
    x = rng.normal(size=30)
    y = 1.0 + 2.0 * x + rng.normal(scale=0.1, size=30)
    X = np.column_stack([np.ones(30), x, np.zeros(30)])
    fit = ols_terms(y, X, ["b0", "b1", "never"])
    assert fit["b1"][0] == pytest.approx(np.polyfit(x, y, 1)[0]) and fit["_df"] == 28
    assert np.isnan(fit["never"][0])


def test_hierarchical_bootstrap_resamples_runs():
    from asym.analysis.runs import hierarchical_group_means
    from asym.analysis.stats import bootstrap_mean

    Q = np.array([[0.0, 0.0], [2.0, 2.0], [5.0, 5.0], [5.0, 5.0]])  # runs x images
    draws = hierarchical_group_means(Q, [0, 0, 1, 1], [np.arange(2)], 400, 0)
    assert draws[:, 0].std() > 0.5          # two different runs: the group mean moves
    assert np.allclose(draws[:, 1], 5.0)    # two equal runs: it does not
    m, lo, hi = bootstrap_mean([1.0, 2.0, 3.0], 200, 0)
    assert lo <= m <= hi


def test_bootstrap_mean_resamples_whole_groups():
    from asym.analysis.stats import bootstrap_mean

    # Two references, each with many identical pairs: the cluster bootstrap can only draw the
    # reference means (0 and 1), so its interval is [0, 1]; treating the 40 pairs as independent
    # would give a far narrower one around 0.5.
    values = np.r_[np.zeros(20), np.ones(20), np.nan]
    groups = np.r_[np.full(20, "a"), np.full(20, "b"), ["a"]]
    m, lo, hi = bootstrap_mean(values, 400, 0, groups=groups)
    assert m == 0.5 and lo == 0.0 and hi == 1.0
    _, lo_iid, hi_iid = bootstrap_mean(values, 400, 0)
    assert 0.25 < lo_iid < 0.5 < hi_iid < 0.75
    # a group of one value each is the plain bootstrap
    v = np.random.default_rng(2).normal(size=25)
    assert bootstrap_mean(v, 300, 4, groups=np.arange(25)) == pytest.approx(bootstrap_mean(v, 300, 4))
    with pytest.raises(ValueError, match="group labels"):
        bootstrap_mean([1.0, 2.0], 10, 0, groups=["a"])


def test_mean_within_averages_types_with_equal_weight():
    from asym.analysis.stats import mean_within, srcc

    d = pd.DataFrame({"score": [1, 2, 3, 3, 2, 1, 5, 6], "mos": [1, 2, 3, 1, 2, 3, 7, 7],
                      "distortion": ["a"] * 3 + ["b"] * 3 + ["c"] * 2})
    # a: +1, b: -1, c: undefined (constant labels) and left out
    assert mean_within(srcc, d) == pytest.approx(0.0)
    assert mean_within(srcc, d[d["distortion"] == "a"]) == pytest.approx(1.0)
    assert np.isnan(mean_within(srcc, d[d["distortion"] == "c"]))
