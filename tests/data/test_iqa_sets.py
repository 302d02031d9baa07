"""Tests of the IQA set readers (asym.data.iqa_sets) on tiny fixtures in each official layout.

Every fixture is built in ``tmp_path`` by tests/iqa_fixtures.py: a few 8x8 images
written with PIL and label files in the format the set publishes (``.mat`` via scipy,
``.xlsx`` via openpyxl, CSV/TXT as text). Nothing is downloaded.
The checks every reader shares (direction and range declared, NaN, duplicate rows,
missing columns and files named with file and row, case-insensitive folders) run on
every set; the set-specific ones (score files, options, layouts) below them.
Run: ``python -m pytest tests/data/test_iqa_sets.py -q`` (a few seconds).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.io

from asym.data import iqa_sets
from asym.data.iqa_sets import (
    NO_REFERENCE_KINDS,
    RAW_COLUMNS,
    READER_OPTIONS,
    READERS,
    SCALES,
    check_reader_options,
    content_ids,
    is_no_reference,
    load_csiq,
    load_iqa_set,
    load_kadid10k,
    load_koniq10k,
    load_live,
    load_livechallenge,
    load_pipal,
    load_spaq,
    load_tid2013,
    reader_options,
    split_by_content,
    split_by_reference,
)
from asym.data.readers import common
from asym.data.readers import csiq as csiq_reader
from asym.data.readers import spaq as spaq_reader
from asym.io import InputError
from tests.iqa_fixtures import (
    BUILDERS,
    CSIQ_CSV,
    KADID_CSV,
    KONIQ_ROWS,
    LIVE_ROWS,
    LIVEC_ROWS,
    LIVEC_TRAINING,
    OPTIONS,
    SPAQ_ROWS,
    TID_LINES,
    build_csiq,
    build_kadid10k,
    build_koniq10k,
    build_live,
    build_livechallenge,
    build_pipal,
    build_spaq,
    build_tid2013,
    build_tqd,
)


def read(kind: str, root) -> pd.DataFrame:
    """A fixture's set through the public entry point, with the options it needs (TQD's direction)."""
    return load_iqa_set(kind, root, OPTIONS.get(kind))


def check_table(table: pd.DataFrame, n_rows: int, no_reference: bool = False) -> None:
    """Columns, row count, absolute existing paths (no reference for NR sets), float scores."""
    assert list(table.columns) == RAW_COLUMNS
    assert len(table) == n_rows
    paths = list(table["distorted"])
    if no_reference:
        assert table["reference"].isna().all()
    else:
        paths += list(table["reference"])
    for path in paths:
        assert isinstance(path, str) and Path(path).is_absolute() and Path(path).is_file()
    assert table["mos"].dtype == float and np.isfinite(table["mos"]).all()
    assert str(table["level"].dtype) == "Int64"


# (kind, builder, label file, a distorted image, a reference (NR: image) folder, rows)
SETS = [
    ("live", build_live, "dmos.mat", "wn/img3.bmp", "refimgs", len(LIVE_ROWS)),
    ("csiq", build_csiq, "csiq.DMOS.csv", "dst_imgs/blur/1600.BLUR.2.png", "src_imgs", 4),
    ("tid2013", build_tid2013, "mos_with_names.txt", "distorted_images/i02_10_2.bmp",
     "reference_images", len(TID_LINES)),
    ("kadid10k", build_kadid10k, "dmos.csv", "images/I01_10_05.png", "images", 3),
    ("pipal", build_pipal, "Train_Label", "Distortion_2/A0001_10_05.bmp", "Train_Ref", 3),
    ("tqd", build_tqd, "mos.csv", "distorted/bark_jpeg3.png", "reference", 3),
    ("koniq10k", build_koniq10k, "koniq10k_scores_and_distributions.csv",
     "1024x768/10007357496.jpg", "1024x768", len(KONIQ_ROWS)),
    ("spaq", build_spaq, "Annotations/MOS and Image attribute scores.xlsx", "TestImage/00002.jpg",
     "TestImage", len(SPAQ_ROWS)),
    ("livechallenge", build_livechallenge, "Data/AllImages_release.mat", "Images/1000.JPG",
     "Images", len(LIVEC_ROWS)),
]
SET_IDS = [s[0] for s in SETS]


# ---------------------------------------------------------------- every set

def test_readers_registered():
    assert set(READERS) == {"synthetic", "live", "csiq", "tid2013", "kadid10k", "pipal", "tqd",
                            "koniq10k", "spaq", "livechallenge"}
    assert set(BUILDERS) == set(READERS) - {"synthetic"}  # a fixture for every published set
    assert NO_REFERENCE_KINDS == {"koniq10k", "spaq", "livechallenge"}
    assert is_no_reference("spaq") and not is_no_reference("kadid10k")
    assert iqa_sets.MOS_HIGHER_BETTER is True


@pytest.mark.parametrize("kind, build, label, distorted, refs, n_rows", SETS, ids=SET_IDS)
def test_reader_reads_official_layout(tmp_path, kind, build, label, distorted, refs, n_rows):
    root = build(tmp_path / kind)
    table = read(kind, root)
    check_table(table, n_rows, no_reference=is_no_reference(kind))
    assert str(root / distorted) in set(table["distorted"])
    assert table.equals(READERS[kind](str(root), **OPTIONS.get(kind, {})))  # str roots work as well as Path


@pytest.mark.parametrize("kind, build, label, distorted, refs, n_rows", SETS, ids=SET_IDS)
def test_missing_label_file_names_it_and_the_layout(tmp_path, kind, build, label, distorted,
                                                    refs, n_rows):
    root = build(tmp_path / kind)
    path = root / label
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()
    with pytest.raises(InputError) as info:
        read(kind, root)
    message = str(info.value)
    assert str(Path(label)) in message and "expected layout" in message and "<root>/" in message


@pytest.mark.parametrize("kind, build, label, distorted, refs, n_rows", SETS, ids=SET_IDS)
def test_missing_distorted_image_is_named(tmp_path, kind, build, label, distorted, refs, n_rows):
    root = build(tmp_path / kind)
    (root / distorted).unlink()
    with pytest.raises(InputError, match=Path(distorted).name) as info:
        read(kind, root)
    assert "expected layout" in str(info.value)
    assert any(w in str(info.value) for w in ("line", "row", "entry"))  # the row that lists it


@pytest.mark.parametrize("kind, build, label, distorted, refs, n_rows", SETS, ids=SET_IDS)
def test_missing_reference_folder_is_named(tmp_path, kind, build, label, distorted, refs, n_rows):
    root = build(tmp_path / kind)
    shutil.rmtree(root / refs)
    with pytest.raises(InputError, match=refs) as info:
        read(kind, root)
    assert "expected layout" in str(info.value)


def test_every_reader_declares_direction_and_range():
    assert set(SCALES) == set(READERS)
    for kind, scale in SCALES.items():
        if kind == "tqd":  # cannot be known from its files: declared in the config
            assert scale is None and "direction" in READER_OPTIONS["tqd"]
            continue
        assert scale.direction in common.DIRECTIONS and scale.published[0] < scale.published[1]
        assert scale.accepted[0] <= scale.published[0] and scale.accepted[1] >= scale.published[1]
    assert not SCALES["live"].higher_better and not SCALES["csiq"].higher_better  # DMOS
    assert SCALES["kadid10k"].higher_better  # its "dmos" is a 1-5 rating, 5 = imperceptible
    assert SCALES["koniq10k"].name == "MOS_zscore" and SCALES["koniq10k"].published == (0.0, 100.0)


def _set_first_score(kind: str, root: Path, value: str) -> str:
    """Write ``value`` as the score of the first rated image of a fixture; return where the reader
    must say it is (file row)."""
    if kind == "live":
        mat = scipy.io.loadmat(root / "dmos.mat")
        mat["dmos"][0, 0] = float(value)
        scipy.io.savemat(root / "dmos.mat", {"dmos": mat["dmos"], "orgs": mat["orgs"]})
        return "entry 1"
    if kind == "livechallenge":
        path = root / "Data" / "AllMOS_release.mat"
        mos = scipy.io.loadmat(path)["AllMOS_release"]
        mos[0, len(LIVEC_TRAINING)] = float(value)
        scipy.io.savemat(path, {"AllMOS_release": mos})
        return f"entry {len(LIVEC_TRAINING) + 1}"
    if kind == "spaq":
        xlsx = root / iqa_sets.SPAQ_XLSX
        sheet = pd.read_excel(xlsx)
        sheet.loc[0, "MOS"] = float(value)
        sheet.to_excel(xlsx, index=False)
        return "row 2"
    edits = {"csiq": ("csiq.DMOS.csv", ",0.062\n", f",{value}\n", "row 3"),
             "tid2013": ("mos_with_names.txt", "5.51429 ", f"{value} ", "line 1"),
             "kadid10k": ("dmos.csv", ",4.57,", f",{value},", "line 2"),
             "pipal": ("Train_Label/A0001.txt", ",1456.2", f",{value}", "A0001.txt line 1"),
             "tqd": ("mos.csv", ",4.2,", f",{value},", "line 2"),
             "koniq10k": ("koniq10k_scores_and_distributions.csv", ",77.38", f",{value}", "line 2")}
    name, old, new, where = edits[kind]
    text = (root / name).read_text()
    assert old in text
    (root / name).write_text(text.replace(old, new, 1))
    return where


@pytest.mark.parametrize("kind, build, label, distorted, refs, n_rows", SETS, ids=SET_IDS)
def test_score_not_a_number_is_refused_naming_file_and_row(tmp_path, kind, build, label, distorted, refs,
                                                           n_rows):
    root = build(tmp_path / kind)
    where = _set_first_score(kind, root, "nan")
    with pytest.raises(InputError, match="not a number") as info:
        read(kind, root)
    assert where in str(info.value) and Path(label).name in str(info.value)


@pytest.mark.parametrize("kind, build, label, distorted, refs, n_rows", SETS, ids=SET_IDS)
def test_score_outside_the_declared_range_is_refused_naming_file_and_row(tmp_path, kind, build, label,
                                                                         distorted, refs, n_rows):
    root = build(tmp_path / kind)
    where = _set_first_score(kind, root, "100000")
    with pytest.raises(InputError, match="outside the accepted range") as info:
        read(kind, root)
    assert where in str(info.value) and Path(label).name in str(info.value)


def _duplicate_first_row(kind: str, root: Path) -> None:
    if kind == "livechallenge":
        names_path = root / "Data" / "AllImages_release.mat"
        names = scipy.io.loadmat(names_path)["AllImages_release"]
        names[len(LIVEC_TRAINING) + 1, 0] = names[len(LIVEC_TRAINING), 0]
        scipy.io.savemat(names_path, {"AllImages_release": names})
        return
    if kind == "spaq":
        xlsx = root / iqa_sets.SPAQ_XLSX
        sheet = pd.read_excel(xlsx)
        pd.concat([sheet, sheet.iloc[:1]]).to_excel(xlsx, index=False)
        return
    name = {"csiq": "csiq.DMOS.csv", "tid2013": "mos_with_names.txt", "kadid10k": "dmos.csv",
            "pipal": "Train_Label/A0002.txt", "tqd": "mos.csv",
            "koniq10k": "koniq10k_scores_and_distributions.csv"}[kind]
    lines = (root / name).read_text().splitlines()
    first = {"csiq": 2, "tid2013": 0, "pipal": 0}.get(kind, 1)  # the first data line
    (root / name).write_text("\n".join(lines + [lines[first]]) + "\n")


@pytest.mark.parametrize("kind, build, label, distorted, refs, n_rows",
                         [s for s in SETS if s[0] != "live"], ids=[k for k in SET_IDS if k != "live"])
def test_image_listed_twice_is_refused_naming_both_rows(tmp_path, kind, build, label, distorted, refs,
                                                        n_rows):
    # (LIVE's score files cannot list an image twice: entry k is <folder>/img<k>.bmp.)
    root = build(tmp_path / kind)
    _duplicate_first_row(kind, root)
    with pytest.raises(InputError, match="listed twice") as info:
        read(kind, root)
    assert "remove the duplicate row" in str(info.value)


@pytest.mark.parametrize("kind, build, label, distorted, refs, n_rows", SETS, ids=SET_IDS)
def test_folder_names_are_matched_case_insensitively(tmp_path, kind, build, label, distorted, refs, n_rows):
    root = build(tmp_path / kind)
    expected = read(kind, root)
    (root / refs).rename(root / refs.upper())  # e.g. REFIMGS/, SRC_IMGS/, TESTIMAGE/
    table = read(kind, root)
    assert len(table) == n_rows and table["mos"].equals(expected["mos"])


def test_missing_columns_are_named(tmp_path):
    root = build_kadid10k(tmp_path / "kadid")
    (root / "dmos.csv").write_text(KADID_CSV.replace("dmos,var", "score,var"))
    with pytest.raises(InputError, match=r"dmos\.csv lacks column\(s\) \['dmos'\]"):
        load_kadid10k(root)


def test_reader_options_come_from_the_config_entry_and_are_checked():
    entry = {"kind": "tqd", "root": "data/tqd", "direction": "lower_better", "score_range": [0, 1]}
    assert reader_options(entry) == {"direction": "lower_better", "score_range": [0, 1]}
    assert check_reader_options("tqd", reader_options(entry)) == []
    assert any("needs 'direction'" in p for p in check_reader_options("tqd", {}))
    assert any("needs 'score_range' ([low, high])" in p for p in check_reader_options("tqd", {"direction": "x"}))
    assert any("'realigned' is not an option of 'kadid10k'" in p
               for p in check_reader_options("kadid10k", {"realigned": True}))
    with pytest.raises(InputError, match="'realigned' is not an option of 'kadid10k'"):
        load_iqa_set("kadid10k", "/nonexistent", {"realigned": True})


# ---------------------------------------------------------------- LIVE

def test_live_scores_direction_and_parsing(tmp_path):
    table = load_live(build_live(tmp_path / "live"))
    assert list(table["distortion"]) == [row[1] for row in LIVE_ROWS]
    assert [Path(p).name for p in table["distorted"]] == [f"img{row[2]}.bmp" for row in LIVE_ROWS]
    assert [Path(p).name for p in table["reference"]] == [row[3] for row in LIVE_ROWS]
    assert list(table["mos_raw"]) == [row[4] for row in LIVE_ROWS]
    assert (table["mos"] == -table["mos_raw"]).all()
    # DMOS: the least-degraded image (lowest DMOS) must have the highest mos.
    assert table["mos"].idxmax() == table["mos_raw"].idxmin()
    assert table["level"].isna().all()  # LIVE has no discrete levels


def test_live_realigned_and_wrong_length(tmp_path):
    root = build_live(tmp_path / "live")
    from asym.data.readers import live

    assert live.REALIGNED_DEFAULT is False  # as pyiqa's meta information: dmos.mat
    assert list(load_live(root)["mos_raw"]) == [row[4] for row in LIVE_ROWS]
    realigned = load_iqa_set("live", root, {"realigned": True})
    assert list(realigned["mos_raw"]) == [row[4] + 1.0 for row in LIVE_ROWS]
    assert load_iqa_set("live", root, {"realigned": False}).equals(load_live(root))
    with pytest.raises(InputError, match="realigned must be true or false"):
        load_iqa_set("live", root, {"realigned": "yes"})
    (root / "dmos_realigned.mat").unlink()
    with pytest.raises(InputError, match="dmos_realigned.mat"):
        load_live(root, realigned=True)
    scipy.io.savemat(root / "dmos.mat", {"dmos": np.zeros((1, 10)), "orgs": np.zeros((1, 10))})
    with pytest.raises(InputError, match="982"):
        load_live(root)


def test_live_range_check(tmp_path):
    root = build_live(tmp_path / "live")
    mat = scipy.io.loadmat(root / "dmos.mat")
    mat["dmos"][0, 0] = 400.0
    scipy.io.savemat(root / "dmos.mat", {"dmos": mat["dmos"], "orgs": mat["orgs"]})
    with pytest.raises(InputError, match="range"):
        load_live(root)


# ---------------------------------------------------------------- CSIQ

def test_csiq_upper_case_folders_of_repacked_copies(tmp_path):
    table = load_csiq(build_csiq(tmp_path / "csiq", upper_case_folders=True))
    assert [Path(p).parent.name for p in table["distorted"]] == ["AWGN", "BLUR", "JPEG2000", "CONTRAST"]
    plain = load_csiq(build_csiq(tmp_path / "plain"))
    assert table[["distortion", "level", "mos"]].equals(plain[["distortion", "level", "mos"]])


def test_csiq_csv_export_scores_direction_and_parsing(tmp_path):
    table = load_csiq(build_csiq(tmp_path / "csiq"))
    assert list(table["distortion"]) == ["awgn", "blur", "jpeg2000", "contrast"]
    assert list(table["level"]) == [1, 2, 3, 4]
    assert [Path(p).name for p in table["reference"]] == ["1600.png"] * 2 + ["cactus.png"] * 2
    assert list(table["mos_raw"]) == [0.062, 0.3, 0.5, 0.21]
    assert (table["mos"] == -table["mos_raw"]).all()
    assert table["mos"].idxmax() == table["mos_raw"].idxmin()


def test_csiq_official_xlsx(tmp_path):
    pytest.importorskip("openpyxl")
    root = build_csiq(tmp_path / "csiq")
    (root / "csiq.DMOS.csv").unlink()
    # As in the official file: an empty first row and column, numeric image names and levels.
    cells = [[None] * 7, [None, "image", "dst_idx", "dst_type", "dst_lev", "dmos_std", "dmos"],
             [None, 1600, 1, "noise", 1, 0.061, 0.062], [None, 1600, 5, "blur", 2, 0.05, 0.3],
             [None, "cactus", 3, "jpeg 2000", 3, 0.1, 0.5],
             [None, "cactus", 6, "contrast", 4, 0.1, 0.21]]
    pd.DataFrame(cells).to_excel(root / "csiq.DMOS.xlsx", sheet_name="all_by_image",
                                 header=False, index=False)
    from_xlsx, from_csv = load_csiq(root), load_csiq(build_csiq(tmp_path / "csv"))
    for column in ("reference", "distorted"):
        assert [Path(p).relative_to(root) for p in from_xlsx[column]] == \
            [Path(p).relative_to(tmp_path / "csv") for p in from_csv[column]]
    columns = ["distortion", "level", "mos", "mos_raw"]
    assert from_xlsx[columns].equals(from_csv[columns])


def test_csiq_xlsx_without_openpyxl_explains_both_ways(tmp_path, monkeypatch):
    root = build_csiq(tmp_path / "csiq")
    (root / "csiq.DMOS.csv").unlink()
    (root / "csiq.DMOS.xlsx").write_bytes(b"PK placeholder")
    monkeypatch.setattr(csiq_reader, "has_openpyxl", lambda: False)
    with pytest.raises(InputError, match="openpyxl") as info:
        load_csiq(root)
    assert "csiq.DMOS.csv" in str(info.value) and "all_by_image" in str(info.value)


def test_csiq_bad_sheet(tmp_path):
    root = build_csiq(tmp_path / "csiq")
    (root / "csiq.DMOS.csv").write_text(CSIQ_CSV.replace("dst_type", "kind"))
    with pytest.raises(InputError, match="header"):
        load_csiq(root)
    (root / "csiq.DMOS.csv").write_text(CSIQ_CSV.replace("0.062", "62"))
    with pytest.raises(InputError, match="range"):
        load_csiq(root)
    (root / "csiq.DMOS.csv").write_text(CSIQ_CSV.replace("jpeg 2000", "jpeg 3000"))
    with pytest.raises(InputError, match="jpeg 3000"):
        load_csiq(root)


# ---------------------------------------------------------------- TID2013

def test_tid2013_parsing_and_case_mix(tmp_path):
    table = load_tid2013(build_tid2013(tmp_path / "tid"))
    assert list(table["distortion"]) == ["additive_gaussian_noise", "gaussian_blur", "jpeg",
                                         "sparse_sampling_reconstruction"]
    assert list(table["level"]) == [1, 5, 2, 3]
    assert [Path(p).name for p in table["reference"]] == ["I01.BMP", "I01.BMP", "I02.BMP",
                                                          "i25.bmp"]
    assert list(table["mos"]) == [5.51429, 3.25, 6.0, 1.5]  # MOS: used as is
    assert (table["mos"] == table["mos_raw"]).all()


def test_tid2013_range_and_malformed_line(tmp_path):
    root = build_tid2013(tmp_path / "tid")
    labels = root / "mos_with_names.txt"
    labels.write_text("\n".join(TID_LINES).replace("6.0 ", "9.5 "))
    with pytest.raises(InputError, match=r"\[0, 9\]"):
        load_tid2013(root)
    labels.write_text("5.0 i01_01_1.bmp\nnot-a-number i01_08_5.bmp\n")
    with pytest.raises(InputError, match="line 2"):
        load_tid2013(root)


# ---------------------------------------------------------------- KADID-10k

def test_kadid10k_parsing_and_direction(tmp_path):
    table = load_kadid10k(build_kadid10k(tmp_path / "kadid"))
    assert list(table["distortion"]) == ["gaussian_blur", "jpeg", "contrast_change"]
    assert list(table["level"]) == [1, 5, 3]
    # The published "dmos" is already higher = better: kept as is.
    assert list(table["mos"]) == [4.57, 1.23, 3.1]
    assert (table["mos"] == table["mos_raw"]).all()


def test_kadid10k_range(tmp_path):
    root = build_kadid10k(tmp_path / "kadid")
    (root / "dmos.csv").write_text(KADID_CSV.replace("4.57", "45.7"))
    with pytest.raises(InputError, match=r"\[1, 5\]"):
        load_kadid10k(root)


# ---------------------------------------------------------------- PIPAL

def test_pipal_parsing(tmp_path):
    table = load_pipal(build_pipal(tmp_path / "pipal"))
    assert list(table["distortion"]) == ["type_00", "type_10", "type_03"]
    assert list(table["level"]) == [0, 5, 1]
    assert [Path(p).name for p in table["reference"]] == ["A0001.bmp", "A0001.bmp", "A0002.bmp"]
    assert list(table["mos"]) == [1456.2, 1100.5, 1600.75]  # Elo: higher = better, as is


def test_pipal_distributed_parts_and_merged_folder(tmp_path):
    table = load_pipal(build_pipal(tmp_path / "pipal"))  # Distortion_1 ... as distributed
    check_table(table, 3)
    assert {Path(p).parent.name for p in table["distorted"]} == {"Distortion_1", "Distortion_2"}
    merged = load_pipal(build_pipal(tmp_path / "merged", split_folders=False))
    assert {Path(p).parent.name for p in merged["distorted"]} == {"Train_Dis"}
    assert merged["mos"].equals(table["mos"])
    for part in ("Distortion_1", "Distortion_2"):
        shutil.rmtree(tmp_path / "pipal" / part)
    with pytest.raises(InputError, match="Distortion_1, Distortion_2, Distortion_3, Distortion_4"):
        load_pipal(tmp_path / "pipal")


def test_pipal_range_and_malformed(tmp_path):
    root = build_pipal(tmp_path / "pipal")
    (root / "Train_Label" / "A0002.txt").write_text("A0002_03_01.bmp,-5\n")
    with pytest.raises(InputError, match="Elo"):
        load_pipal(root)
    (root / "Train_Label" / "A0002.txt").write_text("A0002_03_01.bmp\n")
    with pytest.raises(InputError, match="A0002.txt, line 1"):
        load_pipal(root)


# ---------------------------------------------------------------- TQD (no public release)

def test_tqd_reads_with_a_declared_direction(tmp_path):
    root = build_tqd(tmp_path / "tqd")
    table = read("tqd", root)
    assert list(table["distortion"]) == ["synthesis", "jpeg", "synthesis"]
    assert list(table["level"]) == [1, 3, 1]
    assert list(table["mos"]) == [4.2, 2.1, 3.3] and (table["mos"] == table["mos_raw"]).all()


def test_tqd_without_a_declared_direction_is_refused(tmp_path):
    root = build_tqd(tmp_path / "tqd")
    with pytest.raises(InputError, match="direction") as info:
        load_iqa_set("tqd", root)
    message = str(info.value)
    assert "higher_better | lower_better" in message and "data.iqa_sets" in message
    assert "dingkeyan93/DISTS" in message  # where a copy can be requested
    with pytest.raises(InputError, match="direction must be one of"):
        load_iqa_set("tqd", root, {"direction": "up"})
    with pytest.raises(InputError, match="range of its scores is not declared") as info:  # nor its scale
        load_iqa_set("tqd", root, {"direction": "higher_better"})
    assert "score_range: [low, high]" in str(info.value)


def test_tqd_distance_scores_are_refused_without_a_direction_and_flipped_with_one(tmp_path):
    root = build_tqd(tmp_path / "tqd")
    # A copy whose scores are distances (lower = better): the files alone cannot say so.
    (root / "mos.csv").write_text("reference,distorted,dmos\n"
                                  "reference/bark.png,distorted/bark_synth1.png,0.1\n"
                                  "reference/bark.png,distorted/bark_jpeg3.png,0.7\n")
    with pytest.raises(InputError, match="not declared"):
        load_iqa_set("tqd", root)
    table = load_iqa_set("tqd", root, {"direction": "lower_better", "score_range": [0, 1]})
    assert list(table["mos"]) == [-0.1, -0.7] and list(table["mos_raw"]) == [0.1, 0.7]
    assert table["mos"].idxmax() == table["mos_raw"].idxmin()
    assert list(table["distortion"]) == ["unspecified"] * 2 and table["level"].isna().all()
    with pytest.raises(InputError, match="outside the accepted range"):  # a declared scale is checked
        load_iqa_set("tqd", root, {"direction": "lower_better", "score_range": [0, 0.5]})


def test_tqd_score_column(tmp_path):
    root = build_tqd(tmp_path / "tqd")
    (root / "mos.csv").write_text("ref_name,dist_name,quality\n"
                                  "reference/bark.png,distorted/bark_synth1.png,4\n")
    declared = {"direction": "higher_better", "score_range": [0, 10]}
    with pytest.raises(InputError, match="mos / dmos / score"):
        load_iqa_set("tqd", root, declared)
    table = load_iqa_set("tqd", root, {**declared, "score_column": "quality"})
    assert list(table["mos"]) == [4.0]
    (root / "mos.csv").write_text("ref_name,dist_name,mos,dmos\n"
                                  "reference/bark.png,distorted/bark_synth1.png,4,1\n")
    with pytest.raises(InputError, match="several score columns"):
        load_iqa_set("tqd", root, declared)
    with pytest.raises(InputError, match="score_range must be"):
        load_iqa_set("tqd", root, {"direction": "higher_better", "score_range": [5, 1]})


# ---------------------------------------------------------------- KonIQ-10k

def test_koniq10k_reads_mos_zscore_by_default(tmp_path):
    table = load_koniq10k(build_koniq10k(tmp_path / "koniq"))
    assert [Path(p).name for p in table["distorted"]] == [r[0] for r in KONIQ_ROWS]
    assert {Path(p).parent.name for p in table["distorted"]} == {"1024x768"}
    # MOS_zscore (0-100, higher = better), the scale of published KonIQ results, as is.
    assert list(table["mos"]) == [r[2] for r in KONIQ_ROWS]
    assert (table["mos"] == table["mos_raw"]).all()
    assert table["mos"].idxmax() == 3 and table["mos"].idxmin() == 2
    assert set(table["distortion"]) == {"authentic"} and table["level"].isna().all()
    one_to_five = load_iqa_set("koniq10k", tmp_path / "koniq", {"score_column": "MOS"})
    assert list(one_to_five["mos"]) == [r[1] for r in KONIQ_ROWS]
    with pytest.raises(InputError, match="score_column must be one of"):
        load_iqa_set("koniq10k", tmp_path / "koniq", {"score_column": "SD"})


def test_koniq10k_half_size_release_and_preference(tmp_path):
    root = build_koniq10k(tmp_path / "koniq", folder="512x384")
    assert {Path(p).parent.name for p in load_koniq10k(root)["distorted"]} == {"512x384"}
    build_koniq10k(root)  # both releases present: the full-size one is read
    assert {Path(p).parent.name for p in load_koniq10k(root)["distorted"]} == {"1024x768"}
    shutil.rmtree(root / "1024x768")
    shutil.rmtree(root / "512x384")
    with pytest.raises(InputError, match="512x384") as info:
        load_koniq10k(root)
    assert "1024x768" in str(info.value)


def test_koniq10k_columns_and_range(tmp_path):
    root = build_koniq10k(tmp_path / "koniq")
    labels = root / "koniq10k_scores_and_distributions.csv"
    text = labels.read_text()
    labels.write_text(text.replace('"MOS_zscore"', '"MOS_z"'))
    with pytest.raises(InputError, match=r"lacks column\(s\) \['MOS_zscore'\]"):
        load_koniq10k(root)
    labels.write_text(text.replace(",3.82,", ",77.38,"))  # a 0-100 score in the 1-5 column
    with pytest.raises(InputError, match=r"\[1, 5\]"):
        load_koniq10k(root, score_column="MOS")


# ---------------------------------------------------------------- SPAQ

def test_spaq_parsing_and_direction(tmp_path):
    table = load_spaq(build_spaq(tmp_path / "spaq"))
    assert [Path(p).name for p in table["distorted"]] == [r[0] for r in SPAQ_ROWS]
    assert list(table["mos"]) == [r[1] for r in SPAQ_ROWS]  # MOS 0-100, higher = better
    assert (table["mos"] == table["mos_raw"]).all()
    assert set(table["distortion"]) == {"authentic"} and table["reference"].isna().all()


def test_spaq_other_sheets_and_csv_export(tmp_path):
    root = build_spaq(tmp_path / "spaq")
    xlsx = root / iqa_sets.SPAQ_XLSX
    sheet = pd.read_excel(xlsx)
    # A first sheet without the ratings: the ratings sheet is found by its header.
    with pd.ExcelWriter(xlsx) as writer:
        pd.DataFrame({"note": ["EXIF data"]}).to_excel(writer, sheet_name="Info", index=False)
        sheet.to_excel(writer, sheet_name="MOS", index=False)
    assert list(load_spaq(root)["mos"]) == [r[1] for r in SPAQ_ROWS]
    xlsx.unlink()
    sheet.to_csv(root / iqa_sets.SPAQ_CSV, index=False)
    assert list(load_spaq(root)["mos"]) == [r[1] for r in SPAQ_ROWS]


def test_spaq_errors(tmp_path, monkeypatch):
    root = build_spaq(tmp_path / "spaq")
    xlsx = root / iqa_sets.SPAQ_XLSX
    sheet = pd.read_excel(xlsx)
    sheet.rename(columns={"MOS": "Score"}).to_excel(xlsx, index=False)
    with pytest.raises(InputError, match="'Image name' and 'MOS'"):
        load_spaq(root)
    sheet.assign(MOS=sheet["MOS"] * 10).to_excel(xlsx, index=False)
    with pytest.raises(InputError, match=r"\[0, 100\]"):
        load_spaq(root)
    monkeypatch.setattr(spaq_reader, "has_openpyxl", lambda: False)
    with pytest.raises(InputError, match="openpyxl") as info:
        load_spaq(root)
    assert "MOS and Image attribute scores.csv" in str(info.value)


# ---------------------------------------------------------------- LIVE Challenge

def test_livechallenge_drops_the_training_entries(tmp_path):
    root = build_livechallenge(tmp_path / "ChallengeDB_release")
    table = load_livechallenge(root)
    assert [Path(p).name for p in table["distorted"]] == [r[0] for r in LIVEC_ROWS]
    assert list(table["mos"]) == [r[1] for r in LIVEC_ROWS]  # MOS 0-100, higher = better
    assert not any("trainingImages" in p for p in table["distorted"])
    shutil.rmtree(root / "Images" / "trainingImages")  # never read
    assert load_livechallenge(root).equals(table)
    # The parent of the unpacked folder is accepted too.
    assert list(load_livechallenge(tmp_path)["mos"]) == list(table["mos"])
    assert len(LIVEC_TRAINING) == iqa_sets.LIVEC_TRAINING_ENTRIES


def test_livechallenge_inconsistent_mat_files(tmp_path):
    root = build_livechallenge(tmp_path / "livec")
    mos_file = root / "Data" / "AllMOS_release.mat"
    mos = scipy.io.loadmat(mos_file)["AllMOS_release"]
    scipy.io.savemat(mos_file, {"AllMOS_release": mos[:, :-1]})
    with pytest.raises(InputError, match="match entry by entry"):
        load_livechallenge(root)
    scipy.io.savemat(mos_file, {"AllMOS_release": mos * 10})
    with pytest.raises(InputError, match=r"\[0, 100\]"):
        load_livechallenge(root)
    scipy.io.savemat(mos_file, {"mos": mos})
    with pytest.raises(InputError, match="no variable 'AllMOS_release'"):
        load_livechallenge(root)


# ---------------------------------------------------------------- split_by_reference

def toy_table(n_refs: int = 10, per_ref: int = 3) -> pd.DataFrame:
    rows = [{"reference": f"/data/ref{r:02d}.png", "distorted": f"/data/ref{r:02d}_{k}.png",
             "distortion": "blur", "level": k, "mos": float(k)}
            for r in range(n_refs) for k in range(per_ref)]
    return pd.DataFrame(rows)


def test_split_by_reference_disjoint_and_complete():
    table = toy_table()
    train, test = split_by_reference(table, 0.3, seed=0)
    assert set(train["reference"]).isdisjoint(test["reference"])
    assert len(test["reference"].unique()) == 3 and len(train) + len(test) == len(table)
    merged = pd.concat([train, test]).sort_values("distorted").reset_index(drop=True)
    assert merged.equals(table.sort_values("distorted").reset_index(drop=True))
    assert list(train.columns) == list(table.columns)


def test_split_by_reference_deterministic():
    table = toy_table()
    first = split_by_reference(table, 0.3, seed=7)
    again = split_by_reference(table, 0.3, seed=7)
    shuffled = split_by_reference(table.sample(frac=1.0, random_state=1), 0.3, seed=7)
    assert first[0].equals(again[0]) and first[1].equals(again[1])
    assert set(shuffled[1]["reference"]) == set(first[1]["reference"])  # row order is irrelevant
    test_sets = {frozenset(split_by_reference(table, 0.3, seed=s)[1]["reference"]) for s in range(5)}
    assert len(test_sets) > 1  # the seed matters


def test_split_by_reference_both_parts_non_empty():
    table = toy_table(n_refs=2)
    for fraction in (0.01, 0.5, 0.99):
        train, test = split_by_reference(table, fraction, seed=0)
        assert len(train) and len(test)
    for fraction in (0.0, 1.0, -0.1):
        with pytest.raises(ValueError, match="test_fraction"):
            split_by_reference(table, fraction, seed=0)
    with pytest.raises(ValueError, match="two reference"):
        split_by_reference(toy_table(n_refs=1), 0.5, seed=0)


def test_split_reader_table(tmp_path):
    table = load_tid2013(build_tid2013(tmp_path / "tid"))
    train, test = split_by_reference(table, 0.34, seed=0)
    assert set(train["reference"]).isdisjoint(test["reference"])
    assert list(train.columns) == RAW_COLUMNS and len(train) + len(test) == len(table)


def test_split_no_reference_table_by_image(tmp_path):
    table = load_koniq10k(build_koniq10k(tmp_path / "koniq"))
    assert list(content_ids(table)) == list(table["distorted"])  # each photo is its own content
    train, test = split_by_content(table, 0.25, seed=3)
    assert len(test) == 1 and len(train) == 3
    assert set(train["distorted"]).isdisjoint(test["distorted"])
    assert train["reference"].isna().all() and list(train.columns) == RAW_COLUMNS
    assert split_by_reference is split_by_content
    seeds = {tuple(split_by_content(table, 0.25, seed=s)[1]["distorted"]) for s in range(8)}
    assert len(seeds) > 1


def test_split_mixed_table_keeps_references_together(tmp_path):
    fr = load_tid2013(build_tid2013(tmp_path / "tid"))
    nr = load_livechallenge(build_livechallenge(tmp_path / "livec"))
    mixed = pd.concat([fr, nr], ignore_index=True)
    ids = content_ids(mixed)
    assert list(ids[: len(fr)]) == list(fr["reference"]) and list(ids[len(fr):]) == list(nr["distorted"])
    for seed in range(5):
        train, test = split_by_content(mixed, 0.5, seed)
        assert set(content_ids(train)).isdisjoint(content_ids(test))
        assert len(train) + len(test) == len(mixed)


# ---------------------------------------------------------------- options from the config to the jobs

def test_scoring_job_reads_tqd_only_with_the_declared_direction(tmp_path):
    from asym.assess import score

    root = build_tqd(tmp_path / "tqd")
    args = ["--metric-spec", '{"name": "l1", "kind": "l1", "group": "pixel"}', "--dataset", "tqd", "--kind", "tqd",
            "--root", str(root), "--out", str(tmp_path / "scores.csv")]
    with pytest.raises(InputError, match="direction"):
        score.main(args)
    score.main(args + ["--reader-options", '{"direction": "lower_better", "score_range": [0, 10]}'])
    table = pd.read_csv(tmp_path / "scores.csv")
    assert list(table["mos"]) == [-4.2, -2.1, -3.3]  # the declared direction, applied


def test_config_refuses_a_reader_option_of_another_kind(tiny_cfg):
    import copy

    from asym.config import ConfigError, validate

    cfg = copy.deepcopy(tiny_cfg)
    name = next(iter(cfg["data"]["iqa_sets"]))
    cfg["data"]["iqa_sets"][name]["realigned"] = True  # a LIVE option on the synthetic set
    with pytest.raises(ConfigError, match=f"data.iqa_sets.{name}: 'realigned' is not an option"):
        validate(cfg)
    cfg["data"]["iqa_sets"][name] = {**tiny_cfg["data"]["iqa_sets"][name], "kind": "tqd", "direction": "sideways"}
    with pytest.raises(ConfigError, match="direction"):
        validate(cfg)
