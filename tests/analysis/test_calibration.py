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


def test_issue_null_through_the_dataframe_path():
    """The issue's own null, through evaluation tables and claims_table (the CLI's code path): a
    random effect per run (SD 1 per loss x setting x seed), SD 0.3 per test image, 3 seeds,
    6 images, no true effect. C2 and C4 reject at most as often as Bin(reps, alpha) allows."""
    import pandas as pd

    from asym.analysis.assessment import prepare_assessment
    from asym.analysis.claims import Settings, claims_table
    from tests.analysis.test_claims import make_assessment

    assess = prepare_assessment(make_assessment(["m0", "m1", "m2", "m3", "m4"], n_ref=8))
    designs = {"patchgan": ("patch", "conv"), "unet": ("patch", "conv"), "vgg": ("image", "conv"),
               "vit": ("image", "transformer")}
    rng = np.random.default_rng(21)
    reps, hits = 40, {"C2": 0, "C4": 0}
    for _ in range(reps):
        img = 0.3 * rng.normal(size=6)
        rows = []
        settings = [("nogan", "none", ["m0", "m1", "m2", "m3", "m4"]), ("patchgan", "patchgan", ["m0", "m1", "m2", "m3", "m4"])]
        settings += [(d, d, ["m0"]) for d in ("unet", "vgg", "vit")]
        for setting, disc, losses in settings:
            level, family = designs.get(disc, ("none", "none"))
            for m in losses:
                for s in range(3):
                    u = rng.normal()
                    for i in range(6):
                        rows.append({"run": f"{m}__{setting}__s{s}", "fidelity": m, "adversarial": disc != "none",
                                     "setting": setting, "discriminator": disc, "objective": "nonsaturating",
                                     "disc_level": level, "disc_family": family, "gan_weight": 0.05, "seed": s,
                                     "dataset": "t", "image": f"i{i}", "evaluator": "e", "score": u + img[i],
                                     "lower_better": False})
        ev = pd.DataFrame(rows)
        ranking = ev[ev["setting"].isin(["nogan", "patchgan"])]
        t = claims_table(assess, ev, Settings(n_boot=10, n_perm=300), ranking=ranking).set_index("claim")
        for c in hits:
            assert np.isfinite(t.loc[c, "p_value"]), (c, t.loc[c, "note"])
            hits[c] += bool(t.loc[c, "p_value"] <= ALPHA)
    for c, k in hits.items():
        assert k / reps <= binomial_bound(reps), (c, k)
