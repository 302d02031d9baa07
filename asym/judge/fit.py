"""Fit the collected judgements: Bradley-Terry per test image and overall, with bootstrap intervals.

    asym judge fit results/judge/study --out-dir results/judge
    python -m asym.judge.fit results/judge/study --out-dir results/judge --n-boot 1000 --min-catch 0.75

Reads the study's manifest and its SQLite store (answers of real observers only; this
module never creates a judgement) and writes, atomically, into ``--out-dir``:

* ``judgements.csv``: every answer, joined with its trial (image, kind, expected answer)
* ``observers.csv``: screening per observer (:mod:`asym.judge.screening`), ``kept``
* ``human_ranking.csv``: per condition (runs, ``bicubic``, ``reference``) the overall
  Bradley-Terry log-strength with a 95 % percentile interval from a two-level bootstrap
  (observers resampled with replacement, then test images with replacement; refit each
  time), rank, comparisons and wins
* ``human_image_scores.csv``: the same per test image (intervals: observers resampled)
* ``human_evaluation.csv``: rows in the ``evaluation.csv`` contract, evaluator ``human``:
  one per run x test image (plus the bicubic baseline with ``baseline`` True), ``score``
  the log-strength of that image's own Bradley-Terry fit (higher = better,
  ``lower_better`` False); the HR reference is not a run and has no row

Bradley-Terry: P(i preferred to j) = 1 / (1 + exp(s_j - s_i)), fitted by
``choix.opt_pairwise`` (BFGS) as the MAP estimate under a Gaussian prior of precision ``alpha``
(default 0.1, prior sd about 3.2 on the log scale): without it a condition that wins every
comparison of a small study would get an infinite strength. Strengths are centred to
mean zero per fit. Only ``compare`` trials of observers kept by screening enter a fit.

With no answers (or none kept) nothing is fitted: the command says so and writes no
``human_evaluation.csv``, so the report shows "no human judgements collected" and the
claims use the model panel.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from asym.io import InputError, write_csv
from asym.judge.manifest import load_study
from asym.judge.screening import screen
from asym.judge.store import Store

HUMAN = "human"
EVALUATION_COLUMNS = ["run", "generator", "fidelity", "adversarial", "setting", "discriminator", "objective",
                      "disc_level", "disc_family", "gan_weight", "seed", "dataset", "image", "evaluator", "score",
                      "lower_better", "baseline"]
# Trait values of the bicubic baseline's rows (no generator was trained for it).
BASELINE_TRAITS = {"generator": "bicubic", "fidelity": "none", "adversarial": False, "setting": "none",
                   "discriminator": "none", "objective": "none", "level": "none", "family": "none",
                   "gan_weight": 0.0, "seed": None}  # as asym.optimize.baseline writes them


def judgements_table(study, store: Store) -> pd.DataFrame:
    """Every stored answer joined with its trial's image, kind and expected answer."""
    answers = pd.DataFrame(store.answers())
    columns = ["observer_id", "trial_id", "position", "image", "kind", "left_condition", "right_condition",
               "choice", "chosen_condition", "expected", "rt_ms", "input", "shown_at", "answered_at", "received_at"]
    if answers.empty:
        return pd.DataFrame(columns=columns)
    unknown = sorted(set(answers["trial_id"]) - set(study.trials))
    if unknown:
        raise InputError(f"{study.database}: answers to trials {unknown[:3]} that the manifest does not hold: "
                         "the study was rebuilt after answers were collected; fit with the manifest they were "
                         "collected under")
    answers["image"] = [study.trials[t]["image"] for t in answers["trial_id"]]
    answers["kind"] = [study.trials[t]["kind"] for t in answers["trial_id"]]
    answers["expected"] = [study.trials[t]["expected"] for t in answers["trial_id"]]
    return answers[columns]


def _fit(n_items: int, pairs: np.ndarray, alpha: float, initial: np.ndarray | None = None) -> np.ndarray:
    """MAP log-strengths (mean zero) from an (n, 2) array of (winner, loser) indices."""
    import choix

    if not len(pairs):
        raise ValueError("no comparisons to fit")
    # BFGS reaches the same optimum as Newton-CG here (to ~1e-7) at a fraction of the time,
    # and warm-started from the point estimate a bootstrap refit takes a few milliseconds.
    params = np.asarray(choix.opt_pairwise(n_items, pairs, alpha=alpha, method="BFGS", initial_params=initial),
                        dtype=float)
    return params - params.mean()


def _pairs(comparisons: pd.DataFrame, conditions: list[str]) -> np.ndarray:
    index = {c: i for i, c in enumerate(conditions)}
    return np.array([(index[w], index[lo]) for w, lo in zip(comparisons["winner"], comparisons["loser"])],
                    dtype=int).reshape(-1, 2)


def bradley_terry(comparisons: pd.DataFrame, conditions: list[str], alpha: float) -> np.ndarray:
    """Log-strengths (mean zero) of ``conditions`` from rows with ``winner``/``loser`` columns."""
    return _fit(len(conditions), _pairs(comparisons, conditions), alpha)


def comparisons_of(judgements: pd.DataFrame, kept: set[str]) -> pd.DataFrame:
    """The ``compare`` answers of kept observers as ``observer_id, image, winner, loser`` rows."""
    df = judgements[(judgements["kind"] == "compare") & judgements["observer_id"].isin(kept)]
    loser = np.where(df["choice"] == "left", df["right_condition"], df["left_condition"])
    return pd.DataFrame({"observer_id": df["observer_id"].to_numpy(), "image": df["image"].to_numpy(),
                         "winner": df["chosen_condition"].to_numpy(), "loser": loser})


def bootstrap(comps: pd.DataFrame, conditions: list[str], alpha: float, n_boot: int, seed: int,
              initial: np.ndarray | None = None) -> np.ndarray:
    """(n_boot, n_conditions) log-strengths refitted on observers, then images, drawn with replacement
    (with one image, only observers are drawn)."""
    rng = np.random.default_rng(seed)
    observers = sorted(comps["observer_id"].unique())
    images = sorted(comps["image"].unique())
    blocks = {key: _pairs(block, conditions) for key, block in comps.groupby(["observer_id", "image"])}
    out = np.empty((n_boot, len(conditions)))
    for b in range(n_boot):
        obs = rng.choice(observers, size=len(observers), replace=True)
        imgs = rng.choice(images, size=len(images), replace=True)
        parts = [blocks[(o, i)] for o in obs for i in imgs if (o, i) in blocks]
        out[b] = _fit(len(conditions), np.concatenate(parts), alpha, initial)
    return out


def ranking(comps: pd.DataFrame, conditions: dict, alpha: float, n_boot: int, seed: int) -> pd.DataFrame:
    names = list(conditions)
    strength = bradley_terry(comps, names, alpha)
    boots = bootstrap(comps, names, alpha, n_boot, seed, strength) if n_boot else np.full((1, len(names)), np.nan)
    wins = comps["winner"].value_counts()
    total = wins.add(comps["loser"].value_counts(), fill_value=0)
    df = pd.DataFrame({"condition": names, "kind": [conditions[c]["kind"] for c in names], "strength": strength,
                       "ci_low": np.nanpercentile(boots, 2.5, axis=0) if n_boot else np.nan,
                       "ci_high": np.nanpercentile(boots, 97.5, axis=0) if n_boot else np.nan,
                       "comparisons": [int(total.get(c, 0)) for c in names],
                       "wins": [int(wins.get(c, 0)) for c in names]})
    df["rank"] = df["strength"].rank(ascending=False, method="min").astype(int)
    return df.sort_values("rank").reset_index(drop=True)


def image_rankings(comps: pd.DataFrame, conditions: dict, alpha: float, n_boot: int, seed: int) -> pd.DataFrame:
    """:func:`ranking` per test image (intervals: observers drawn with replacement), with an ``image`` column."""
    tables = [ranking(img, conditions, alpha, n_boot, seed).assign(image=image)
              for image, img in comps.groupby("image", sort=True)]
    out = pd.concat(tables, ignore_index=True)
    return out[["image"] + [c for c in out.columns if c != "image"]]


def evaluation_rows(images: pd.DataFrame, manifest: dict) -> pd.DataFrame:
    """Rows in the evaluation.csv contract: one per run (and bicubic) x test image, evaluator human,
    from :func:`image_rankings`."""
    conditions = manifest["conditions"]
    rows = []
    for image, table in images.groupby("image", sort=True):
        strength = dict(zip(table["condition"], table["strength"]))
        for name, info in conditions.items():
            if info["kind"] == "reference":
                continue
            t = info["traits"] or BASELINE_TRAITS
            rows.append({"run": name, "generator": t["generator"], "fidelity": t["fidelity"],
                         "adversarial": bool(t["adversarial"]), "setting": t["setting"],
                         "discriminator": t["discriminator"], "objective": t["objective"],
                         "disc_level": t["level"], "disc_family": t["family"], "gan_weight": float(t["gan_weight"]),
                         "seed": None if t["seed"] is None else int(t["seed"]),
                         "dataset": manifest["dataset"], "image": image,
                         "evaluator": HUMAN, "score": float(strength[name]), "lower_better": False,
                         "baseline": info["kind"] == "baseline"})
    return pd.DataFrame(rows, columns=EVALUATION_COLUMNS)


def fit(study_dir, out_dir, *, min_catch: float = 0.75, max_circular: float | None = None, alpha: float = 0.1,
        n_boot: int = 1000, seed: int = 0) -> dict[str, Path]:
    """Export, screen and fit (see the module docstring); return the files written."""
    study = load_study(study_dir, verify=False)
    if not study.database.is_file():
        raise InputError(f"{study.database} not found: no observer has been invited to this study yet "
                         f"(asym judge invite {study.folder}), so there is nothing to fit")
    judgements = judgements_table(study, Store(study.database, study.fingerprint))
    out_dir = Path(out_dir)
    written = {"judgements": out_dir / "judgements.csv", "observers": out_dir / "observers.csv"}
    write_csv(judgements, written["judgements"])
    observers = screen(judgements, min_catch=min_catch, max_circular=max_circular)
    write_csv(observers, written["observers"])
    kept = set(observers.loc[observers["kept"], "observer_id"])
    comps = comparisons_of(judgements, kept)
    if comps.empty:
        print(f"{study.folder}: {len(judgements)} answers, {len(kept)} of {len(observers)} observers kept, no "
              "comparison to fit: no human_evaluation.csv written (the report says no human judgements "
              "were collected)", file=sys.stderr)
        return written
    written["ranking"] = out_dir / "human_ranking.csv"
    write_csv(ranking(comps, study.manifest["conditions"], alpha, n_boot, seed), written["ranking"])
    images = image_rankings(comps, study.manifest["conditions"], alpha, n_boot, seed)
    written["images"] = out_dir / "human_image_scores.csv"
    write_csv(images, written["images"])
    written["evaluation"] = out_dir / "human_evaluation.csv"
    write_csv(evaluation_rows(images, study.manifest), written["evaluation"])
    return written


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("study", help="the study folder (asym judge build --out)")
    p.add_argument("--out-dir", default="results/judge", type=Path)
    p.add_argument("--min-catch", type=float, default=0.75, help="exclude observers below this catch accuracy")
    p.add_argument("--max-circular", type=float, default=None, help="exclude observers above this circular-"
                   "triad rate (default: report only)")
    p.add_argument("--alpha", type=float, default=0.1, help="Gaussian prior precision of the Bradley-Terry fit")
    p.add_argument("--n-boot", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)


def run(args: argparse.Namespace) -> None:
    written = fit(args.study, args.out_dir, min_catch=args.min_catch, max_circular=args.max_circular,
                  alpha=args.alpha, n_boot=args.n_boot, seed=args.seed)
    for name, path in written.items():
        print(f"{name}: {path}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m asym.judge.fit", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    run(parser.parse_args(argv))


if __name__ == "__main__":
    import asym.errors

    asym.errors.run(main)
