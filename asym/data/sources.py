"""Reference photographs for the offline demo: colour photos shipped inside installed packages.

Nothing is downloaded. Each entry names a file that is physically present in an
installed Python package (``skimage/data``, ``sklearn/datasets/images``,
``matplotlib/mpl-data/sample_data``); :func:`locate` finds it on disk. The
``skimage.data`` *functions* are deliberately not used, because some of them
fetch files through pooch.

Licences are quoted from the notice the package itself ships with the file:

* scikit-image: the docstring of the matching ``skimage.data`` function in
  ``skimage/data/_fetchers.py`` (``skimage/data/README.txt`` states no licence);
* scikit-learn: ``sklearn/datasets/images/README.txt``;
* matplotlib: ``matplotlib/mpl-data/sample_data/README.txt`` states no licence;
* pyiqa: its wheel installs five TID2013 reference photographs (Kodak Lossless True
  Color Image Suite) as top-level files ``ResultsCalibra/ref_dir/I*.bmp`` beside its
  calibration results, with no notice; these entries have ``"root": "distribution"``
  (``relpath`` is relative to where the distribution installs its files, not to the
  import package) and quote the licence the Kodak suite is known by.

Where the package states none, the entry says so and points at the file.

Every distinct colour photograph these packages ship is listed. Left out on purpose:
the grey-level images of ``skimage/data`` (camera, moon, coins, brick, grass, gravel,
page, cell, clock_motion, microaneurysms: the study is colour super-resolution, and a
grey image has no chroma for the saturation distortion), its drawings and test
patterns (color, chessboard_*, horse, logo, phantom, text, multipage*),
``ResultsCalibra/dist_dir`` (distorted copies of the same five Kodak photographs, not
new scenes), matplotlib's logos and its 128-pixel ``Minduka_Present_Blue_Pack.png``
(too small for one test crop), and the photographs pyiqa's wheel leaves in a
top-level ``tests/test_efficiency_img_dir`` (a SPAQ image and video frames whose
licence the package does not state).

``scene`` groups photographs of the same scene (the two motorcycle stereo views);
the split in :mod:`asym.data.prepare` keeps a scene inside one split so that no
held-out image has a near-duplicate in the training set.

List them with::

    python -c "from asym.data.sources import REFERENCES; print(*REFERENCES, sep='\\n')"
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from pathlib import Path

from asym.io import InputError

# Import name -> distribution name that `pip install` needs.
PIP_NAMES = {
    "skimage": "scikit-image",
    "sklearn": "scikit-learn",
    "matplotlib": "matplotlib",
    "pyiqa": "pyiqa",
}

_SKIMAGE_NOTICE = "skimage/data/_fetchers.py, docstring of skimage.data.{}"
_SKLEARN_NOTICE = "sklearn/datasets/images/README.txt"
_MPL_NOTICE = "matplotlib/mpl-data/sample_data/README.txt"
_KODAK_NOTICE = (
    "Not stated by the package: pyiqa installs it without a notice as TID2013 reference {} "
    "(ResultsCalibra/ref_dir). TID2013's references are photographs of the Kodak Lossless True "
    "Color Image Suite (kodim{}), which Eastman Kodak released for unrestricted usage"
)
_KODAK_CREDIT = "Eastman Kodak Company (Kodak Lossless True Color Image Suite), via TID2013 (Ponomarenko et al.)"


def _kodak(number: str, description: str) -> dict[str, str]:
    """A Kodak photograph that pyiqa's wheel installs as TID2013 reference I<number>."""
    return {
        "name": f"kodim{number}",
        "package": "pyiqa",
        "root": "distribution",
        "relpath": f"ResultsCalibra/ref_dir/I{number}.bmp",
        "scene": f"kodim{number}",
        "description": description + f" (Kodak kodim{number}, TID2013 reference I{number})",
        "licence": _KODAK_NOTICE.format(f"I{number}", number),
        "credit": _KODAK_CREDIT,
    }


REFERENCES: list[dict[str, str]] = [
    {
        "name": "astronaut",
        "package": "skimage",
        "relpath": "data/astronaut.png",
        "scene": "astronaut",
        "description": "Portrait of astronaut Eileen Collins",
        "licence": "Public domain: 'No known copyright restrictions, released into the public "
        "domain' (" + _SKIMAGE_NOTICE.format("astronaut") + ")",
        "credit": "NASA (NASA Great Images database)",
    },
    {
        "name": "chelsea",
        "package": "skimage",
        "relpath": "data/chelsea.png",
        "scene": "chelsea",
        "description": "Chelsea the cat",
        "licence": "CC0: 'No copyright restrictions. CC0 by the photographer' ("
        + _SKIMAGE_NOTICE.format("chelsea") + ")",
        "credit": "Stefan van der Walt",
    },
    {
        "name": "coffee",
        "package": "skimage",
        "relpath": "data/coffee.png",
        "scene": "coffee",
        "description": "Coffee cup on a saucer, wooden table",
        "licence": "CC0: 'No copyright restrictions. CC0 by the photographer' ("
        + _SKIMAGE_NOTICE.format("coffee") + ")",
        "credit": "Rachel Michetti; courtesy of Pikolo Espresso Bar",
    },
    {
        "name": "rocket",
        "package": "skimage",
        "relpath": "data/rocket.jpg",
        "scene": "rocket",
        "description": "Launch of DSCOVR on a Falcon 9 rocket, Cape Canaveral",
        "licence": "Public domain: 'captured by SpaceX and released in the public domain' ("
        + _SKIMAGE_NOTICE.format("rocket") + ")",
        "credit": "SpaceX (SpaceX Photos, Flickr)",
    },
    {
        "name": "hubble_deep_field",
        "package": "skimage",
        "relpath": "data/hubble_deep_field.jpg",
        "scene": "hubble_deep_field",
        "description": "Hubble eXtreme Deep Field (astronomical photograph)",
        "licence": "Public domain: 'captured by NASA and may be freely used in the public "
        "domain' (" + _SKIMAGE_NOTICE.format("hubble_deep_field") + ")",
        "credit": "NASA / HubbleSite",
    },
    {
        "name": "ihc",
        "package": "skimage",
        "relpath": "data/ihc.png",
        "scene": "ihc",
        "description": "Immunohistochemistry micrograph of colonic glands (DAB, hematoxylin)",
        "licence": "'No known copyright restrictions' ("
        + _SKIMAGE_NOTICE.format("immunohistochemistry") + ")",
        "credit": "Center for Microscopy And Molecular Imaging (CMMI)",
    },
    {
        "name": "retina",
        "package": "skimage",
        "relpath": "data/retina.jpg",
        "scene": "retina",
        "description": "Fundus photograph of a normal human left eye",
        "licence": "CC0 1.0 Universal Public Domain Dedication ("
        + _SKIMAGE_NOTICE.format("retina") + ")",
        "credit": "Mikael Häggström (2014), via Wikimedia Commons",
    },
    {
        "name": "motorcycle_left",
        "package": "skimage",
        "relpath": "data/motorcycle_left.png",
        "scene": "motorcycle",
        "description": "Motorcycle in a workshop, left view of a rectified stereo pair",
        "licence": "Not stated by the package: see "
        + _SKIMAGE_NOTICE.format("stereo_motorcycle")
        + " (Middlebury 2014 stereo benchmark; cite Scharstein et al., GCPR 2014)",
        "credit": "D. Scharstein, H. Hirschmueller, Y. Kitajima, G. Krathwohl, N. Nesic, "
        "X. Wang, P. Westling (Middlebury College)",
    },
    {
        "name": "motorcycle_right",
        "package": "skimage",
        "relpath": "data/motorcycle_right.png",
        "scene": "motorcycle",
        "description": "Motorcycle in a workshop, right view of a rectified stereo pair",
        "licence": "Not stated by the package: see "
        + _SKIMAGE_NOTICE.format("stereo_motorcycle")
        + " (Middlebury 2014 stereo benchmark; cite Scharstein et al., GCPR 2014)",
        "credit": "D. Scharstein, H. Hirschmueller, Y. Kitajima, G. Krathwohl, N. Nesic, "
        "X. Wang, P. Westling (Middlebury College)",
    },
    {
        "name": "china",
        "package": "sklearn",
        "relpath": "datasets/images/china.jpg",
        "scene": "china",
        "description": "Pagoda-style tower above a lake (Summer Palace, Beijing)",
        "licence": "CC BY 2.0 (" + _SKLEARN_NOTICE + ")",
        "credit": "danielbuechele (Flickr); retrieved by Robert Layton",
    },
    {
        "name": "flower",
        "package": "sklearn",
        "relpath": "datasets/images/flower.jpg",
        "scene": "flower",
        "description": "Close-up of an orange dahlia",
        "licence": "CC BY 2.0 (" + _SKLEARN_NOTICE + ")",
        # The README's attribution line says danielbuechele but links the vultilion
        # photostream; both are given so the credit is right whichever is meant.
        "credit": "vultilion (Flickr; README attribution line says danielbuechele); "
        "retrieved by Robert Layton",
    },
    {
        "name": "grace_hopper",
        "package": "matplotlib",
        "relpath": "mpl-data/sample_data/grace_hopper.jpg",
        "scene": "grace_hopper",
        "description": "Portrait of Rear Admiral Grace M. Hopper in uniform",
        "licence": "Not stated by the package: see " + _MPL_NOTICE
        + " (commonly attributed as a U.S. Navy photograph, public domain)",
        "credit": "U.S. Navy (common attribution; not stated by matplotlib)",
    },
    _kodak("03", "Brightly coloured caps on a wooden ledge"),
    _kodak("04", "Portrait of a woman in a red hat"),
    _kodak("06", "Sailing boat on the sea near a shore"),
    _kodak("08", "Half-timbered houses on a street"),
    _kodak("19", "Lighthouse behind a white picket fence"),
]


def pip_name(package: str) -> str:
    """Distribution name that provides the import name ``package``."""
    return PIP_NAMES.get(package, package)


def locate(ref: dict) -> Path:
    """Path of the reference photograph ``ref`` inside its installed package.

    Uses :func:`importlib.util.find_spec`, which finds the package without
    importing it. Raises :class:`InputError` saying which ``pip install`` provides
    the file when the package or the file is missing.
    """
    package, relpath = ref["package"], ref["relpath"]
    if ref.get("root") == "distribution":
        return _locate_in_distribution(package, relpath)
    spec = importlib.util.find_spec(package)
    if spec is None:
        raise InputError(
            f"package '{package}' is not installed, so {package}/{relpath} is missing; "
            f"`pip install {pip_name(package)}` provides it."
        )
    if spec.submodule_search_locations:
        root = Path(next(iter(spec.submodule_search_locations)))
    else:
        root = Path(spec.origin).parent
    path = root / relpath
    if not path.is_file():
        raise InputError(
            f"file {relpath} not found in package '{package}' ({path}); it ships with "
            f"`pip install {pip_name(package)}` (reinstall with "
            f"`pip install --force-reinstall {pip_name(package)}` if it was stripped)."
        )
    return path


def _locate_in_distribution(package: str, relpath: str) -> Path:
    """A file the distribution of ``package`` installs outside its import package."""
    try:
        path = Path(importlib.metadata.distribution(pip_name(package)).locate_file(relpath))
    except importlib.metadata.PackageNotFoundError:
        raise InputError(
            f"package '{package}' is not installed, so {relpath} is missing; "
            f"`pip install {pip_name(package)}` provides it."
        ) from None
    if not path.is_file():
        raise InputError(
            f"file {relpath} not found where '{pip_name(package)}' installs its files ({path}); "
            f"reinstall with `pip install --force-reinstall {pip_name(package)}`."
        )
    return path


def package_version(package: str) -> str:
    """Installed version of the distribution that provides ``package``."""
    try:
        return importlib.metadata.version(pip_name(package))
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
