"""CSIQ, Categorical Subjective Image Quality (Larson & Chandler, J. Electron. Imaging 2010).

https://s2.smu.edu/~eclarson/csiq.html (formerly http://vision.okstate.edu/csiq), which
serves the three files directly: ``csiq.DMOS.xlsx`` (ratings), ``src_imgs.zip`` (30
references) and ``dst_imgs.zip`` (866 distorted images in one folder per type).

``dst_type`` in the sheet -> folder and file-name token: noise -> awgn (``AWGN``),
jpeg -> jpeg (``JPEG``), jpeg 2000 -> jpeg2000, fnoise -> fnoise, blur -> blur
(``BLUR``), contrast -> contrast. Folder and file names are matched case-insensitively
(repacked copies use ``dst_imgs/AWGN/``). Reading the .xlsx needs ``openpyxl``; without
it, export the sheet ``all_by_image`` as ``csiq.DMOS.csv`` (same columns; leading empty
rows/columns are fine). Scores: DMOS in [0, 1], LOWER = better -> ``mos = -dmos``;
``level`` = ``dst_lev``.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import pandas as pd

from asym.data.readers.common import (
    LOWER_BETTER,
    Folder,
    Scale,
    cell_text,
    child,
    finish,
    has_openpyxl,
    number,
    read_csv,
)
from asym.io import InputError

LAYOUT = """expected layout of CSIQ (https://s2.smu.edu/~eclarson/csiq.html):
  <root>/
    csiq.DMOS.xlsx              official ratings, sheet "all_by_image" with columns
                                image, dst_idx, dst_type, dst_lev, dmos_std, dmos
    (or csiq.DMOS.csv           that sheet exported as CSV, when openpyxl is not installed)
    src_imgs/<image>.png        30 references, e.g. src_imgs/1600.png
    dst_imgs/<type>/<image>.<TYPE>.<level>.png
                                e.g. dst_imgs/awgn/1600.AWGN.1.png; types awgn, jpeg,
                                jpeg2000, fnoise, blur, contrast
  (folder and file names are matched case-insensitively)"""

XLSX = "csiq.DMOS.xlsx"
CSV = "csiq.DMOS.csv"
SHEET = "all_by_image"
HEADER = ("image", "dst_type", "dst_lev", "dmos")
# dst_type in the spreadsheet -> folder under dst_imgs/ (also the file-name token).
TYPES = {"noise": "awgn", "awgn": "awgn", "jpeg": "jpeg", "jpeg 2000": "jpeg2000",
         "jpeg2000": "jpeg2000", "fnoise": "fnoise", "blur": "blur", "contrast": "contrast"}
# Folder -> the token the official file names use (matched case-insensitively anyway).
TOKENS = {"awgn": "AWGN", "jpeg": "JPEG", "jpeg2000": "jpeg2000", "fnoise": "fnoise",
          "blur": "BLUR", "contrast": "contrast"}
SCALE = Scale("DMOS", LOWER_BETTER, published=(0.0, 1.0), accepted=(-0.25, 1.25))


def _sheet(root: Path) -> tuple[pd.DataFrame, Path]:
    """The raw cells of the "all_by_image" sheet (no header applied) and the file read."""
    xlsx, csv = child(root, XLSX, want_dir=False), child(root, CSV, want_dir=False)
    if xlsx.is_file() and has_openpyxl():
        try:
            return pd.read_excel(xlsx, sheet_name=SHEET, header=None, dtype=object), xlsx
        except ValueError as exc:  # e.g. no sheet of that name
            raise InputError(f"cannot read sheet {SHEET!r} of {xlsx}: {exc}\n{LAYOUT}") from exc
    if csv.is_file():
        return read_csv(csv, LAYOUT, header=None, dtype=str, skip_blank_lines=True), csv
    if xlsx.is_file():
        raise InputError(f"{xlsx} needs the Python package openpyxl to be read (pip install openpyxl); "
                         f"or export its sheet {SHEET!r} as {csv}\n{LAYOUT}")
    raise InputError(f"ratings file not found: {xlsx} (nor its CSV export {csv})\n{LAYOUT}")


def _records(cells: pd.DataFrame, source: Path) -> list[tuple[int, pd.Series]]:
    """(spreadsheet row number, record) under the header row (the sheet may start with empty rows/columns)."""
    for i in range(min(len(cells), 20)):
        header = [str(c).strip().lower() for c in cells.iloc[i]]
        if all(h in header for h in HEADER):
            records = cells.iloc[i + 1:].copy()
            records.columns = header
            records = records[list(HEADER)]
            # Blank padding rows at the end of the sheet carry no image name.
            return [(i + 2 + k, record) for k, (_, record) in enumerate(records.iterrows())
                    if cell_text(record["image"]) != ""]
    raise InputError(f"{source}: no header row with columns {list(HEADER)} in the first 20 rows; "
                     f"is this the right file?\n{LAYOUT}")


def load_csiq(root: str | os.PathLike) -> pd.DataFrame:
    """Read CSIQ in ``root``: 866 distorted images, ``mos = -dmos``."""
    root = Path(root).resolve()
    cells, source = _sheet(root)
    records = _records(cells, source)
    refs = Folder(root, "src_imgs", LAYOUT).require()
    dists = Folder(root, "dst_imgs", LAYOUT).require()
    folders: dict[str, Folder] = {}
    rows = []
    for line, record in records:
        image, kind = cell_text(record["image"]), cell_text(record["dst_type"]).lower()
        where = f"row {line} ({image}, {record['dst_type']})"
        if kind not in TYPES:
            raise InputError(f"{source}, {where}: unknown dst_type {record['dst_type']!r} "
                             f"(known: {sorted(TYPES)})\n{LAYOUT}")
        level = number(record["dst_lev"])
        if not (math.isfinite(level) and float(level).is_integer()):
            raise InputError(f"{source}, {where}: dst_lev must be a whole number, got "
                             f"{record['dst_lev']!r}\n{LAYOUT}")
        folder_name = TYPES[kind]
        folder = folders.setdefault(folder_name, Folder(dists.path, folder_name, LAYOUT))
        rows.append({"reference": refs.find(f"{image}.png", source, where),
                     "distorted": folder.find(f"{image}.{TOKENS[folder_name]}.{int(level)}.png", source, where),
                     "distortion": folder_name, "level": int(level), "mos_raw": number(record["dmos"]),
                     "where": where})
    return finish(rows, SCALE, source, LAYOUT)
