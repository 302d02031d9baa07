"""asym power: the config's design, variance components from results, the table and the command."""

import numpy as np
import pandas as pd
import pytest

from asym.analysis import power
from asym.analysis.power import Design, design_from_config, estimate_components, power_table
from asym.cli import main as asym_main
from asym.config import load_config
from tests.analysis.test_claims import ALIGNED, make_evaluation
from tests.conftest import REPO, TINY_CONFIG


def test_design_follows_the_config():
    demo = design_from_config(load_config(REPO / "workflow" / "config" / "demo.yaml"))
    assert (demo.losses, demo.seeds) == (5, 2)
    # demo's C4 designs (patchgan, unet, vgg, vit) are trained together on l1 at 0.05 only
    assert len(demo.strata) == 1 and sorted(demo.strata[0]) == sorted(
        [("image", "conv"), ("image", "transformer"), ("patch", "conv"), ("patch", "conv")])
    paper = design_from_config(load_config(REPO / "workflow" / "config" / "paper.yaml"))
    assert paper.seeds == 3 and paper.losses == len(load_config(REPO / "workflow" / "config" / "paper.yaml")
                                                    ["optimize"]["losses"])
    assert paper.backbones[1] >= 1  # Transformer DISTS-style backbones are assessed at paper scale


def test_components_from_results(tmp_path):
    comp, source = estimate_components(None)
    assert comp == power.DEFAULT_COMPONENTS and "defaults" in source
    (tmp_path / "optimize").mkdir()
    make_evaluation(ALIGNED, seeds=4, run_sd=0.5).to_csv(tmp_path / "optimize" / "evaluation.csv", index=False)
    comp, source = estimate_components(tmp_path)
    assert "evaluation.csv" in source
    assert comp["run"] != power.DEFAULT_COMPONENTS["run"] and comp["run"] > 0


def test_underpowered_designs_are_not_simulated():
    d = Design(losses=5, seeds=2, images=4, iqa_refs=10)
    # C1 cannot reach alpha with two seeds per loss: the rate is 0 by construction
    assert power.smallest_p("C1", d) > 0.05
    assert power.rejection_rate("C1", d, power.DEFAULT_COMPONENTS, 5.0, 10, 0.05) == (0.0, 0.0)
    # C3 without transfer units cannot be tested at all
    assert np.isnan(power.rejection_rate("C3", d, power.DEFAULT_COMPONENTS, 1.0, 10, 0.05)[0])


def test_table_and_seed_search():
    d = Design(losses=5, seeds=2, images=4, iqa_refs=25)
    t = power_table(d, power.DEFAULT_COMPONENTS, effects=(3.0,), reps=40, claims=("C2",), n_perm=200)
    assert list(t.columns) == power.POWER_COLUMNS and list(t["effect"]) == [0.0, 3.0]
    strong = t[t["effect"] == 3.0].iloc[0]
    assert strong["rate"] > t[t["effect"] == 0.0]["rate"].iloc[0]
    assert strong["seeds_for_80"] is not None and 2 <= strong["seeds_for_80"] <= 20


def test_asym_power_command(tmp_path, capsys):
    out = tmp_path / "power.csv"
    asym_main(["power", "--config", str(TINY_CONFIG), "--reps", "5", "--effect", "1", "--no-search",
               "--results", str(tmp_path / "none"), "--out", str(out)])
    printed = capsys.readouterr().out
    assert "design:" in printed and "defaults" in printed
    table = pd.read_csv(out)
    assert set(table["claim"]) == {"C1", "C2", "C3", "C4", "C5"}


def test_power_needs_a_valid_config(tmp_path):
    from asym.config import ConfigError

    bad = tmp_path / "bad.yaml"
    bad.write_text("scale: demo\n")
    with pytest.raises(ConfigError):
        asym_main(["power", "--config", str(bad), "--reps", "2"])
