"""The five claims as the study states them, and their ids: text the report, the LaTeX
macros and the claim table share, kept apart from the claim tests so that the report's
modules do not depend on the analysis job (:mod:`asym.analysis.claims`)."""

from __future__ import annotations

CLAIM_IDS = ["C1", "C2", "C3", "C4", "C5"]

#: Each claim as the paper states it (abstract of arXiv 2509.20878).
CLAIM_SENTENCES = {  # numbering as in ../shared/PAPER.md ("Claims to test")
    "C1": "Fidelity metrics that rank higher in IQA do not necessarily give better results "
          "when used as the optimization loss.",
    "C2": "This misalignment is stronger when an adversarial loss is added.",
    "C3": "Discriminators suppress artifacts during optimization, but their learned weights, "
          "reused to initialize an IQA model's backbone, help little: ImageNet initialization "
          "is best, discriminator initialization only moderately better than random.",
    "C4": "Discriminator design matters: patch-level and convolutional discriminators give more "
          "faithful detail than image-level or Transformer-based ones, which are also less stable.",
    "C5": "Convolutional IQA backbones beat Transformer ones on synthetic distortions.",
}
