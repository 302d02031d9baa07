"""Building a network from a config entry: ``{"name": ..., **constructor arguments}``.

    from asym.nets.registry import build_from_spec
    build_from_spec({"swinir": SwinIR}, {"name": "swinir", "embed_dim": 60}, "generator")

Shared by :mod:`asym.nets.generators` and :mod:`asym.nets.discriminators`, so neither
imports the other (editing a generator does not touch what builds discriminators).
Each of those modules keeps its own plain dict of names (``GENERATORS``,
``DISCRIMINATORS``); nothing registers itself at import time.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping

from torch import nn


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
