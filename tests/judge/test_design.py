"""Pair selection and trial design of the paired-comparison study (asym.judge.design)."""

import random
from collections import Counter
from itertools import combinations

import pytest

from asym.judge import design


def connected(pairs, items):
    seen, todo = set(), [items[0]]
    while todo:
        a = todo.pop()
        if a in seen:
            continue
        seen.add(a)
        todo += [b for p in pairs for b in p if a in p and b != a]
    return seen == set(items)


def test_all_pairs_when_few_conditions():
    items = list("abcde")
    pairs = design.choose_pairs(items, max_all=5, per_condition=2, rng=random.Random(0))
    assert sorted(tuple(sorted(p)) for p in pairs) == sorted(combinations(items, 2))


@pytest.mark.parametrize("k,per", [(9, 2), (12, 6), (20, 6), (7, 4)])
def test_cyclic_design_is_balanced_and_connected(k, per):
    items = [f"c{i}" for i in range(k)]
    pairs = design.choose_pairs(items, max_all=4, per_condition=per, rng=random.Random(1))
    d = min(-(-per // 2), (k - 1) // 2)
    assert len(pairs) == k * d < k * (k - 1) // 2
    assert len({tuple(sorted(p)) for p in pairs}) == len(pairs)  # no pair twice
    degree = Counter(c for p in pairs for c in p)
    assert set(degree.values()) == {2 * d}
    assert connected(pairs, items)


def test_cycle_is_redrawn_per_image():
    items = [f"c{i}" for i in range(10)]
    trials = design.design_trials(["x", "y", "z"], items, max_all=4, per_condition=2, catch_degraded=0,
                                  catch_identical=0, seed=3)
    per_image = {img: {tuple(sorted((t["left"], t["right"]))) for t in trials if t["image"] == img}
                 for img in "xyz"}
    assert per_image["x"] != per_image["y"] or per_image["y"] != per_image["z"]


def test_catch_trials_and_sides():
    items = ["a", "b", "c", "ref"]
    trials = design.design_trials(["i1", "i2"], items, max_all=8, catch_degraded=2, catch_identical=1,
                                  reference="ref", seed=0)
    kinds = Counter(t["kind"] for t in trials)
    assert kinds == {"compare": 12, "catch_degraded": 4, "catch_identical": 2}
    for t in trials:
        if t["kind"] == "catch_degraded":
            assert {t["left"], t["right"]} == {"ref", design.DEGRADED} and t["expected"] == "ref"
        elif t["kind"] == "catch_identical":
            assert t["left"] == t["right"] and t["expected"] is None
    assert [t["id"] for t in trials] == [f"t{i:05d}" for i in range(len(trials))]
    lefts = Counter(t["left"] == min(t["left"], t["right"]) for t in trials if t["kind"] == "compare")
    assert lefts[True] > 0 and lefts[False] > 0  # sides drawn, not fixed by name


def test_degraded_catch_needs_the_reference():
    with pytest.raises(ValueError, match="reference"):
        design.design_trials(["i"], ["a", "b"], catch_degraded=1, reference=None)


def test_observer_order_is_a_stable_permutation():
    ids = [f"t{i:05d}" for i in range(30)]
    a, b = design.observer_order(ids, "O001"), design.observer_order(ids, "O001")
    assert a == b and sorted(a) == ids and a != ids
    assert design.observer_order(ids, "O002") != a
