"""Fit a DISTS-style metric's alpha/beta on the training split of an IQA set.

    python -m asym.assess.fit_metric \\
        --metric-spec '{"name": "dists_vgg16-R", "kind": "dists_style", "backbone": "vgg16", "init": "random", "init_seed": 0, "group": "vgg16"}' \\
        --dataset-kind synthetic --root data/demo/iqa/synthetic --test-fraction 0.25 --seed 0 --steps 200 \\
        --out results/assess/fitted/dists_vgg16-R.pt

then use the metric with ``fitted: results/assess/fitted/dists_vgg16-R.pt`` in its spec.

What happens, top to bottom:

1. The set is split by REFERENCE image (:func:`asym.data.iqa_sets.split_by_reference`,
   ``--test-fraction`` of the references held out, ``--seed``), so no content of the
   test part is seen in fitting.
2. The backbone is frozen, and a DISTS-style distance is linear in the weights:
   ``d = 1 - sum_i (a_i t_i + b_i s_i)`` with per-channel texture ``t`` and structure
   ``s`` terms. These terms are computed once per image pair (one pass of the backbone
   over the set); fitting then only touches an (images x channels) table, so a few
   hundred full-batch steps take seconds.
3. Weights are ``(a, b) = softmax(z)`` over all 2N channel terms: non-negative and
   summing to one by construction, as DISTS requires. ``z = 0`` gives uniform weights,
   the unfitted metric, so fitting starts from it.
4. Objective (``rank+plcc``), minimised with Adam:

   ``L = mean over pairs (i, j) of the same reference with mos_i > mos_j of
   softplus((d_i - d_j) / tau)  +  plcc_weight * (1 - pearson(-d, mos))``

   The first term is a Bradley-Terry / RankNet pairwise ranking loss: the probability
   that the metric orders a pair as people do is ``sigmoid((d_j - d_i) / tau)``, with
   ``tau`` a learned temperature (distances have no natural scale). Its pairs share a
   reference, because that is what every FR-IQA set is built from (distortions of
   one content) and what a loss in optimization compares (outputs for one target).
   The second term asks the distances of *different* contents to be on one scale,
   because assessment reports SRCC/PLCC over the whole set, across contents. Both
   terms ignore the scale of ``d`` (``tau`` absorbs it; Pearson is affine invariant),
   as do the correlations reported. We prefer this to DISTS's original regression onto MOS
   because our labels include proxy scores (distortion levels of the synthetic set)
   that are only ordinal.

   For a set whose labels order severity only within a distortion type
   (:func:`asym.data.iqa_sets.labels_within_type`: the synthetic set), both terms stay
   within a type, as the assessment's correlations do (:mod:`asym.assess.correlate`):
   ranked pairs share a reference AND a distortion type, and the PLCC term is the mean
   over types of the within-type Pearson correlation (``OBJECTIVE_WITHIN_TYPE``).
   Pooled over types, level 3 of blur would be asked to be as good as level 3 of JPEG.
5. Train and test SRCC (``asym.analysis.stats.srcc`` of ``-d`` against MOS: positive when the
   metric agrees; for within-type labels the mean over types of the within-type SRCC,
   :func:`asym.analysis.stats.mean_within`) before and after fitting are stored with the
   weights.

The artefact (``torch.save``, loadable with ``weights_only=True``) holds: ``format``
(``asym-dists-fitted/1``), ``metric_spec`` (without ``fitted``), ``alpha``, ``beta``
(float32, shape (N,), jointly summing to one), ``channels``, ``dataset_kind``,
``train_references``, ``test_references`` (file names), ``objective`` (the formula
above as text), ``label_scope`` (``pooled`` or ``within_distortion``), ``plcc_weight``, ``steps``, ``lr``, ``seed``, ``test_fraction``,
``initial_train_srcc``, ``initial_test_srcc``, ``train_srcc``, ``test_srcc``, ``final_loss``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from asym.analysis.stats import mean_within, srcc
from asym.assess.fidelity import DistsStyle, build_metric
from asym.data.images import to_tensor
from asym.data.iqa_sets import labels_within_type, load_iqa_set, split_by_reference
from asym.io import atomic_path, read_rgb

OBJECTIVE = ("rank+plcc: mean_{(i,j) same reference, mos_i > mos_j} softplus((d_i - d_j)/tau) "
             "+ plcc_weight * (1 - pearson(-d, mos)); (alpha, beta) = softmax(z), tau learned")
OBJECTIVE_WITHIN_TYPE = ("rank+plcc within distortion type: mean_{(i,j) same reference and type, mos_i > mos_j} "
                         "softplus((d_i - d_j)/tau) + plcc_weight * (1 - mean_types pearson_type(-d, mos)); "
                         "(alpha, beta) = softmax(z), tau learned")


def compute_terms(metric: DistsStyle, table: pd.DataFrame, batch_size: int = 8,
                  device: str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """Texture and structure terms (n_images, N) of every distorted/reference pair in ``table``, in its order."""
    refs = {p: to_tensor(read_rgb(p)) for p in table["reference"].unique()}
    pairs = [(to_tensor(read_rgb(d)), refs[r]) for d, r in zip(table["distorted"], table["reference"])]
    n = sum(metric.backbone.channels)
    texture, structure = torch.empty(len(pairs), n), torch.empty(len(pairs), n)
    by_size: dict[tuple, list[int]] = {}
    for i, (d, r) in enumerate(pairs):
        by_size.setdefault((tuple(d.shape), tuple(r.shape)), []).append(i)
    with torch.no_grad():
        for indices in by_size.values():
            for start in range(0, len(indices), batch_size):
                chunk = indices[start : start + batch_size]
                pred = torch.stack([pairs[i][0] for i in chunk]).to(device)
                ref = torch.stack([pairs[i][1] for i in chunk]).to(device)
                t, s = metric.stage_terms(pred, ref)
                texture[chunk], structure[chunk] = t.float().cpu(), s.float().cpu()
    return texture, structure


def split_weights(z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(alpha, beta) from logits z (2N,): softmax, so non-negative and jointly summing to one."""
    w = torch.softmax(z, 0)
    n = z.shape[0] // 2
    return w[:n], w[n:]


def distances(texture: torch.Tensor, structure: torch.Tensor, alpha: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
    return 1 - texture @ alpha - structure @ beta


def ranked_pairs(mos: np.ndarray, groups: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """Index pairs (better, worse) within each group, over all pairs with different MOS."""
    better, worse = [], []
    for g in np.unique(groups):
        idx = np.flatnonzero(groups == g)
        i, j = np.meshgrid(idx, idx, indexing="ij")
        keep = mos[i] > mos[j]
        better.append(i[keep])
        worse.append(j[keep])
    return torch.as_tensor(np.concatenate(better)), torch.as_tensor(np.concatenate(worse))


def _pearson(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    x, y = x - x.mean(), y - y.mean()
    return (x * y).sum() / (x.norm() * y.norm() + 1e-12)


def _mean_pearson(x: torch.Tensor, y: torch.Tensor, types: np.ndarray | None) -> torch.Tensor:
    """Pearson of ``x`` and ``y``: over all rows, or the mean over ``types`` of the within-type one
    (types with fewer than two rows or constant labels carry no correlation and are left out)."""
    if types is None:
        return _pearson(x, y)
    parts = [torch.as_tensor(np.flatnonzero(types == t)) for t in np.unique(types)]
    parts = [i for i in parts if len(i) > 1 and bool(y[i].std() > 0)]
    if not parts:
        raise ValueError("no distortion type has two images with different labels: no within-type correlation")
    return torch.stack([_pearson(x[i], y[i]) for i in parts]).mean()


def fit(texture: torch.Tensor, structure: torch.Tensor, mos, groups, steps: int = 200, lr: float = 0.05,
        plcc_weight: float = 1.0, types=None) -> dict:
    """Fit (alpha, beta) on precomputed terms; ``groups`` names each row's reference. With ``types``
    (each row's distortion type; labels comparable only within a type) ranked pairs also share a
    type and the PLCC term is the mean within-type correlation. Deterministic."""
    mos = np.asarray(mos, dtype=float)
    groups = np.asarray(groups)
    if types is not None:
        types = np.asarray(types).astype(str)
        groups = np.char.add(np.char.add(groups.astype(str), "\x1f"), types)
    texture, structure = texture.double(), structure.double()  # small table: float64 costs nothing
    better, worse = ranked_pairs(mos, groups)
    if len(better) == 0:
        raise ValueError("no pair of images of the same reference" + (" and distortion type" if types is not None else "")
                         + " has different MOS: nothing to rank")
    target = torch.tensor(mos)
    z = torch.zeros(2 * texture.shape[1], dtype=torch.float64, requires_grad=True)
    with torch.no_grad():  # temperature starts at the typical pair difference of the unfitted metric
        d0 = distances(texture, structure, *split_weights(z))
        log_tau0 = torch.log((d0[better] - d0[worse]).abs().mean() + 1e-8)
    log_tau = log_tau0.clone().requires_grad_(True)
    opt = torch.optim.Adam([z, log_tau], lr=lr)

    def objective():
        d = distances(texture, structure, *split_weights(z))
        rank = F.softplus((d[better] - d[worse]) / log_tau.exp()).mean()
        return rank + plcc_weight * (1 - _mean_pearson(-d, target, types)), d

    for _ in range(steps):
        opt.zero_grad()
        loss, _ = objective()
        loss.backward()
        opt.step()
    with torch.no_grad():
        loss, _ = objective()
        alpha, beta = split_weights(z)
    return {"alpha": alpha.float(), "beta": beta.float(), "final_loss": float(loss), "tau": float(log_tau.detach().exp())}


def quality_srcc(texture, structure, alpha, beta, mos, types=None) -> float:
    """SRCC of -distance with MOS (positive = agrees with the scores); with ``types``, the mean
    over distortion types of the within-type SRCC (:func:`asym.analysis.stats.mean_within`)."""
    d = distances(texture.double(), structure.double(), alpha.double(), beta.double())
    table = pd.DataFrame({"score": -d.numpy(), "mos": np.asarray(mos, dtype=float)})
    if types is None:
        return float(srcc(table["score"], table["mos"]))
    return mean_within(srcc, table.assign(distortion=np.asarray(types)))


def fit_metric(spec: dict, dataset_kind: str, root, test_fraction: float = 0.25, seed: int = 0, steps: int = 200,
               lr: float = 0.05, plcc_weight: float = 1.0, batch_size: int = 8, device: str = "cpu",
               reader_options: dict | None = None, kernels: str = "reference") -> dict:
    """Split, precompute terms, fit, evaluate; returns the artefact dict (see the module docstring).
    ``kernels`` is the config's setting for the backbone pass (:mod:`asym.accel.switch`)."""
    spec = {k: v for k, v in spec.items() if k != "fitted"}  # fit from uniform weights, never on top of a fit
    if spec.get("kind") != "dists_style":
        raise ValueError(f"only dists_style metrics have alpha/beta to fit; {spec.get('name')!r} is {spec.get('kind')!r}")
    table = load_iqa_set(dataset_kind, root, reader_options)
    train, test = split_by_reference(table, test_fraction, seed)
    metric = build_metric(spec, device=device, kernels=kernels)
    terms = {part: compute_terms(metric, t, batch_size, device) for part, t in (("train", train), ("test", test))}
    uniform = metric.alpha / (metric.alpha.sum() + metric.beta.sum()), metric.beta / (metric.alpha.sum() + metric.beta.sum())
    within = labels_within_type(dataset_kind)
    types = {part: (t["distortion"].to_numpy() if within else None) for part, t in (("train", train), ("test", test))}
    fitted = fit(*terms["train"], train["mos"].to_numpy(), train["reference"].to_numpy(), steps, lr, plcc_weight,
                 types["train"])
    name = lambda refs: sorted({Path(p).name for p in refs})
    return {
        "format": DistsStyle.FITTED_FORMAT,
        "metric_spec": spec,
        "alpha": fitted["alpha"], "beta": fitted["beta"],
        "channels": [int(c) for c in metric.backbone.channels],
        "dataset_kind": dataset_kind,
        "train_references": name(train["reference"]), "test_references": name(test["reference"]),
        "objective": OBJECTIVE_WITHIN_TYPE if within else OBJECTIVE,
        "label_scope": "within_distortion" if within else "pooled", "plcc_weight": float(plcc_weight),
        "steps": int(steps), "lr": float(lr), "seed": int(seed), "test_fraction": float(test_fraction),
        "initial_train_srcc": quality_srcc(*terms["train"], *uniform, train["mos"], types["train"]),
        "initial_test_srcc": quality_srcc(*terms["test"], *uniform, test["mos"], types["test"]),
        "train_srcc": quality_srcc(*terms["train"], fitted["alpha"], fitted["beta"], train["mos"], types["train"]),
        "test_srcc": quality_srcc(*terms["test"], fitted["alpha"], fitted["beta"], test["mos"], types["test"]),
        "final_loss": fitted["final_loss"],
    }


def save_artefact(artefact: dict, out) -> None:
    with atomic_path(out) as tmp:
        torch.save(artefact, tmp)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Fit a DISTS-style metric's alpha/beta on an IQA train split.")
    parser.add_argument("--metric-spec", required=True, type=json.loads, help="metric spec as JSON (kind dists_style, with its name)")
    parser.add_argument("--dataset-kind", required=True, help="IQA set reader, e.g. synthetic")
    parser.add_argument("--root", required=True, type=Path)
    parser.add_argument("--reader-options", default="{}", type=json.loads,
                        help="the IQA set's reader options as JSON (data.iqa_sets.<name> beside kind and root, "
                             "e.g. TQD's direction)")
    parser.add_argument("--test-fraction", type=float, default=0.25, help="share of REFERENCE images held out")
    parser.add_argument("--seed", type=int, default=0, help="seed of the reference split")
    parser.add_argument("--steps", type=int, default=200, help="full-batch Adam steps")
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--plcc-weight", type=float, default=1.0, help="weight of the 1 - PLCC term")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--kernels", default="reference", help="the config's kernels setting: reference or fast")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    artefact = fit_metric(args.metric_spec, args.dataset_kind, args.root, args.test_fraction, args.seed,
                          args.steps, args.lr, args.plcc_weight, args.batch_size, args.device, args.reader_options,
                          args.kernels)
    save_artefact(artefact, args.out)
    print(f"{args.out}: train SRCC {artefact['initial_train_srcc']:.3f} -> {artefact['train_srcc']:.3f}, "
          f"test SRCC {artefact['initial_test_srcc']:.3f} -> {artefact['test_srcc']:.3f} "
          f"({len(artefact['train_references'])} train / {len(artefact['test_references'])} test references)")


if __name__ == "__main__":
    import asym.errors

    asym.errors.run(main)
