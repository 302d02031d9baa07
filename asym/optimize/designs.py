"""What kind of discriminator a design is, from its config entry alone (no torch).

    from asym.optimize.designs import design_traits, design_label
    design_traits({"name": "projected", "backbone": "dinov2_vits14", "head": "image"})
    # -> ("image", "transformer")
    design_label("patchgan", "hinge")   # -> "patchgan/hinge"

Claim C4 contrasts patch-level convolutional discriminators with image-level
("vanilla") or Transformer ones. That is a property of the architecture, so it is read
from the config entry (the names in ``optimize.discriminators`` are the user's own and
say nothing reliable); :mod:`asym.optimize.evaluate` writes the traits into every evaluation row.

- ``level``: ``patch`` when the discriminator returns a map of logits (PatchGAN, the
  per-pixel U-Net of Real-ESRGAN, projected discriminators with patch heads), ``image``
  when it returns one logit per image (ESRGAN's VGG-style, the ViT's CLS head,
  projected discriminators with an image head).
- ``family``: ``transformer`` for the ViT discriminator and projected discriminators on a
  Transformer backbone (DINOv2, CLIP ViT, Swin), else ``conv``.
"""

from __future__ import annotations

import math

#: Backbones of asym.nets.backbones that are Transformers (token maps, attention).
TRANSFORMER_BACKBONES = frozenset({"dinov2_vits14", "clip_vit_b16", "swin_t"})
#: (level, family) of each architecture in asym.nets.discriminators.DISCRIMINATORS;
#: projected ones depend on their head and backbone.
FIXED_TRAITS = {
    "patchgan": ("patch", "conv"),
    "unet": ("patch", "conv"),
    "vgg": ("image", "conv"),
    "vit": ("image", "transformer"),
}
DEFAULT_OBJECTIVE = "nonsaturating"


def design_traits(spec: dict) -> tuple[str, str]:
    """``(level, family)`` of a discriminator config entry (see the module docstring)."""
    name = spec.get("name")
    if name in FIXED_TRAITS:
        return FIXED_TRAITS[name]
    if name == "projected":
        family = "transformer" if spec.get("backbone") in TRANSFORMER_BACKBONES else "conv"
        return spec.get("head", "patch"), family
    raise ValueError(f"unknown discriminator architecture {name!r}; known: {sorted(FIXED_TRAITS) + ['projected']}. "
                     "Add its (level, family) to asym/optimize/designs.py when adding a design.")


def design_label(discriminator: str, objective: str) -> str:
    """The discriminator name, with ``/<objective>`` unless it is the default objective.

    Runs of one design trained with another GAN objective are a different condition:
    the label keeps them apart wherever results are grouped by discriminator.
    """
    missing = objective is None or (isinstance(objective, float) and math.isnan(objective))  # older tables
    if missing or objective in (DEFAULT_OBJECTIVE, "none", ""):
        return str(discriminator)
    return f"{discriminator}/{objective}"


def label_designs(evaluation):
    """A copy of an evaluation table whose ``discriminator`` column holds :func:`design_label`
    (adversarial rows; tables without an ``objective`` column are returned unchanged), plus a
    ``design_group`` column from the traits :mod:`asym.optimize.evaluate` wrote: ``patch_conv`` for
    patch-level convolutional designs, ``image_or_transformer`` for the rest, ``None`` where
    the traits are absent (older tables; :func:`asym.analysis.claims.discriminator_group` then
    decides by name)."""
    out = evaluation.copy()
    if "objective" in out.columns:
        out["discriminator"] = [design_label(d, o) for d, o in zip(out["discriminator"], out["objective"])]
    if {"disc_level", "disc_family"} <= set(out.columns):
        out["design_group"] = [
            None if not isinstance(level, str) or level == "none"
            else ("patch_conv" if (level, family) == ("patch", "conv") else "image_or_transformer")
            for level, family in zip(out["disc_level"], out["disc_family"])
        ]
    else:
        out["design_group"] = None
    return out
