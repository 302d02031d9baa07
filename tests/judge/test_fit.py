"""Screening and the Bradley-Terry fit of asym judge fit, on answers of scripted observers.

The observers here are test code: they prefer the less blurred image (the fixture blurs
run k's output by 0.5 + 0.7k px) with a known error rate, so the fitted order is known.
"""

import numpy as np
import pandas as pd
import pytest

from asym.judge.fit import EVALUATION_COLUMNS, fit
from asym.judge.invite import invite
from asym.judge.manifest import load_study
from asym.judge.screening import circular_triads
from asym.judge.store import Store, now
from tests.judge_fixtures import blur_rank, build

# Quality order the scripted observers see: the HR reference, then runs by blur, and bicubic last
# (x4 bicubic upsampling of 64 px images is blurrier than the fixture's largest blur).


def true_order(cfg):
    return ["reference"] + blur_rank(cfg) + ["bicubic"]


def scripted_answers(study_dir, order, observer, error_rate, rng, attentive=True):
    study = load_study(study_dir, verify=False)
    store = Store(study.database, study.fingerprint)
    rank = {c: i for i, c in enumerate(order)}
    for position, trial in enumerate(study.trials.values()):
        left, right = trial["left"], trial["right"]
        if trial["kind"] == "catch_degraded":
            good = "left" if left == "reference" else "right"
            choice = good if attentive else ("left" if good == "right" else "right")
        elif trial["kind"] == "catch_identical" or not attentive:
            choice = "left" if rng.random() < 0.5 else "right"
        else:
            better = "left" if rank[left] < rank[right] else "right"
            choice = better if rng.random() >= error_rate else ("right" if better == "left" else "left")
        store.add_answer({"observer_id": observer, "trial_id": trial["id"], "position": position,
                          "left_sha": trial["left_sha"], "right_sha": trial["right_sha"], "left_condition": left,
                          "right_condition": right, "choice": choice,
                          "chosen_condition": left if choice == "left" else right, "rt_ms": 800.0,
                          "input": "key", "shown_at": None, "answered_at": None, "received_at": now()})


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    root = tmp_path_factory.mktemp("fit")
    cfg, study = build(root, max_all=8, catch_degraded=2, catch_identical=1)
    ids = [o for o, _ in invite(study, 6)]
    rng = np.random.default_rng(0)
    for observer in ids[:5]:
        scripted_answers(study, true_order(cfg), observer, 0.1, rng)
    scripted_answers(study, true_order(cfg), ids[5], 0.0, rng, attentive=False)
    written = fit(study, root / "out", n_boot=60, seed=0)
    return cfg, written


def test_inattentive_observer_is_excluded(fitted):
    _, written = fitted
    obs = pd.read_csv(written["observers"]).set_index("observer_id")
    assert obs.loc["O006", "catch_accuracy"] == 0.0 and not obs.loc["O006", "kept"]
    assert obs.loc[["O001", "O002", "O003", "O004", "O005"], "kept"].all()
    assert (obs.loc["O001":"O005", "catch_accuracy"] == 1.0).all()
    assert obs["n_triads"].gt(0).all()


def test_ranking_recovers_the_order_with_intervals(fitted):
    cfg, written = fitted
    ranking = pd.read_csv(written["ranking"])
    assert list(ranking["condition"]) == true_order(cfg)
    assert (ranking["ci_low"] <= ranking["strength"]).all() and (ranking["strength"] <= ranking["ci_high"]).all()
    assert ranking["ci_high"].iloc[-1] < ranking["ci_low"].iloc[0]  # best and worst are told apart
    assert abs(ranking["strength"].sum()) < 1e-6
    images = pd.read_csv(written["images"])
    assert set(images["image"]) == {"astronaut", "chelsea"} and len(images) == 2 * len(ranking)
    assert (images["ci_low"] <= images["strength"]).all() and (images["strength"] <= images["ci_high"]).all()


def test_human_rows_follow_the_evaluation_contract(fitted):
    cfg, written = fitted
    ev = pd.read_csv(written["evaluation"])
    assert list(ev.columns) == EVALUATION_COLUMNS
    assert set(ev["evaluator"]) == {"human"} and not ev["lower_better"].any()
    assert len(ev) == (len(blur_rank(cfg)) + 1) * ev["image"].nunique() and "reference" not in set(ev["run"])
    assert ev.loc[ev["run"] == "bicubic", "baseline"].all() and not ev.loc[ev["run"] != "bicubic", "baseline"].any()
    patch = ev[ev["run"] == "l1__patchgan-w0.1__s0"].iloc[0]
    assert patch["disc_level"] == "patch" and patch["adversarial"] and patch["gan_weight"] == 0.1
    mean = ev[~ev["baseline"]].groupby("run")["score"].mean()
    assert list(mean.sort_values(ascending=False).index) == blur_rank(cfg)


def test_no_answers_no_human_rows(tmp_path):
    _, study = build(tmp_path, max_all=8)
    invite(study, 1)
    written = fit(study, tmp_path / "out", n_boot=10)
    assert "evaluation" not in written and not (tmp_path / "out" / "human_evaluation.csv").exists()
    assert pd.read_csv(written["judgements"]).empty


def test_circular_triads():
    consistent = {("a", "b"): "a", ("b", "c"): "b", ("a", "c"): "a"}
    assert circular_triads(consistent) == (1, 0)
    cycle = {("a", "b"): "a", ("b", "c"): "b", ("a", "c"): "c", ("a", "d"): "a"}
    assert circular_triads(cycle) == (1, 1)
