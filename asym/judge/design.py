"""Which pairs a paired-comparison study shows: per test image, plus catch trials.

Per test image the conditions (trained runs, the bicubic baseline and the HR reference)
are compared in pairs:

* **All pairs** when there are at most ``max_all`` conditions: k(k-1)/2 pairs.
* Otherwise an **incomplete cyclic design**: the conditions are put in a random order
  (a new order per image) and condition i is paired with the next ``d`` conditions of
  that cycle, i+1 .. i+d (mod k), with ``d = ceil(per_condition / 2)``. Every condition
  then takes part in exactly 2d pairs, the comparison graph of each image is connected
  (so a Bradley-Terry fit per image is identified), and because the cycle is redrawn
  per image, the pooled graph over images covers many more of the k(k-1)/2 pairs than
  one image does. This is the round-robin ("cyclic") construction of incomplete
  paired-comparison designs (David, *The Method of Paired Comparisons*, ch. 6): k*d
  trials per image instead of k(k-1)/2.

Left and right are drawn at random per trial. Catch trials check attention:
``catch_degraded`` shows the HR reference against a heavily degraded copy of it (the
HR answer is the right one), ``catch_identical`` shows one stimulus on both sides (no
right answer; the share of "left" answers over these measures a side bias).
"""

from __future__ import annotations

import math
import random
from itertools import combinations

COMPARE, CATCH_DEGRADED, CATCH_IDENTICAL = "compare", "catch_degraded", "catch_identical"
# The stimulus name of the degraded copy in a degraded catch trial.
DEGRADED = "degraded"
TRIAL_KINDS = (COMPARE, CATCH_DEGRADED, CATCH_IDENTICAL)


def choose_pairs(conditions: list[str], max_all: int, per_condition: int,
                 rng: random.Random) -> list[tuple[str, str]]:
    """Unordered pairs of ``conditions`` to compare for one image (see the module docstring)."""
    if len(set(conditions)) != len(conditions):
        raise ValueError(f"conditions must be distinct, got {conditions}")
    k = len(conditions)
    if k < 2:
        raise ValueError(f"a paired comparison needs at least 2 conditions, got {k}: {conditions}")
    if k <= max_all:
        return list(combinations(conditions, 2))
    if per_condition < 2:
        raise ValueError(f"per_condition must be at least 2 (each condition in 2d pairs), got {per_condition}")
    d = min(math.ceil(per_condition / 2), (k - 1) // 2)
    order = list(conditions)
    rng.shuffle(order)
    pairs = []
    for i in range(k):
        for step in range(1, d + 1):
            pairs.append((order[i], order[(i + step) % k]))
    return pairs


def design_trials(images: list[str], conditions: list[str], *, max_all: int = 8, per_condition: int = 6,
                  catch_degraded: int = 1, catch_identical: int = 1, reference: str | None = None,
                  seed: int = 0) -> list[dict]:
    """All trials of a study, in a fixed random order: dicts with ``id, image, kind, left, right, expected``.

    ``left``/``right`` name conditions, or :data:`DEGRADED` for the degraded catch stimulus;
    ``expected`` is the condition a careful observer picks (the reference in a degraded catch
    trial), else None. ``catch_degraded`` trials need ``reference`` (one of ``conditions``).
    """
    if catch_degraded and reference not in conditions:
        raise ValueError(f"degraded catch trials need the reference condition among the conditions; "
                         f"reference={reference!r}, conditions={conditions}")
    rng = random.Random(seed)
    trials = []
    for image in images:
        for a, b in choose_pairs(conditions, max_all, per_condition, rng):
            left, right = (a, b) if rng.random() < 0.5 else (b, a)
            trials.append({"image": image, "kind": COMPARE, "left": left, "right": right, "expected": None})
        for _ in range(catch_degraded):
            left, right = (reference, DEGRADED) if rng.random() < 0.5 else (DEGRADED, reference)
            trials.append({"image": image, "kind": CATCH_DEGRADED, "left": left, "right": right,
                           "expected": reference})
        for _ in range(catch_identical):
            same = rng.choice(conditions)
            trials.append({"image": image, "kind": CATCH_IDENTICAL, "left": same, "right": same, "expected": None})
    rng.shuffle(trials)
    for index, trial in enumerate(trials):
        trial["id"] = f"t{index:05d}"
    return trials


def observer_order(trial_ids: list[str], observer_id: str) -> list[str]:
    """The order one observer sees the trials in: a shuffle seeded by the observer id (stable on resume)."""
    order = list(trial_ids)
    random.Random(f"order:{observer_id}").shuffle(order)
    return order
