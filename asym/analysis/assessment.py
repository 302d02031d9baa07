"""The assessment side of C1/C2: each fidelity metric's SRCC with MOS, its uncertainty, Kendall's tau.

The IQA side keeps the reference image as its unit: all distorted versions of one
reference share its content, so bootstrap draws resample whole references within each
IQA set (:meth:`Assessment.draw`). :func:`pairwise_sign_p` turns those draws into how
certain the *order* of two metrics' SRCCs is, which C1 needs to certify a discordant pair.
No torch.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from asym.analysis.stats import quality_direction
from asym.io import InputError


# --------------------------------------------------------------------------- #
# Kendall's tau-b, vectorized over leading axes
# --------------------------------------------------------------------------- #
def kendall_tau_b(x, y) -> np.ndarray:
    """Kendall's tau-b between the last axes of ``x`` and ``y`` (broadcast).

    tau-b = sum_{i<j} sgn(dx) sgn(dy) / sqrt(sum sgn(dx)^2 * sum sgn(dy)^2),
    identical to :func:`scipy.stats.kendalltau` but batched, because bootstrap
    and permutation loops need thousands of taus over a handful of metrics.
    NaN where either input is constant.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = x.shape[-1]
    i, j = np.triu_indices(n, 1)
    dx = np.sign(x[..., i] - x[..., j])
    dy = np.sign(y[..., i] - y[..., j])
    num = (dx * dy).sum(-1)
    den = np.sqrt((dx * dx).sum(-1) * (dy * dy).sum(-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


# --------------------------------------------------------------------------- #
# Assessment side: SRCC per metric, averaged over IQA datasets
# --------------------------------------------------------------------------- #
def _srcc_rows(S: np.ndarray, mos: np.ndarray) -> np.ndarray:
    """Spearman correlation of every row of ``S`` with ``mos`` (NaN-aware)."""
    out = np.full(S.shape[0], np.nan)
    r_mos_all = sps.rankdata(mos)
    complete = np.all(np.isfinite(S), axis=1)
    if complete.any():  # fast path: rank all complete rows at once
        R = sps.rankdata(S[complete], axis=1)
        out[complete] = _pearson_rows(R, r_mos_all)
    for k in np.flatnonzero(~complete):
        keep = np.isfinite(S[k])
        if keep.sum() >= 2:
            out[k] = _pearson_rows(sps.rankdata(S[k, keep])[None], sps.rankdata(mos[keep]))[0]
    return out


def _pearson_rows(R: np.ndarray, r: np.ndarray) -> np.ndarray:
    Rc = R - R.mean(axis=1, keepdims=True)
    rc = r - r.mean()
    den = np.sqrt((Rc * Rc).sum(axis=1) * (rc * rc).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (Rc @ rc) / np.where(den > 0, den, 1.0), np.nan)


@dataclass
class IQASet:
    """One IQA dataset: quality-direction scores [metric, distorted], MOS, references.

    ``types``: a distortion-type code per distorted image for a set whose labels order
    severity only within a type (distortion levels: the synthetic set); its SRCC is then
    the mean over types of the SRCC within each type (as :mod:`asym.assess.correlate`
    reports it). None: one SRCC over the whole set (human scores).
    """
    name: str
    scores: np.ndarray
    mos: np.ndarray
    members: list  # positional indices of the distorted images of each reference
    types: np.ndarray | None = None

    def srcc_rows(self, rows: np.ndarray) -> np.ndarray:
        """SRCC per metric over the distorted images ``rows`` (within types, averaged, where typed)."""
        if self.types is None:
            return _srcc_rows(self.scores[:, rows], self.mos[rows])
        per_type = [_srcc_rows(self.scores[:, rows[self.types[rows] == t]], self.mos[rows[self.types[rows] == t]])
                    for t in np.unique(self.types[rows])]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a type with one image in a resample -> NaN
            return np.nanmean(np.vstack(per_type), axis=0)


@dataclass
class Assessment:
    metrics: list
    sets: list

    def srcc(self, picks=None) -> np.ndarray:
        """Mean SRCC over datasets per metric; ``picks`` = resampled references per set."""
        per_set = []
        for k, s in enumerate(self.sets):
            if picks is None:
                rows = np.arange(len(s.mos))
            else:
                rows = np.concatenate([s.members[g] for g in picks[k]])
            per_set.append(s.srcc_rows(rows))
        if not per_set:
            return np.full(len(self.metrics), np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN metric -> NaN
            return np.nanmean(np.vstack(per_set), axis=0)

    def draw(self, rng) -> list:
        return [rng.integers(0, len(s.members), size=len(s.members)) for s in self.sets]


def prepare_assessment(assess: pd.DataFrame) -> Assessment:
    """The IQA sets of per-image scores; a set whose rows all carry a ``distortion`` (the
    type of a set with level labels) is correlated within types (:class:`IQASet`)."""
    needed = {"dataset", "metric", "reference", "distorted", "score", "lower_better", "mos"}
    missing = needed - set(assess.columns)
    if missing:
        raise InputError(f"assessment scores lack columns {sorted(missing)}")
    df = assess.copy()
    df["q"] = quality_direction(df["score"].to_numpy(), df["lower_better"].to_numpy())
    metrics = sorted(df["metric"].unique())
    sets = []
    for name, part in df.groupby("dataset", sort=True):
        wide = part.pivot_table(index="distorted", columns="metric", values="q", aggfunc="mean")
        wide = wide.reindex(columns=metrics)
        meta = part.groupby("distorted").agg(mos=("mos", "first"), reference=("reference", "first"))
        meta = meta.loc[wide.index]
        codes, _ = pd.factorize(meta["reference"], sort=True)
        members = [np.flatnonzero(codes == g) for g in range(codes.max() + 1)]
        types = None
        if "distortion" in part.columns and part["distortion"].notna().all():
            kind = part.groupby("distorted")["distortion"].first().loc[wide.index]
            types = pd.factorize(kind, sort=True)[0]
        sets.append(IQASet(str(name), wide.to_numpy(dtype=float).T,
                            meta["mos"].to_numpy(dtype=float), members, types))
    return Assessment(metrics, sets)


def assessment_draws(assess: Assessment, n_boot: int, seed: int) -> np.ndarray:
    """Bootstrap draws ``[n_boot, metric]`` of the mean SRCC, resampling references per IQA set."""
    rng = np.random.default_rng([int(seed), 21])
    return np.vstack([assess.srcc(assess.draw(rng)) for _ in range(n_boot)]) if n_boot else \
        np.empty((0, len(assess.metrics)))


def pairwise_sign_p(a: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """[i, j]: one-sided p that the true order of metrics i and j is the observed one's opposite.

    Normal approximation with the bootstrap standard error of the difference
    (reference images as units): p = Phi(-|a_i - a_j| / se). 0 where the draws never vary
    and the observed order is strict; 1 on ties and the diagonal.
    """
    a = np.asarray(a, float)
    M = a.size
    p = np.ones((M, M))
    for i in range(M):
        for j in range(M):
            if i == j or a[i] == a[j] or not np.isfinite(a[i] - a[j]):
                continue
            d = draws[:, i] - draws[:, j] if draws.size else np.array([])
            d = d[np.isfinite(d)]
            se = float(d.std(ddof=1)) if d.size > 1 else 0.0
            p[i, j] = float(sps.norm.cdf(-abs(a[i] - a[j]) / se)) if se > 0 else 0.0
    return p
