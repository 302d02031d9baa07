"""SPAQ, smartphone photography (Fang, Zhu, Zeng, Ma, Wang, CVPR 2020), no reference.

https://github.com/h4nwei/SPAQ (its README links a Google Drive and a Baidu folder);
11125 photographs. The images ship as a split zip archive (``SPAQ.zip`` with
``SPAQ.z01`` ... ``SPAQ.z06``) holding ``TestImage/``; the ratings are in a separate
``Annotations/`` folder (``MOS and Image attribute scores.xlsx``, besides scene labels
and EXIF tags). Reading the .xlsx needs ``openpyxl``; without it, export that sheet as
``Annotations/MOS and Image attribute scores.csv``. Scores: MOS 0-100, HIGHER = better
(used as is). The full-size photographs (about 4000x3000) are usually down-scaled before
training (the transfer stage's ``resize``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from asym.data.readers.common import (
    HIGHER_BETTER,
    Folder,
    Scale,
    authentic_row,
    cell_text,
    finish,
    has_openpyxl,
    number,
    pick_columns,
    read_csv,
    resolve,
)
from asym.io import InputError

LAYOUT = """expected layout of SPAQ (https://github.com/h4nwei/SPAQ):
  <root>/
    Annotations/MOS and Image attribute scores.xlsx   a sheet with the header
                                Image name, MOS, Brightness, Colorfulness, Contrast,
                                Noisiness, Sharpness
    (or Annotations/MOS and Image attribute scores.csv   that sheet exported as CSV,
                                when openpyxl is not installed)
    TestImage/00001.jpg ... TestImage/11125.jpg   (unpacked from the split SPAQ.zip, .z01-.z06)"""

XLSX = Path("Annotations") / "MOS and Image attribute scores.xlsx"
CSV = XLSX.with_suffix(".csv")
COLUMNS = {"image name": "name", "mos": "score"}
SCALE = Scale("MOS", HIGHER_BETTER, published=(0.0, 100.0))


def _sheet(root: Path) -> tuple[pd.DataFrame, Path, int]:
    """The first sheet (or the CSV export) with an ``Image name`` and a ``MOS`` column, the file, and
    the spreadsheet row number of its first data row."""
    xlsx, csv = resolve(root, XLSX, want_dir=False), resolve(root, CSV, want_dir=False)
    if xlsx.is_file() and has_openpyxl():
        try:
            sheets = pd.read_excel(xlsx, sheet_name=None, dtype={"Image name": str})
        except (ValueError, OSError) as exc:
            raise InputError(f"cannot read {xlsx}: {exc}\n{LAYOUT}") from exc
        for sheet in sheets.values():
            if set(COLUMNS) <= {str(c).strip().lower() for c in sheet.columns}:
                return sheet, xlsx, 2
        raise InputError(f"{xlsx}: no sheet has the columns 'Image name' and 'MOS' "
                         f"(sheets: {list(sheets)})\n{LAYOUT}")
    if csv.is_file():
        return read_csv(csv, LAYOUT, dtype={"Image name": str}), csv, 2
    if xlsx.is_file():
        raise InputError(f"{xlsx} needs the Python package openpyxl to be read (pip install "
                         f"openpyxl); or export its sheet as {csv}\n{LAYOUT}")
    raise InputError(f"ratings file not found: {xlsx} (nor its CSV export {csv})\n{LAYOUT}")


def load_spaq(root: str | os.PathLike) -> pd.DataFrame:
    """Read SPAQ in ``root``: 11125 smartphone photographs, MOS (0-100, higher = better) as is."""
    root = Path(root).resolve()
    sheet, source, first = _sheet(root)
    images = Folder(root, "TestImage", LAYOUT).require()
    table = pick_columns(sheet, COLUMNS, source, LAYOUT)
    rows = []
    for k, (name, score) in enumerate(zip(table["name"], table["score"])):
        name = cell_text(name)
        if name == "":  # blank padding rows of the sheet
            continue
        where = f"row {first + k}"
        rows.append(authentic_row(images.find(name, source, where), number(score), where))
    return finish(rows, SCALE, source, LAYOUT)
