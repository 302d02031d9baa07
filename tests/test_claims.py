"""Claim tests on synthetic data with planted answers (fast: small n_boot/n_perm)."""

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from asym import claims
from asym.claims import (
    CLAIM_COLUMNS,
    claim_c1,
    claim_c2,
    claims_table,
    kendall_tau_b,
    rank_table,
)

METRICS = ["m0", "m1", "m2", "m3", "m4", "m5"]


def make_assessment(metrics=METRICS, n_ref=30, n_level=5, seed=0):
    """Two IQA sets; metric k is MOS + noise of growing s.d., so SRCC falls with k.

    Odd metrics are "lower is better" (score negated) to exercise the direction flip.
    """
    rng = np.random.default_rng(seed)
    sigmas = np.array([0.0, 0.3, 0.8, 1.6, 3.2, 6.4])[: len(metrics)]
    rows = []
    for ds in ("setA", "setB"):
        mos = rng.normal(size=(n_ref, n_level)) + np.arange(n_level)
        for k, m in enumerate(metrics):
            noisy = mos + rng.normal(scale=sigmas[k], size=mos.shape)
            lower = bool(k % 2)
            for r in range(n_ref):
                for lv in range(n_level):
                    rows.append({"dataset": ds, "metric": m, "reference": f"{ds}_r{r}",
                                 "distorted": f"{ds}_r{r}_d{lv}",
                                 "score": -noisy[r, lv] if lower else noisy[r, lv],
                                 "lower_better": lower, "mos": mos[r, lv]})
    return pd.DataFrame(rows)


def make_evaluation(values_no_gan, values_gan=None, metrics=METRICS, n_img=6, seeds=(0, 1),
                    noise=0.05, seed=1):
    """Evaluation rows whose quality for metric k is values[k] + small noise.

    Two evaluators: "up" (higher better) and "down" (lower better, score negated).
    """
    rng = np.random.default_rng(seed)
    rows = []
    configs = [(False, "none", 0.0, values_no_gan)]
    if values_gan is not None:
        configs += [(True, "patch", 0.1, values_gan), (True, "vanilla", 0.1, values_gan)]
    for adv, disc, w, values in configs:
        for k, m in enumerate(metrics):
            for s in seeds:
                run = f"{m}_{disc}_s{s}"
                for i in range(n_img):
                    for ev, sign in (("up", 1.0), ("down", -1.0)):
                        v = values[k] + rng.normal(scale=noise)
                        rows.append({"run": run, "generator": "swinir", "fidelity": m,
                                     "adversarial": adv, "discriminator": disc, "gan_weight": w,
                                     "seed": s, "dataset": "test", "image": f"img{i}",
                                     "evaluator": ev, "score": sign * v,
                                     "lower_better": sign < 0})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def assess():
    return make_assessment()


ALIGNED = [5.0, 4.0, 3.0, 2.0, 1.0, 0.0]       # same order as assessment SRCC
REVERSED = ALIGNED[::-1]
SCRAMBLED = [3.0, 0.0, 5.0, 1.0, 4.0, 2.0]    # tau = -1/15 with the assessment order
FAST = {"n_boot": 150, "n_perm": 2000, "seed": 0}


def test_kendall_tau_b_matches_scipy():
    rng = np.random.default_rng(3)
    for _ in range(20):
        x = rng.integers(0, 4, size=7).astype(float)  # ties on purpose
        y = rng.normal(size=7)
        assert kendall_tau_b(x, y) == pytest.approx(sps.kendalltau(x, y).statistic)


def test_assessment_ranking_is_planted(assess):
    ranks = rank_table(assess, make_evaluation(ALIGNED))
    srcc = ranks.set_index("metric")["assessment_srcc"]
    assert list(srcc.sort_values(ascending=False).index) == METRICS
    assert srcc["m0"] == pytest.approx(1.0)
    assert list(ranks.columns) == claims.RANK_COLUMNS


def test_c1_perfect_agreement_not_supported(assess):
    row = claim_c1(assess, make_evaluation(ALIGNED), threshold=0.5, **FAST)
    assert row["estimate"] == pytest.approx(1.0)
    assert row["n"] == 6
    # exact permutation test: only the identity reaches tau = 1 among 6! orders
    assert row["p_value"] == pytest.approx(1 / 720)
    assert row["ci_low"] >= 0.5
    assert row["verdict"] == "not_supported"


@pytest.mark.parametrize("values,expected_tau", [(REVERSED, -1.0), (SCRAMBLED, None)])
def test_c1_reversed_or_no_agreement_supported(assess, values, expected_tau):
    row = claim_c1(assess, make_evaluation(values), threshold=0.5, **FAST)
    if expected_tau is not None:
        assert row["estimate"] == pytest.approx(expected_tau)
        assert row["p_value"] == pytest.approx(1.0)
    else:
        assert abs(row["estimate"]) < 0.5
    assert row["ci_high"] < 0.5
    assert row["verdict"] == "supported"


def test_c1_random_permutation_path_when_many_metrics(assess, monkeypatch):
    # n! > n_perm forces the Monte-Carlo branch; p keeps the +1 correction
    row = claim_c1(assess, make_evaluation(ALIGNED), n_boot=20, n_perm=100, seed=0)
    assert row["p_value"] == pytest.approx(1 / 101)


def test_c1_too_few_metrics_inconclusive(assess):
    few = METRICS[:3]
    ev = make_evaluation(ALIGNED[:3], metrics=few)
    row = claim_c1(assess, ev, **FAST)
    assert row["n"] == 3
    assert row["verdict"] == "inconclusive"
    assert "n=3" in row["note"] and "inconclusive" in row["note"]


def test_c2_deterioration_under_gan_supported(assess):
    row = claim_c2(assess, make_evaluation(ALIGNED, SCRAMBLED), **FAST)
    assert row["estimate"] < 0
    tau_gan = sps.kendalltau(ALIGNED, SCRAMBLED).statistic
    assert row["estimate"] == pytest.approx(tau_gan - 1.0)
    assert row["ci_high"] < 0
    assert row["p_value"] < 0.05
    assert row["verdict"] == "supported"


def test_c2_no_gan_effect_inconclusive(assess):
    row = claim_c2(assess, make_evaluation(ALIGNED, ALIGNED), **FAST)
    assert row["ci_low"] <= 0 <= row["ci_high"]
    assert row["verdict"] == "inconclusive"


def test_c2_improvement_under_gan_not_supported(assess):
    row = claim_c2(assess, make_evaluation(SCRAMBLED, ALIGNED), **FAST)
    assert row["estimate"] > 0
    assert row["verdict"] == "not_supported"


def test_c2_too_few_metrics_inconclusive(assess):
    few = METRICS[:3]
    row = claim_c2(assess, make_evaluation(ALIGNED[:3], SCRAMBLED[:3], metrics=few), **FAST)
    assert row["n"] == 3
    assert row["verdict"] == "inconclusive"


def test_c2_exact_permutation_enumerates_swaps():
    # 2 metrics x 1 seed x 2 images = 4 pairs -> 16 patterns; the observed one is the
    # most extreme possible, so p = (number of patterns giving the same delta) / 16
    a = np.array([1.0, 0.0])
    no = np.array([[[1.0, 1.0]], [[0.0, 0.0]]])
    ga = no[::-1].copy()
    delta = float(kendall_tau_b(a, ga.mean(axis=(1, 2))) - kendall_tau_b(a, no.mean(axis=(1, 2))))
    assert delta == -2.0
    p = claims._perm_p_c2(a, no, ga, delta, n_perm=100, seed=0)
    expected = np.mean([
        kendall_tau_b(a, np.where(np.reshape(m, no.shape), no, ga).mean(axis=(1, 2)))
        - kendall_tau_b(a, np.where(np.reshape(m, no.shape), ga, no).mean(axis=(1, 2))) <= delta + 1e-12
        for m in itertools.product([False, True], repeat=4)
    ])
    assert p == pytest.approx(expected)
    assert p < 0.5


def test_claims_table_contract(assess):
    table = claims_table(assess, make_evaluation(ALIGNED, SCRAMBLED), n_boot=30, n_perm=200,
                         seed=0, threshold=0.5, scale="demo")
    assert list(table.columns) == CLAIM_COLUMNS
    assert list(table["claim"]) == ["C1", "C2", "C3", "C4", "C5"]
    assert set(table["scale"]) == {"demo"}
    rest = table.set_index("claim").loc[["C3", "C4", "C5"]]
    assert (rest["verdict"] == "inconclusive").all()
    assert (rest["n"] == 0).all()
    assert rest[["estimate", "ci_low", "ci_high", "p_value"]].isna().all().all()
    assert (rest["note"] == "stage not run at this scale").all()


def test_cli_writes_claims_and_ranks(tmp_path, assess):
    a1, a2 = tmp_path / "a1.csv", tmp_path / "a2.csv"
    assess[assess.dataset == "setA"].to_csv(a1, index=False)
    assess[assess.dataset == "setB"].to_csv(a2, index=False)
    ev = tmp_path / "evaluation.csv"
    make_evaluation(ALIGNED, SCRAMBLED).to_csv(ev, index=False)
    out = tmp_path / "analysis" / "claims.csv"
    ranks = tmp_path / "analysis" / "ranks.csv"
    rc = claims.main(["--assess-scores", str(a1), str(a2), "--evaluation", str(ev),
                      "--scale", "paper", "--n-boot", "20", "--n-perm", "100", "--seed", "0",
                      "--threshold", "0.5", "--out", str(out), "--ranks-out", str(ranks)])
    assert rc == 0
    table = pd.read_csv(out)
    assert list(table.columns) == CLAIM_COLUMNS
    assert table.loc[0, "verdict"] == "not_supported"
    r = pd.read_csv(ranks)
    assert list(r.columns) == claims.RANK_COLUMNS
    assert len(r) == 12 and set(r["adversarial"]) == {False, True}


def test_cli_missing_input_fails_cleanly(tmp_path, capsys):
    rc = claims.main(["--assess-scores", str(tmp_path / "nope.csv"), "--evaluation",
                      str(tmp_path / "nope2.csv"), "--scale", "demo", "--out",
                      str(tmp_path / "c.csv")])
    assert rc == 2
    assert "not found" in capsys.readouterr().err
    assert not (tmp_path / "c.csv").exists()
