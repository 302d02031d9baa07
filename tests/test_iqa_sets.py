"""Tests of the IQA set readers (asym.data.iqa_sets) on tiny fixtures in each official layout.

Every fixture is built in ``tmp_path``: a few 8x8 images written with PIL and label
files in the format the set publishes (``.mat`` via scipy, CSV/TXT as text). Nothing
is downloaded. Run: ``python -m pytest tests/test_iqa_sets.py -q`` (a few seconds).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.io
from PIL import Image

from asym.data import iqa_sets
from asym.data.iqa_sets import (
    RAW_COLUMNS,
    READERS,
    load_csiq,
    load_iqa_set,
    load_kadid10k,
    load_live,
    load_pipal,
    load_tid2013,
    load_tqd,
    split_by_reference,
)
from asym.io import InputError


def write_image(path: Path, value: int = 128) -> None:
    """An 8x8 grey RGB image; the format follows the suffix (.png, .bmp, .BMP)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((8, 8, 3), value, dtype=np.uint8)).save(
        path, format="BMP" if path.suffix.lower() == ".bmp" else "PNG")


def check_table(table: pd.DataFrame, n_rows: int) -> None:
    """Columns, row count, absolute existing paths, float scores."""
    assert list(table.columns) == RAW_COLUMNS
    assert len(table) == n_rows
    for path in list(table["reference"]) + list(table["distorted"]):
        assert isinstance(path, str) and Path(path).is_absolute() and Path(path).is_file()
    assert table["mos"].dtype == float and np.isfinite(table["mos"]).all()
    assert str(table["level"].dtype) == "Int64"


# ---------------------------------------------------------------- fixtures, one per set

LIVE_ROWS = [  # (entry index in the .mat arrays, folder, image number, reference, dmos)
    (0, "jp2k", 1, "bikes.bmp", 40.0),
    (1, "jp2k", 2, "parrots.bmp", 12.5),
    (227, "jpeg", 1, "bikes.bmp", 70.0),
    (462, "wn", 3, "ocean.bmp", 25.0),
    (981, "fastfading", 174, "parrots.bmp", 55.0),
]


def build_live(root: Path) -> Path:
    n = iqa_sets.LIVE_ENTRIES
    dmos, orgs = np.zeros((1, n)), np.ones((1, n))  # every other entry is a reference copy
    names = np.empty((1, n), dtype=object)
    names[:] = "bikes.bmp"
    for entry, folder, k, ref, score in LIVE_ROWS:
        dmos[0, entry], orgs[0, entry], names[0, entry] = score, 0, ref
        write_image(root / folder / f"img{k}.bmp", int(score))
    for ref in ("bikes.bmp", "parrots.bmp", "ocean.bmp"):
        write_image(root / "refimgs" / ref)
    scipy.io.savemat(root / "dmos.mat", {"dmos": dmos, "orgs": orgs})
    scipy.io.savemat(root / "dmos_realigned.mat", {"dmos_new": dmos + 1.0, "orgs": orgs})
    scipy.io.savemat(root / "refnames_all.mat", {"refnames_all": names})  # a cell array
    return root


CSIQ_CSV = """,,,,,,
,image,dst_idx,dst_type,dst_lev,dmos_std,dmos
,1600,1,noise,1,0.061,0.062
,1600,5,blur,2,0.05,0.3
,cactus,3,jpeg 2000,3,0.1,0.5
,cactus,6,contrast,4,0.1,0.21
,,,,,,
"""
CSIQ_FILES = ["awgn/1600.AWGN.1.png", "blur/1600.BLUR.2.png",
              "jpeg2000/cactus.jpeg2000.3.png", "contrast/cactus.contrast.4.png"]


def build_csiq(root: Path) -> Path:
    for name in ("1600", "cactus"):
        write_image(root / "src_imgs" / f"{name}.png")
    for rel in CSIQ_FILES:
        write_image(root / "dst_imgs" / rel)
    (root / "csiq.DMOS.csv").write_text(CSIQ_CSV)
    return root


TID_LINES = ["5.51429 i01_01_1.bmp", "3.25 i01_08_5.bmp", "6.0 i02_10_2.bmp", "1.5 i25_24_3.bmp"]


def build_tid2013(root: Path) -> Path:
    for ref in ("I01.BMP", "I02.BMP", "i25.bmp"):  # the official mix of cases
        write_image(root / "reference_images" / ref)
    for line in TID_LINES:
        write_image(root / "distorted_images" / line.split()[1])
    (root / "mos_with_names.txt").write_bytes(("\r\n".join(TID_LINES) + "\r\n").encode())
    return root


KADID_CSV = """dist_img,ref_img,dmos,var
I01_01_01.png,I01.png,4.57,0.496
I01_10_05.png,I01.png,1.23,0.3
I02_25_03.png,I02.png,3.1,0.7
"""


def build_kadid10k(root: Path) -> Path:
    for name in ("I01.png", "I02.png", "I01_01_01.png", "I01_10_05.png", "I02_25_03.png"):
        write_image(root / "images" / name)
    (root / "dmos.csv").write_text(KADID_CSV)
    return root


PIPAL_LABELS = {"A0001": "A0001_00_00.bmp,1456.2\nA0001_10_05.bmp,1100.5\n",
                "A0002": "A0002_03_01.bmp, 1600.75\n"}


def build_pipal(root: Path, split_folders: bool = False) -> Path:
    for ref, text in PIPAL_LABELS.items():
        write_image(root / "Train_Ref" / f"{ref}.bmp")
        (root / "Train_Label").mkdir(parents=True, exist_ok=True)
        (root / "Train_Label" / f"{ref}.txt").write_text(text)
        for k, line in enumerate(text.splitlines()):
            folder = f"Distortion_{k + 1}" if split_folders else "Train_Dis"
            write_image(root / folder / line.split(",")[0])
    return root


TQD_CSV = """ref_name,dist_name,mos,distortion,level
reference/bark.png,distorted/bark_synth1.png,4.2,synthesis,1
reference/bark.png,distorted/bark_jpeg3.png,2.1,jpeg,3
reference/sand.png,distorted/sand_synth1.png,3.3,synthesis,1
"""


def build_tqd(root: Path) -> Path:
    for rel in ("reference/bark.png", "reference/sand.png", "distorted/bark_synth1.png",
                "distorted/bark_jpeg3.png", "distorted/sand_synth1.png"):
        write_image(root / rel)
    (root / "mos.csv").write_text(TQD_CSV)
    return root


# (kind, builder, label file, a distorted image, a reference folder, rows)
SETS = [
    ("live", build_live, "dmos.mat", "wn/img3.bmp", "refimgs", len(LIVE_ROWS)),
    ("csiq", build_csiq, "csiq.DMOS.csv", "dst_imgs/blur/1600.BLUR.2.png", "src_imgs", 4),
    ("tid2013", build_tid2013, "mos_with_names.txt", "distorted_images/i02_10_2.bmp",
     "reference_images", len(TID_LINES)),
    ("kadid10k", build_kadid10k, "dmos.csv", "images/I01_10_05.png", "images", 3),
    ("pipal", build_pipal, "Train_Label", "Train_Dis/A0001_10_05.bmp", "Train_Ref", 3),
    ("tqd", build_tqd, "mos.csv", "distorted/bark_jpeg3.png", "reference", 3),
]
SET_IDS = [s[0] for s in SETS]


# ---------------------------------------------------------------- every set

def test_readers_registered():
    assert set(READERS) == {"synthetic", "live", "csiq", "tid2013", "kadid10k", "pipal", "tqd"}
    assert iqa_sets.MOS_HIGHER_BETTER is True


@pytest.mark.parametrize("kind, build, label, distorted, refs, n_rows", SETS, ids=SET_IDS)
def test_reader_reads_official_layout(tmp_path, kind, build, label, distorted, refs, n_rows):
    root = build(tmp_path / kind)
    table = load_iqa_set(kind, root)
    check_table(table, n_rows)
    assert str(root / distorted) in set(table["distorted"])
    assert table.equals(READERS[kind](str(root)))  # str roots work as well as Path


@pytest.mark.parametrize("kind, build, label, distorted, refs, n_rows", SETS, ids=SET_IDS)
def test_missing_label_file_names_it_and_the_layout(tmp_path, kind, build, label, distorted,
                                                    refs, n_rows):
    root = build(tmp_path / kind)
    path = root / label
    if path.is_dir():
        for child in path.iterdir():
            child.unlink()
        path.rmdir()
    else:
        path.unlink()
    with pytest.raises(InputError) as info:
        READERS[kind](root)
    message = str(info.value)
    assert label in message and "expected layout" in message and "<root>/" in message


@pytest.mark.parametrize("kind, build, label, distorted, refs, n_rows", SETS, ids=SET_IDS)
def test_missing_distorted_image_is_named(tmp_path, kind, build, label, distorted, refs, n_rows):
    root = build(tmp_path / kind)
    (root / distorted).unlink()
    with pytest.raises(InputError, match=Path(distorted).name) as info:
        READERS[kind](root)
    assert "expected layout" in str(info.value)


@pytest.mark.parametrize("kind, build, label, distorted, refs, n_rows", SETS, ids=SET_IDS)
def test_missing_reference_folder_is_named(tmp_path, kind, build, label, distorted, refs, n_rows):
    root = build(tmp_path / kind)
    folder = root / refs
    for child in folder.iterdir():
        child.unlink()
    folder.rmdir()
    with pytest.raises(InputError, match=refs) as info:
        READERS[kind](root)
    assert "expected layout" in str(info.value)


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
    assert list(load_live(root, realigned=True)["mos_raw"]) == [row[4] + 1.0 for row in LIVE_ROWS]
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
    monkeypatch.setattr(iqa_sets, "_has_openpyxl", lambda: False)
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
    with pytest.raises(InputError, match=r"\[0.0, 9.0\]"):
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
    with pytest.raises(InputError, match=r"\[1.0, 5.0\]"):
        load_kadid10k(root)


# ---------------------------------------------------------------- PIPAL

def test_pipal_parsing(tmp_path):
    table = load_pipal(build_pipal(tmp_path / "pipal"))
    assert list(table["distortion"]) == ["type_00", "type_10", "type_03"]
    assert list(table["level"]) == [0, 5, 1]
    assert [Path(p).name for p in table["reference"]] == ["A0001.bmp", "A0001.bmp", "A0002.bmp"]
    assert list(table["mos"]) == [1456.2, 1100.5, 1600.75]  # Elo: higher = better, as is


def test_pipal_split_distortion_folders(tmp_path):
    table = load_pipal(build_pipal(tmp_path / "pipal", split_folders=True))
    check_table(table, 3)
    assert {Path(p).parent.name for p in table["distorted"]} == {"Distortion_1", "Distortion_2"}


def test_pipal_range_and_malformed(tmp_path):
    root = build_pipal(tmp_path / "pipal")
    (root / "Train_Label" / "A0002.txt").write_text("A0002_03_01.bmp,-5\n")
    with pytest.raises(InputError, match="Elo"):
        load_pipal(root)
    (root / "Train_Label" / "A0002.txt").write_text("A0002_03_01.bmp\n")
    with pytest.raises(InputError, match="A0002.txt, line 1"):
        load_pipal(root)


# ---------------------------------------------------------------- TQD (assumed layout)

def test_tqd_parsing_and_dmos_variant(tmp_path):
    root = build_tqd(tmp_path / "tqd")
    table = load_tqd(root)
    assert list(table["distortion"]) == ["synthesis", "jpeg", "synthesis"]
    assert list(table["level"]) == [1, 3, 1]
    assert list(table["mos"]) == [4.2, 2.1, 3.3]
    (root / "mos.csv").write_text("reference,distorted,dmos\n"
                                  "reference/bark.png,distorted/bark_synth1.png,0.1\n"
                                  "reference/bark.png,distorted/bark_jpeg3.png,0.7\n")
    table = load_tqd(root)
    assert list(table["mos"]) == [-0.1, -0.7] and list(table["mos_raw"]) == [0.1, 0.7]
    assert table["mos"].idxmax() == table["mos_raw"].idxmin()
    assert list(table["distortion"]) == ["unspecified"] * 2 and table["level"].isna().all()


def test_tqd_needs_score_column(tmp_path):
    root = build_tqd(tmp_path / "tqd")
    (root / "mos.csv").write_text("ref_name,dist_name,quality\n"
                                  "reference/bark.png,distorted/bark_synth1.png,4\n")
    with pytest.raises(InputError, match="mos / dmos"):
        load_tqd(root)


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
