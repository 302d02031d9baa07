"""Calibration: under a null with a random effect per training run, each claim's test rejects at
most alpha of the time; a planted effect is detected.

The simulations are :mod:`asym.analysis.power`'s (the same code ``asym power`` runs): the
config-like design's run effects (SD 1 per loss x setting x seed), run x image effects (SD 0.3),
and on the IQA side unit effects, then the claim's own array-level test. A rejection count
passes if it is at most the 99.9 % binomial quantile of Bin(reps, alpha): a test whose true
rate is alpha fails this with probability < 0.001.
"""

import numpy as np
import pytest
from scipy import stats as sps

from asym.analysis.power import DEFAULT_COMPONENTS, Design, rejection_rate, smallest_p

ALPHA = 0.05
REPS = 300
# a design every test can reach alpha with: 5 losses x 6 seeds, 4 designs in 2 strata,
# 3 transfer units x 4 splits per claim, 4 + 4 DISTS-style backbones
DESIGN = Design(losses=5, seeds=6, images=6, iqa_refs=25,
                strata=[[("patch", "conv"), ("image", "conv"), ("image", "transformer"), ("patch", "transformer")]] * 2,
                c3_units_per_split=3, c5_units_per_split=3, splits=4, backbones=(4, 4))
# the issue's own null: SD 1 per run, 0.3 per test image
COMPONENTS = {**DEFAULT_COMPONENTS, "run": 1.0, "image": 0.3}


def binomial_bound(reps: int, alpha: float = ALPHA) -> float:
    """Largest rejection *rate* a test of true rate alpha exceeds with probability < 0.001."""
    return sps.binom.ppf(0.999, reps, alpha) / reps


@pytest.mark.parametrize("claim", ["C1", "C2", "C3", "C4", "C5"])
def test_the_design_can_reach_alpha(claim):
    assert smallest_p(claim, DESIGN) <= ALPHA


@pytest.mark.parametrize("claim", ["C2", "C3", "C4", "C5"])
def test_false_positive_rate_under_run_effects_is_at_most_alpha(claim):
    rate, _ = rejection_rate(claim, DESIGN, COMPONENTS, 0.0, REPS, ALPHA, n_perm=500, seed=11)
    assert rate <= binomial_bound(REPS), (claim, rate)


def test_c1_false_positive_rate_under_run_effects_is_at_most_alpha():
    rate, _ = rejection_rate("C1", DESIGN, COMPONENTS, 0.0, REPS, ALPHA, n_perm=2000, seed=11)
    assert rate <= binomial_bound(REPS), rate


def test_c1_false_positive_rate_small_design():
    # exact enumeration (C(8, 4) relabellings per pair): fast, and still run effects of SD 1
    d = Design(losses=4, seeds=5, images=6, iqa_refs=25)
    assert smallest_p("C1", d) <= ALPHA
    rate, _ = rejection_rate("C1", d, COMPONENTS, 0.0, REPS, ALPHA, n_perm=500, seed=12)
    assert rate <= binomial_bound(REPS), rate


@pytest.mark.parametrize("claim,effect,floor", [("C1", 3.0, 0.5), ("C2", 2.0, 0.8), ("C3", 2.0, 0.8),
                                                ("C4", 2.0, 0.8), ("C5", 3.0, 0.8)])
def test_planted_effect_is_detected(claim, effect, floor):
    d = DESIGN if claim != "C1" else Design(losses=4, seeds=5, images=6, iqa_refs=25)
    rate, _ = rejection_rate(claim, d, COMPONENTS, effect, 100, ALPHA, n_perm=500, seed=13)
    assert rate >= floor, (claim, rate)


def test_old_image_level_resampling_would_not_be_calibrated():
    """Why the run is the unit: treating the test images of one run per loss as independent units
    (the old bootstrap/permutation unit) rejects far more often than alpha under the same null."""
    rng = np.random.default_rng(0)
    hits = 0
    for _ in range(200):
        run = rng.normal(size=2)                             # one run per condition, SD 1
        img = run[:, None] + 0.3 * rng.normal(size=(2, 6))   # six test images each
        d = img[0] - img[1]
        hits += sps.ttest_1samp(d, 0.0).pvalue <= ALPHA
    assert hits / 200 > 3 * ALPHA
