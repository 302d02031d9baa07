"""Discriminator traits and design labels: C4 groups by architecture, objectives stay apart."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from asym.analysis.claims import design_groups, discriminator_cells, main_setting_rows
from asym.optimize.designs import design_label, design_traits, label_designs
from tests.conftest import REPO


def test_traits_come_from_the_architecture_not_the_name():
    assert design_traits({"name": "patchgan"}) == ("patch", "conv")
    assert design_traits({"name": "unet"}) == ("patch", "conv")
    assert design_traits({"name": "vgg"}) == ("image", "conv")  # ESRGAN "vanilla": one logit per image
    assert design_traits({"name": "vit"}) == ("image", "transformer")
    assert design_traits({"name": "projected", "backbone": "resnet50", "head": "patch"}) == ("patch", "conv")
    assert design_traits({"name": "projected", "backbone": "dinov2_vits14", "head": "image"}) == ("image", "transformer")
    with pytest.raises(ValueError, match="asym/optimize/designs.py"):
        design_traits({"name": "stylegan"})


def test_every_configured_design_has_traits():
    from asym.nets.discriminators import DISCRIMINATORS

    for name in ("demo", "paper"):
        cfg = yaml.safe_load((REPO / "workflow" / "config" / f"{name}.yaml").read_text())
        for spec in cfg["optimize"]["discriminators"].values():
            assert spec["name"] in DISCRIMINATORS
            assert design_traits(spec)[0] in ("patch", "image")


def test_labels_keep_objectives_apart():
    assert design_label("patchgan", "nonsaturating") == "patchgan"
    assert design_label("patchgan", "hinge") == "patchgan/hinge"
    assert design_label("none", "none") == "none"
    assert design_label("vgg", float("nan")) == "vgg"


def _evaluation():
    """Two matched cells: each design at one weight and seed, one test image, one evaluator."""
    rows = []
    designs = [("patchgan", "nonsaturating", "patch", "conv", 1.0), ("patchgan", "hinge", "patch", "conv", 3.0),
               ("vgg", "nonsaturating", "image", "conv", 0.0), ("none", "none", "none", "none", 2.0)]
    for disc, objective, level, family, score in designs:
        rows.append({"run": f"{disc}-{objective}", "fidelity": "l1", "adversarial": disc != "none",
                     "setting": "nogan" if disc == "none" else f"{disc}-{objective}", "discriminator": disc,
                     "objective": objective, "disc_level": level, "disc_family": family,
                     "gan_weight": 0.0 if disc == "none" else 0.05, "seed": 0, "dataset": "t", "image": "a.png",
                     "evaluator": "psnr", "score": score, "lower_better": False})
    return pd.DataFrame(rows)


def test_c4_cells_and_groups_use_labels_and_recorded_traits():
    ev = _evaluation()
    # "vgg" has no "image" token in its name: by name it would count as patch-level.
    assert design_groups(ev) == {"patchgan": "patch_conv", "patchgan/hinge": "patch_conv",
                                 "vgg": "image_or_transformer"}
    cells = discriminator_cells(ev)
    assert sorted(cells["discriminator"]) == ["patchgan", "patchgan/hinge", "vgg"]
    by = dict(zip(cells["discriminator"], cells["quality"]))
    assert by["patchgan/hinge"] > by["patchgan"] > by["vgg"]  # z-scored per evaluator, order kept


def test_main_setting_by_name_leaves_other_objectives_out():
    ev = _evaluation()
    kept = main_setting_rows(ev, "patchgan-nonsaturating")
    assert sorted(kept["run"]) == ["none-none", "patchgan-nonsaturating"]
    with pytest.raises(Exception, match="no adversarial rows"):
        main_setting_rows(ev, "unet-w0.05")
    with pytest.raises(Exception, match="'setting' column"):
        main_setting_rows(ev.drop(columns="setting"), "patchgan-nonsaturating")


def test_tables_without_traits_fall_back_to_names():
    ev = _evaluation().drop(columns=["objective", "disc_level", "disc_family"])
    labelled = label_designs(ev)
    assert labelled["design_group"].isna().all()
    assert design_groups(ev)["patchgan"] == "patch_conv"
