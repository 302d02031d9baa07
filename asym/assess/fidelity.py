"""Fidelity metrics: one interface for assessment (scores) and optimization (losses).

    from asym.assess.fidelity import build_metric
    metric = build_metric({"name": "ssim", "kind": "pyiqa", "name": "ssim", "group": "ssim"})
    scores = metric.score(pred, ref)   # (B,) float32, no gradient
    loss = metric.loss(pred, ref)      # scalar with gradient; 0 at pred == ref where defined

Kinds (a plain dict, ``KINDS``):
- ``l1``, ``mse``: pixel errors on [0, 1] images.
- ``pyiqa``: any pyiqa metric by name; pyiqa is the only source of published metrics,
  never re-implemented here. Built once per job with ``as_loss=True`` so that the same
  instance gives gradients for training and scores (under ``no_grad``) for evaluation.
- ``dists_style``: the DISTS formula (texture term on channel means, structure term on
  channel covariances, non-negative weights alpha/beta that sum to one) over any
  backbone of :mod:`asym.nets.backbones`.

Every metric carries ``lower_better`` (from pyiqa's metadata for pyiqa metrics),
``mode`` ("FR" full-reference or "NR" no-reference) and ``group`` (what it is
circular with; see :func:`asym.config.evaluator_panel`).
"""

from __future__ import annotations

import json
import re

import torch
from torch import nn

from asym.accel.dists import use_fast_dists
from asym.accel.switch import check_kernels
from asym.nets.backbones import build_backbone
from asym.nets.statistics import ChannelMoments

# DISTS's stabilising constants (Ding et al. 2020): tiny, so the terms are ~1 at identity.
DISTS_C1 = 1e-6
DISTS_C2 = 1e-6


class Metric(nn.Module):
    """Base class: subclasses implement ``_score(pred, ref) -> (B,)`` with gradient."""

    lower_better: bool = True
    mode: str = "FR"

    def __init__(self, spec: dict):
        super().__init__()
        self.name = spec["name"]
        self.group = spec.get("group", self.name)
        self.best = spec.get("best")

    def _score(self, pred: torch.Tensor, ref: torch.Tensor | None) -> torch.Tensor:
        raise NotImplementedError  # abstract: each kind below defines it

    def score(self, pred: torch.Tensor, ref: torch.Tensor | None = None) -> torch.Tensor:
        """Per-image scores (B,), float32, no gradient."""
        with torch.no_grad():
            return self._score(pred, ref).detach().float().reshape(-1)

    def loss(self, pred: torch.Tensor, ref: torch.Tensor | None = None) -> torch.Tensor:
        """Batch-mean loss to minimise: the score if lower is better, else best - score."""
        s = self._score(pred, ref).float().reshape(-1)
        if self.lower_better:
            return s.mean()
        best = 0.0 if self.best is None else float(self.best)
        return (best - s).mean()


class PixelMetric(Metric):
    """Mean absolute (``l1``) or squared (``mse``) error per image."""

    def __init__(self, spec: dict):
        super().__init__(spec)
        self.power = {"l1": 1, "mse": 2}[spec["kind"]]

    def _score(self, pred, ref):
        return (pred - ref).abs().pow(self.power).flatten(1).mean(1)


class PyiqaMetric(Metric):
    """A pyiqa metric; ``as_loss=True`` keeps its gradient and skips its [0,1] range check.

    Offline by design: before pyiqa builds the metric, :func:`asym.offline.pyiqa_requirements`
    lists the files its constructor would download (a dry run that never reads a file nor
    opens a socket); any missing one fails at once with its path and official source, and
    the real construction runs with sockets blocked, so a missing file never turns into a
    download attempt or a hang.
    """

    def __init__(self, spec: dict, device: str = "cpu"):
        super().__init__(spec)
        import pyiqa

        from asym.nets.backbones import WeightsMissingError
        from asym.offline import NetworkBlocked, block_network, pyiqa_requirements

        pyiqa_name = spec.get("pyiqa_name", spec["name"])
        requirements, note = pyiqa_requirements(self.name, pyiqa_name)
        missing = [r for r in requirements if r.missing]
        if missing:
            listing = "\n".join(f"  {r.path}  ({r.what}; official source: {r.source})" for r in missing)
            raise WeightsMissingError(
                f"pyiqa metric {pyiqa_name!r} (config metric {self.name!r}) needs weight files that are "
                f"missing:\n{listing}\nPut them there (from the pinned cache of the paper set-up, or the "
                "official source) or drop the metric from the config; `asym weights check --config FILE` "
                "lists every file a config needs. No download is attempted."
            )
        try:
            with block_network():
                self.net = pyiqa.create_metric(pyiqa_name, as_loss=True, loss_reduction="none",
                                               device=torch.device(device))
        except NetworkBlocked as exc:
            raise WeightsMissingError(
                f"pyiqa tried to download while building {pyiqa_name!r} (config metric {self.name!r}); "
                f"{note or 'its files could not be listed offline'}. Put its weights under "
                "$TORCH_HOME/hub/pyiqa (see `asym weights check --config FILE`). No download is attempted."
            ) from exc
        except Exception as exc:  # pyiqa raises plain exceptions for unknown names and bad options
            raise RuntimeError(
                f"pyiqa could not build metric {spec['name']!r}: {exc}. Unknown names are listed by "
                "`python -c 'import pyiqa; print(pyiqa.list_models())'`."
            ) from exc
        self.lower_better = bool(self.net.lower_better)
        self.mode = self.net.metric_mode

    def _score(self, pred, ref):
        out = self.net(pred, ref) if self.mode == "FR" else self.net(pred)
        return out.reshape(-1)


class DistsStyle(Metric):
    """DISTS over any backbone: 1 - sum_k sum_i (alpha_ki * texture_ki + beta_ki * structure_ki).

    alpha and beta are stored unnormalised and non-negative; they are divided by their
    joint sum at use, so the weights always sum to one. Uniform weights are the default
    until fitted. Weights come from, in the spec:

    - ``fitted: <path>``: an artefact written by ``python -m asym.assess.fit_metric`` (its
      backbone settings must equal this spec's), or an official DISTS weights file
      (a dict with ``alpha`` and ``beta`` of 1475 entries each, e.g. shape (1, 1475, 1, 1);
      vgg16 only; VGG weights then come from ``init``/``weights`` as usual).
    - :meth:`load_weights` (alpha, beta) or :meth:`load_dists` (a DISTS state dict,
      optionally with VGG weights) from code.

    For scores both images go through the backbone in one concatenated forward pass (one
    larger batch is cheaper than two on CPU and GPU); as a loss (``pred`` needs a gradient,
    ``ref`` does not) the reference goes through alone under ``no_grad``, so the backward
    pass covers ``pred`` only. The statistics are DISTS's own (:class:`asym.nets.statistics.ChannelMoments`).
    """

    lower_better = True
    FITTED_FORMAT = "asym-dists-fitted/1"
    # Spec keys that define the feature network; a fitted artefact must agree on them.
    BACKBONE_KEYS = ("backbone", "init", "init_seed", "weights")

    def __init__(self, spec: dict):
        super().__init__(spec)
        self.backbone = build_backbone(
            spec["backbone"], init=spec.get("init", "random"), init_seed=spec.get("init_seed", 0),
            weights=spec.get("weights"),
        )
        self.moments = ChannelMoments()  # DISTS's per-channel statistics (a module: accel may swap it)
        n = sum(self.backbone.channels)
        self.register_buffer("alpha", torch.full((n,), 1.0))
        self.register_buffer("beta", torch.full((n,), 1.0))
        self.fitted = spec.get("fitted")
        if self.fitted:
            self.load_fitted(self.fitted, spec)

    @classmethod
    def backbone_settings(cls, spec: dict) -> dict:
        """The spec's backbone-defining keys with their defaults filled in."""
        defaults = {"init": "random", "init_seed": 0, "weights": None}
        out = {k: spec.get(k, defaults.get(k)) for k in cls.BACKBONE_KEYS}
        if out["init"] == "random":
            out["weights"] = None  # ignored for random weights
        else:
            out["init_seed"] = None  # ignored for pre-trained weights
        return out

    @classmethod
    def read_fitted(cls, path, spec: dict | None = None) -> dict:
        """Read a fitted-weights file (``weights_only``); a missing file names the command that makes it."""
        from pathlib import Path

        from asym.nets.backbones import WeightsMissingError

        path = Path(path)
        if not path.is_file():
            base = {k: v for k, v in (spec or {}).items() if k != "fitted"}
            raise WeightsMissingError(
                f"fitted DISTS-style weights not found: {path}. Make them with\n"
                f"  python -m asym.assess.fit_metric --metric-spec '{json.dumps(base, sort_keys=True)}' "
                f"--dataset-kind <kind> --root <iqa set root> --out {path}\n"
                "(the workflow's fit_metric rule does this for a config metric with `fit:`), or leave "
                "out `fit:`/`fitted:` to use uniform weights."
            )
        return torch.load(path, map_location="cpu", weights_only=True)

    def load_fitted(self, path, spec: dict) -> None:
        """Load alpha/beta from ``path`` (an asym.assess.fit_metric artefact or an official DISTS weights file)."""
        content = self.read_fitted(path, spec)
        if not isinstance(content, dict) or "alpha" not in content or "beta" not in content:
            raise ValueError(f"{path}: expected a dict with 'alpha' and 'beta' (an asym.assess.fit_metric artefact "
                             "or a DISTS weights file)")
        if content.get("format") == self.FITTED_FORMAT:
            ours, theirs = self.backbone_settings(spec), self.backbone_settings(content["metric_spec"])
            if ours != theirs:
                raise ValueError(f"{path} was fitted for backbone settings {theirs}, but metric "
                                 f"{spec.get('name')!r} has {ours}; refit with python -m asym.assess.fit_metric")
            self.load_weights(content["alpha"].reshape(-1).float(), content["beta"].reshape(-1).float())
        elif "format" in content:
            raise ValueError(f"{path}: unknown format {content['format']!r} (expected {self.FITTED_FORMAT!r})")
        else:  # an official DISTS file: its alpha/beta only; the backbone stays as init/weights made it
            self.load_dists({"alpha": content["alpha"], "beta": content["beta"]})

    def load_weights(self, alpha: torch.Tensor, beta: torch.Tensor) -> None:
        if alpha.shape != self.alpha.shape or beta.shape != self.beta.shape:
            raise ValueError(f"alpha/beta must have shape {tuple(self.alpha.shape)}, got {tuple(alpha.shape)}")
        if (alpha < 0).any() or (beta < 0).any():
            raise ValueError("alpha and beta must be non-negative")
        self.alpha.copy_(alpha)
        self.beta.copy_(beta)

    def load_dists(self, dists_state: dict, vgg16_state: dict | None = None) -> None:
        """Load DISTS weights: ``alpha``/``beta`` (any shape with 1475 entries, e.g. (1, 1475, 1, 1))
        and the VGG-16 convolutions.

        ``dists_state`` is an official DISTS weights file (alpha and beta only) or a whole
        DISTS network state dict (pyiqa's ``DISTS`` or the official ``DISTS_pt``: conv keys
        ``stage<k>.<i>.weight`` where ``i`` is the torchvision ``vgg16().features`` index).
        ``vgg16_state`` is a torchvision ``vgg16`` state dict (``features.<i>.weight``).
        Convolutions found in either replace the backbone's; alpha/beta are required.
        """
        if not hasattr(self.backbone, "load_torchvision_state"):
            raise ValueError(f"load_dists needs the vgg16 backbone, this metric uses {type(self.backbone).__name__}")
        convs = dict(vgg16_state or {})
        for key, value in dists_state.items():
            match = re.fullmatch(r"stage\d\.(\d+)\.(weight|bias)", key)  # L2 pooling buffers are "filter"
            if match:
                convs[f"features.{match[1]}.{match[2]}"] = value
        if convs:
            self.backbone.load_torchvision_state(convs)
        self.load_weights(dists_state["alpha"].reshape(-1).float(), dists_state["beta"].reshape(-1).float())

    def stage_terms(self, pred: torch.Tensor, ref: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Texture and structure similarity per image and channel, stages concatenated: (B, N) each."""
        ref = ref.to(pred.dtype)
        if torch.is_grad_enabled() and pred.requires_grad and not ref.requires_grad:
            # As a training loss: the reference needs no gradient, so it goes through without a
            # graph (a concatenated pass would back-propagate through both halves). A backbone of
            # the speed layer (kernels: fast) pairs them itself: one forward, a backward over pred.
            if hasattr(self.backbone, "paired_features"):
                pairs = zip(*self.backbone.paired_features(pred, ref))
            else:
                with torch.no_grad():
                    ref_feats = self.backbone(ref)
                pairs = zip(self.backbone(pred), ref_feats)
        else:
            b = pred.shape[0]
            pairs = ((f[:b], f[b:]) for f in self.backbone(torch.cat([pred, ref])))  # one pass for both
        textures, structures = [], []
        for x, y in pairs:
            mx, my, vx, vy, cov = self.moments(x, y)
            textures.append((2 * mx * my + DISTS_C1) / (mx.square() + my.square() + DISTS_C1))
            structures.append((2 * cov + DISTS_C2) / (vx + vy + DISTS_C2))
        return torch.cat(textures, 1), torch.cat(structures, 1)

    def combine(self, texture: torch.Tensor, structure: torch.Tensor) -> torch.Tensor:
        """Distance from precomputed terms (B, N): 1 - (texture @ alpha + structure @ beta) / sum."""
        total = self.alpha.sum() + self.beta.sum()
        return 1 - (texture @ (self.alpha / total) + structure @ (self.beta / total))

    def _score(self, pred, ref):
        return self.combine(*self.stage_terms(pred, ref))


KINDS = {"l1": PixelMetric, "mse": PixelMetric, "pyiqa": PyiqaMetric, "dists_style": DistsStyle}


def build_metric(spec: dict, device: str = "cpu", kernels: str = "reference") -> Metric:
    """Build the metric a config entry describes (``spec`` includes its ``name``); ``kernels``
    is the config's ``kernels`` setting (``fast``: the DISTS kernels of :mod:`asym.accel.dists`)."""
    kind = spec.get("kind")
    if kind not in KINDS:
        raise ValueError(f"metric {spec.get('name')!r}: unknown kind {kind!r}; known kinds: {sorted(KINDS)}")
    metric = KINDS[kind](spec, device=device) if kind == "pyiqa" else KINDS[kind](spec)
    if check_kernels(kernels) == "fast":
        use_fast_dists(metric)
    return metric.to(device).eval()


def score_pairs(metric: Metric, preds: list[torch.Tensor], refs: list[torch.Tensor] | None,
                batch_size: int, device: str = "cpu") -> list[float]:
    """Score many (3, H, W) images batch-wise with one metric instance.

    Images of equal size are stacked into batches of up to ``batch_size`` (sizes may
    differ across an IQA set); the returned scores follow the input order.
    """
    by_size: dict[tuple, list[int]] = {}
    for i, p in enumerate(preds):
        by_size.setdefault(tuple(p.shape), []).append(i)
    scores = [float("nan")] * len(preds)
    for indices in by_size.values():
        for start in range(0, len(indices), batch_size):
            chunk = indices[start : start + batch_size]
            pred = torch.stack([preds[i] for i in chunk]).to(device)
            ref = torch.stack([refs[i] for i in chunk]).to(device) if refs is not None else None
            for i, s in zip(chunk, metric.score(pred, ref).tolist()):
                scores[i] = s
    return scores
