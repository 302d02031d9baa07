"""Claim tests on synthetic data with planted answers (fast: small n_boot/n_perm)."""

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from asym.analysis import claims
from asym.analysis.claims import (
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
    # one discriminator design and no transfer results: C3-C5 cannot be tested
    ev = make_evaluation(ALIGNED, SCRAMBLED)
    ev = ev[ev["discriminator"] != "vanilla"]
    table = claims_table(assess, ev, n_boot=30, n_perm=200, seed=0, threshold=0.5, scale="demo")
    assert list(table.columns) == CLAIM_COLUMNS
    assert list(table["claim"]) == ["C1", "C2", "C3", "C4", "C5"]
    assert set(table["scale"]) == {"demo"}
    rest = table.set_index("claim").loc[["C3", "C4", "C5"]]
    assert (rest["verdict"] == "inconclusive").all()
    assert (rest["n"] == 0).all()
    assert rest[["estimate", "ci_low", "ci_high", "p_value"]].isna().all().all()
    assert (rest.loc[["C3", "C5"], "note"] == "stage not run at this scale").all()
    assert "only 1 discriminator design(s) (patch)" in rest.loc["C4", "note"]


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


# --------------------------------------------------------------------------- #
# C2, mixed-model view
# --------------------------------------------------------------------------- #
def _key_term(table):
    assert list(table.columns) == claims.MIXEDLM_COLUMNS
    return table.set_index("term").loc[claims.MIXEDLM_KEY_TERM]


def test_c2_mixedlm_planted_deterioration(assess):
    key = _key_term(claims.c2_mixedlm(assess, make_evaluation(ALIGNED, SCRAMBLED)))
    assert key["coef"] < 0 and key["ci_high"] < 0 and key["p_value"] < 1e-3
    assert key["n_obs"] == 6 * 2 * 2 * 6 and key["n_groups"] == 6
    assert bool(key["converged"])
    assert key["ci_low"] <= key["coef"] <= key["ci_high"]


def test_c2_mixedlm_no_effect_and_reverse(assess):
    none = _key_term(claims.c2_mixedlm(assess, make_evaluation(ALIGNED, ALIGNED)))
    assert none["ci_low"] < 0 < none["ci_high"] and none["p_value"] > 0.05
    rev = _key_term(claims.c2_mixedlm(assess, make_evaluation(SCRAMBLED, ALIGNED)))
    assert rev["coef"] > 0 and rev["ci_low"] > 0


def test_c2_mixedlm_random_intercept_absorbs_image_effects(assess):
    # images differ strongly in difficulty: the random-intercept variance picks it up
    ev = make_evaluation(ALIGNED, SCRAMBLED)
    shift = ev["image"].str[-1].astype(int) * 2.0
    ev["score"] = ev["score"] + np.where(ev["lower_better"], -shift, shift)
    table = claims.c2_mixedlm(assess, ev).set_index("term")
    assert table.loc["image_var", "coef"] > 0.1
    assert table.loc[claims.MIXEDLM_KEY_TERM, "coef"] < 0


def test_c2_mixedlm_too_few_images(assess):
    ev = make_evaluation(ALIGNED, SCRAMBLED, n_img=1)
    table = claims.c2_mixedlm(assess, ev)
    assert len(table) == 1 and np.isnan(table.loc[0, "coef"])
    assert "test image" in table.loc[0, "note"]


# --------------------------------------------------------------------------- #
# C3 / C5: transfer results
# --------------------------------------------------------------------------- #
BACKBONES = ["vgg16", "resnet50", "vit_b16", "swin_t"]


def make_transfer(init_effect, conv_effect=0.0, seeds=(0, 1, 2), noise=0.01, seed=0,
                  datasets=("kadid", "synthetic", "koniq")):
    """SRCC = 0.5 + init_effect[init] + conv_effect (convolutional backbones) + noise."""
    rng = np.random.default_rng(seed)
    rows = []
    for b in BACKBONES:
        for init, eff in init_effect.items():
            for ds in datasets:
                for s in seeds:
                    v = 0.5 + eff + (conv_effect if b in ("vgg16", "resnet50") else 0.0)
                    v += rng.normal(scale=noise)
                    rows.append({"backbone": b, "init": init, "dataset": ds, "n": 100, "seed": s,
                                 "srcc": v, "srcc_ci_low": v - 0.05, "srcc_ci_high": v + 0.05,
                                 "plcc": v})
    return pd.DataFrame(rows, columns=claims.TRANSFER_COLUMNS)


def test_c3_imagenet_best_supported():
    t = make_transfer({"random": 0.0, "discriminator:patchgan": 0.05, "imagenet": 0.3})
    row = claims.claim_c3(t, **FAST)
    assert row["estimate"] == pytest.approx(0.25, abs=0.01)
    assert row["ci_low"] > 0 and row["n"] == 4 * 3 * 3
    assert row["p_value"] < 0.01
    assert row["verdict"] == "supported"
    assert "discriminator - random = 0.05" in row["note"]


def test_c3_discriminator_better_than_imagenet_not_supported():
    t = make_transfer({"random": 0.0, "discriminator": 0.3, "imagenet": 0.05})
    row = claims.claim_c3(t, **FAST)
    assert row["ci_high"] < 0 and row["verdict"] == "not_supported"


def test_c3_no_effect_inconclusive():
    t = make_transfer({"random": 0.0, "discriminator": 0.1, "imagenet": 0.1}, noise=0.05)
    row = claims.claim_c3(t, **FAST)
    assert row["ci_low"] < 0 < row["ci_high"]
    assert row["p_value"] > 0.05
    assert row["verdict"] == "inconclusive"


def test_c3_without_imagenet_reports_disc_minus_random():
    t = make_transfer({"random": 0.0, "discriminator": 0.1})
    row = claims.claim_c3(t, **FAST)
    assert row["statistic"].endswith("discriminator init - random init")
    assert row["estimate"] == pytest.approx(0.1, abs=0.01)
    assert row["verdict"] == "inconclusive" and "cannot be tested" in row["note"]


def test_c3_and_c5_missing_input_not_run():
    for fn, claim in ((claims.claim_c3, "C3"), (claims.claim_c5, "C5")):
        row = fn(None)
        assert row["claim"] == claim and row["note"] == "stage not run at this scale"


def test_init_differences_pairs_units():
    t = make_transfer({"random": 0.0, "discriminator": 0.1}, seeds=(0, 1))
    t = t[~((t["backbone"] == "vgg16") & (t["init"] == "random") & (t["seed"] == 1))]
    d = claims.init_differences(t, "discriminator", "random")
    assert len(d) == 4 * 3 * 2 - 3  # the unpaired vgg16 seed-1 units drop out
    assert d["diff"].mean() == pytest.approx(0.1, abs=0.01)


def test_c5_conv_beats_transformer_supported():
    t = make_transfer({"random": 0.0, "imagenet": 0.2}, conv_effect=0.1)
    row = claims.claim_c5(t, **FAST)
    assert row["estimate"] == pytest.approx(0.1, abs=0.01)
    # koniq (authentic distortions) is left out: 2 inits x 2 synthetic sets x 3 seeds
    assert row["n"] == 2 * 2 * 3
    assert row["verdict"] == "supported" and "vit_b16" in row["note"]


@pytest.mark.parametrize("effect,verdict", [(0.0, "inconclusive"), (-0.1, "not_supported")])
def test_c5_no_or_reverse_effect(effect, verdict):
    # seed 3: one fixed draw (a null CI misses 0 in 5 % of draws by design)
    t = make_transfer({"random": 0.0, "imagenet": 0.2}, conv_effect=effect, noise=0.03, seed=3)
    assert claims.claim_c5(t, **FAST)["verdict"] == verdict


def test_c5_needs_both_families():
    t = make_transfer({"random": 0.0})
    t = t[~t["backbone"].map(claims.is_transformer)]
    row = claims.claim_c5(t, **FAST)
    assert row["n"] == 0 and row["verdict"] == "inconclusive" and "Transformer: none" in row["note"]


def test_name_classes():
    assert [claims.is_transformer(b) for b in ("clip_vit_b32", "swin_t", "dinov2_s", "vgg16", "convnext_t",
                                               "resnet50")] == [True, True, True, False, False, False]
    assert claims.discriminator_group("patchgan") == "patch_conv"
    assert claims.discriminator_group("unet") == "patch_conv"
    assert claims.discriminator_group("vgg16-vanilla") == "image_or_transformer"
    assert claims.discriminator_group("dinov2-patch") == "image_or_transformer"
    assert claims.is_synthetic_dataset("KADID-10k") and claims.is_synthetic_dataset("demo-synthetic")
    assert not claims.is_synthetic_dataset("koniq10k") and not claims.is_synthetic_dataset("livec")


# --------------------------------------------------------------------------- #
# C4: discriminator design
# --------------------------------------------------------------------------- #
def make_disc_evaluation(effects, n_img=6, seeds=(0, 1), noise=0.05, seed=2):
    """Adversarial runs of 3 losses per discriminator; quality = base[loss] + effects[disc]."""
    rng = np.random.default_rng(seed)
    rows = []
    base = {"l1": 0.0, "ssim": 0.5, "gmsd": -0.3}
    for disc, eff in effects.items():
        for fid, b in base.items():
            for s in seeds:
                run = f"{fid}__{disc}-w0.05__s{s}"
                for i in range(n_img):
                    for ev, sign in (("up", 1.0), ("down", -1.0)):
                        v = b + eff + 0.1 * i + rng.normal(scale=noise)
                        rows.append({"run": run, "generator": "swinir", "fidelity": fid,
                                     "adversarial": True, "discriminator": disc, "gan_weight": 0.05,
                                     "seed": s, "dataset": "test", "image": f"img{i}",
                                     "evaluator": ev, "score": sign * v, "lower_better": sign < 0})
    return pd.DataFrame(rows)


def make_logs(evaluation, wobble):
    """Training logs whose D accuracy oscillates with amplitude wobble[discriminator]."""
    rows = []
    for run, disc in evaluation.groupby("run")["discriminator"].first().items():
        for k, step in enumerate(range(10, 210, 10)):
            a = 0.5 + wobble[disc] * (1 if k % 2 else -1)
            rows.append({"run": run, "step": step, "d_real_acc": a, "d_fake_acc": a})
    return pd.DataFrame(rows)


def test_c4_patch_beats_vanilla_and_vit_supported():
    ev = make_disc_evaluation({"patchgan": 0.4, "unet": 0.4, "vgg16-vanilla": 0.0, "vit-patch": 0.0})
    row = claims.claim_c4(ev, **FAST)
    # qualities are z-scores per evaluator: the planted 0.4 shrinks by the score s.d.
    sd = ev.loc[ev["evaluator"] == "up", "score"].std(ddof=0)
    assert row["estimate"] == pytest.approx(0.4 / sd, rel=0.05)
    assert row["estimate"] > 0 and row["ci_low"] > 0 and row["p_value"] < 0.01
    assert row["n"] == 3 * 2 * 6
    assert row["verdict"] == "supported"
    assert "patch-level conv: patchgan, unet" in row["note"]
    assert "Holm p" in row["note"]


@pytest.mark.parametrize("eff,verdict", [(0.0, "inconclusive"), (-0.4, "not_supported")])
def test_c4_no_or_reverse_effect(eff, verdict):
    ev = make_disc_evaluation({"patchgan": eff, "vanilla": 0.0}, noise=0.3)
    assert claims.claim_c4(ev, **FAST)["verdict"] == verdict


def test_c4_pairwise_holm():
    ev = make_disc_evaluation({"a_patch": 0.5, "b_patch": 0.5, "c_vanilla": 0.0}, noise=0.1)
    pw = claims.discriminator_pairwise(ev, n_boot=100, n_perm=500, seed=0)
    assert list(pw.columns) == claims.PAIRWISE_COLUMNS
    pw = pw.set_index(["disc_a", "disc_b"])
    assert len(pw) == 3
    assert (pw["p_holm"] >= pw["p_value"] - 1e-12).all()
    assert pw.loc[("a_patch", "c_vanilla"), "reject"] and pw.loc[("b_patch", "c_vanilla"), "reject"]
    assert not pw.loc[("a_patch", "b_patch"), "reject"]
    assert pw.loc[("a_patch", "c_vanilla"), "estimate"] > 0.2


def test_c4_stability_from_logs():
    ev = make_disc_evaluation({"patchgan": 0.4, "vanilla": 0.0})
    stab = claims.run_stability(make_logs(ev, {"patchgan": 0.02, "vanilla": 0.3}))
    assert set(stab.columns) == {"run", "instability", "d_accuracy"}
    assert stab["d_accuracy"].to_numpy() == pytest.approx(0.5)
    row = claims.claim_c4(ev, make_logs(ev, {"patchgan": 0.02, "vanilla": 0.3}), **FAST)
    assert "stability: instability(image/Transformer) - instability(patch) = 0.29" in row["note"]


def test_claims_table_with_transfer_and_logs(assess):
    ev = make_evaluation(ALIGNED, SCRAMBLED)
    t = make_transfer({"random": 0.0, "discriminator": 0.05, "imagenet": 0.3}, conv_effect=0.1)
    table = claims_table(assess, ev, n_boot=30, n_perm=200, seed=0, transfer=t,
                         train_logs=make_logs(ev, {"none": 0.0, "patch": 0.1, "vanilla": 0.1}))
    assert list(table.columns) == CLAIM_COLUMNS and len(table) == 5
    v = table.set_index("claim")["verdict"]
    assert v["C3"] == "supported" and v["C5"] == "supported"
    assert "stability" in table.set_index("claim").loc["C4", "note"]


def test_cli_transfer_logs_mixedlm_pairwise(tmp_path, assess):
    a1 = tmp_path / "a1.csv"
    assess.to_csv(a1, index=False)
    ev = make_evaluation(ALIGNED, SCRAMBLED)
    ev_path = tmp_path / "evaluation.csv"
    ev.to_csv(ev_path, index=False)
    tr = tmp_path / "transfer.csv"
    make_transfer({"random": 0.0, "discriminator": 0.05, "imagenet": 0.3}).to_csv(tr, index=False)
    logs = make_logs(ev, {"none": 0.0, "patch": 0.1, "vanilla": 0.2})
    log_paths = []
    for run, part in logs.groupby("run"):
        p = tmp_path / "runs" / run / "train_log.csv"
        p.parent.mkdir(parents=True)
        part.drop(columns="run").to_csv(p, index=False)
        log_paths.append(str(p))
    out, mixed, pw = tmp_path / "c.csv", tmp_path / "m.csv", tmp_path / "pw.csv"
    rc = claims.main(["--assess-scores", str(a1), "--evaluation", str(ev_path), "--transfer", str(tr),
                      "--train-logs", *log_paths, "--scale", "demo", "--n-boot", "20",
                      "--n-perm", "100", "--out", str(out), "--mixedlm-out", str(mixed),
                      "--pairwise-out", str(pw)])
    assert rc == 0
    table = pd.read_csv(out)
    assert list(table.columns) == CLAIM_COLUMNS and list(table["claim"]) == claims.CLAIM_IDS
    assert table.set_index("claim").loc["C3", "verdict"] == "supported"
    m = pd.read_csv(mixed)
    assert list(m.columns) == claims.MIXEDLM_COLUMNS and claims.MIXEDLM_KEY_TERM in set(m["term"])
    assert list(pd.read_csv(pw).columns) == claims.PAIRWISE_COLUMNS
    assert (tmp_path / "ranks.csv").is_file()


def test_cli_bad_transfer_fails_cleanly(tmp_path, assess, capsys):
    a1 = tmp_path / "a1.csv"
    assess.to_csv(a1, index=False)
    ev_path = tmp_path / "evaluation.csv"
    make_evaluation(ALIGNED).to_csv(ev_path, index=False)
    tr = tmp_path / "transfer.csv"
    pd.DataFrame({"backbone": ["x"]}).to_csv(tr, index=False)
    rc = claims.main(["--assess-scores", str(a1), "--evaluation", str(ev_path), "--transfer", str(tr),
                      "--scale", "demo", "--out", str(tmp_path / "c.csv")])
    assert rc == 2 and "transfer correlations lack columns" in capsys.readouterr().err


def test_main_setting_rows_keeps_plain_runs_and_one_gan_setting():
    from asym.analysis.claims import main_setting_rows

    ev = pd.DataFrame({
        "adversarial": [False, True, True, True],
        "discriminator": ["none", "patchgan", "vgg", "patchgan"],
        "gan_weight": [0.0, 0.05, 0.05, 0.2],
    })
    kept = main_setting_rows(ev, "patchgan:0.05")
    assert kept["discriminator"].tolist() == ["none", "patchgan"]
    assert main_setting_rows(ev, None) is ev
    with pytest.raises(Exception, match="unet"):
        main_setting_rows(ev, "unet:0.05")
