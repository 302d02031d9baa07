"""Readers for IQA data sets: one table per set, one row per rated (distorted) image.

Every reader returns a pandas DataFrame with the columns
``reference, distorted, distortion, level, mos``: absolute paths (str) of the
reference and distorted image, the distortion name, its level, and the quality
score (no-reference sets have no reference: ``None`` there, see below). The readers of the published sets add ``mos_raw``, the score exactly as the
set publishes it, and return ``level`` as a nullable integer (``<NA>`` where the set
has no discrete levels).

MOS convention (``MOS_HIGHER_BETTER``): every reader returns ``mos`` with HIGHER =
BETTER quality, so correlations with a metric always mean the same thing. Sets that
publish DMOS (lower = better: LIVE, CSIQ) are converted by a sign flip,
``mos = -dmos``: it keeps every rank and every linear relation (SRCC, KRCC and PLCC
after the logistic mapping only change sign conventions, not values), and unlike
``max - dmos`` it does not depend on which images a copy of the set happens to hold.

Score-range checks catch a wrong file, column or scale (e.g. a DMOS file given to a
MOS reader), not outliers: each ``*_RANGE`` constant is the set's published scale, with
a margin where the published scores may spill over it (LIVE, CSIQ, PIPAL).

Sets, official sources, layouts and score conventions (``<root>`` is the folder passed
to the reader; file names are matched case-insensitively inside their folder because
the distributions mix cases, e.g. TID2013 ``I01.BMP`` next to ``i25.bmp``):

``synthetic`` -- the demo set built by :mod:`asym.data.prepare` (proxy MOS, not human).

``live`` -- LIVE Image Quality Assessment Database, Release 2 (Sheikh, Wang, Cormack,
Bovik), https://live.ece.utexas.edu/research/quality/subjective.htm ::

    <root>/                    (the unpacked "databaserelease2" folder)
      dmos.mat                 dmos (1x982), orgs (1x982; 1 = the entry is a reference copy)
      refnames_all.mat         refnames_all (1x982 cell of reference file names)
      refimgs/<name>.bmp       29 references
      jp2k/img1..img227.bmp    entries    1-227 of the .mat arrays
      jpeg/img1..img233.bmp    entries  228-460
      wn/img1..img174.bmp      entries  461-634
      gblur/img1..img174.bmp   entries  635-808
      fastfading/img1..img174.bmp  entries 809-982

  Scores: DMOS, about 0-100, lower = better -> ``mos = -dmos``. Entries with
  ``orgs == 1`` (203 copies of the references) are dropped, leaving 779 distorted
  images, as in the set's own evaluation and pyiqa's meta information. LIVE has no
  discrete levels (``level`` is ``<NA>``). ``load_live(root, realigned=True)`` reads the
  realigned scores ``dmos_new`` from ``dmos_realigned.mat`` instead.

``csiq`` -- CSIQ (Larson & Chandler, J. Electron. Imaging 2010),
https://s2.smu.edu/~eclarson/csiq.html (formerly http://vision.okstate.edu/csiq) ::

    <root>/
      csiq.DMOS.xlsx           official ratings; sheet "all_by_image" with the header
                               image, dst_idx, dst_type, dst_lev, dmos_std, dmos
      src_imgs/<image>.png     30 references (e.g. 1600.png)
      dst_imgs/<folder>/<image>.<TOKEN>.<lev>.png   866 distorted images, e.g.
                               dst_imgs/awgn/1600.AWGN.1.png

  ``dst_type`` -> folder/token: noise -> awgn, jpeg -> jpeg, jpeg 2000 -> jpeg2000,
  fnoise -> fnoise, blur -> blur, contrast -> contrast. Reading the .xlsx needs
  ``openpyxl``; without it, export the sheet "all_by_image" as ``<root>/csiq.DMOS.csv``
  (same columns; leading empty rows/columns are fine) and the reader uses that.
  Scores: DMOS in [0, 1], lower = better -> ``mos = -dmos``; ``level`` = ``dst_lev``.

``tid2013`` -- TID2013 (Ponomarenko et al., Signal Process. Image Commun. 2015),
https://www.ponomarenko.info/tid2013.htm ::

    <root>/
      mos_with_names.txt       3000 lines "<mos> <name>", e.g. "5.51429 i01_01_1.bmp"
      reference_images/I01.BMP ... I24.BMP, i25.bmp
      distorted_images/iXX_YY_Z.bmp   XX reference, YY distortion (1-24), Z level (1-5)

  Scores: MOS in [0, 9], higher = better (used as is).

``kadid10k`` -- KADID-10k (Lin, Hosu, Saupe, QoMEX 2019),
http://database.mmsp-kn.de/kadid-10k-database.html ::

    <root>/
      dmos.csv                 header dist_img,ref_img,dmos,var (10125 rows)
      images/I01.png ... I81.png, IXX_YY_ZZ.png   YY distortion (1-25), ZZ level (1-5)

  Scores: despite the column name, ``dmos`` is a degradation-category rating on a
  1-5 scale with HIGHER = BETTER quality (5 = imperceptible), so it is used as is.

``pipal`` -- PIPAL training set (Jinjin Gu et al., ECCV 2020; NTIRE 2021/2022 IQA
challenges), https://www.jasongt.com/projectpages/pipal.html ::

    <root>/
      Train_Label/<ref>.txt    one file per reference, lines "<name>,<elo>",
                               e.g. "A0001_00_00.bmp,1456.23"
      Train_Ref/<ref>.bmp      200 references (A0001.bmp ...)
      Train_Dis/<ref>_<TT>_<KK>.bmp   23200 distorted images

  Some copies split ``Train_Dis`` into ``Distortion_1`` ... ``Distortion_4``; those
  are accepted when ``Train_Dis`` is absent. Scores: Elo ratings from paired
  comparisons (about 1000-1900), higher = better (used as is). ``distortion`` is
  ``type_<TT>`` (the distortion sub-type code of the file name) and ``level`` is
  ``<KK>``, the index of the image within that sub-type (not an ordered severity).

No-reference sets (:data:`NO_REFERENCE_KINDS`; authentic distortions, one score per
photograph, no pristine reference). Their readers return the same columns, with
``reference`` empty (``None``), ``distortion`` = ``"authentic"`` and ``level`` ``<NA>``;
each image is its own content, so :func:`content_ids` gives the image path itself and
:func:`split_by_content` splits them image by image (see there).

``koniq10k`` -- KonIQ-10k (Hosu, Lin, Sziranyi, Saupe, IEEE TIP 2020),
http://database.mmsp-kn.de/koniq-10k-database.html ::

    <root>/
      koniq10k_scores_and_distributions.csv   header image_name,c1,...,c5,c_total,MOS,SD,MOS_zscore
      1024x768/<image_name>    10073 JPEG images (the official koniq10k_1024x768.zip)
      (or 512x384/<image_name> the half-size release, used when 1024x768/ is absent)

  Scores: ``MOS`` on the 1-5 absolute-category scale, higher = better (used as is;
  ``MOS_zscore`` is not read). The set also publishes a train/validation/test
  assignment (``koniq10k_distributions_sets.csv``); the transfer stage uses the
  conventional random 80/20 splits instead, one per split seed.

``spaq`` -- SPAQ, smartphone photography (Fang, Zhu, Zeng, Ma, Wang, CVPR 2020),
https://github.com/h4nwei/SPAQ ::

    <root>/
      Annotations/MOS and Image attribute scores.xlsx   a sheet with the header
                               Image name, MOS, Brightness, Colorfulness, Contrast,
                               Noisiness, Sharpness (the attribute columns are not read)
      TestImage/00001.jpg ... 11125.jpg

  Reading the .xlsx needs ``openpyxl``; without it, export that sheet as
  ``Annotations/MOS and Image attribute scores.csv``. Scores: MOS 0-100, higher =
  better (used as is). The full-size photographs (about 4000x3000) are usually
  down-scaled before training (the transfer stage's ``resize``).

``livechallenge`` -- LIVE In the Wild Image Quality Challenge Database (Ghadiyaram &
Bovik, IEEE TIP 2016), https://live.ece.utexas.edu/research/ChallengeDB/index.html ::

    <root>/                    (the unpacked ChallengeDB_release folder)
      Data/AllImages_release.mat   AllImages_release: cell array (1169 entries) of names
      Data/AllMOS_release.mat      AllMOS_release: 1169 MOS values, same order
      Images/<name>                the images (500x500), e.g. Images/10.bmp

  The first 7 entries are the images the crowdsourcing study used to train its
  raters (stored under ``Images/trainingImages/``); by the convention of the set's
  own evaluation and of the literature (e.g. pyiqa's meta information, 1162
  images) they are excluded (``LIVEC_TRAINING_ENTRIES``), so their files are not
  needed. Scores: MOS 0-100, higher = better (used as is). A ``<root>`` that only
  contains ``ChallengeDB_release/`` is accepted too.

``tqd`` -- TQD, the texture quality database the study evaluates on. ASSUMPTION: no
official distribution, download page or layout description of TQD could be found
(searched: the study's abstract pages, the DISTS paper and repository, pyiqa, QUALINET
listings), so the reader implements the most common published layout for a
full-reference IQA set, a pyiqa-style meta-information table next to the images::

    <root>/
      mos.csv                  header ref_name,dist_name,mos  (paths relative to <root>)
                               optional columns: distortion, level
      <the folders those paths point into, e.g. reference/ and distorted/>

  The aliases reference/ref_img and distorted/dist_img are accepted for the path
  columns. ``mos`` is taken as higher = better; a table with a ``dmos`` column instead
  is taken as lower = better and converted with ``mos = -dmos``. No score range is
  checked (the scale is unknown); scores must be finite.

:func:`split_by_content` (also named :func:`split_by_reference`) splits any of these
tables into train and test parts by content, so no content is seen in both: by
reference image for the full-reference sets, by image for the no-reference ones.

Example::

    from asym.data.iqa_sets import load_iqa_set, split_by_content
    table = load_iqa_set("tid2013", "/data/tid2013")
    train, test = split_by_content(table, test_fraction=0.2, seed=0)
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from asym.io import InputError

MOS_HIGHER_BETTER = True
COLUMNS = ["reference", "distorted", "distortion", "level", "mos"]
# Published sets also carry the score exactly as published (DMOS, Elo, ...).
RAW_COLUMNS = COLUMNS + ["mos_raw"]

SYNTHETIC_LAYOUT = """expected layout of the synthetic set (built by
`python -m asym.data.prepare --raw data/raw --out data/demo --config <config>`):
  <root>/scores.csv                      columns: reference, distorted, distortion, level, mos
  <root>/reference/<image>.png
  <root>/distorted/<image>__<distortion>__<level>.png"""


def load_synthetic(root: str | os.PathLike) -> pd.DataFrame:
    """Read the synthetic IQA set in ``root`` (e.g. ``data/demo/iqa/synthetic``).

    The proxy ``mos`` there is ``levels + 1 - level`` (higher = better), not a human score.
    """
    root = Path(root).resolve()
    scores = root / "scores.csv"
    if not scores.is_file():
        raise InputError(f"scores file not found: {scores}\n{SYNTHETIC_LAYOUT}")
    table = pd.read_csv(scores)
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise InputError(f"{scores} lacks columns {missing} (has {list(table.columns)})\n"
                         f"{SYNTHETIC_LAYOUT}")
    table = table[COLUMNS].copy()
    for column in ("reference", "distorted"):
        table[column] = [str(root / rel) for rel in table[column]]
    if table.empty:
        raise InputError(f"{scores} lists no images\n{SYNTHETIC_LAYOUT}")
    for pair in zip(table["reference"], table["distorted"]):
        for path in pair:
            if not Path(path).is_file():
                raise InputError(f"file listed in {scores} not found: {path}\n{SYNTHETIC_LAYOUT}")
    table["level"] = table["level"].astype(int)
    table["mos"] = table["mos"].astype(float)
    return table


# ---------------------------------------------------------------- shared helpers

class _Folder:
    """A folder whose files are looked up by name, case-insensitively.

    The official archives mix cases (TID2013 ``I01.BMP`` beside ``i25.bmp``, CSIQ
    ``1600.AWGN.1.png`` beside ``1600.jpeg2000.1.png``), and label files do not always
    spell names as the file system does. An exact match wins over a case-folded one.
    """

    def __init__(self, path: Path, layout: str):
        self.path = path
        self.layout = layout
        self._index: dict[str, Path] | None = None

    def require(self) -> _Folder:
        if not self.path.is_dir():
            raise InputError(f"folder not found: {self.path}\n{self.layout}")
        return self

    def find(self, name: str, listed_in: Path) -> str:
        exact = self.path / name
        if exact.is_file():
            return str(exact)
        if self._index is None:
            self.require()
            self._index = {p.name.lower(): p for p in sorted(self.path.iterdir()) if p.is_file()}
        match = self._index.get(name.lower())
        if match is None:
            raise InputError(f"image listed in {listed_in} not found: {exact}\n{self.layout}")
        return str(match)


def _require_file(path: Path, layout: str) -> Path:
    if not path.is_file():
        raise InputError(f"file not found: {path}\n{layout}")
    return path


def _check_range(values, low: float, high: float, what: str, source: Path, layout: str) -> None:
    """Fail when a score is not finite or lies outside [low, high] (wrong file, column or scale)."""
    values = np.asarray(values, dtype=float)
    bad = ~np.isfinite(values) | (values < low) | (values > high)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{source}: {int(bad.sum())} {what} value(s) not a number or outside the published "
            f"range [{low}, {high}], e.g. {values[first]!r} at entry {first + 1}. Is this the "
            f"right file of the right set?\n{layout}")


def _read_csv(path: Path, layout: str, **options) -> pd.DataFrame:
    """pandas.read_csv whose parse failures name the file and the expected layout."""
    try:
        return pd.read_csv(path, **options)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot parse {path} as CSV: {exc}\n{layout}") from exc


def _table(rows: list[dict], source: Path, layout: str) -> pd.DataFrame:
    """Rows -> the reader table (RAW_COLUMNS, nullable integer level, float scores)."""
    if not rows:
        raise InputError(f"{source} lists no distorted images\n{layout}")
    table = pd.DataFrame(rows, columns=RAW_COLUMNS)
    table["level"] = table["level"].astype("Int64")
    table["mos"] = table["mos"].astype(float)
    table["mos_raw"] = table["mos_raw"].astype(float)
    return table


def _label_lines(path: Path) -> list[tuple[int, str]]:
    """(line number, stripped text) of the non-blank lines of a text label file."""
    text = path.read_text(encoding="utf-8", errors="replace")
    return [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1) if line.strip()]


def _malformed(path: Path, number: int, line: str, expected: str, layout: str) -> InputError:
    return InputError(f"{path}, line {number}: cannot parse {line!r}; expected {expected}\n{layout}")


# ---------------------------------------------------------------- LIVE Release 2

LIVE_LAYOUT = """expected layout of LIVE Release 2
(https://live.ece.utexas.edu/research/quality/subjective.htm):
  <root>/                       (the unpacked databaserelease2 folder)
    dmos.mat                    variables dmos, orgs (1x982 each)
    dmos_realigned.mat          variables dmos_new, orgs (only read with realigned=True)
    refnames_all.mat            variable refnames_all (1x982 cell of reference names)
    refimgs/<name>.bmp          29 references
    jp2k/img1.bmp ... img227.bmp
    jpeg/img1.bmp ... img233.bmp
    wn/img1.bmp ... img174.bmp
    gblur/img1.bmp ... img174.bmp
    fastfading/img1.bmp ... img174.bmp"""

# Folder and number of entries, in the order of the .mat arrays.
LIVE_FOLDERS = [("jp2k", 227), ("jpeg", 233), ("wn", 174), ("gblur", 174), ("fastfading", 174)]
LIVE_ENTRIES = sum(count for _, count in LIVE_FOLDERS)
LIVE_DMOS_RANGE = (-25.0, 125.0)  # published scale 0-100; realigned values spill a little


def _mat_vector(mat: dict, key: str, path: Path) -> np.ndarray:
    if key not in mat:
        found = sorted(k for k in mat if not k.startswith("__"))
        raise InputError(f"{path} has no variable {key!r} (has {found})\n{LIVE_LAYOUT}")
    vector = np.asarray(mat[key]).ravel()
    if vector.size != LIVE_ENTRIES:
        raise InputError(f"{path}: {key} has {vector.size} entries, LIVE Release 2 has "
                         f"{LIVE_ENTRIES} ({', '.join(f'{f} {n}' for f, n in LIVE_FOLDERS)})\n"
                         f"{LIVE_LAYOUT}")
    return vector


def _mat_strings(vector: np.ndarray) -> list[str]:
    """A MATLAB cell array of strings, as scipy loads it, -> list of str."""
    names = []
    for item in vector:
        while isinstance(item, np.ndarray):  # cells load as nested 1-element arrays
            item = item.ravel()[0] if item.size else ""
        names.append(str(item).strip())
    return names


def _load_mat(path: Path, layout: str = LIVE_LAYOUT) -> dict:
    import scipy.io  # imported here: only the LIVE sets need it

    try:
        return scipy.io.loadmat(path)
    except (ValueError, OSError, NotImplementedError) as exc:
        raise InputError(f"cannot read MATLAB file {path}: {exc}\n{layout}") from exc


def load_live(root: str | os.PathLike, realigned: bool = False) -> pd.DataFrame:
    """Read LIVE Release 2 in ``root``: 779 distorted images, ``mos = -dmos``.

    ``realigned=True`` reads ``dmos_new`` (and ``orgs``) from ``dmos_realigned.mat``.
    """
    root = Path(root).resolve()
    score_file, key = ("dmos_realigned.mat", "dmos_new") if realigned else ("dmos.mat", "dmos")
    scores = _load_mat(_require_file(root / score_file, LIVE_LAYOUT))
    names_path = _require_file(root / "refnames_all.mat", LIVE_LAYOUT)
    dmos = _mat_vector(scores, key, root / score_file).astype(float)
    orgs = _mat_vector(scores, "orgs", root / score_file).astype(int)
    refnames = _mat_strings(_mat_vector(_load_mat(names_path), "refnames_all", names_path))
    refs = _Folder(root / "refimgs", LIVE_LAYOUT).require()
    rows, entry = [], 0
    for folder_name, count in LIVE_FOLDERS:
        folder = _Folder(root / folder_name, LIVE_LAYOUT)
        for k in range(1, count + 1):
            if orgs[entry] == 0:  # orgs == 1 marks a copy of the reference, not a distortion
                rows.append({"reference": refs.find(refnames[entry], names_path),
                             "distorted": folder.find(f"img{k}.bmp", root / score_file),
                             "distortion": folder_name, "level": pd.NA,
                             "mos": -dmos[entry], "mos_raw": dmos[entry]})
            entry += 1
    table = _table(rows, root / score_file, LIVE_LAYOUT)
    _check_range(table["mos_raw"], *LIVE_DMOS_RANGE, "DMOS", root / score_file, LIVE_LAYOUT)
    return table


# ---------------------------------------------------------------- CSIQ

CSIQ_LAYOUT = """expected layout of CSIQ (https://s2.smu.edu/~eclarson/csiq.html):
  <root>/
    csiq.DMOS.xlsx              official ratings, sheet "all_by_image" with columns
                                image, dst_idx, dst_type, dst_lev, dmos_std, dmos
    (or csiq.DMOS.csv           that sheet exported as CSV, when openpyxl is not installed)
    src_imgs/<image>.png        30 references, e.g. src_imgs/1600.png
    dst_imgs/<type>/<image>.<TYPE>.<level>.png
                                e.g. dst_imgs/awgn/1600.AWGN.1.png; types awgn, jpeg,
                                jpeg2000, fnoise, blur, contrast"""

CSIQ_XLSX = "csiq.DMOS.xlsx"
CSIQ_CSV = "csiq.DMOS.csv"
CSIQ_SHEET = "all_by_image"
CSIQ_HEADER = ("image", "dst_type", "dst_lev", "dmos")
# dst_type in the spreadsheet -> folder under dst_imgs/ (also the file-name token).
CSIQ_TYPES = {"noise": "awgn", "awgn": "awgn", "jpeg": "jpeg", "jpeg 2000": "jpeg2000",
              "jpeg2000": "jpeg2000", "fnoise": "fnoise", "blur": "blur", "contrast": "contrast"}
# Folder -> the token the official file names use (matched case-insensitively anyway).
CSIQ_TOKENS = {"awgn": "AWGN", "jpeg": "JPEG", "jpeg2000": "jpeg2000", "fnoise": "fnoise",
               "blur": "BLUR", "contrast": "contrast"}
CSIQ_DMOS_RANGE = (-0.25, 1.25)  # published scale 0-1


def _has_openpyxl() -> bool:
    """Whether pandas can read .xlsx here (openpyxl is optional, see the module docstring)."""
    return importlib.util.find_spec("openpyxl") is not None


def _csiq_sheet(root: Path) -> tuple[pd.DataFrame, Path]:
    """The raw cells of the "all_by_image" sheet (no header applied) and the file read."""
    xlsx, csv = root / CSIQ_XLSX, root / CSIQ_CSV
    if xlsx.is_file() and _has_openpyxl():
        try:
            return pd.read_excel(xlsx, sheet_name=CSIQ_SHEET, header=None, dtype=object), xlsx
        except ValueError as exc:  # e.g. no sheet of that name
            raise InputError(f"cannot read sheet {CSIQ_SHEET!r} of {xlsx}: {exc}\n{CSIQ_LAYOUT}") from exc
    if csv.is_file():
        return _read_csv(csv, CSIQ_LAYOUT, header=None, dtype=str, skip_blank_lines=True), csv
    if xlsx.is_file():
        raise InputError(
            f"{xlsx} needs the Python package openpyxl to be read (pip install openpyxl); "
            f"or export its sheet {CSIQ_SHEET!r} as {csv}\n{CSIQ_LAYOUT}")
    raise InputError(f"ratings file not found: {xlsx} (nor its CSV export {csv})\n{CSIQ_LAYOUT}")


def _csiq_records(cells: pd.DataFrame, source: Path) -> pd.DataFrame:
    """Find the header row (the sheet may start with empty rows/columns) and apply it."""
    for i in range(min(len(cells), 20)):
        header = [str(c).strip().lower() for c in cells.iloc[i]]
        if all(h in header for h in CSIQ_HEADER):
            records = cells.iloc[i + 1:].copy()
            records.columns = header
            records = records[list(CSIQ_HEADER)]
            # Blank padding rows at the end of the sheet carry no image name.
            return records[records["image"].map(_cell_text) != ""]
    raise InputError(f"{source}: no header row with columns {list(CSIQ_HEADER)} in the "
                     f"first 20 rows\n{CSIQ_LAYOUT}")


def _cell_text(value) -> str:
    """Spreadsheet cell -> text; numeric image names (1600, 1600.0) -> '1600'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return "" if text.lower() == "nan" else re.sub(r"^(\d+)\.0+$", r"\1", text)


def load_csiq(root: str | os.PathLike) -> pd.DataFrame:
    """Read CSIQ in ``root``: 866 distorted images, ``mos = -dmos``."""
    root = Path(root).resolve()
    cells, source = _csiq_sheet(root)
    records = _csiq_records(cells, source)
    refs = _Folder(root / "src_imgs", CSIQ_LAYOUT).require()
    _Folder(root / "dst_imgs", CSIQ_LAYOUT).require()
    folders: dict[str, _Folder] = {}
    rows = []
    for line, record in enumerate(records.itertuples(index=False), 1):
        image, kind = _cell_text(record.image), _cell_text(record.dst_type).lower()
        if kind not in CSIQ_TYPES:
            raise InputError(f"{source}: unknown dst_type {record.dst_type!r} in data row {line} "
                             f"(known: {sorted(CSIQ_TYPES)})\n{CSIQ_LAYOUT}")
        try:
            level, dmos = int(float(_cell_text(record.dst_lev))), float(_cell_text(record.dmos))
        except ValueError as exc:
            raise InputError(f"{source}: data row {line} ({image}): dst_lev and dmos must be "
                             f"numbers ({exc})\n{CSIQ_LAYOUT}") from exc
        folder_name = CSIQ_TYPES[kind]
        folder = folders.setdefault(folder_name, _Folder(root / "dst_imgs" / folder_name, CSIQ_LAYOUT))
        rows.append({"reference": refs.find(f"{image}.png", source),
                     "distorted": folder.find(f"{image}.{CSIQ_TOKENS[folder_name]}.{level}.png", source),
                     "distortion": folder_name, "level": level, "mos": -dmos, "mos_raw": dmos})
    table = _table(rows, source, CSIQ_LAYOUT)
    _check_range(table["mos_raw"], *CSIQ_DMOS_RANGE, "DMOS", source, CSIQ_LAYOUT)
    return table


# ---------------------------------------------------------------- TID2013

TID2013_LAYOUT = """expected layout of TID2013 (https://www.ponomarenko.info/tid2013.htm):
  <root>/
    mos_with_names.txt          lines "<mos> <name>", e.g. "5.51429 i01_01_1.bmp"
    reference_images/I01.BMP ... I24.BMP, i25.bmp
    distorted_images/iXX_YY_Z.bmp   XX reference, YY distortion 01-24, Z level 1-5"""

TID2013_DISTORTIONS = {
    1: "additive_gaussian_noise", 2: "additive_noise_color_components",
    3: "spatially_correlated_noise", 4: "masked_noise", 5: "high_frequency_noise",
    6: "impulse_noise", 7: "quantization_noise", 8: "gaussian_blur", 9: "image_denoising",
    10: "jpeg", 11: "jpeg2000", 12: "jpeg_transmission_errors",
    13: "jpeg2000_transmission_errors", 14: "non_eccentricity_pattern_noise",
    15: "local_blockwise_distortions", 16: "mean_shift", 17: "contrast_change",
    18: "color_saturation_change", 19: "multiplicative_gaussian_noise", 20: "comfort_noise",
    21: "lossy_compression_noisy_images", 22: "color_quantization_dither",
    23: "chromatic_aberrations", 24: "sparse_sampling_reconstruction",
}
TID2013_NAME = re.compile(r"^i(\d{2})_(\d{2})_(\d)\.bmp$", re.IGNORECASE)
TID2013_MOS_RANGE = (0.0, 9.0)


def load_tid2013(root: str | os.PathLike) -> pd.DataFrame:
    """Read TID2013 in ``root``: 3000 distorted images, MOS (higher = better) as is."""
    root = Path(root).resolve()
    labels = _require_file(root / "mos_with_names.txt", TID2013_LAYOUT)
    refs = _Folder(root / "reference_images", TID2013_LAYOUT).require()
    dists = _Folder(root / "distorted_images", TID2013_LAYOUT).require()
    rows = []
    for number, line in _label_lines(labels):
        parts = line.split()
        match = TID2013_NAME.match(parts[-1]) if len(parts) == 2 else None
        try:
            mos = float(parts[0])
        except ValueError:
            match = None
        if match is None:
            raise _malformed(labels, number, line, '"<mos> iXX_YY_Z.bmp"', TID2013_LAYOUT)
        ref_id, code, level = match.group(1), int(match.group(2)), int(match.group(3))
        if code not in TID2013_DISTORTIONS:
            raise _malformed(labels, number, line, "a distortion code 01-24", TID2013_LAYOUT)
        rows.append({"reference": refs.find(f"I{ref_id}.BMP", labels),
                     "distorted": dists.find(parts[1], labels),
                     "distortion": TID2013_DISTORTIONS[code], "level": level,
                     "mos": mos, "mos_raw": mos})
    table = _table(rows, labels, TID2013_LAYOUT)
    _check_range(table["mos_raw"], *TID2013_MOS_RANGE, "MOS", labels, TID2013_LAYOUT)
    return table


# ---------------------------------------------------------------- KADID-10k

KADID10K_LAYOUT = """expected layout of KADID-10k (http://database.mmsp-kn.de/kadid-10k-database.html):
  <root>/
    dmos.csv                    header dist_img,ref_img,dmos,var
    images/I01.png ... I81.png  references
    images/IXX_YY_ZZ.png        XX reference, YY distortion 01-25, ZZ level 01-05"""

KADID10K_DISTORTIONS = {
    1: "gaussian_blur", 2: "lens_blur", 3: "motion_blur", 4: "color_diffusion",
    5: "color_shift", 6: "color_quantization", 7: "color_saturation_1",
    8: "color_saturation_2", 9: "jpeg2000", 10: "jpeg", 11: "white_noise",
    12: "white_noise_color_component", 13: "impulse_noise", 14: "multiplicative_noise",
    15: "denoise", 16: "brighten", 17: "darken", 18: "mean_shift", 19: "jitter",
    20: "non_eccentricity_patch", 21: "pixelate", 22: "quantization", 23: "color_block",
    24: "high_sharpen", 25: "contrast_change",
}
KADID10K_NAME = re.compile(r"^I(\d{2})_(\d{2})_(\d{2})\.png$", re.IGNORECASE)
KADID10K_RANGE = (1.0, 5.0)  # 5-point degradation category rating, 5 = imperceptible


def load_kadid10k(root: str | os.PathLike) -> pd.DataFrame:
    """Read KADID-10k in ``root``: 10125 distorted images; its ``dmos`` is higher = better."""
    root = Path(root).resolve()
    labels = _require_file(root / "dmos.csv", KADID10K_LAYOUT)
    images = _Folder(root / "images", KADID10K_LAYOUT).require()
    table = _read_csv(labels, KADID10K_LAYOUT, dtype={"dist_img": str, "ref_img": str})
    missing = [c for c in ("dist_img", "ref_img", "dmos") if c not in table.columns]
    if missing:
        raise InputError(f"{labels} lacks columns {missing} (has {list(table.columns)})\n"
                         f"{KADID10K_LAYOUT}")
    rows = []
    for number, record in enumerate(table.itertuples(index=False), 2):  # line 1 is the header
        match = KADID10K_NAME.match(str(record.dist_img).strip())
        if match is None or int(match.group(2)) not in KADID10K_DISTORTIONS:
            raise _malformed(labels, number, str(record.dist_img), "dist_img like I01_01_01.png "
                             "(distortion 01-25)", KADID10K_LAYOUT)
        score = float(record.dmos)
        rows.append({"reference": images.find(str(record.ref_img).strip(), labels),
                     "distorted": images.find(str(record.dist_img).strip(), labels),
                     "distortion": KADID10K_DISTORTIONS[int(match.group(2))],
                     "level": int(match.group(3)), "mos": score, "mos_raw": score})
    result = _table(rows, labels, KADID10K_LAYOUT)
    _check_range(result["mos_raw"], *KADID10K_RANGE, "dmos", labels, KADID10K_LAYOUT)
    return result


# ---------------------------------------------------------------- PIPAL

PIPAL_LAYOUT = """expected layout of the PIPAL training set (https://www.jasongt.com/projectpages/pipal.html):
  <root>/
    Train_Label/<ref>.txt       lines "<name>,<elo>", e.g. "A0001_00_00.bmp,1456.23"
    Train_Ref/<ref>.bmp         references, e.g. Train_Ref/A0001.bmp
    Train_Dis/<ref>_<TT>_<KK>.bmp   distorted images, e.g. Train_Dis/A0001_00_00.bmp
                                (or split over Distortion_1/ ... Distortion_4/)"""

PIPAL_NAME = re.compile(r"^([^_]+)_(\d+)_(\d+)\.\w+$")
PIPAL_ELO_RANGE = (0.0, 3000.0)  # Elo ratings, about 1000-1900 in the released labels


class _Folders:
    """Several folders searched in turn (PIPAL's Distortion_1 ... Distortion_4)."""

    def __init__(self, folders: list[_Folder], layout: str):
        self.folders, self.layout = folders, layout

    def find(self, name: str, listed_in: Path) -> str:
        for folder in self.folders:
            try:
                return folder.find(name, listed_in)
            except InputError:
                continue
        searched = ", ".join(str(folder.path) for folder in self.folders)
        raise InputError(f"image listed in {listed_in} not found: {name} (searched {searched})\n"
                         f"{self.layout}")


def _pipal_distorted(root: Path):
    """Train_Dis/, or the Distortion_<k>/ folders some copies split it into."""
    if (root / "Train_Dis").is_dir():
        return _Folder(root / "Train_Dis", PIPAL_LAYOUT)
    parts = sorted(p for p in root.glob("Distortion_*") if p.is_dir())
    if not parts:
        raise InputError(f"folder not found: {root / 'Train_Dis'}\n{PIPAL_LAYOUT}")
    return _Folders([_Folder(p, PIPAL_LAYOUT) for p in parts], PIPAL_LAYOUT)


def load_pipal(root: str | os.PathLike) -> pd.DataFrame:
    """Read the PIPAL training set in ``root`` (23200 distorted images); Elo, higher = better."""
    root = Path(root).resolve()
    label_dir = root / "Train_Label"
    if not label_dir.is_dir():
        raise InputError(f"folder not found: {label_dir}\n{PIPAL_LAYOUT}")
    label_files = sorted(label_dir.glob("*.txt"))
    if not label_files:
        raise InputError(f"no label files (*.txt) in {label_dir}\n{PIPAL_LAYOUT}")
    refs = _Folder(root / "Train_Ref", PIPAL_LAYOUT).require()
    dists = _pipal_distorted(root)
    rows = []
    for labels in label_files:
        for number, line in _label_lines(labels):
            parts = [p for p in re.split(r"[,\s]+", line) if p]
            match = PIPAL_NAME.match(parts[0]) if len(parts) == 2 else None
            try:
                elo = float(parts[-1])
            except ValueError:
                match = None
            if match is None:
                raise _malformed(labels, number, line, '"A0001_00_00.bmp,<elo>"', PIPAL_LAYOUT)
            rows.append({"reference": refs.find(f"{match.group(1)}.bmp", labels),
                         "distorted": dists.find(parts[0], labels),
                         "distortion": f"type_{match.group(2)}", "level": int(match.group(3)),
                         "mos": elo, "mos_raw": elo})
    table = _table(rows, label_dir, PIPAL_LAYOUT)
    _check_range(table["mos_raw"], *PIPAL_ELO_RANGE, "Elo", label_dir, PIPAL_LAYOUT)
    return table


# ---------------------------------------------------------------- TQD

TQD_LAYOUT = """expected layout of TQD (ASSUMED pyiqa-style meta-information layout; no official
layout could be established, see the module docstring of asym.data.iqa_sets):
  <root>/
    mos.csv                     header ref_name,dist_name,mos (or dmos), paths relative
                                to <root>; optional columns distortion, level
    reference/<texture>.png     (any folders the paths point into)
    distorted/<name>.png"""

TQD_ALIASES = {"reference": ("ref_name", "reference", "ref_img"),
               "distorted": ("dist_name", "distorted", "dist_img")}


def _pick_column(table: pd.DataFrame, names: tuple[str, ...], labels: Path) -> str:
    for name in names:
        if name in table.columns:
            return name
    raise InputError(f"{labels} lacks a column {' / '.join(names)} (has {list(table.columns)})\n"
                     f"{TQD_LAYOUT}")


def _tqd_scores(table: pd.DataFrame, labels: Path) -> tuple[np.ndarray, np.ndarray]:
    """(mos higher = better, raw published score)."""
    column = _pick_column(table, ("mos", "dmos"), labels)
    raw = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=float)
    _check_range(raw, -np.inf, np.inf, column, labels, TQD_LAYOUT)
    return (-raw if column == "dmos" else raw), raw


def _tqd_path(root: Path, relative: str, labels: Path) -> str:
    # normpath, not resolve(): a symlinked image folder must stay under <root>, where
    # asym.assess.score expresses result paths relative to the root.
    path = Path(os.path.normpath(root / str(relative).strip()))
    if not path.is_file():
        raise InputError(f"image listed in {labels} not found: {path}\n{TQD_LAYOUT}")
    return str(path)


def load_tqd(root: str | os.PathLike) -> pd.DataFrame:
    """Read TQD in ``root`` from the ASSUMED layout (see the module docstring)."""
    root = Path(root).resolve()
    labels = _require_file(root / "mos.csv", TQD_LAYOUT)
    table = _read_csv(labels, TQD_LAYOUT)
    ref_col = _pick_column(table, TQD_ALIASES["reference"], labels)
    dist_col = _pick_column(table, TQD_ALIASES["distorted"], labels)
    mos, raw = _tqd_scores(table, labels)
    distortion = table["distortion"].astype(str) if "distortion" in table else ["unspecified"] * len(table)
    level = table["level"] if "level" in table else [pd.NA] * len(table)
    rows = [{"reference": _tqd_path(root, ref, labels), "distorted": _tqd_path(root, dist, labels),
             "distortion": kind, "level": lev, "mos": m, "mos_raw": r}
            for ref, dist, kind, lev, m, r in zip(table[ref_col], table[dist_col], distortion,
                                                   level, mos, raw)]
    return _table(rows, labels, TQD_LAYOUT)


# ---------------------------------------------------------------- no-reference sets

# Sets of authentically distorted photographs: one score per image, no reference.
NO_REFERENCE_KINDS = frozenset({"koniq10k", "spaq", "livechallenge"})
AUTHENTIC = "authentic"  # the ``distortion`` of every image of a no-reference set


def _nr_table(names: list[str], scores, folder: _Folder, source: Path, layout: str,
              score_range: tuple[float, float], what: str) -> pd.DataFrame:
    """(image names, published scores higher = better) -> the reader table, reference empty."""
    scores = np.asarray(scores, dtype=float)
    _check_range(scores, *score_range, what, source, layout)
    rows = [{"reference": None, "distorted": folder.find(name, source), "distortion": AUTHENTIC,
             "level": pd.NA, "mos": score, "mos_raw": score}
            for name, score in zip(names, scores)]
    return _table(rows, source, layout)


def _header_columns(table: pd.DataFrame, wanted: dict[str, str], source: Path,
                    layout: str) -> pd.DataFrame:
    """Columns ``wanted`` (lower-cased published name -> our name), matched ignoring case/spaces."""
    found = {str(c).strip().lower(): c for c in table.columns}
    missing = [name for name in wanted if name not in found]
    if missing:
        raise InputError(f"{source} lacks columns {missing} (has {list(table.columns)})\n{layout}")
    return pd.DataFrame({ours: table[found[name]] for name, ours in wanted.items()})


# ---------------------------------------------------------------- KonIQ-10k

KONIQ10K_LAYOUT = """expected layout of KonIQ-10k (http://database.mmsp-kn.de/koniq-10k-database.html):
  <root>/
    koniq10k_scores_and_distributions.csv   header image_name,c1,c2,c3,c4,c5,c_total,MOS,SD,MOS_zscore
    1024x768/<image_name>       10073 JPEG images (koniq10k_1024x768.zip)
    (or 512x384/<image_name>    the half-size release, read when 1024x768/ is absent)"""

KONIQ10K_SCORES = "koniq10k_scores_and_distributions.csv"
KONIQ10K_FOLDERS = ("1024x768", "512x384")  # the first one present is read
KONIQ10K_MOS_RANGE = (1.0, 5.0)  # 5-point absolute category rating


def load_koniq10k(root: str | os.PathLike) -> pd.DataFrame:
    """Read KonIQ-10k in ``root``: 10073 photographs, ``MOS`` (1-5, higher = better) as is."""
    root = Path(root).resolve()
    labels = _require_file(root / KONIQ10K_SCORES, KONIQ10K_LAYOUT)
    present = [root / name for name in KONIQ10K_FOLDERS if (root / name).is_dir()]
    if not present:
        raise InputError(f"image folder not found: {root / KONIQ10K_FOLDERS[0]} "
                         f"(nor {root / KONIQ10K_FOLDERS[1]})\n{KONIQ10K_LAYOUT}")
    table = _read_csv(labels, KONIQ10K_LAYOUT, dtype={"image_name": str})
    table = _header_columns(table, {"image_name": "name", "mos": "mos"}, labels, KONIQ10K_LAYOUT)
    table = table[table["name"].notna()]
    scores = pd.to_numeric(table["mos"], errors="coerce")
    return _nr_table([str(n).strip() for n in table["name"]], scores,
                     _Folder(present[0], KONIQ10K_LAYOUT), labels, KONIQ10K_LAYOUT,
                     KONIQ10K_MOS_RANGE, "MOS")


# ---------------------------------------------------------------- SPAQ

SPAQ_LAYOUT = """expected layout of SPAQ (https://github.com/h4nwei/SPAQ):
  <root>/
    Annotations/MOS and Image attribute scores.xlsx   a sheet with the header
                                Image name, MOS, Brightness, Colorfulness, Contrast,
                                Noisiness, Sharpness
    (or Annotations/MOS and Image attribute scores.csv   that sheet exported as CSV,
                                when openpyxl is not installed)
    TestImage/00001.jpg ... TestImage/11125.jpg"""

SPAQ_XLSX = Path("Annotations") / "MOS and Image attribute scores.xlsx"
SPAQ_CSV = SPAQ_XLSX.with_suffix(".csv")
SPAQ_COLUMNS = {"image name": "name", "mos": "mos"}
SPAQ_MOS_RANGE = (0.0, 100.0)


def _spaq_sheet(root: Path) -> tuple[pd.DataFrame, Path]:
    """The first sheet (or the CSV export) with an ``Image name`` and a ``MOS`` column."""
    xlsx, csv = root / SPAQ_XLSX, root / SPAQ_CSV
    if xlsx.is_file() and _has_openpyxl():
        try:
            sheets = pd.read_excel(xlsx, sheet_name=None, dtype={"Image name": str})
        except (ValueError, OSError) as exc:
            raise InputError(f"cannot read {xlsx}: {exc}\n{SPAQ_LAYOUT}") from exc
        for sheet in sheets.values():
            if set(SPAQ_COLUMNS) <= {str(c).strip().lower() for c in sheet.columns}:
                return sheet, xlsx
        raise InputError(f"{xlsx}: no sheet has the columns 'Image name' and 'MOS' "
                         f"(sheets: {list(sheets)})\n{SPAQ_LAYOUT}")
    if csv.is_file():
        return _read_csv(csv, SPAQ_LAYOUT, dtype={"Image name": str}), csv
    if xlsx.is_file():
        raise InputError(f"{xlsx} needs the Python package openpyxl to be read (pip install "
                         f"openpyxl); or export its sheet as {csv}\n{SPAQ_LAYOUT}")
    raise InputError(f"ratings file not found: {xlsx} (nor its CSV export {csv})\n{SPAQ_LAYOUT}")


def load_spaq(root: str | os.PathLike) -> pd.DataFrame:
    """Read SPAQ in ``root``: 11125 smartphone photographs, MOS (0-100, higher = better) as is."""
    root = Path(root).resolve()
    sheet, source = _spaq_sheet(root)
    images = _Folder(root / "TestImage", SPAQ_LAYOUT).require()
    table = _header_columns(sheet, SPAQ_COLUMNS, source, SPAQ_LAYOUT)
    table = table[table["name"].map(_cell_text) != ""]  # blank padding rows of the sheet
    scores = pd.to_numeric(table["mos"], errors="coerce")
    return _nr_table([_cell_text(n) for n in table["name"]], scores, images, source,
                     SPAQ_LAYOUT, SPAQ_MOS_RANGE, "MOS")


# ---------------------------------------------------------------- LIVE Challenge

LIVEC_LAYOUT = """expected layout of the LIVE In the Wild Image Quality Challenge Database
(https://live.ece.utexas.edu/research/ChallengeDB/index.html):
  <root>/                       (the unpacked ChallengeDB_release folder)
    Data/AllImages_release.mat  variable AllImages_release (1169 image names)
    Data/AllMOS_release.mat     variable AllMOS_release (1169 MOS values, 0-100)
    Images/<name>               the images, e.g. Images/10.bmp; the 7 rater-training
                                images (entries 1-7, Images/trainingImages/) are not read"""

LIVEC_FOLDER = "ChallengeDB_release"
# Entries 1-7 are the images shown to raters for training, excluded by convention.
LIVEC_TRAINING_ENTRIES = 7
LIVEC_MOS_RANGE = (0.0, 100.0)


def _livec_vector(path: Path, key: str) -> np.ndarray:
    mat = _load_mat(_require_file(path, LIVEC_LAYOUT), LIVEC_LAYOUT)
    if key not in mat:
        found = sorted(k for k in mat if not k.startswith("__"))
        raise InputError(f"{path} has no variable {key!r} (has {found})\n{LIVEC_LAYOUT}")
    return np.asarray(mat[key]).ravel()


def load_livechallenge(root: str | os.PathLike) -> pd.DataFrame:
    """Read LIVE Challenge in ``root``: 1162 photographs (the 7 training entries dropped), MOS as is."""
    root = Path(root).resolve()
    if not (root / "Data").is_dir() and (root / LIVEC_FOLDER / "Data").is_dir():
        root = root / LIVEC_FOLDER  # <root> holds the unpacked folder itself
    names_path, mos_path = root / "Data" / "AllImages_release.mat", root / "Data" / "AllMOS_release.mat"
    names = _mat_strings(_livec_vector(names_path, "AllImages_release"))
    mos = _livec_vector(mos_path, "AllMOS_release")
    if len(names) != len(mos):
        raise InputError(f"{names_path} lists {len(names)} images but {mos_path} has {len(mos)} "
                         f"scores; they must match entry by entry\n{LIVEC_LAYOUT}")
    if len(names) <= LIVEC_TRAINING_ENTRIES:
        raise InputError(f"{names_path} lists {len(names)} images: only the "
                         f"{LIVEC_TRAINING_ENTRIES} rater-training entries, no rated image\n{LIVEC_LAYOUT}")
    images = _Folder(root / "Images", LIVEC_LAYOUT).require()
    keep = slice(LIVEC_TRAINING_ENTRIES, None)
    return _nr_table(names[keep], mos[keep], images, mos_path, LIVEC_LAYOUT, LIVEC_MOS_RANGE, "MOS")


# ---------------------------------------------------------------- registry and split

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


def is_no_reference(kind: str) -> bool:
    """True for the kinds of sets without reference images (:data:`NO_REFERENCE_KINDS`)."""
    return kind in NO_REFERENCE_KINDS


def load_iqa_set(kind: str, root: str | os.PathLike) -> pd.DataFrame:
    """Read the IQA set of type ``kind`` stored in ``root`` (see :data:`READERS`)."""
    if kind not in READERS:
        raise ValueError(f"unknown IQA set kind {kind!r}; known kinds: {sorted(READERS)}")
    return READERS[kind](root)


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
