"""TID2013 (Ponomarenko et al., Signal Process. Image Commun. 2015).

https://www.ponomarenko.info/tid2013.htm; 25 references, 3000 distorted images (24
distortions x 5 levels). The label file names each distorted image ``iXX_YY_Z.bmp``:
reference XX, distortion YY (1-24), level Z (1-5). Scores: MOS in [0, 9], HIGHER =
better (used as is).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from asym.data.readers.common import HIGHER_BETTER, Folder, Scale, finish, label_lines, malformed, require_file

LAYOUT = """expected layout of TID2013 (https://www.ponomarenko.info/tid2013.htm):
  <root>/
    mos_with_names.txt          lines "<mos> <name>", e.g. "5.51429 i01_01_1.bmp"
    reference_images/I01.BMP ... I24.BMP, i25.bmp
    distorted_images/iXX_YY_Z.bmp   XX reference, YY distortion 01-24, Z level 1-5
  (folder and file names are matched case-insensitively)"""

DISTORTIONS = {
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
NAME = re.compile(r"^i(\d{2})_(\d{2})_(\d)\.bmp$", re.IGNORECASE)
SCALE = Scale("MOS", HIGHER_BETTER, published=(0.0, 9.0))


def load_tid2013(root: str | os.PathLike) -> pd.DataFrame:
    """Read TID2013 in ``root``: 3000 distorted images, MOS (higher = better) as is."""
    root = Path(root).resolve()
    labels = require_file(root, "mos_with_names.txt", LAYOUT)
    refs = Folder(root, "reference_images", LAYOUT).require()
    dists = Folder(root, "distorted_images", LAYOUT).require()
    rows = []
    for number, line in label_lines(labels):
        parts = line.split()
        match = NAME.match(parts[-1]) if len(parts) == 2 else None
        try:
            mos = float(parts[0])
        except ValueError:
            match = None
        if match is None:
            raise malformed(labels, number, line, '"<mos> iXX_YY_Z.bmp"', LAYOUT)
        ref_id, code, level = match.group(1), int(match.group(2)), int(match.group(3))
        if code not in DISTORTIONS:
            raise malformed(labels, number, line, "a distortion code 01-24", LAYOUT)
        where = f"line {number}"
        rows.append({"reference": refs.find(f"I{ref_id}.BMP", labels, where),
                     "distorted": dists.find(parts[1], labels, where),
                     "distortion": DISTORTIONS[code], "level": level, "mos_raw": mos, "where": where})
    return finish(rows, SCALE, labels, LAYOUT)
