"""What every IQA-set reader shares: case-insensitive lookup, score scales, row checks.

Each reader in :mod:`asym.data.readers` turns one published layout into the same table
(:data:`RAW_COLUMNS`, one row per rated image); the checks here make every reader
refuse the same kinds of bad input with one message that names the file, the row and
the fix: a missing column, a score that is not a number (NaN, empty cell) or lies
outside the set's published range (a wrong file, column or scale), an image listed
twice, and an image file that is not there.

Names are matched case-insensitively, files and folders alike (an exact match wins):
the official archives mix cases (TID2013 ``I01.BMP`` beside ``i25.bmp``) and repacked
copies change them (CSIQ ``dst_imgs/AWGN/`` for ``dst_imgs/awgn/``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from asym.io import InputError

COLUMNS = ["reference", "distorted", "distortion", "level", "mos"]
# Published sets also carry the score exactly as published (DMOS, Elo, ...).
RAW_COLUMNS = COLUMNS + ["mos_raw"]
HIGHER_BETTER, LOWER_BETTER = "higher_better", "lower_better"
DIRECTIONS = (HIGHER_BETTER, LOWER_BETTER)


@dataclass(frozen=True)
class Scale:
    """A set's published score: its name, direction, published range and accepted range.

    ``accepted`` is the published range plus a margin where published values spill over
    it (LIVE's realigned DMOS, CSIQ); a value outside it means a wrong file, column or
    scale, not an outlier. Readers return ``mos`` higher = better: ``-raw`` for a
    lower-better score (a sign flip keeps every rank and linear relation, and unlike
    ``max - raw`` does not depend on which images a copy holds).
    """

    name: str
    direction: str
    published: tuple[float, float]
    accepted: tuple[float, float] | None = None

    def __post_init__(self):
        if self.direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {DIRECTIONS}, got {self.direction!r}")
        if self.accepted is None:
            object.__setattr__(self, "accepted", tuple(self.published))

    @property
    def higher_better(self) -> bool:
        return self.direction == HIGHER_BETTER

    def to_mos(self, raw: float) -> float:
        return raw if self.higher_better else -raw

    def describe(self) -> str:
        low, high = self.published
        better = "higher" if self.higher_better else "lower"
        return f"{self.name} from {low:g} to {high:g}, {better} = better quality"


# ---------------------------------------------------------------- names, case-insensitively

def child(parent: Path, name: str, want_dir: bool | None = None) -> Path:
    """``parent/name`` with ``name`` matched case-insensitively (the exact spelling wins).

    Returns the exact path when nothing matches, so an error can name what was expected.
    ``want_dir`` True/False restricts the match to folders/files.
    """
    exact = parent / name

    def fits(path: Path) -> bool:
        return path.exists() and (want_dir is None or path.is_dir() == want_dir)

    if fits(exact) or not parent.is_dir():
        return exact
    matches = [p for p in sorted(parent.iterdir()) if p.name.lower() == name.lower() and fits(p)]
    return matches[0] if matches else exact


def resolve(root: Path, relative: str | Path, want_dir: bool | None = None) -> Path:
    """``root/relative``, each component matched case-insensitively (see :func:`child`)."""
    path = root
    parts = Path(relative).parts
    for i, part in enumerate(parts):
        path = child(path, part, want_dir if i == len(parts) - 1 else True)
    return path


class Folder:
    """A folder (found case-insensitively) whose files are looked up by name, case-insensitively."""

    def __init__(self, parent: Path, name: str, layout: str):
        self.path = child(parent, name, want_dir=True)
        self.layout = layout
        self._index: dict[str, Path] | None = None

    def require(self) -> Folder:
        if not self.path.is_dir():
            raise InputError(f"folder not found: {self.path}\n{self.layout}")
        return self

    def find(self, name: str, listed_in: Path, where: str = "") -> str:
        exact = self.path / name
        if exact.is_file():
            return str(exact)
        if self._index is None:
            self.require()
            self._index = {}
            for p in sorted(self.path.iterdir()):
                if p.is_file():
                    self._index.setdefault(p.name.lower(), p)
        match = self._index.get(name.lower())
        if match is None:
            at = f" ({where})" if where else ""
            raise InputError(f"image listed in {listed_in}{at} not found: {exact}; the file is missing "
                             f"or the copy is incomplete\n{self.layout}")
        return str(match)


class Folders:
    """Several folders searched in turn (PIPAL's Distortion_1 ... Distortion_4)."""

    def __init__(self, folders: list[Folder], layout: str):
        self.folders, self.layout = folders, layout

    def find(self, name: str, listed_in: Path, where: str = "") -> str:
        for folder in self.folders:
            try:
                return folder.find(name, listed_in, where)
            except InputError:
                continue
        searched = ", ".join(str(folder.path) for folder in self.folders)
        at = f" ({where})" if where else ""
        raise InputError(f"image listed in {listed_in}{at} not found: {name} (searched {searched})\n"
                         f"{self.layout}")


def require_file(parent: Path, name: str | Path, layout: str) -> Path:
    """The file ``parent/name`` (matched case-insensitively); a clear error when it is not there."""
    path = resolve(parent, name, want_dir=False)
    if not path.is_file():
        raise InputError(f"file not found: {path}\n{layout}")
    return path


# ---------------------------------------------------------------- label files

def read_csv(path: Path, layout: str, **options) -> pd.DataFrame:
    """pandas.read_csv whose parse failures name the file and the expected layout."""
    try:
        return pd.read_csv(path, **options)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot parse {path} as CSV: {exc}\n{layout}") from exc


def pick_columns(table: pd.DataFrame, wanted: dict[str, str], source: Path, layout: str) -> pd.DataFrame:
    """Columns ``wanted`` (published name -> ours), matched ignoring case and surrounding spaces."""
    found = {str(c).strip().lower(): c for c in table.columns}
    missing = [name for name in wanted if name.lower() not in found]
    if missing:
        raise InputError(f"{source} lacks column(s) {missing} (has {[str(c) for c in table.columns]}); "
                         f"is this the right file?\n{layout}")
    return pd.DataFrame({ours: table[found[name.lower()]] for name, ours in wanted.items()})


def label_lines(path: Path) -> list[tuple[int, str]]:
    """(line number, stripped text) of the non-blank lines of a text label file."""
    text = path.read_text(encoding="utf-8", errors="replace")
    return [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1) if line.strip()]


def malformed(path: Path, number: int, line: str, expected: str, layout: str) -> InputError:
    return InputError(f"{path}, line {number}: cannot parse {line!r}; expected {expected}\n{layout}")


def cell_text(value) -> str:
    """Spreadsheet cell -> text; numeric image names (1600, 1600.0) -> '1600'; empty -> ''."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return "" if text.lower() == "nan" else re.sub(r"^(\d+)\.0+$", r"\1", text)


def number(value) -> float:
    """A score cell as float; NaN for an empty or non-numeric cell (refused by :func:`finish`)."""
    try:
        return float(cell_text(value) if not isinstance(value, (int, float, np.number)) else value)
    except ValueError:
        return float("nan")


# ---------------------------------------------------------------- the table and its checks

def finish(rows: list[dict], scale: Scale, source: Path, layout: str) -> pd.DataFrame:
    """Rows (RAW_COLUMNS but ``mos``, plus ``where``: the row's place in ``source``) -> the table.

    Refuses, naming ``source`` and the row: a score that is not a number, one outside
    ``scale.accepted``, and an image listed twice. ``mos`` is derived from ``mos_raw``
    by the scale's direction.
    """
    if not rows:
        raise InputError(f"{source} lists no rated images\n{layout}")
    for row in rows:
        raw = row["mos_raw"]
        if not np.isfinite(raw):
            raise InputError(f"{source}, {row['where']}: the {scale.name} score is missing or not a number; "
                             f"fix or remove that row (a partial copy or a damaged file?)\n{layout}")
        low, high = scale.accepted
        if not low <= raw <= high:
            raise InputError(
                f"{source}, {row['where']}: {scale.name} {raw!r} lies outside the accepted range "
                f"[{low:g}, {high:g}] of this set's scale ({scale.describe()}); is this the right file, "
                f"column and scale?\n{layout}")
    seen: dict[str, str] = {}
    for row in rows:
        key = str(row["distorted"]).lower()
        if key in seen:
            raise InputError(f"{source}: {Path(row['distorted']).name} is listed twice ({seen[key]} and "
                             f"{row['where']}); remove the duplicate row\n{layout}")
        seen[key] = row["where"]
    table = pd.DataFrame([{**{k: row[k] for k in RAW_COLUMNS if k != "mos"},
                           "mos": scale.to_mos(float(row["mos_raw"]))} for row in rows])[RAW_COLUMNS]
    table["level"] = table["level"].astype("Int64")
    table["mos"] = table["mos"].astype(float)
    table["mos_raw"] = table["mos_raw"].astype(float)
    return table


def load_mat(path: Path, layout: str) -> dict:
    """A MATLAB file as scipy reads it; a clear error when it cannot be read."""
    import scipy.io  # imported here: only the LIVE sets need it

    try:
        return scipy.io.loadmat(path)
    except (ValueError, OSError, NotImplementedError) as exc:
        raise InputError(f"cannot read MATLAB file {path}: {exc}\n{layout}") from exc


def mat_variable(mat: dict, key: str, path: Path, layout: str) -> np.ndarray:
    if key not in mat:
        found = sorted(k for k in mat if not k.startswith("__"))
        raise InputError(f"{path} has no variable {key!r} (has {found})\n{layout}")
    return np.asarray(mat[key]).ravel()


def mat_strings(vector: np.ndarray) -> list[str]:
    """A MATLAB cell array of strings, as scipy loads it, -> list of str."""
    names = []
    for item in vector:
        while isinstance(item, np.ndarray):  # cells load as nested 1-element arrays
            item = item.ravel()[0] if item.size else ""
        names.append(str(item).strip())
    return names


def has_openpyxl() -> bool:
    """Whether pandas can read .xlsx here (openpyxl is optional; CSV exports work without it)."""
    import importlib.util

    return importlib.util.find_spec("openpyxl") is not None


# ---------------------------------------------------------------- no-reference sets

AUTHENTIC = "authentic"  # the ``distortion`` of every image of a no-reference set


def authentic_row(path: str, raw: float, where: str) -> dict:
    """One photograph of a no-reference set: no reference, no level (see :func:`finish`)."""
    return {"reference": None, "distorted": path, "distortion": AUTHENTIC, "level": pd.NA,
            "mos_raw": raw, "where": where}
