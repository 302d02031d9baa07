"""Unit tests of the data stage (asym.data): sources, collect, distortions, prepare, readers.

Run: ``python -m pytest tests/data/test_images.py -q`` (a few seconds; no network, no GPU).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from PIL import Image

from asym.data import collect as collect_mod
from asym.data import prepare as prepare_mod
from asym.data.distortions import DISTORTIONS, LEVELS
from asym.data.images import bicubic_downsample, load_folder, random_crop, to_tensor, to_uint8
from asym.data.iqa_sets import READERS, load_iqa_set, load_synthetic
from asym.data.sources import REFERENCES, locate
from asym.io import InputError, read_rgb

# Small but complete: every split non-empty, a few distortions and levels.
TINY = {
    "seed": 0,
    "n_sr_test": 2,
    "n_iqa": 2,
    "sr_test_size": 64,
    "iqa_size": 48,
    "distortions": ["gaussian_blur", "jpeg", "saturation"],
    "levels": 3,
}


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Relative path -> content of every file under ``root``."""
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return {str(p.relative_to(root)): p.read_bytes() for p in files}


@pytest.fixture(scope="module")
def raw(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("raw")
    collect_mod.collect(out)
    return out


@pytest.fixture(scope="module")
def demo(raw, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("prepared") / "demo"
    prepare_mod.prepare(raw, out, TINY)
    return out


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    """A 128-pixel centre crop of a real photograph (coffee)."""
    ref = next(r for r in REFERENCES if r["name"] == "coffee")
    img = read_rgb(locate(ref))
    top, left = (img.shape[0] - 128) // 2, (img.shape[1] - 128) // 2
    return img[top:top + 128, left:left + 128].copy()


def copy_raw(raw: Path, dest: Path) -> Path:
    shutil.copytree(raw, dest)
    return dest


# ---------------------------------------------------------------- sources and collect

def test_references_exist_and_are_colour():
    assert len(REFERENCES) >= 12
    assert len({r["name"] for r in REFERENCES}) == len(REFERENCES)
    for ref in REFERENCES:
        for key in ("name", "package", "relpath", "description", "licence", "credit"):
            assert ref[key], f"{ref['name']}: empty {key}"
        path = locate(ref)
        assert path.is_file()
        with Image.open(path) as im:
            assert im.mode == "RGB", f"{ref['name']} is {im.mode}, not a colour photo"
            rgb = np.asarray(im, dtype=np.float64)
        # Colour: channels differ noticeably somewhere (a grey image stored as RGB would not).
        chroma = np.abs(rgb - rgb.mean(axis=2, keepdims=True)).mean()
        assert chroma > 1.0, f"{ref['name']} looks grey (chroma {chroma:.2f})"


def test_locate_missing_package_and_file():
    with pytest.raises(InputError, match="pip install no-such-pkg-xyz"):
        locate({"package": "no-such-pkg-xyz", "relpath": "a.png"})
    with pytest.raises(InputError, match=r"data/no_such_photo\.png.*pip install scikit-image"):
        locate({"package": "skimage", "relpath": "data/no_such_photo.png"})


def test_collect_copies_bytes_and_is_rerun_stable(raw, tmp_path):
    folder = raw / "references"
    sources = pd.read_csv(folder / "sources.csv")
    assert list(sources.columns[:10]) == ["image", "file", "package", "package_version", "relpath",
                                          "description", "licence", "credit", "width", "height"]
    assert sorted(sources["image"]) == sorted(r["name"] for r in REFERENCES)
    for ref in REFERENCES:
        row = sources[sources["image"] == ref["name"]].iloc[0]
        copied = folder / row["file"]
        assert copied.read_bytes() == locate(ref).read_bytes()
        with Image.open(copied) as im:
            assert im.size == (row["width"], row["height"])
    # A second run into a fresh folder, and a rerun in place, give identical files.
    again = tmp_path / "raw"
    collect_mod.collect(again)
    before = tree_bytes(raw)
    assert tree_bytes(again) == before
    collect_mod.collect(raw)
    assert tree_bytes(raw) == before


def test_collect_removes_stale_files(tmp_path):
    refs = [r for r in REFERENCES if r["name"] in ("chelsea", "flower")]
    collect_mod.collect(tmp_path, refs)
    stale = tmp_path / "references" / "old_photo.png"
    stale.write_bytes(b"stale")
    collect_mod.collect(tmp_path, refs[:1])
    names = sorted(p.name for p in (tmp_path / "references").iterdir())
    assert names == ["chelsea.png", "sources.csv"]


# ---------------------------------------------------------------- distortions

@pytest.mark.parametrize("name", sorted(DISTORTIONS))
def test_distortion_shape_dtype_and_levels(name, photo):
    fn = DISTORTIONS[name]
    for level in LEVELS:
        out = fn(photo, level, np.random.default_rng(0))
        assert out.shape == photo.shape and out.dtype == np.uint8
    for bad in (0, 6, -1, True, 2.0):
        with pytest.raises(ValueError):
            fn(photo, bad, np.random.default_rng(0))
    with pytest.raises(ValueError):
        fn(photo.astype(np.float32), 1, np.random.default_rng(0))


@pytest.mark.parametrize("name", sorted(DISTORTIONS))
def test_distortion_severity_increases(name, photo):
    fn = DISTORTIONS[name]
    mad = [np.abs(fn(photo, level, np.random.default_rng(1)).astype(float) - photo).mean()
           for level in LEVELS]
    assert mad[0] > 0, f"{name} level 1 changes nothing"
    assert all(np.diff(mad) > 0), f"{name}: mean abs difference not increasing: {mad}"


@pytest.mark.parametrize("name", sorted(DISTORTIONS))
def test_distortion_deterministic(name, photo):
    fn = DISTORTIONS[name]
    first = fn(photo, 3, np.random.default_rng(42))
    second = fn(photo, 3, np.random.default_rng(42))
    assert np.array_equal(first, second)
    assert np.array_equal(photo, photo.copy())  # input not modified in place


def test_noise_depends_on_rng(photo):
    a = DISTORTIONS["gaussian_noise"](photo, 2, np.random.default_rng(0))
    b = DISTORTIONS["gaussian_noise"](photo, 2, np.random.default_rng(1))
    assert not np.array_equal(a, b)


# ---------------------------------------------------------------- prepare

def test_prepare_layout_and_splits(raw, demo):
    sources = pd.read_csv(raw / "references" / "sources.csv")
    splits = pd.read_csv(demo / "splits.csv")
    assert list(splits.columns) == ["image", "split", "source_file"]
    # Every image in exactly one split; splits cover all images.
    assert sorted(splits["image"]) == sorted(sources["image"])
    assert splits["image"].is_unique
    assert set(splits["split"]) == {"sr_train", "sr_test", "iqa"}
    by_split = {s: set(splits.loc[splits["split"] == s, "image"])
                for s in ("sr_train", "sr_test", "iqa")}
    assert len(by_split["sr_test"]) == TINY["n_sr_test"]
    assert len(by_split["iqa"]) == TINY["n_iqa"]
    # A scene (stereo pair) never straddles two splits.
    merged = splits.merge(sources[["image", "scene"]], on="image")
    assert (merged.groupby("scene")["split"].nunique() == 1).all()
    for image, source_file in zip(splits["image"], splits["source_file"]):
        assert (raw / source_file).is_file(), image

    train = {p.stem for p in (demo / "sr" / "train").glob("*.png")}
    assert train == by_split["sr_train"]
    for name in train:  # full resolution, pixel-identical to the source
        src = sources.loc[sources["image"] == name, "file"].iloc[0]
        assert np.array_equal(read_rgb(demo / "sr" / "train" / f"{name}.png"),
                              read_rgb(raw / "references" / src))
    test = sorted((demo / "sr" / "test").glob("*.png"))
    crops = pd.read_csv(demo / "sr" / "test_crops.csv")
    assert {p.stem for p in test} == set(crops["image"]) == {f"{n}-c1" for n in by_split["sr_test"]}
    assert set(crops["source"]) == by_split["sr_test"]
    size = TINY["sr_test_size"]
    assert all(read_rgb(p).shape == (size, size, 3) for p in test)

    root = demo / "iqa" / "synthetic"
    references = sorted((root / "reference").glob("*.png"))
    assert {p.stem for p in references} == by_split["iqa"]
    assert all(read_rgb(p).shape == (TINY["iqa_size"], TINY["iqa_size"], 3) for p in references)
    readme = (demo / "README.md").read_text()
    assert "PROXY" in readme and "licence" in readme
    assert all(name in readme for name in sources["image"])


def test_prepare_scores_and_mos_convention(demo):
    root = demo / "iqa" / "synthetic"
    scores = pd.read_csv(root / "scores.csv")
    assert list(scores.columns) == ["reference", "distorted", "distortion", "level", "mos"]
    assert len(scores) == TINY["n_iqa"] * len(TINY["distortions"]) * TINY["levels"]
    assert set(scores["distortion"]) == set(TINY["distortions"])
    assert (scores["mos"] == TINY["levels"] + 1 - scores["level"]).all()
    assert sorted((root / "distorted").iterdir()) == sorted(root / d for d in scores["distorted"])
    for _, group in scores.groupby(["reference", "distortion"]):
        group = group.sort_values("level")
        assert list(group["level"]) == list(range(1, TINY["levels"] + 1))
        assert (np.diff(group["mos"]) < 0).all()  # worse level -> lower mos: higher is better
    row = scores.iloc[0]
    image = Path(row["reference"]).stem
    assert row["distorted"] == f"distorted/{image}__{row['distortion']}__{row['level']}.png"


def test_prepare_twice_identical_bytes(raw, demo, tmp_path):
    other = tmp_path / "demo"
    prepare_mod.prepare(raw, other, TINY)
    first = tree_bytes(other)
    assert first == tree_bytes(demo)
    prepare_mod.prepare(raw, other, TINY)  # rebuild over an existing folder
    assert tree_bytes(other) == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]  # no temp folders left


def test_prepare_cli_reads_config(raw, demo, tmp_path, capsys):
    config = tmp_path / "cfg.yaml"
    config.write_text(yaml.safe_dump({"data": {"prepare": TINY}, "other": {"x": 1}}))
    out = tmp_path / "demo"
    prepare_mod.main(["--raw", str(raw), "--out", str(out), "--config", str(config)])
    assert "prepared" in capsys.readouterr().out
    assert tree_bytes(out) == tree_bytes(demo)


def test_prepare_missing_raw(tmp_path):
    with pytest.raises(InputError, match=r"no_raw.*asym\.data\.collect --out data/raw"):
        prepare_mod.prepare(tmp_path / "no_raw", tmp_path / "demo", TINY)
    (tmp_path / "empty_raw").mkdir()
    with pytest.raises(InputError, match=r"sources\.csv.*asym\.data\.collect"):
        prepare_mod.prepare(tmp_path / "empty_raw", tmp_path / "demo", TINY)


def test_prepare_unknown_distortion(raw, tmp_path):
    params = dict(TINY, distortions=["jpeg", "blurr"])
    with pytest.raises(InputError, match=r"blurr.*known.*gaussian_blur"):
        prepare_mod.prepare(raw, tmp_path / "demo", params)


def test_prepare_too_few_images(raw, tmp_path):
    params = dict(TINY, n_sr_test=8, n_iqa=8)
    with pytest.raises(InputError, match=r"there are 17 \(15 of them .*= 16 held-out images plus at least 1"):
        prepare_mod.prepare(raw, tmp_path / "demo", params)


def test_tile_origins_do_not_overlap_and_spread():
    origins = prepare_mod.tile_origins(400, 600, 192, 3)  # a 2 x 3 grid of whole tiles
    assert len(origins) == 3 and len(set(origins)) == 3
    for i, (t1, l1) in enumerate(origins):
        assert 0 <= t1 <= 400 - 192 and 0 <= l1 <= 600 - 192
        for t2, l2 in origins[i + 1:]:
            assert abs(t1 - t2) >= 192 or abs(l1 - l2) >= 192
    assert origins[0] == (8, 12) and origins[-1] == (200, 396)  # first and last tile of the centred grid
    assert prepare_mod.tile_origins(300, 300, 192, 2) == []  # only one whole tile fits
    # Given the image: the most detailed tiles, in grid order (a flat image with two textured tiles).
    image = np.full((400, 600, 3), 128, dtype=np.uint8)
    rng = np.random.default_rng(0)
    for top, left in ((8, 204), (200, 12)):
        image[top:top + 192, left:left + 192] = rng.integers(0, 256, (192, 192, 3), dtype=np.uint8)
    assert prepare_mod.tile_origins(400, 600, 192, 2, image) == [(8, 204), (200, 12)]
    assert prepare_mod.detail(image[8:200, 204:396]) > prepare_mod.detail(image[8:200, 12:204]) == 0.0
    assert prepare_mod.tile_origins(192, 192, 192, 1) == [(0, 0)]


def test_prepare_several_crops_per_test_photograph(raw, tmp_path):
    params = dict(TINY, n_sr_test=3, n_iqa=6, sr_test_size=128, iqa_size=64, sr_test_crops=3)
    out = tmp_path / "demo"
    counts = prepare_mod.prepare(raw, out, params)
    assert counts["test_crops"] == 9 and counts["iqa"] == 6
    crops = pd.read_csv(out / "sr" / "test_crops.csv")
    splits = pd.read_csv(out / "splits.csv").set_index("image")["split"]
    assert crops["source"].nunique() == 3 and (crops.groupby("source").size() == 3).all()
    assert (splits[crops["source"]] == "sr_test").all()  # crops come from test photographs only
    sources = pd.read_csv(raw / "references" / "sources.csv").set_index("image")
    for crop in crops.itertuples():
        pixels = read_rgb(out / "sr" / "test" / f"{crop.image}.png")
        photo = read_rgb(raw / "references" / sources.loc[crop.source, "file"])
        assert np.array_equal(pixels, photo[crop.top:crop.top + 128, crop.left:crop.left + 128])
    for _, group in crops.groupby("source"):  # pairwise non-overlapping within a photograph
        boxes = list(zip(group["top"], group["left"]))
        assert all(abs(a[0] - b[0]) >= 128 or abs(a[1] - b[1]) >= 128
                   for i, a in enumerate(boxes) for b in boxes[i + 1:])
    with pytest.raises(InputError, match="sr_test_crops must be a positive integer"):
        prepare_mod.prepare(raw, tmp_path / "bad", dict(params, sr_test_crops=0))
    with pytest.raises(InputError, match="large enough"):
        prepare_mod.prepare(raw, tmp_path / "bad", dict(params, sr_test_size=512, n_sr_test=5))


def test_kodak_references_are_listed_with_a_licence():
    kodak = [r for r in REFERENCES if r["package"] == "pyiqa"]
    assert sorted(r["name"] for r in kodak) == ["kodim03", "kodim04", "kodim06", "kodim08", "kodim19"]
    for ref in kodak:
        assert "Kodak" in ref["licence"] and "TID2013" in ref["description"]
        assert locate(ref).name == ref["relpath"].rsplit("/", 1)[1]
    with pytest.raises(InputError, match="pip install --force-reinstall pyiqa"):
        locate({"package": "pyiqa", "root": "distribution", "relpath": "ResultsCalibra/ref_dir/I99.bmp"})


def test_prepare_corrupt_image_keeps_old_output(raw, demo, tmp_path):
    broken = copy_raw(raw, tmp_path / "raw")
    (broken / "references" / "chelsea.png").write_bytes(b"this is not a PNG file" * 10)
    out = tmp_path / "demo"
    shutil.copytree(demo, out)
    before = tree_bytes(out)
    with pytest.raises(InputError, match="chelsea"):
        prepare_mod.prepare(broken, out, TINY)
    # The failure left the previous set untouched and no temporary folder behind.
    assert tree_bytes(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo", "raw"]


# ---------------------------------------------------------------- readers

def test_load_synthetic(demo):
    root = demo / "iqa" / "synthetic"
    table = load_synthetic(root)
    assert list(table.columns) == ["reference", "distorted", "distortion", "level", "mos"]
    assert len(table) == TINY["n_iqa"] * len(TINY["distortions"]) * TINY["levels"]
    assert all(Path(p).is_absolute() and Path(p).is_file()
               for p in list(table["reference"]) + list(table["distorted"]))
    assert table.equals(load_iqa_set("synthetic", root))
    assert "synthetic" in READERS


def test_load_synthetic_missing_file(demo, tmp_path):
    root = tmp_path / "synthetic"
    shutil.copytree(demo / "iqa" / "synthetic", root)
    victim = sorted((root / "distorted").iterdir())[3]
    victim.unlink()
    with pytest.raises(InputError, match=victim.name):
        load_synthetic(root)
    with pytest.raises(InputError, match="scores.csv"):
        load_synthetic(tmp_path / "nowhere")


def test_load_iqa_set_unknown_kind(demo):
    with pytest.raises(ValueError, match="synthetic"):
        load_iqa_set("tid2099", demo)


# ---------------------------------------------------------------- image helpers

def test_tensor_round_trip(photo):
    t = to_tensor(photo)
    assert t.shape == (3, *photo.shape[:2]) and t.dtype == torch.float32
    assert 0.0 <= float(t.min()) and float(t.max()) <= 1.0
    assert np.array_equal(to_uint8(t), photo)
    assert np.array_equal(to_uint8(t.permute(1, 2, 0)), photo)
    clamped = to_uint8(torch.tensor([-0.5, 0.5, 1.5]).view(3, 1, 1))
    assert clamped.ravel().tolist() == [0, 128, 255]


def test_bicubic_downsample(photo):
    noise = torch.rand(3, 128, 128, generator=torch.Generator().manual_seed(0))
    hr = torch.stack([to_tensor(photo), noise])
    lr = bicubic_downsample(hr, 4)
    assert lr.shape == (2, 3, 32, 32)
    assert float(lr.min()) >= 0.0 and float(lr.max()) <= 1.0
    # A flat image stays flat: the kernel preserves the mean.
    flat = torch.full((1, 3, 16, 16), 0.25)
    assert torch.allclose(bicubic_downsample(flat, 4), torch.full((1, 3, 4, 4), 0.25), atol=1e-6)
    with pytest.raises(ValueError):
        bicubic_downsample(hr[:, :, :127], 4)


def test_random_crop_deterministic(photo):
    img = to_tensor(photo)
    a = random_crop(img, 32, torch.Generator().manual_seed(7))
    b = random_crop(img, 32, torch.Generator().manual_seed(7))
    assert a.shape == (3, 32, 32) and torch.equal(a, b)
    gen = torch.Generator().manual_seed(7)
    crops = [random_crop(img, 32, gen) for _ in range(5)]
    assert any(not torch.equal(crops[0], c) for c in crops[1:])
    with pytest.raises(ValueError):
        random_crop(img, 129, gen)


def test_load_folder(demo, tmp_path):
    pairs = load_folder(demo / "sr" / "test")
    names = [name for name, _ in pairs]
    assert names == sorted(names) and len(names) == TINY["n_sr_test"]
    assert all(img.dtype == np.uint8 and img.shape[2] == 3 for _, img in pairs)
    with pytest.raises(InputError):
        load_folder(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError):
        load_folder(tmp_path / "empty")
