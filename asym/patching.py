"""Temporary replacement of an attribute or of environment variables, undone on exit.

    from asym.patching import environ, replaced
    with replaced(torch, "load", guarded_load), environ({"HF_HUB_OFFLINE": "1"}):
        ...    # torch.load is guarded_load and HF_HUB_OFFLINE is 1 inside; both restored after

What the package uses to run third-party code (pyiqa, torchvision, timm) with one of its
functions swapped out: an offline dry run that lists the weight files a constructor
would download, a network block, FLOP counting without weight initialisation. A small
context manager of its own rather than a test library's patcher in production code.
Not thread-safe: a replacement is visible to every thread while it lasts.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

_ABSENT = object()


@contextmanager
def replaced(owner: object, name: str, value: object, create: bool = False) -> Iterator[object]:
    """``owner.name`` is ``value`` inside the block; afterwards it is what it was before.

    An attribute ``owner`` only inherits (a class attribute of a base, say) is restored by
    removing the override. ``create=True`` allows a name ``owner`` does not have at all
    (removed again on exit); without it, a missing name raises ``AttributeError`` at once.
    """
    own = vars(owner).get(name, _ABSENT) if hasattr(owner, "__dict__") else _ABSENT
    if own is _ABSENT and not hasattr(owner, name) and not create:
        raise AttributeError(f"{owner!r} has no attribute {name!r} to replace (pass create=True to add it)")
    setattr(owner, name, value)
    try:
        yield value
    finally:
        if own is _ABSENT:
            delattr(owner, name)
        else:
            setattr(owner, name, own)


@contextmanager
def environ(updates: Mapping[str, str]) -> Iterator[None]:
    """Set the environment variables ``updates`` inside the block; restore (or remove) them on exit."""
    before = {key: os.environ.get(key) for key in updates}
    os.environ.update(updates)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
