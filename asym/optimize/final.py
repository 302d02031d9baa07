"""A training run's ``final.pt``: its format tag and the loaders that rebuild its networks.

    from asym.optimize.final import load_generator, load_discriminator
    net, spec = load_generator("results/optimize/runs/l1__nogan__s0/final.pt")

Kept apart from :mod:`asym.optimize.train_sr` (which writes the file) so that the jobs
that only read trained networks -- evaluation, the transfer stage -- do not import the
training code: rule inputs follow imports (:mod:`asym.codedeps`), so editing the
training loop does not rerun them.
"""

from __future__ import annotations

from pathlib import Path

import torch

from asym import checkpoint
from asym.nets.discriminators import build_discriminator
from asym.nets.generators import build_generator

FINAL_FORMAT = "asym-sr-final-v1"


def load_generator(path: str | Path, device: str = "cpu") -> tuple[torch.nn.Module, dict]:
    """Rebuild a trained generator from a run's ``final.pt``; returns (model in eval mode, spec)."""
    state = checkpoint.load(path, FINAL_FORMAT)
    net = build_generator(state["spec"]["generator"])
    net.load_state_dict(state["params"])
    return net.to(device).eval(), state["spec"]


def load_discriminator(path: str | Path, device: str = "cpu") -> tuple[torch.nn.Module, dict]:
    """Rebuild the trained discriminator of a GAN run from its ``final.pt``; returns (model, spec)."""
    state = checkpoint.load(path, FINAL_FORMAT)
    if state.get("discriminator") is None:
        raise checkpoint.CheckpointError(f"{path} is a run without a discriminator (no adversarial loss)")
    net = build_discriminator(state["spec"]["discriminator"])
    net.load_state_dict(state["discriminator"])
    return net.to(device).eval(), state["spec"]
