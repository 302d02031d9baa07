"""Tiny IQA data sets in their official layouts, for tests (no download, a few kB each).

One builder per reader kind of :mod:`asym.data.iqa_sets`, in :data:`BUILDERS`:
``build_<kind>(root) -> root`` writes a handful of small images (PNG, BMP or JPEG, as
the set ships them) and the label files in the format the set publishes (MATLAB
``.mat`` via scipy, ``.xlsx`` via pandas/openpyxl, CSV/TXT as text) under ``root``,
and returns the folder to hand to the reader. The ``*_ROWS``/``*_LINES`` constants
are what the labels say, so tests can check the parsed values against them.

    from tests.iqa_fixtures import BUILDERS          # from a test under tests/
    root = BUILDERS["koniq10k"](tmp_path / "koniq10k")
    table = asym.data.iqa_sets.load_iqa_set("koniq10k", root, OPTIONS.get("koniq10k"))

Besides the reader tests (tests/data/test_iqa_sets.py), the download tests package these
folders into archives (SPAQ's as a split zip, see :func:`write_split_zip`); keep every
builder self-contained and deterministic. :data:`OPTIONS` holds the reader options a
fixture needs (TQD's declared direction).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import scipy.io
from PIL import Image

from asym.data import iqa_sets

IMAGE_SIZE = 8  # pixels per side; readers never look at the content


def write_image(path: Path, value: int = 128, size: int = IMAGE_SIZE) -> None:
    """A ``size`` x ``size`` grey RGB image; the format follows the suffix (.png, .bmp, .jpg)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    kind = {".bmp": "BMP", ".jpg": "JPEG", ".jpeg": "JPEG"}.get(suffix, "PNG")
    Image.fromarray(np.full((size, size, 3), value % 256, dtype=np.uint8)).save(path, format=kind)


# ---------------------------------------------------------------- full-reference sets

LIVE_ROWS = [  # (entry index in the .mat arrays, folder, image number, reference, dmos)
    (0, "jp2k", 1, "bikes.bmp", 40.0),
    (1, "jp2k", 2, "parrots.bmp", 12.5),
    (227, "jpeg", 1, "bikes.bmp", 70.0),
    (462, "wn", 3, "ocean.bmp", 25.0),
    (981, "fastfading", 174, "parrots.bmp", 55.0),
]


def build_live(root: Path) -> Path:
    """LIVE Release 2: dmos.mat, dmos_realigned.mat, refnames_all.mat, refimgs/, <type>/imgN.bmp."""
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


def build_csiq(root: Path, upper_case_folders: bool = False) -> Path:
    """CSIQ with the ratings sheet exported as csiq.DMOS.csv (the .xlsx variant: see the tests).

    ``upper_case_folders``: as repacked copies have them (``dst_imgs/AWGN/``, ``BLUR/``, ...).
    """
    for name in ("1600", "cactus"):
        write_image(root / "src_imgs" / f"{name}.png")
    for rel in CSIQ_FILES:
        folder, name = rel.split("/")
        write_image(root / "dst_imgs" / (folder.upper() if upper_case_folders else folder) / name)
    (root / "csiq.DMOS.csv").write_text(CSIQ_CSV)
    return root


TID_LINES = ["5.51429 i01_01_1.bmp", "3.25 i01_08_5.bmp", "6.0 i02_10_2.bmp", "1.5 i25_24_3.bmp"]


def build_tid2013(root: Path) -> Path:
    """TID2013: mos_with_names.txt (CRLF), reference_images/ (mixed case), distorted_images/."""
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
    """KADID-10k: dmos.csv and images/ (references and distorted images side by side)."""
    for name in ("I01.png", "I02.png", "I01_01_01.png", "I01_10_05.png", "I02_25_03.png"):
        write_image(root / "images" / name)
    (root / "dmos.csv").write_text(KADID_CSV)
    return root


PIPAL_LABELS = {"A0001": "A0001_00_00.bmp,1456.2\nA0001_10_05.bmp,1100.5\n",
                "A0002": "A0002_03_01.bmp, 1600.75\n"}


def build_pipal(root: Path, split_folders: bool = True) -> Path:
    """PIPAL training set as distributed: Train_Label/*.txt, Train_Ref/, Distortion_<k>/
    (``split_folders=False``: the parts merged into one Train_Dis/)."""
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
    """TQD in the pyiqa-style layout the reader documents: mos.csv with paths into reference/ and
    distorted/; its direction must be declared (:data:`OPTIONS`)."""
    for rel in ("reference/bark.png", "reference/sand.png", "distorted/bark_synth1.png",
                "distorted/bark_jpeg3.png", "distorted/sand_synth1.png"):
        write_image(root / rel)
    (root / "mos.csv").write_text(TQD_CSV)
    return root


# ---------------------------------------------------------------- no-reference sets

KONIQ_ROWS = [  # (image_name, MOS, MOS_zscore), as koniq10k_scores_and_distributions.csv has them
    ("10004473376.jpg", 3.82, 77.38), ("10007357496.jpg", 3.13, 60.32),
    ("10022217376.jpg", 1.42, 14.92), ("10028061695.jpg", 4.26, 85.71),
]


def build_koniq10k(root: Path, folder: str = "1024x768", rows=KONIQ_ROWS, size: int = IMAGE_SIZE) -> Path:
    """KonIQ-10k: koniq10k_scores_and_distributions.csv and <folder>/ of JPEG images.

    ``rows`` ((image_name, MOS, MOS_zscore) tuples) and ``size`` let a test build a
    larger set, e.g. one to train on.
    """
    lines = ['"image_name","c1","c2","c3","c4","c5","c_total","MOS","SD","MOS_zscore"']
    for name, mos, z in rows:
        lines.append(f'"{name}",1,2,30,60,7,100,{mos},0.6,{z}')
        write_image(root / folder / name, int(mos * 50), size)
    root.mkdir(parents=True, exist_ok=True)
    (root / "koniq10k_scores_and_distributions.csv").write_text("\n".join(lines) + "\n")
    return root


SPAQ_ROWS = [  # (Image name, MOS, Brightness), the first attribute column of the sheet
    ("00001.jpg", 42.7, 48.1), ("00002.jpg", 78.0, 70.2), ("00003.jpg", 15.25, 20.0),
    ("00004.jpg", 63.5, 55.9),
]


def build_spaq(root: Path) -> Path:
    """SPAQ: Annotations/MOS and Image attribute scores.xlsx (needs openpyxl) and TestImage/."""
    sheet = pd.DataFrame({
        "Image name": [r[0] for r in SPAQ_ROWS], "MOS": [r[1] for r in SPAQ_ROWS],
        "Brightness": [r[2] for r in SPAQ_ROWS], "Colorfulness": 50.0, "Contrast": 51.0,
        "Noisiness": 52.0, "Sharpness": 53.0,
    })
    for name, mos, _ in SPAQ_ROWS:
        write_image(root / "TestImage" / name, int(mos * 2))
    (root / "Annotations").mkdir(parents=True, exist_ok=True)
    sheet.to_excel(root / iqa_sets.SPAQ_XLSX, sheet_name="Sheet1", index=False)
    return root


LIVEC_TRAINING = [f"trainingImages/t{k}.bmp" for k in range(1, 8)]  # entries 1-7, not read
LIVEC_ROWS = [("10.bmp", 63.9), ("100.bmp", 25.3), ("1000.JPG", 47.0), ("1001.bmp", 81.2)]


def build_livechallenge(root: Path) -> Path:
    """LIVE Challenge (the ChallengeDB_release folder): Data/*.mat and Images/."""
    names = LIVEC_TRAINING + [name for name, _ in LIVEC_ROWS]
    mos = [50.0] * len(LIVEC_TRAINING) + [score for _, score in LIVEC_ROWS]
    for name in LIVEC_TRAINING:
        write_image(root / "Images" / name)
    for name, score in LIVEC_ROWS:
        write_image(root / "Images" / name, int(score * 2))
    cells = np.empty((len(names), 1), dtype=object)  # a MATLAB cell array (a column, as released)
    for i, name in enumerate(names):
        cells[i, 0] = name
    (root / "Data").mkdir(parents=True, exist_ok=True)
    scipy.io.savemat(root / "Data" / "AllImages_release.mat", {"AllImages_release": cells})
    scipy.io.savemat(root / "Data" / "AllMOS_release.mat", {"AllMOS_release": np.array([mos])})
    return root


# ---------------------------------------------------------------- split ("spanned") zip archives

def write_split_zip(folder: Path, last: Path, part_size: int) -> list[Path]:
    """Pack ``folder`` (members under its own name, e.g. ``TestImage/00001.jpg``) as a split zip
    the way Info-ZIP's ``zip -s`` writes one: ``<stem>.z01``, ``<stem>.z02``, ... of ``part_size``
    bytes, and ``last`` (``<stem>.zip``) with the rest and the central directory. The first part
    starts with the split signature; every central-directory record names the part its member
    starts on and the offset within that part. Returns the parts, ``last`` included, in order.
    """
    import io
    import struct
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, f"{folder.name}/{path.relative_to(folder).as_posix()}")
    data = buffer.getvalue()
    eocd = data.rfind(b"PK\x05\x06")
    _, _, _, _, entries, _, cd_offset, _ = struct.unpack_from("<4s4H2LH", data, eocd)
    stream = b"PK\x07\x08" + data[:cd_offset]  # the split signature, then the members
    records, pos = [], cd_offset
    for _ in range(entries):
        fields = list(struct.unpack_from("<4s6H3L5H2L", data, pos))
        records.append((fields, data[pos + 46:pos + 46 + fields[10] + fields[11] + fields[12]]))
        pos += 46 + fields[10] + fields[11] + fields[12]
    # Parts of part_size bytes, but (as zip -s does) never a local header cut in two.
    headers = []
    for fields, _ in records:
        at = fields[16] + 4
        name_len, extra_len = struct.unpack_from("<2H", stream, at + 26)
        headers.append((at, at + 30 + name_len + extra_len))
    starts = [0]
    while len(stream) - starts[-1] > part_size:
        cut = starts[-1] + part_size
        cut = next((h for h, end in headers if h < cut < end and h > starts[-1]), cut)
        starts.append(cut)
    chunks = [stream[a:b] for a, b in zip(starts, starts[1:] + [len(stream)])]
    fixed = []
    for fields, rest in records:
        absolute = fields[16] + 4
        disk = max(k for k, start in enumerate(starts) if start <= absolute)
        fields[13], fields[16] = disk, absolute - starts[disk]
        fixed.append(struct.pack("<4s6H3L5H2L", *fields) + rest)
    records = fixed
    directory = b"".join(records)
    last_disk = len(chunks) - 1
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", last_disk, last_disk, entries, entries, len(directory),
                      len(chunks[-1]), 0)
    chunks[-1] += directory + end
    paths = [last.with_suffix(f".z{k:02d}") for k in range(1, len(chunks))] + [last]
    last.parent.mkdir(parents=True, exist_ok=True)
    for path, chunk in zip(paths, chunks):
        path.write_bytes(chunk)
    return paths


# Reader options the fixtures need (data.iqa_sets.<name>.<option> in a workflow config).
OPTIONS = {"tqd": {"direction": "higher_better", "score_range": [1, 5]}}

# Every reader kind but "synthetic" (built by asym.data.prepare, see tests/data/test_images.py).
BUILDERS = {
    "live": build_live,
    "csiq": build_csiq,
    "tid2013": build_tid2013,
    "kadid10k": build_kadid10k,
    "pipal": build_pipal,
    "tqd": build_tqd,
    "koniq10k": build_koniq10k,
    "spaq": build_spaq,
    "livechallenge": build_livechallenge,
}
