"""The one switch of the speed layer: the config key ``kernels`` (``reference`` | ``fast``).

    from asym.accel.switch import check_kernels
    check_kernels(cfg["kernels"])       # ConfigError naming the key for anything else

``reference`` runs the models of :mod:`asym.nets` and the metrics of
:mod:`asym.assess.fidelity` exactly as written there (their papers' and official code's
graphs). ``fast`` switches the layers that have a hand-written equivalent in
:mod:`asym.accel` to it, by changing their class in place (:func:`swap_classes`): the
same parameters, buffers and state-dict keys, another ``forward``. Nothing else
(device, dtype, autocast) chooses between the two; the config rejects ``fast`` together
with bf16 autocast, which the hand-written backward passes do not replay.
"""

from __future__ import annotations

from torch import nn

from asym.errors import ConfigError

KERNELS = ("reference", "fast")


def check_kernels(kernels: str) -> str:
    """``kernels`` if it is a known setting, else a :class:`ConfigError` naming the key and the choices."""
    if kernels not in KERNELS:
        raise ConfigError(f"kernels: {kernels!r} is not a kernel setting; use one of {list(KERNELS)} "
                          "(the config's top-level key 'kernels')")
    return kernels


def swap_classes(model: nn.Module, classes: dict[type, type]) -> nn.Module:
    """Give every submodule of ``model`` whose class is a key of ``classes`` the mapped class
    (a subclass adding no state) in place; returns ``model``."""
    for module in model.modules():
        fast = classes.get(type(module))
        if fast is not None:
            module.__class__ = fast
    return model
