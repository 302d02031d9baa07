"""What a design can detect: false-positive rate and power of each claim's test, by simulation.

    asym power --config workflow/config/paper.yaml [--reps 200] [--effect 0.5 1 2] \\
        [--results results/paper] [--out results/paper/analysis/power.csv]

The config's own design (its losses, GAN settings and discriminator designs, seeds, test
images, IQA references, transfer backbones, initializations and splits) is simulated with
the structure the data have: a random effect per training run (loss x setting x seed),
one per run x test image, and on the IQA side one per fine-tuned model or backbone. The
variance components are estimated from existing results under ``--results`` when they
exist (:func:`estimate_components`), else :data:`DEFAULT_COMPONENTS`. Each replicate runs
the same array-level test functions the claims use (:func:`asym.analysis.c1_c2.c1_test`,
``c2_test``, :func:`asym.analysis.c3.c3_test`, :func:`asym.analysis.c4.c4_test`,
:func:`asym.analysis.c5.c5_test`). Effects are standardized: ``e`` moves the planted
contrast by ``e`` standard deviations of the unit's noise (a run's on the optimization
side). Printed and written per claim: the false-positive rate under the null (H0 at its
boundary), the power at each effect (one-sided, alpha; and at alpha / 5, Holm's first
step) and the seeds (split seeds for C3/C5) needed for 80 % power.
"""

from __future__ import annotations

import argparse
import math
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats as sps

from asym.analysis import inference as inf
from asym.analysis.c1_c2 import DEFAULT_THRESHOLD, MIN_METRICS, c1_min_p, c1_test, c2_min_p, c2_test
from asym.analysis.c3 import DEFAULT_MARGIN, c3_test
from asym.analysis.c4 import c4_test, design_matrix, ideal_rank_p
from asym.analysis.c5 import c5_test, is_synthetic_dataset, is_transformer

#: Standard deviations used when no results exist yet (quality in z units of the evaluator
#: panel; SRCC units on the IQA side). ``run``: between training runs; ``image``: run x image;
#: ``assess``: of a metric's SRCC per IQA reference (divided by sqrt(references)).
DEFAULT_COMPONENTS = {"run": 1.0, "image": 0.3, "transfer": 0.02, "backbone": 0.03, "assess": 0.1}
DEFAULT_EFFECTS = (0.5, 1.0, 2.0)
POWER_COLUMNS = ["claim", "effect", "rate", "rate_holm_first_step", "reps", "design", "seeds_for_80",
                 "components"]
TARGET_POWER = 0.8


@dataclass
class Design:
    """Sizes the simulation reproduces; ``strata`` lists, per (loss, GAN weight) stratum where
    designs differ, the (level, family) of each design trained there."""

    losses: int
    seeds: int
    images: int
    iqa_refs: int
    strata: list = field(default_factory=list)
    c3_units_per_split: int = 0
    c5_units_per_split: int = 0
    splits: int = 0
    backbones: tuple = (0, 0)  # (conv, Transformer) DISTS-style backbones on synthetic sets

    def text(self) -> str:
        return (f"{self.losses} losses x {self.seeds} seeds, {self.images} test images, {self.iqa_refs} IQA "
                f"references, {len(self.strata)} design strata, transfer {self.splits} splits "
                f"({self.c3_units_per_split} C3 / {self.c5_units_per_split} C5 units each), DISTS-style "
                f"backbones conv/Transformer {self.backbones[0]}/{self.backbones[1]}")


def design_from_config(cfg: dict) -> Design:
    """The :class:`Design` of a validated config (no results needed)."""
    from asym.optimize.designs import DEFAULT_OBJECTIVE, design_traits

    opt = cfg["optimize"]
    prep = cfg.get("data", {}).get("prepare", {})
    test_dir = Path(cfg["data"].get("sr_test", ""))
    images = len(list(test_dir.glob("*.png"))) if test_dir.is_dir() else 0
    images = images or int(prep.get("n_sr_test", 100))
    strata: dict = {}
    for s in opt["adversarial"]:
        disc = s.get("discriminator")
        if not disc or s.get("objective", DEFAULT_OBJECTIVE) != DEFAULT_OBJECTIVE:
            continue
        traits = design_traits(opt["discriminators"][disc])
        for loss in s.get("losses", opt["losses"]):
            strata.setdefault((loss, float(s["gan_weight"])), set()).add((disc, traits))
    strata_list = [sorted(t for _, t in v) for v in strata.values() if len(v) > 1]
    tr = cfg.get("transfer") or {}
    backbones = tr.get("backbones", {}) or {}
    datasets = tr.get("datasets", []) or []
    kinds = [{str(i).lower() for i in b.get("inits", [])} for b in backbones.values()]
    c3 = sum(1 for k in kinds if any(i.startswith("rand") for i in k) and any(i.startswith("disc") for i in k)
             and any(not i.startswith(("rand", "disc")) for i in k)) * len(datasets)
    fams = {is_transformer(n) for n in backbones}
    synth = [d for d in datasets if is_synthetic_dataset(d)]
    c5 = (len({i for k in kinds for i in k}) * len(synth)) if fams == {True, False} else 0
    metrics = cfg.get("metrics", {})
    assessed = [metrics[m] for m in cfg["assess"]["metrics"] if metrics.get(m, {}).get("kind") == "dists_style"]
    synth_assess = any(is_synthetic_dataset(d) for d in cfg["assess"]["datasets"])
    bb = {m["backbone"] for m in assessed} if synth_assess else set()
    n_t = sum(is_transformer(b) for b in bb)
    return Design(losses=len(opt["losses"]), seeds=len(opt["seeds"]), images=images,
                  iqa_refs=int(prep.get("n_iqa", 25)), strata=strata_list, c3_units_per_split=c3,
                  c5_units_per_split=c5, splits=len(tr.get("split_seeds", [])), backbones=(len(bb) - n_t, n_t))


def estimate_components(results: Path | None) -> tuple[dict, str]:
    """Variance components from existing results under ``results`` (else the defaults), and a
    sentence saying which. Run: pooled SD of run means within (loss, setting) minus the image
    part; image: residual SD of run x image qualities; transfer: SD of C3's unit differences."""
    comp = dict(DEFAULT_COMPONENTS)
    source = []
    ev_path = results / "optimize" / "evaluation.csv" if results else None
    if ev_path is not None and ev_path.is_file():
        from asym.analysis.runs import run_matrix

        m = run_matrix(pd.read_csv(ev_path))
        Q = m.Q
        resid = Q - np.nanmean(Q, axis=1, keepdims=True) - np.nanmean(Q, axis=0, keepdims=True) + np.nanmean(Q)
        img = float(np.nanstd(resid, ddof=1))
        t = m.traits.assign(q=m.means())
        keys = [k for k in ("fidelity", "setting") if k in t]
        dev = t["q"] - t.groupby(keys)["q"].transform("mean")
        sizes = t.groupby(keys)["q"].transform("size")
        df = int((sizes > 1).sum() - t[sizes > 1].groupby(keys).ngroups)
        if df > 0 and np.isfinite(img):
            run_var = float((dev[sizes > 1] ** 2).sum() / df) - img ** 2 / max(Q.shape[1], 1)
            comp["run"], comp["image"] = math.sqrt(max(run_var, 1e-6)), img
            source.append(f"run and image SD from {ev_path}")
        else:
            source.append(f"{ev_path} has no two runs of one loss and setting: run SD not estimable, default kept")
    tr_path = results / "transfer" / "correlations.csv" if results else None
    if tr_path is not None and tr_path.is_file():
        from asym.analysis.c3 import init_differences

        d = init_differences(pd.read_csv(tr_path), "discriminator", "random")["diff"]
        if len(d) > 2:
            comp["transfer"] = float(d.std(ddof=1))
            source.append(f"transfer SD from {tr_path}")
    return comp, ("; ".join(source) or "defaults (no results found)") + (
        "" if not source else "; other components: defaults")


# --------------------------------------------------------------------------- #
# One replicate per claim: simulate the design, run the claim's test, return p
# --------------------------------------------------------------------------- #
def _runs(rng, mu_runs, comp, images):
    """Run means of runs with true means ``mu_runs``: run effect + mean of run x image effects."""
    Q = (np.asarray(mu_runs)[:, None] + comp["run"] * rng.standard_normal((len(mu_runs), 1))
         + comp["image"] * rng.standard_normal((len(mu_runs), images)))
    return Q.mean(axis=1)


def _assessment(rng, d: Design, comp):
    M = d.losses
    a_true = np.linspace(0.5, 0.9, M)
    se = comp["assess"] / math.sqrt(max(d.iqa_refs, 1))
    a = a_true + se * rng.standard_normal(M)
    diff = np.abs(a[:, None] - a[None, :])
    p = sps.norm.cdf(-diff / (se * math.sqrt(2)))
    np.fill_diagonal(p, 1.0)
    z = (a_true - a_true.mean()) / a_true.std()
    return a, p, z


def sim_c1(rng, d: Design, comp, effect, n_perm, threshold=DEFAULT_THRESHOLD):
    """Null: all losses train equally well (no pair discordant). Effect: loss means reversed
    against the assessment ranking, ``effect`` run SDs per SD of the SRCCs."""
    a, ap, z = _assessment(rng, d, comp)
    groups = np.repeat(np.arange(d.losses), d.seeds)
    y = _runs(rng, -effect * comp["run"] * z[groups], comp, d.images)
    return c1_test(a, ap, y, groups, threshold, n_perm, int(rng.integers(1 << 30)))["p"]


def sim_c2(rng, d: Design, comp, effect, n_perm):
    """Null: GAN and no-GAN runs of a loss have the same mean (aligned with the SRCCs) up to a GAN
    shift common to all losses. Effect: the GAN flattens that alignment by ``effect`` run SDs."""
    a, _, z = _assessment(rng, d, comp)
    groups = np.tile(np.repeat(np.arange(d.losses), d.seeds), 2)
    seeds = np.tile(np.tile(np.arange(d.seeds), d.losses), 2)
    adv = np.repeat([False, True], d.losses * d.seeds)
    mu = comp["run"] * z[groups] - adv * (1.0 + effect * comp["run"] * z[groups])
    y = _runs(rng, mu, comp, d.images)
    return c2_test(a, y, groups, adv, seeds, n_perm, int(rng.integers(1 << 30)))["p"]


def sim_c3(rng, d: Design, comp, effect, n_perm, margin=DEFAULT_MARGIN):
    """Null: the checkpoint is no better than the discriminator. Effect: better by ``effect``
    SDs; discriminator and random init equal (within the margin)."""
    n = d.c3_units_per_split * d.splits
    sd = comp["transfer"]
    d1 = effect * sd + sd * rng.standard_normal(n)
    d2 = sd * rng.standard_normal(n)
    return c3_test(d1, d2, margin, n_perm, int(rng.integers(1 << 30)))["p"]


def _c4_frame(d: Design) -> pd.DataFrame:
    rows = [(k, lvl, fam) for k, designs in enumerate(d.strata) for (lvl, fam) in designs
            for _ in range(d.seeds)]
    return pd.DataFrame(rows, columns=["stratum", "level", "family"]).astype({"stratum": str})


def sim_c4(rng, d: Design, comp, effect, n_perm=0):
    """Null: level and family change nothing. Effect: patch and conv each raise quality and lower
    instability by ``effect`` run SDs."""
    frame = _c4_frame(d)
    if frame.empty:
        return np.nan
    X, names = design_matrix(frame)
    shift = effect * comp["run"] * ((frame["level"] == "patch").to_numpy(float)
                                    + (frame["family"] == "conv").to_numpy(float))
    y = _runs(rng, shift, comp, d.images)
    inst = sps.rankdata(-shift + comp["run"] * rng.standard_normal(len(frame)))
    q, s = c4_test(y, X, names), c4_test(inst, X, names, "less")
    return max(q["p_patch"], q["p_conv"], s["p_patch"], s["p_conv"])


def sim_c5(rng, d: Design, comp, effect, n_perm):
    """Null: the families are exchangeable. Effect: conv better by ``effect`` SDs on both sides."""
    nc, nt = d.backbones
    sd_b = comp["backbone"]
    v = np.concatenate([effect * sd_b + sd_b * rng.standard_normal(nc), sd_b * rng.standard_normal(nt)])
    conv = np.arange(nc + nt) < nc
    n = d.c5_units_per_split * d.splits
    sd_t = comp["transfer"]
    diffs = effect * sd_t + sd_t * rng.standard_normal(n)
    if not (nc and nt):
        v, conv = np.empty(0), np.empty(0, bool)
    return c5_test(v, conv, diffs, n_perm, int(rng.integers(1 << 30)))["p"]


SIMULATORS = {"C1": sim_c1, "C2": sim_c2, "C3": sim_c3, "C4": sim_c4, "C5": sim_c5}


def smallest_p(claim: str, d: Design, threshold: float = DEFAULT_THRESHOLD) -> float:
    """The smallest p the claim's test can reach with design ``d`` (inf where it cannot run at all):
    unless it is below alpha the rate is 0 by construction, so such designs are not simulated."""
    if claim in ("C1", "C2") and (d.losses < MIN_METRICS or d.seeds < 1):
        return np.inf  # no ranking statement with fewer metrics (the claim says inconclusive)
    if claim == "C1":
        return c1_min_p(d.losses, d.seeds, threshold)
    if claim == "C2":
        return c2_min_p([d.seeds] * d.losses)
    if claim == "C3":
        n = d.c3_units_per_split * d.splits
        return inf.sign_flip_min_p(n) if n else np.inf
    if claim == "C4":
        frame = _c4_frame(d)
        if frame.empty or frame["level"].nunique() < 2 or frame["family"].nunique() < 2:
            return np.inf
        return ideal_rank_p(frame)
    nc, nt = d.backbones
    sides = []
    if nc and nt:
        sides.append(inf.two_sample_min_p(nc, nt))
    if d.c5_units_per_split * d.splits:
        sides.append(inf.sign_flip_min_p(d.c5_units_per_split * d.splits))
    return max(sides) if sides else np.inf


def rejection_rate(claim: str, d: Design, comp: dict, effect: float, reps: int, alpha: float,
                   n_perm: int = 2000, seed: int = 0, threshold: float = DEFAULT_THRESHOLD,
                   margin: float = DEFAULT_MARGIN) -> tuple[float, float]:
    """Fraction of ``reps`` simulated data sets whose claim p <= alpha (and <= alpha / 5); NaN
    where the claim cannot be tested at all, 0 without simulating where it cannot reach alpha."""
    floor = smallest_p(claim, d, threshold)
    if not np.isfinite(floor):
        return float("nan"), float("nan")
    if floor > alpha:
        return 0.0, 0.0
    rng = np.random.default_rng([seed, int(effect * 1000), zlib.crc32(claim.encode())])
    extra = {"C1": {"threshold": threshold}, "C3": {"margin": margin}}.get(claim, {})
    p = np.array([SIMULATORS[claim](rng, d, comp, effect, n_perm, **extra) for _ in range(reps)], float)
    if not np.isfinite(p).any():
        return float("nan"), float("nan")
    p = np.where(np.isfinite(p), p, 1.0)
    return float(np.mean(p <= alpha)), float(np.mean(p <= alpha / 5))


def _grow(d: Design, claim: str, k: int) -> Design:
    return replace(d, splits=k) if claim in ("C3", "C5") else replace(d, seeds=k)


def seeds_for_power(claim: str, d: Design, comp, effect, reps, alpha, n_perm, seed,
                    grid=(2, 3, 4, 5, 6, 8, 10, 12, 16, 20), **opts) -> int | None:
    """Smallest seeds (split seeds for C3/C5) in ``grid`` with power >= 0.8, else None."""
    for k in grid:
        rate, _ = rejection_rate(claim, _grow(d, claim, k), comp, effect, reps, alpha, n_perm, seed, **opts)
        if np.isfinite(rate) and rate >= TARGET_POWER:
            return k
    return None


def power_table(d: Design, comp: dict, effects=DEFAULT_EFFECTS, reps: int = 200, alpha: float = 0.05,
                n_perm: int = 1000, seed: int = 0, claims=tuple(SIMULATORS), search: bool = True,
                threshold: float = DEFAULT_THRESHOLD, margin: float = DEFAULT_MARGIN) -> pd.DataFrame:
    """Rows (:data:`POWER_COLUMNS`): per claim the null (effect 0) and each effect; ``threshold``
    and ``margin`` are the config's C1 strong-alignment threshold and C3 equivalence margin."""
    opts = {"threshold": threshold, "margin": margin}
    rows = []
    ctext = ", ".join(f"{k} SD {v:.3g}" for k, v in comp.items())
    for claim in claims:
        for e in (0.0, *effects):
            rate, rate_holm = rejection_rate(claim, d, comp, e, reps, alpha, n_perm, seed, **opts)
            need = None
            if e > 0 and search and np.isfinite(rate):
                need = seeds_for_power(claim, d, comp, e, reps, alpha, n_perm, seed, **opts)
            rows.append({"claim": claim, "effect": e, "rate": rate, "rate_holm_first_step": rate_holm,
                         "reps": reps, "design": d.text(), "seeds_for_80": need if e > 0 else None,
                         "components": ctext})
    return pd.DataFrame(rows, columns=POWER_COLUMNS)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", default="workflow/config/demo.yaml")
    p.add_argument("--reps", type=int, default=200, help="simulated data sets per claim and effect")
    p.add_argument("--effect", type=float, nargs="+", default=list(DEFAULT_EFFECTS),
                   help="standardized effects (SDs of the unit's noise) to compute power at")
    p.add_argument("--results", default=None, help="results folder to estimate variance components from "
                   "(default: the config's results folder, if it exists)")
    p.add_argument("--n-perm", type=int, default=1000)
    p.add_argument("--no-search", action="store_true", help="skip the seeds-for-80%% search (faster)")
    p.add_argument("--out", default=None, help="CSV to write the table to")


def run(args) -> int:
    from asym.config import load_config

    cfg = load_config(args.config)
    a = cfg["analysis"]
    results = Path(args.results or cfg.get("results", "results"))
    comp, source = estimate_components(results if results.is_dir() else None)
    d = design_from_config(cfg)
    table = power_table(d, comp, args.effect, args.reps, a.get("alpha", inf.DEFAULT_ALPHA), args.n_perm,
                        a.get("seed", 0), search=not args.no_search,
                        threshold=a.get("c1_threshold", DEFAULT_THRESHOLD),
                        margin=a.get("equivalence_margin", DEFAULT_MARGIN))
    print(f"design: {d.text()}\nvariance components: {source}")
    print(table.drop(columns=["design", "components"]).to_string(index=False))
    if args.out:
        from asym.io import write_csv

        write_csv(table, args.out)
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m asym.analysis.power", description=__doc__.split("\n\n")[0])
    add_arguments(p)
    return run(p.parse_args(argv))


if __name__ == "__main__":
    from asym.errors import run as run_main

    run_main(main)
