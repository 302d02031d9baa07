"""Claim tests on synthetic tables with planted answers and a run effect per training run."""

import numpy as np
import pandas as pd
import pytest

from asym.analysis import claims
from asym.analysis.assessment import kendall_tau_b, prepare_assessment
from asym.analysis.c1_c2 import c2_min_p, c2_test, rank_table, ranking_data
from asym.analysis.c3 import c3_result, init_kind
from asym.analysis.c4 import c4_result, design_pairwise
from asym.analysis.c5 import c5_result
from asym.analysis.claims import CLAIM_COLUMNS, Settings, claims_table, main_setting_rows
from asym.analysis.runs import primary_panel, run_quality

METRICS = ["m0", "m1", "m2", "m3", "m4", "m5"]
FAST = Settings(n_boot=60, n_perm=2000, seed=0)


def make_assessment(metrics=METRICS, n_ref=30, n_level=5, seed=0):
    """Two IQA sets; metric k is MOS + noise of growing s.d., so SRCC falls with k.
    Odd metrics are "lower is better" (score negated) to exercise the direction flip."""
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


def make_evaluation(mu_no, mu_gan=None, metrics=METRICS, seeds=6, n_img=4, run_sd=0.05, seed=1,
                    gan_setting="patchgan-w0.05"):
    """Runs of each metric (and seed) without and optionally with GAN; quality of a run =
    mu[metric] + run effect (s.d. ``run_sd``) + image effect + small run x image noise.
    Evaluators: "up" (higher better), "down" (lower better) and "nr" (a no-reference one)."""
    rng = np.random.default_rng(seed)
    img = rng.normal(scale=0.3, size=n_img)
    rows = []
    conds = [(False, "nogan", "none", "none", "none", 0.0, mu_no)]
    if mu_gan is not None:
        conds.append((True, gan_setting, "patchgan", "patch", "conv", 0.05, mu_gan))
    for adv, setting, disc, level, fam, w, mu in conds:
        for k, m in enumerate(metrics):
            for s in range(seeds):
                u = rng.normal(scale=run_sd)
                for i in range(n_img):
                    q = mu[k] + u + img[i] + rng.normal(scale=0.01)
                    for ev, sign in (("up", 1.0), ("down", -1.0), ("nr", 1.0)):
                        rows.append({"run": f"{m}__{setting}__s{s}", "generator": "swinir", "fidelity": m,
                                     "adversarial": adv, "setting": setting, "discriminator": disc,
                                     "objective": "nonsaturating" if adv else "none", "disc_level": level,
                                     "disc_family": fam, "gan_weight": w, "seed": s, "dataset": "test",
                                     "image": f"img{i}", "evaluator": ev, "score": sign * q,
                                     "lower_better": sign < 0})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def assess():
    return prepare_assessment(make_assessment())


ALIGNED = [5.0, 4.0, 3.0, 2.0, 1.0, 0.0]       # same order as assessment SRCC
REVERSED = ALIGNED[::-1]


def row(table, claim):
    return table.set_index("claim").loc[claim]


def test_kendall_tau_b_matches_scipy():
    from scipy import stats as sps

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=7), rng.normal(size=7)
    assert kendall_tau_b(x, y) == pytest.approx(sps.kendalltau(x, y).statistic)


def test_panel_is_the_evaluators_of_every_run_and_baseline_is_no_run():
    ev = make_evaluation(ALIGNED, seeds=2)
    ev = ev[~((ev["run"] == "m0__nogan__s0") & (ev["evaluator"] == "nr"))]
    assert primary_panel(ev) == ["down", "up"]      # "nr" did not score every run
    base = ev[ev["run"] == "m1__nogan__s0"].assign(run="bicubic", baseline=True)
    both = pd.concat([ev.assign(baseline=False), base], ignore_index=True)
    assert "bicubic" not in set(run_quality(both)["run"])
    human = ev[ev["evaluator"] == "up"].assign(evaluator="human")
    assert primary_panel(pd.concat([ev, human])) == ["human"]


def test_c1_reversed_supported_with_enough_seeds(assess):
    # 8 seeds: 15 pairs x 1 / C(16, 8) is below alpha / 5, the first Holm step
    t = claims_table(assess, make_evaluation(REVERSED, seeds=8), FAST)
    c1 = row(t, "C1")
    assert c1["estimate"] == pytest.approx(-1.0)
    assert c1["verdict"] == "supported" and c1["p_holm"] <= 0.05
    assert c1["units"].startswith("training runs") and c1["n"] == 48


def test_c1_aligned_not_supported(assess):
    c1 = row(claims_table(assess, make_evaluation(ALIGNED, seeds=8), FAST), "C1")
    assert c1["estimate"] == pytest.approx(1.0)
    assert c1["verdict"] == "not_supported"


def test_c1_two_seeds_underpowered(assess):
    c1 = row(claims_table(assess, make_evaluation(REVERSED, seeds=2), FAST), "C1")
    assert c1["verdict"] == "inconclusive"
    assert "underpowered: needs >= 6 seeds" in c1["note"]  # 15 pairs: 15 / C(12, 6) <= 0.05


def test_c1_seeds_are_resampled_so_the_interval_has_width(assess):
    ev = make_evaluation(REVERSED[:3] + ALIGNED[3:], run_sd=1.0, seeds=3)
    c1 = row(claims_table(assess, ev, FAST), "C1")
    assert c1["ci_high"] > c1["ci_low"]


def test_c2_planted_drop_supported_and_rise_not_supported(assess):
    drop = claims_table(assess, make_evaluation(ALIGNED, REVERSED, seeds=3), FAST)
    assert row(drop, "C2")["verdict"] == "supported"
    assert row(drop, "C2")["n"] == 18 and row(drop, "C2")["estimate"] == pytest.approx(-2.0)
    rise = claims_table(assess, make_evaluation(REVERSED, ALIGNED, seeds=3), FAST)
    assert row(rise, "C2")["verdict"] == "not_supported"


def test_c2_no_effect_with_gan_shift_inconclusive(assess):
    shifted = [v - 3.0 for v in ALIGNED]          # GAN lowers every loss alike
    t = claims_table(assess, make_evaluation(ALIGNED, shifted, seeds=3, run_sd=0.5), FAST)
    assert row(t, "C2")["verdict"] == "inconclusive"


def test_c2_is_exact_under_a_common_gan_shift_and_moves_whole_run_pairs():
    a = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    rng = np.random.default_rng(0)
    groups = np.tile(np.repeat(np.arange(5), 3), 2)
    seeds = np.tile(np.tile(np.arange(3), 5), 2)
    adv = np.repeat([False, True], 15)
    ps = []
    for _ in range(200):  # GAN lowers every loss by 5 run SDs: no change of alignment
        y = rng.normal(size=30) - 5.0 * adv
        ps.append(c2_test(a, y, groups, adv, seeds, n_perm=199, seed=int(rng.integers(1000)))["p"])
    assert np.mean(np.array(ps) <= 0.05) <= 0.1
    no = np.repeat(np.arange(5, 0, -1), 3) + 0.01 * np.arange(15)   # aligned with the SRCCs
    r = c2_test(a, np.r_[no, -no], groups, adv, seeds)                 # reversed with GAN
    assert r["units"] == 15 and r["p"] < 0.01 and r["estimate"] < 0
    assert r["p"] == max(r["p_swap"], r["p_relabel"])   # both whole-run moves must reject


def test_c2_swap_within_loss_and_seed_is_exact_without_gan_effect_and_max_holds_alpha():
    """The issue's null (a random effect per run, none from the GAN): the within-(loss, seed)
    GAN/no-GAN swap, and so the verdict's max(p_swap, p_relabel), reject at most at alpha."""
    a = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    groups = np.tile(np.repeat(np.arange(5), 2), 2)
    seeds = np.tile(np.tile(np.arange(2), 5), 2)
    adv = np.repeat([False, True], 10)
    rng = np.random.default_rng(5)
    swap, both = [], []
    for _ in range(300):
        y = rng.normal(size=20) + np.repeat(rng.normal(size=5), 2)[groups]   # loss effects, no GAN effect
        r = c2_test(a, y, groups, adv, seeds, n_perm=199, seed=int(rng.integers(1000)))
        swap.append(r["p_swap"])
        both.append(r["p"])
    bound = 0.05 + 2.58 * np.sqrt(0.05 * 0.95 / 300)
    assert np.mean(np.array(swap) <= 0.05) <= bound
    assert np.mean(np.array(both) <= 0.05) <= bound


def test_c2_min_p_is_the_coarser_of_swap_and_relabelling():
    assert c2_min_p([1, 1, 1, 1]) == 1 / 16          # 2^4 swaps (24 relabellings are finer)
    assert c2_min_p([2, 2, 2, 2]) == 1 / 256         # 2^8 swaps vs 8!/2^4 = 2520 relabellings
    assert c2_min_p([3]) == 1.0                      # one loss: nothing to relabel


def test_claims_table_contract(assess):
    t = claims_table(assess, make_evaluation(ALIGNED, REVERSED, seeds=3), FAST, scale="demo")
    assert list(t.columns) == CLAIM_COLUMNS
    assert list(t["claim"]) == claims.CLAIM_IDS
    assert set(t["verdict"]) <= {"supported", "not_supported", "inconclusive"}
    ok = t["p_value"].notna()
    assert (t.loc[ok, "p_holm"] >= t.loc[ok, "p_value"] - 1e-12).all()
    assert t["h0"].str.len().gt(0).all() and t["h1"].str.len().gt(0).all()
    assert row(t, "C3")["note"] == claims.NOT_RUN_NOTE


def test_rank_table_is_run_level_and_matches_claim_data(assess):
    ev = make_evaluation(ALIGNED, REVERSED, seeds=3)
    data = ranking_data(assess, ev, n_boot=40)
    ranks = rank_table(data, n_boot=40)
    rq = run_quality(ev)
    means = rq.groupby(["fidelity", "adversarial"])["quality"].mean()
    for r in ranks.itertuples():
        assert r.optimization_quality == pytest.approx(means[(r.metric, r.adversarial)])
        assert r.n_runs == 3 and r.optimization_ci_low <= r.optimization_quality <= r.optimization_ci_high


def test_cli_writes_every_table(tmp_path, assess):
    scores = tmp_path / "scores.csv"
    make_assessment().to_csv(scores, index=False)
    evp = tmp_path / "evaluation.csv"
    make_evaluation(ALIGNED, REVERSED, seeds=3).to_csv(evp, index=False)
    out = tmp_path / "claims.csv"
    rc = claims.main(["--assess-scores", str(scores), "--evaluation", str(evp), "--scale", "demo",
                      "--gan-setting", "patchgan-w0.05", "--no-reference", "nr", "--n-boot", "30",
                      "--n-perm", "500", "--out", str(out), "--mixedlm-out", str(tmp_path / "m.csv"),
                      "--pairwise-out", str(tmp_path / "p.csv"), "--panels-out", str(tmp_path / "panels.csv")])
    assert rc == 0
    assert list(pd.read_csv(out).columns) == CLAIM_COLUMNS
    assert (tmp_path / "ranks.csv").is_file()
    model = pd.read_csv(tmp_path / "m.csv").set_index("term")
    assert model.loc[claims.MIXEDLM_KEY_TERM, "coef"] < 0 and model.loc[claims.MIXEDLM_KEY_TERM, "p_value"] < 0.05
    panels = pd.read_csv(tmp_path / "panels.csv")
    assert {"primary", "full-reference", "no-reference", "without up"} <= set(panels["panel"])
    assert panels.loc[panels["panel"] == "no-reference", "evaluators"].iloc[0] == "nr"


def test_cli_human_rows_are_the_c1_c2_yardstick(tmp_path, assess):
    scores = tmp_path / "scores.csv"
    make_assessment().to_csv(scores, index=False)
    ev = make_evaluation(ALIGNED, REVERSED, seeds=3)
    human = ev[ev["evaluator"] == "up"].assign(evaluator="human", score=lambda d: -d["score"])  # humans disagree
    ev.to_csv(tmp_path / "evaluation.csv", index=False)
    human.to_csv(tmp_path / "human.csv", index=False)
    out = tmp_path / "claims.csv"
    assert claims.main(["--assess-scores", str(scores), "--evaluation", str(tmp_path / "evaluation.csv"),
                        "--human", str(tmp_path / "human.csv"), "--scale", "demo", "--n-boot", "20",
                        "--n-perm", "200", "--out", str(out), "--panels-out", str(tmp_path / "panels.csv")]) == 0
    ranks = pd.read_csv(tmp_path / "ranks.csv")
    no_gan = ranks[~ranks["adversarial"]].set_index("metric")["optimization_quality"]
    assert no_gan["m0"] < no_gan["m5"]           # the human scores (reversed) decide the ranking
    panels = pd.read_csv(tmp_path / "panels.csv")
    assert panels.loc[panels["panel"] == "primary", "evaluators"].iloc[0] == "human"
    assert "model panel" in set(panels["panel"])


def test_cli_missing_input_names_the_file(tmp_path):
    from asym.io import InputError

    with pytest.raises(InputError, match="nope.csv"):
        claims.main(["--assess-scores", str(tmp_path / "nope.csv"), "--evaluation", "x.csv",
                     "--scale", "demo", "--out", str(tmp_path / "c.csv")])


# --------------------------------------------------------------------------- #
# C3: transfer, checkpoints named by their weights, equivalence of disc and random
# --------------------------------------------------------------------------- #
def make_transfer(effects, backbones=("vgg16", "resnet50", "vit_b16", "swin_t"), seeds=(0, 1, 2),
                  datasets=("kadid10k", "koniq10k"), conv_effect=0.0, noise=0.005, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for b in backbones:
        for init, eff in effects.items():
            init = {"pretrained": "dinov2" if "vit" in b else "imagenet"}.get(init, init)
            for ds in datasets:
                for s in seeds:
                    v = 0.5 + eff + (conv_effect if b in ("vgg16", "resnet50") else 0) + rng.normal(scale=noise)
                    rows.append({"backbone": b, "init": init, "dataset": ds, "seed": s, "srcc": v,
                                 "srcc_ci_low": v - 0.05, "srcc_ci_high": v + 0.05, "plcc": v})
    return pd.DataFrame(rows)


def test_init_labels_are_data():
    assert [init_kind(x) for x in ("imagenet", "dinov2", "clip", "disc", "discriminator", "random")] == \
        ["pretrained", "pretrained", "pretrained", "discriminator", "discriminator", "random"]


def c3_verdict(transfer, margin=0.05):
    r = c3_result(transfer, margin, 0.05, 100, 2000, 0)
    return claims.finalize([r], 0.05, "demo").iloc[0]


def test_c3_pretrained_best_disc_equivalent_to_random_supported():
    r = c3_verdict(make_transfer({"random": 0.0, "disc": 0.01, "pretrained": 0.2}))
    assert r["verdict"] == "supported" and r["n"] == 24 and "dinov2" in r["note"]


def test_c3_disc_far_above_random_is_not_little():
    r = c3_verdict(make_transfer({"random": 0.0, "disc": 0.15, "pretrained": 0.3}))
    assert r["verdict"] == "not_supported"


def test_c3_without_a_checkpoint_reports_the_equivalence_half():
    r = c3_verdict(make_transfer({"random": 0.0, "disc": 0.01}))
    assert r["verdict"] == "inconclusive" and "TOST" in r["note"] and np.isfinite(r["estimate"])
    assert np.isnan(r["p_value"])


def test_c3_few_units_underpowered():
    r = c3_verdict(make_transfer({"random": 0.0, "disc": 0.0, "pretrained": 0.2}, backbones=("vgg16",),
                                 datasets=("kadid10k",), seeds=(0, 1)))
    assert r["verdict"] == "inconclusive" and "underpowered: needs >= 5 units" in r["note"]


# --------------------------------------------------------------------------- #
# C4: level x family in one model; instability ranks with diverged runs counted
# --------------------------------------------------------------------------- #
DESIGNS = {"patchgan": ("patch", "conv"), "unet": ("patch", "conv"), "vgg": ("image", "conv"),
           "vit": ("image", "transformer"), "proj_dino_patch": ("patch", "transformer")}


def make_design_evaluation(patch=0.0, conv=0.0, seeds=4, n_img=3, run_sd=0.1, seed=3, hinge=True):
    rng = np.random.default_rng(seed)
    rows = []
    designs = [(d, "nonsaturating") for d in DESIGNS] + ([("patchgan", "hinge")] if hinge else [])
    for fid in ("l1", "dists"):
        for disc, obj in designs:
            level, fam = DESIGNS[disc]
            for s in range(seeds):
                u = rng.normal(scale=run_sd) + patch * (level == "patch") + conv * (fam == "conv")
                for i in range(n_img):
                    for ev, sign in (("up", 1.0), ("down", -1.0)):
                        rows.append({"run": f"{fid}__{disc}-{obj}__s{s}", "generator": "swinir", "fidelity": fid,
                                     "adversarial": True, "setting": f"{disc}-{obj}", "discriminator": disc,
                                     "objective": obj, "disc_level": level, "disc_family": fam,
                                     "gan_weight": 0.05, "seed": s, "dataset": "t", "image": f"i{i}",
                                     "evaluator": ev, "score": sign * (u + 0.1 * i), "lower_better": sign < 0})
    return pd.DataFrame(rows)


def make_stability(evaluation, patch=0.0, conv=0.0, diverge=(), seed=4):
    rng = np.random.default_rng(seed)
    runs = evaluation.drop_duplicates("run")
    inst = (1.0 - patch * (runs["disc_level"] == "patch") - conv * (runs["disc_family"] == "conv")
            + rng.normal(scale=0.05, size=len(runs)))
    return pd.DataFrame({"run": runs["run"].to_numpy(), "instability": inst.to_numpy(),
                         "diverged": runs["run"].isin(diverge).to_numpy()})


def c4_row(ev, stab=None):
    return claims.finalize([c4_result(ev, stab, 0.05)], 0.05, "demo").iloc[0]


def test_c4_both_effects_supported_and_objectives_reported_apart():
    ev = make_design_evaluation(patch=1.0, conv=1.0)
    r = c4_row(ev, make_stability(ev, patch=0.5, conv=0.5))
    assert r["verdict"] == "supported" and r["estimate"] > 0.5  # z units of the panel
    assert "objective hinge" in r["note"]
    assert r["n"] == 2 * 5 * 4  # hinge runs are not in the model


def test_c4_one_factor_only_is_not_enough():
    ev = make_design_evaluation(patch=1.0, conv=0.0)
    assert c4_row(ev)["verdict"] == "inconclusive"


def test_c4_diverged_runs_are_counted_as_least_stable():
    ev = make_design_evaluation(patch=1.0, conv=1.0)
    steady = make_stability(ev, patch=0.5, conv=0.5)
    patch_conv = ev.loc[(ev["disc_level"] == "patch") & (ev["disc_family"] == "conv")
                        & (ev["objective"] == "nonsaturating"), "run"].unique()
    shaky = make_stability(ev, patch=0.5, conv=0.5, diverge=patch_conv)
    shaky.loc[shaky["diverged"], "instability"] = np.nan   # a diverged run has no finite value
    assert c4_row(ev, steady)["verdict"] == "supported"
    assert c4_row(ev, shaky)["verdict"] != "supported"


def test_c4_pairwise_holm():
    pw = design_pairwise(make_design_evaluation(patch=1.0, conv=1.0), n_perm=500)
    assert (pw["p_holm"] >= pw["p_value"] - 1e-12).all()
    assert len(pw) == 15  # 6 labelled designs (patchgan/hinge apart)


# --------------------------------------------------------------------------- #
# C5: assessment side (backbone clusters) beside the transfer side
# --------------------------------------------------------------------------- #
def make_correlations(conv_effect, seed=5):
    rng = np.random.default_rng(seed)
    backbones = ["vgg16", "resnet50", "convnext_tiny", "alexnet", "clip_vit_b16", "swin_t", "dinov2_vits14", "vit_b16"]
    rows = []
    for b in backbones:
        for ds in ("kadid10k", "tid2013", "koniq10k"):
            v = 0.7 + (conv_effect if not any(t in b for t in ("vit", "swin", "dino", "clip")) else 0)
            rows.append({"metric": f"dists_{b}", "family": "dists_style", "backbone": b, "init": "imagenet",
                         "dataset": ds, "n": 100, "srcc": v + rng.normal(scale=0.01)})
    return pd.DataFrame(rows)


def test_c5_both_sides_needed_and_clustered_by_backbone():
    tr = make_transfer({"random": 0.0, "pretrained": 0.1}, conv_effect=0.1)
    both = c5_result(tr, make_correlations(0.1), 0.05, 100, 2000, 0)
    assert "assessment" in both["note"] and "transfer" in both["note"]
    assert both["p"] <= 1 / 70 + 1e-9 or both["p"] <= 0.05   # 4 + 4 backbones: exact p >= 1/70
    assert "8 DISTS-style backbones" in both["units"]
    against = c5_result(tr, make_correlations(-0.1), 0.05, 100, 2000, 0)
    assert against["p"] > 0.5   # the assessment side disagrees: no support
    # a random-weight twin of a conv backbone does not count against its family
    corr = make_correlations(0.1)
    twin = corr[corr["backbone"] == "vgg16"].assign(metric="dists_vgg16-R", init="random", srcc=0.0)
    with_twin = c5_result(tr, pd.concat([corr, twin]), 0.05, 100, 2000, 0)
    assert with_twin["p"] == pytest.approx(both["p"])


def test_main_setting_rows_keeps_plain_runs_and_one_gan_setting():
    ev = make_evaluation(ALIGNED, REVERSED, seeds=1)
    other = ev[ev["adversarial"]].assign(setting="vgg-w0.05", run=lambda d: d["run"] + "x")
    kept = main_setting_rows(pd.concat([ev, other]), "patchgan-w0.05")
    assert set(kept["setting"]) == {"nogan", "patchgan-w0.05"}
