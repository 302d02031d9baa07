"""KADID-10k (Lin, Hosu, Saupe, QoMEX 2019).

http://database.mmsp-kn.de/kadid-10k-database.html; 81 references, 10125 distorted
images (25 distortions x 5 levels) in one folder. Scores: despite the column name,
``dmos`` is a degradation-category rating on a 1-5 scale with HIGHER = better quality
(5 = imperceptible), so it is used as is.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from asym.data.readers.common import (
    HIGHER_BETTER,
    Folder,
    Scale,
    finish,
    malformed,
    number,
    pick_columns,
    read_csv,
    require_file,
)

LAYOUT = """expected layout of KADID-10k (http://database.mmsp-kn.de/kadid-10k-database.html):
  <root>/
    dmos.csv                    header dist_img,ref_img,dmos,var
    images/I01.png ... I81.png  references
    images/IXX_YY_ZZ.png        XX reference, YY distortion 01-25, ZZ level 01-05
  (folder and file names are matched case-insensitively)"""

DISTORTIONS = {
    1: "gaussian_blur", 2: "lens_blur", 3: "motion_blur", 4: "color_diffusion",
    5: "color_shift", 6: "color_quantization", 7: "color_saturation_1",
    8: "color_saturation_2", 9: "jpeg2000", 10: "jpeg", 11: "white_noise",
    12: "white_noise_color_component", 13: "impulse_noise", 14: "multiplicative_noise",
    15: "denoise", 16: "brighten", 17: "darken", 18: "mean_shift", 19: "jitter",
    20: "non_eccentricity_patch", 21: "pixelate", 22: "quantization", 23: "color_block",
    24: "high_sharpen", 25: "contrast_change",
}
NAME = re.compile(r"^I(\d{2})_(\d{2})_(\d{2})\.png$", re.IGNORECASE)
# 5-point degradation category rating, 5 = imperceptible.
SCALE = Scale("dmos", HIGHER_BETTER, published=(1.0, 5.0))


def load_kadid10k(root: str | os.PathLike) -> pd.DataFrame:
    """Read KADID-10k in ``root``: 10125 distorted images; its ``dmos`` is higher = better."""
    root = Path(root).resolve()
    labels = require_file(root, "dmos.csv", LAYOUT)
    images = Folder(root, "images", LAYOUT).require()
    table = read_csv(labels, LAYOUT, dtype={"dist_img": str, "ref_img": str})
    table = pick_columns(table, {"dist_img": "dist", "ref_img": "ref", "dmos": "score"}, labels, LAYOUT)
    rows = []
    for line, record in enumerate(table.itertuples(index=False), 2):  # line 1 is the header
        match = NAME.match(str(record.dist).strip())
        if match is None or int(match.group(2)) not in DISTORTIONS:
            raise malformed(labels, line, str(record.dist), "dist_img like I01_01_01.png (distortion 01-25)",
                            LAYOUT)
        where = f"line {line}"
        rows.append({"reference": images.find(str(record.ref).strip(), labels, where),
                     "distorted": images.find(str(record.dist).strip(), labels, where),
                     "distortion": DISTORTIONS[int(match.group(2))], "level": int(match.group(3)),
                     "mos_raw": number(record.score), "where": where})
    return finish(rows, SCALE, labels, LAYOUT)
