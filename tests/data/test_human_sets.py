"""Readers of the public human-judgement sets (BAPPS 2AFC, SRIQA-Bench) and the 2AFC /
pairwise agreement of the assessment stage, on small copies laid out as the sets are."""

import json

import numpy as np
import pytest
from PIL import Image

from asym.assess.twoafc import assess_bapps, assess_sriqa, pairwise_agreement, twoafc_agreement
from asym.data.bapps import load_bapps_2afc
from asym.data.sriqa_bench import load_sriqa_pairs
from asym.io import InputError

RNG = np.random.default_rng(0)


def png(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.clip(array, 0, 255).astype(np.uint8)).save(path)


def make_bapps(root, human=(0.1, 0.2, 0.9)):
    """Triplets where p0 is the reference plus weak noise and p1 plus strong noise, except the
    last, where they swap; ``human`` is the share preferring p1."""
    for i, h in enumerate(human):
        folder = root / "2afc" / "val" / "cnn"
        ref = RNG.uniform(40, 200, (32, 32, 3))
        weak, strong = ref + RNG.normal(0, 4, ref.shape), ref + RNG.normal(0, 40, ref.shape)
        p0, p1 = (weak, strong) if i < len(human) - 1 else (strong, weak)
        png(folder / "ref" / f"{i:06d}.png", ref)
        png(folder / "p0" / f"{i:06d}.png", p0)
        png(folder / "p1" / f"{i:06d}.png", p1)
        (folder / "judge").mkdir(exist_ok=True)
        np.save(folder / "judge" / f"{i:06d}.npy", np.array([h]))


def test_bapps_reader_and_checks(tmp_path):
    make_bapps(tmp_path)
    table = load_bapps_2afc(tmp_path)
    assert list(table["id"]) == ["000000", "000001", "000002"] and set(table["category"]) == {"cnn"}
    assert table["human_p1"].tolist() == [0.1, 0.2, 0.9]
    np.save(tmp_path / "2afc" / "val" / "cnn" / "judge" / "000001.npy", np.array([np.nan]))
    with pytest.raises(InputError, match="000001.npy"):
        load_bapps_2afc(tmp_path)
    np.save(tmp_path / "2afc" / "val" / "cnn" / "judge" / "000001.npy", np.array([1.5]))
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        load_bapps_2afc(tmp_path)
    np.save(tmp_path / "2afc" / "val" / "cnn" / "judge" / "000001.npy", np.array([0.2]))
    (tmp_path / "2afc" / "val" / "cnn" / "p1" / "000002.png").unlink()
    with pytest.raises(InputError, match="p1/000002.png is missing"):
        load_bapps_2afc(tmp_path)
    with pytest.raises(InputError, match="fetch bapps"):
        load_bapps_2afc(tmp_path / "nowhere")


def test_twoafc_agreement_by_hand():
    # distances: p1 closer in the first, p0 closer in the second, a tie in the third
    agree = twoafc_agreement([0.5, 0.1, 0.3], [0.2, 0.4, 0.3], [0.7, 0.7, 0.7], lower_better=True)
    assert agree.tolist() == pytest.approx([0.7, 0.3, 0.5])
    # a similarity (higher = closer) flips the reading
    agree = twoafc_agreement([0.5, 0.1], [0.2, 0.4], [0.7, 0.7], lower_better=False)
    assert agree.tolist() == pytest.approx([0.3, 0.7])


def test_pairwise_agreement_by_hand():
    got = pairwise_agreement([2.0, 1.0, 3.0, 1.0], [1.0, 2.0, 3.0, 5.0], [0.8, 0.8, 0.9, 0.5], lower_better=False)
    assert got[:3].tolist() == [1.0, 0.0, 0.5] and np.isnan(got[3])


def test_bapps_with_a_real_metric(tmp_path):
    from asym.assess.fidelity import build_metric

    make_bapps(tmp_path)
    out = assess_bapps(build_metric({"name": "l1", "kind": "l1"}), "l1", tmp_path, n_boot=200)
    row = out[out["category"] == "all"].iloc[0]
    # L1 finds the weakly noised patch closer in every triplet: 0.9, 0.8, 0.9
    assert row["agreement"] == pytest.approx((0.9 + 0.8 + 0.9) / 3)
    assert row["human_ceiling"] == pytest.approx((0.9 + 0.8 + 0.9) / 3)
    assert row["ci_low"] <= row["agreement"] <= row["ci_high"] and row["measure"] == "2afc"


def make_sriqa(root, with_labels=True):
    methods = ["Bicubic", "HAT", "SwinIR"]
    noise = {"Bicubic": 40, "HAT": 5, "SwinIR": 15}
    for content in ("0001", "0002"):
        ref = RNG.uniform(40, 200, (32, 32, 3))
        png(root / "images" / "Original" / f"{content}_Original.png", ref)
        for m in methods:
            png(root / "images" / m / f"{content}_{m}.png", ref + RNG.normal(0, noise[m], ref.shape))
        lines = [f"{content}_{m}.png,{100 - noise[m]}" for m in methods]
        (root / "MOS").mkdir(exist_ok=True)
        (root / "MOS" / f"{content}.txt").write_text("\n".join(lines) + "\n")
        if not with_labels:
            continue
        for person in ("A", "B"):
            folder = root / "labels" / person / content
            folder.mkdir(parents=True, exist_ok=True)
            pairs = [("HAT", "Positive", "Bicubic", "Negative"), ("SwinIR", "Similar", "Bicubic", "Negative"),
                     ("HAT", "Similar", "SwinIR", "Similar" if person == "A" else "Negative")]
            for k, (m1, l1, m2, l2) in enumerate(pairs):
                (folder / f"{k}.json").write_text(json.dumps(
                    {"Picture_01": {"Name": f"{content}_{m1}.png", "Label": l1},
                     "Picture_02": {"Name": f"{content}_{m2}.png", "Label": l2}}))


def test_sriqa_reader_from_labels_and_from_mos(tmp_path):
    make_sriqa(tmp_path)
    pairs = load_sriqa_pairs(tmp_path).set_index(["content", "a", "b"])
    hat_swin = pairs.loc[("0001", "HAT", "SwinIR")]
    assert (hat_swin["wins_a"], hat_swin["wins_b"], hat_swin["ties"], hat_swin["n"]) == (1, 0, 1, 2)
    assert hat_swin["human_pref_a"] == 0.75 and hat_swin["source"] == "labels"
    assert pairs.loc[("0002", "Bicubic", "HAT"), "human_pref_a"] == 0.0
    mos_only = tmp_path / "mos_only"
    make_sriqa(mos_only, with_labels=False)
    pairs = load_sriqa_pairs(mos_only)
    assert len(pairs) == 6 and set(pairs["source"]) == {"mos"} and set(pairs["n"]) == {1}
    bad = tmp_path / "labels" / "A" / "0001" / "0.json"
    bad.write_text(json.dumps({"Picture_01": {"Name": "0001_HAT.png", "Label": "Great"},
                               "Picture_02": {"Name": "0001_Bicubic.png", "Label": "Negative"}}))
    with pytest.raises(InputError, match="0.json"):
        load_sriqa_pairs(tmp_path)


def test_sriqa_pairwise_accuracy_with_a_real_metric(tmp_path):
    from asym.assess.fidelity import build_metric

    make_sriqa(tmp_path)
    out = assess_sriqa(build_metric({"name": "l1", "kind": "l1"}), "l1", tmp_path, n_boot=100)
    row = out[out["category"] == "all"].iloc[0]
    # people prefer the less noised output in every non-tied pair, and so does L1
    assert row["agreement"] == 1.0 and row["measure"] == "pairwise_accuracy"
    assert row["n"] == 6  # 3 pairs x 2 contents, none tied overall (HAT vs SwinIR: one win, one tie)


def test_twoafc_command_writes_the_table(tmp_path):
    import pandas as pd

    from asym.assess.twoafc import COLUMNS, main

    make_bapps(tmp_path / "bapps")
    out = tmp_path / "out.csv"
    main(["--set", "bapps", "--root", str(tmp_path / "bapps"), "--metric", "l1", "--spec", '{"kind": "l1"}',
          "--n-boot", "50", "--out", str(out)])
    table = pd.read_csv(out)
    assert list(table.columns) == COLUMNS and list(table["category"]) == ["cnn", "all"]
    assert (table["metric"] == "l1").all() and (table["dataset"] == "bapps").all()
