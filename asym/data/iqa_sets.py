"""IQA data sets: the public entry point to the readers, reader options, and content splits.

Every reader returns a pandas DataFrame with the columns
``reference, distorted, distortion, level, mos``: absolute paths (str) of the
reference and distorted image, the distortion name, its level, and the quality score
(no-reference sets have no reference: ``None`` there). The readers of the published sets
add ``mos_raw``, the score exactly as the set publishes it, and return ``level`` as a
nullable integer (``<NA>`` where the set has no discrete levels).

MOS convention (``MOS_HIGHER_BETTER``): every reader returns ``mos`` with HIGHER =
BETTER quality, so correlations with a metric always mean the same thing. Each reader
declares its published score (:data:`SCALES`: name, direction, range); lower-better
scores (LIVE's and CSIQ's DMOS) are converted by a sign flip, ``mos = -raw``, which keeps
every rank and linear relation and, unlike ``max - raw``, does not depend on which
images a copy holds. Every reader refuses, naming the file and the row: a missing
column, a score that is not a number or lies outside the set's range (a wrong file,
column or scale), an image listed twice, and an image file that is missing. Folder and
file names are matched case-insensitively.

One module per set in :mod:`asym.data.readers` documents its official source, layout
and scale: ``synthetic`` (the demo set), ``live``, ``csiq``, ``tid2013``, ``kadid10k``,
``pipal``, ``tqd`` (full-reference) and ``koniq10k``, ``spaq``, ``livechallenge``
(no-reference: :data:`NO_REFERENCE_KINDS`, authentic distortions, ``reference``
empty, ``distortion`` = ``"authentic"``, ``level`` ``<NA>``).

Reader options (:data:`READER_OPTIONS`) come from the set's entry in the workflow
config, ``data.iqa_sets.<name>``, beside ``kind`` and ``root``:

- ``live``: ``realigned: true | false`` (default false: ``dmos.mat``, as pyiqa, the
  reference loader followed where the study leaves it open; true reads ``dmos_realigned.mat``);
- ``koniq10k``: ``score_column: MOS_zscore | MOS`` (default ``MOS_zscore``, 0-100);
- ``tqd``: ``direction: higher_better | lower_better`` and ``score_range: [low, high]``
  (both REQUIRED: a TQD copy's files do not say them), ``score_column`` (optional).

:func:`split_by_content` (also named :func:`split_by_reference`) splits any of these
tables into train and test parts by content, so no content is seen in both: by
reference image for the full-reference sets, by image for the no-reference ones.

Example::

    from asym.data.iqa_sets import load_iqa_set, split_by_content
    table = load_iqa_set("tid2013", "/data/tid2013")
    tqd = load_iqa_set("tqd", "/data/tqd", {"direction": "higher_better", "score_range": [1, 5]})
    train, test = split_by_content(table, test_fraction=0.2, seed=0)
"""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd

from asym.data.readers import csiq, kadid10k, koniq10k, live, livechallenge, pipal, spaq, synthetic, tid2013, tqd
from asym.data.readers.common import AUTHENTIC, COLUMNS, DIRECTIONS, RAW_COLUMNS, Scale
from asym.data.readers.csiq import load_csiq
from asym.data.readers.kadid10k import load_kadid10k
from asym.data.readers.koniq10k import load_koniq10k
from asym.data.readers.live import load_live
from asym.data.readers.livechallenge import load_livechallenge
from asym.data.readers.pipal import load_pipal
from asym.data.readers.spaq import load_spaq
from asym.data.readers.synthetic import load_synthetic
from asym.data.readers.tid2013 import load_tid2013
from asym.data.readers.tqd import load_tqd
from asym.io import InputError

MOS_HIGHER_BETTER = True
SYNTHETIC_LAYOUT = synthetic.LAYOUT

READERS = {
    "synthetic": load_synthetic,
    "live": load_live,
    "csiq": load_csiq,
    "tid2013": load_tid2013,
    "kadid10k": load_kadid10k,
    "pipal": load_pipal,
    "tqd": load_tqd,
    "koniq10k": load_koniq10k,
    "spaq": load_spaq,
    "livechallenge": load_livechallenge,
}
# The published score of each kind (name, direction, range); TQD's is declared in the config.
SCALES: dict[str, Scale | None] = {
    "synthetic": synthetic.SCALE, "live": live.SCALE, "csiq": csiq.SCALE, "tid2013": tid2013.SCALE,
    "kadid10k": kadid10k.SCALE, "pipal": pipal.SCALE, "tqd": None,
    "koniq10k": koniq10k.SCALES[koniq10k.SCORE_COLUMN_DEFAULT], "spaq": spaq.SCALE,
    "livechallenge": livechallenge.SCALE,
}
# Config keys a kind's reader takes (data.iqa_sets.<name>.<key>), and those it cannot do without.
READER_OPTIONS = {"live": {"realigned"}, "koniq10k": {"score_column"},
                  "tqd": {"direction", "score_range", "score_column"}}
REQUIRED_OPTIONS = {"tqd": {"direction", "score_range"}}
ENTRY_KEYS = {"kind", "root"}  # the keys of a config entry that are not reader options

# Sets whose labels order severity only within a distortion type (the synthetic set's levels:
# level 3 of JPEG and level 3 of blur are not "equally good"). Their correlations, and the
# objectives that fit metrics or models to them, stay within a type (labels_within_type).
WITHIN_TYPE_KINDS = frozenset({"synthetic"})

# Sets of authentically distorted photographs: one score per image, no reference.
NO_REFERENCE_KINDS = frozenset({"koniq10k", "spaq", "livechallenge"})

# The names this module had before the readers moved into asym.data.readers (kept public;
# a *_RANGE is the range a reader accepts, its Scale's ``accepted``).
LIVE_LAYOUT, LIVE_FOLDERS, LIVE_ENTRIES, LIVE_DMOS_RANGE = live.LAYOUT, live.FOLDERS, live.ENTRIES, live.SCALE.accepted
CSIQ_LAYOUT, CSIQ_XLSX, CSIQ_CSV, CSIQ_SHEET = csiq.LAYOUT, csiq.XLSX, csiq.CSV, csiq.SHEET
CSIQ_HEADER, CSIQ_TYPES, CSIQ_TOKENS, CSIQ_DMOS_RANGE = csiq.HEADER, csiq.TYPES, csiq.TOKENS, csiq.SCALE.accepted
TID2013_LAYOUT, TID2013_DISTORTIONS, TID2013_NAME = tid2013.LAYOUT, tid2013.DISTORTIONS, tid2013.NAME
TID2013_MOS_RANGE = tid2013.SCALE.accepted
KADID10K_LAYOUT, KADID10K_DISTORTIONS, KADID10K_NAME = kadid10k.LAYOUT, kadid10k.DISTORTIONS, kadid10k.NAME
KADID10K_RANGE = kadid10k.SCALE.accepted
PIPAL_LAYOUT, PIPAL_NAME, PIPAL_ELO_RANGE = pipal.LAYOUT, pipal.NAME, pipal.SCALE.accepted
TQD_LAYOUT, TQD_ALIASES = tqd.LAYOUT, tqd.ALIASES
KONIQ10K_LAYOUT, KONIQ10K_SCORES, KONIQ10K_FOLDERS = koniq10k.LAYOUT, koniq10k.SCORES, koniq10k.FOLDERS
KONIQ10K_MOS_RANGE = koniq10k.SCALES["MOS"].accepted  # the 1-5 column; MOS_zscore (read by default) is 0-100
SPAQ_LAYOUT, SPAQ_XLSX, SPAQ_CSV, SPAQ_MOS_RANGE = spaq.LAYOUT, spaq.XLSX, spaq.CSV, spaq.SCALE.accepted
LIVEC_LAYOUT, LIVEC_FOLDER, LIVEC_MOS_RANGE = livechallenge.LAYOUT, livechallenge.FOLDER, livechallenge.SCALE.accepted
LIVEC_TRAINING_ENTRIES = livechallenge.TRAINING_ENTRIES

__all__ = ["AUTHENTIC", "COLUMNS", "DIRECTIONS", "MOS_HIGHER_BETTER", "NO_REFERENCE_KINDS", "RAW_COLUMNS",
           "READERS", "READER_OPTIONS", "SCALES", "WITHIN_TYPE_KINDS", "check_reader_options", "content_ids",
           "is_no_reference", "labels_within_type", "load_csiq", "load_iqa_set", "load_kadid10k", "load_koniq10k",
           "load_live", "load_livechallenge", "load_pipal", "load_spaq", "load_synthetic", "load_tid2013", "load_tqd",
           "reader_options", "reader_options_json", "split_by_content", "split_by_reference"]


def labels_within_type(kind: str) -> bool:
    """True for the kinds whose labels compare images only within a distortion type
    (:data:`WITHIN_TYPE_KINDS`); every set of human scores is comparable across types."""
    return kind in WITHIN_TYPE_KINDS


def is_no_reference(kind: str) -> bool:
    """True for the kinds of sets without reference images (:data:`NO_REFERENCE_KINDS`)."""
    return kind in NO_REFERENCE_KINDS


def reader_options(entry: dict) -> dict:
    """The reader options of a config entry ``data.iqa_sets.<name>`` (every key but kind and root)."""
    return {k: v for k, v in entry.items() if k not in ENTRY_KEYS}


def reader_options_json(entry: dict) -> str:
    """:func:`reader_options` as the JSON the jobs take (``--reader-options``), keys sorted."""
    return json.dumps(reader_options(entry), sort_keys=True)


def check_reader_options(kind: str, options: dict, where: str = "reader options") -> list[str]:
    """Problems with ``options`` for a set of ``kind`` (unknown key, required key missing); [] when fine."""
    allowed = READER_OPTIONS.get(kind, set())
    problems = [f"{where}: {key!r} is not an option of {kind!r} sets"
                + (f" (options: {', '.join(sorted(allowed))})" if allowed else " (it takes none)")
                for key in sorted(set(options) - allowed)]
    forms = {"direction": f" ({' | '.join(DIRECTIONS)})", "score_range": " ([low, high])"}
    problems += [f"{where}: {kind!r} needs {key!r}{forms.get(key, '')}"
                 for key in sorted(REQUIRED_OPTIONS.get(kind, set()) - set(options))]
    return problems


def load_iqa_set(kind: str, root: str | os.PathLike, options: dict | None = None) -> pd.DataFrame:
    """Read the IQA set of type ``kind`` stored in ``root`` (see :data:`READERS`), with its reader ``options``."""
    if kind not in READERS:
        raise ValueError(f"unknown IQA set kind {kind!r}; known kinds: {sorted(READERS)}")
    options = dict(options or {})
    unknown = [p for p in check_reader_options(kind, options) if "is not an option" in p]
    if unknown:
        raise InputError("; ".join(unknown) + " (data.iqa_sets.<name> in the workflow config)")
    return READERS[kind](root, **options)


def content_ids(table: pd.DataFrame) -> pd.Series:
    """The content each row shows: its reference image, or the image itself where there is none.

    Distorted versions of one reference show the same content; a photograph of a
    no-reference set (``reference`` empty) is its own content. The result is a str
    Series aligned with ``table`` (what :func:`split_by_content` and the transfer
    stage's bootstrap group by).
    """
    for column in ("reference", "distorted"):
        if column not in table.columns:
            raise ValueError(f"table has no {column!r} column (has {list(table.columns)})")
    reference = table["reference"]
    return reference.where(reference.notna(), table["distorted"]).astype(str)


def split_by_content(table: pd.DataFrame, test_fraction: float,
                     seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split a reader table into (train, test) by CONTENT (:func:`content_ids`).

    Full-reference sets: all distorted versions of one reference land in the same
    part, so a model is never tested on content it was trained on (splitting by
    distorted image would leak it). No-reference sets (``reference`` empty): every
    photograph is its own content, so the split is by image; mixed tables work too.
    The content ids are sorted, shuffled with ``numpy.random.default_rng(seed)``, and
    ``round(test_fraction * n_contents)`` of them, at least one and at most all but
    one, go to the test part: the split depends only on the set of contents and the
    seed, not on the row order. Both parts keep the table's row order and columns and
    get a fresh 0..n-1 index. Needs at least two contents and 0 < test_fraction < 1.
    """
    if not 0.0 < float(test_fraction) < 1.0:
        raise ValueError(f"test_fraction must lie strictly between 0 and 1, got {test_fraction!r}")
    if "reference" not in table.columns:
        raise ValueError(f"table has no 'reference' column (has {list(table.columns)})")
    ids = content_ids(table) if "distorted" in table.columns else table["reference"].astype(str)
    contents = sorted(ids.unique())
    if len(contents) < 2:
        raise ValueError(f"need at least two reference images (contents) to split, got {len(contents)}")
    n_test = min(max(round(test_fraction * len(contents)), 1), len(contents) - 1)
    order = np.random.default_rng(seed).permutation(len(contents))
    test_ids = {contents[i] for i in order[:n_test]}
    in_test = ids.isin(test_ids).to_numpy()
    return (table[~in_test].reset_index(drop=True), table[in_test].reset_index(drop=True))


# The historical name: for full-reference sets the content is the reference image.
split_by_reference = split_by_content
