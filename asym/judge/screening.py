"""Observer screening: is an observer attending, and are their choices consistent?

Per observer, from their answers joined with the trials (``kind``, ``expected``):

* ``catch_accuracy``: share of degraded catch trials (HR reference vs a heavily degraded
  copy) where they chose the reference; an attentive observer is near 1, a random one
  near 0.5. Observers below ``min_catch`` (default 0.75) are excluded from the fit.
* ``identical_left``: share of "left" answers on identical-pair trials (no right answer):
  far from 0.5 means a side bias; reported, not used to exclude.
* ``circular_rate``: transitivity. For each test image, every triple of conditions whose
  three pairs the observer judged forms a complete triad; it is circular when the
  choices go round (a > b > c > a). A consistent observer has few; a random one about a
  quarter (Kendall & Babington Smith's coefficient of consistency uses the same count).
  Observers above ``max_circular`` (default: no limit) are excluded.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

SCREEN_COLUMNS = ["observer_id", "n_answers", "n_catch_degraded", "catch_accuracy", "n_identical",
                  "identical_left", "n_triads", "circular_triads", "circular_rate", "median_rt_ms", "kept",
                  "reason"]


def circular_triads(pairs: dict[tuple[str, str], str]) -> tuple[int, int]:
    """``(complete triads, circular triads)`` of one observer on one image.

    ``pairs`` maps an unordered pair (sorted tuple) to the condition chosen in it (a pair
    judged more than once counts by its last answer).
    """
    items = sorted({c for pair in pairs for c in pair})
    complete = circular = 0
    for a, b, c in combinations(items, 3):
        ab, bc, ac = pairs.get((a, b)), pairs.get((b, c)), pairs.get((a, c))
        if ab is None or bc is None or ac is None:
            continue
        complete += 1
        wins = {a: 0, b: 0, c: 0}
        for winner in (ab, bc, ac):
            wins[winner] += 1
        circular += all(w == 1 for w in wins.values())
    return complete, circular


def screen(judgements: pd.DataFrame, min_catch: float = 0.75, max_circular: float | None = None) -> pd.DataFrame:
    """One row per observer, columns :data:`SCREEN_COLUMNS` (``kept``: used in the fit)."""
    rows = []
    for observer, df in judgements.groupby("observer_id", sort=True):
        degraded = df[df["kind"] == "catch_degraded"]
        identical = df[df["kind"] == "catch_identical"]
        compare = df[df["kind"] == "compare"]
        n_triads = n_circular = 0
        for _, img in compare.groupby("image"):
            pairs = {tuple(sorted((r.left_condition, r.right_condition))): r.chosen_condition
                     for r in img.itertuples()}
            complete, circular = circular_triads(pairs)
            n_triads += complete
            n_circular += circular
        accuracy = float((degraded["chosen_condition"] == degraded["expected"]).mean()) if len(degraded) else np.nan
        rate = n_circular / n_triads if n_triads else np.nan
        reasons = []
        if len(degraded) and accuracy < min_catch:
            reasons.append(f"catch accuracy {accuracy:.2f} < {min_catch}")
        if max_circular is not None and n_triads and rate > max_circular:
            reasons.append(f"circular triads {rate:.2f} > {max_circular}")
        rows.append({"observer_id": observer, "n_answers": len(df), "n_catch_degraded": len(degraded),
                     "catch_accuracy": accuracy, "n_identical": len(identical),
                     "identical_left": float((identical["choice"] == "left").mean()) if len(identical) else np.nan,
                     "n_triads": n_triads, "circular_triads": n_circular, "circular_rate": rate,
                     "median_rt_ms": float(df["rt_ms"].median()), "kept": not reasons,
                     "reason": "; ".join(reasons)})
    return pd.DataFrame(rows, columns=SCREEN_COLUMNS)
