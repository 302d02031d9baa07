"""Registry of super-resolution generators and a builder from a config dict.

The only generator is SwinIR (Liang et al., "SwinIR: Image Restoration Using
Swin Transformer", ICCV-W 2021), see :mod:`asym.nets.swinir`.

Usage::

    from asym.nets.generators import build_generator
    net = build_generator({"name": "swinir", "upscale": 4, "embed_dim": 24,
                           "depths": [2, 2], "num_heads": [2, 2], "window_size": 4,
                           "mlp_ratio": 2.0})

``name`` picks the class in :data:`GENERATORS`; every other key is passed to its
constructor as a keyword argument. Unknown names and unknown keywords raise
``ValueError`` (rather than ``TypeError`` deep inside a constructor) so a typo
in a config file is reported with the valid choices.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping

from torch import nn

from asym.nets.swinir import SwinIR

GENERATORS: dict[str, type[nn.Module]] = {"swinir": SwinIR}

__all__ = ["GENERATORS", "build_from_spec", "build_generator"]


def _accepted_kwargs(cls: type) -> set[str]:
    """Keyword arguments ``cls.__init__`` accepts (excluding ``self``)."""
    params = inspect.signature(cls.__init__).parameters
    return {
        n
        for n, p in params.items()
        if n != "self" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }


def build_from_spec(
    registry: Mapping[str, type[nn.Module]], spec: Mapping, kind: str
) -> nn.Module:
    """Instantiate ``registry[spec["name"]]`` with the remaining keys of ``spec``.

    ``kind`` ("generator", "discriminator") only words the error messages.
    ``spec`` is not modified.
    """
    if not isinstance(spec, Mapping) or "name" not in spec:
        raise ValueError(f"{kind} spec must be a dict with a 'name' key, got {spec!r}")
    kwargs = dict(spec)
    name = kwargs.pop("name")
    if name not in registry:
        raise ValueError(f"unknown {kind} {name!r}; known: {sorted(registry)}")
    cls = registry[name]
    unknown = sorted(set(kwargs) - _accepted_kwargs(cls))
    if unknown:
        raise ValueError(
            f"unknown keyword(s) {unknown} for {kind} {name!r}; "
            f"accepted: {sorted(_accepted_kwargs(cls))}"
        )
    return cls(**kwargs)


def build_generator(spec: Mapping) -> nn.Module:
    """Build a generator from ``{"name": ..., **constructor_kwargs}``."""
    return build_from_spec(GENERATORS, spec, "generator")
