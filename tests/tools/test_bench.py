"""The benchmarks run end to end and print their figures (no timing assertions), and
the train-step benchmark refuses to time implementations that disagree."""

from __future__ import annotations

import argparse

import pytest
import torch

from asym.tools import bench
from asym.tools.bench import main
from asym.tools.bench_reference import basicsr_available

# A real step at the smallest size that still has shifted windows (16 px LR = two windows).
TINY = ["--batch-size", "1", "--patch", "64", "--embed-dim", "12", "--depths", "2", "--num-heads", "2",
        "--ndf", "8", "--repeats", "2", "--warmup", "1", "--threads", "1"]
needs_basicsr = pytest.mark.skipif(
    not basicsr_available(),
    reason="BasicSR is not installed (benchmark only: pip install --no-deps basicsr==1.4.2)")


def test_bench_assess_prints_rates_ratio_and_agreement(capsys):
    main(["assess", "--batch-size", "1", "--size", "32", "--n-batches", "2", "--threads", "1"])
    lines = dict(line.split(": ", 1) for line in capsys.readouterr().out.strip().splitlines())
    for side in bench.OURS:  # both kernel settings, each against pyiqa
        for key in (f"{side}_images_per_s", f"ratio_{side}_over_pyiqa", f"{side}_images_per_cpu_s",
                    f"cpu_ratio_{side}_over_pyiqa"):
            assert float(lines[key]) > 0
        assert 0 <= float(lines[f"max_abs_score_diff_{side}"]) <= 1e-4
    assert float(lines["pyiqa_images_per_s"]) > 0 and float(lines["ratio_fast_over_reference_kernels"]) > 0
    assert lines["batch_size"] == "1" and lines["size"] == "32"


@needs_basicsr
def test_bench_train_step_prints_rates_and_agreement(capsys):
    main(["train-step", *TINY])
    lines = dict(line.split(": ", 1) for line in capsys.readouterr().out.strip().splitlines())
    assert float(lines["reference_images_per_s"]) > 0 and float(lines["ratio_fast_over_reference_kernels"]) > 0
    for side in bench.OURS:  # both kernel settings, each against BasicSR + pyiqa
        for key in (f"{side}_images_per_s", f"ratio_{side}_over_reference", f"{side}_steps_per_s"):
            assert float(lines[key]) > 0
        for key, tolerance in bench.AGREEMENT_TOLERANCE.items():
            assert 0 <= float(lines[f"{key}_{side}"]) <= tolerance
    assert lines["batch_size"] == "1" and lines["lr_patch"] == "16"
    assert '"depths": [2]' in lines["generator"]


@needs_basicsr
def test_train_step_breakdown_prints_each_part_per_side(capsys):
    main(["train-step", *TINY, "--breakdown"])
    lines = dict(line.split(": ", 1) for line in capsys.readouterr().out.strip().splitlines())
    for side in (*bench.OURS, "reference"):
        parts = [float(lines[f"ms_{side}_{part}"]) for part in bench.BREAKDOWN_PARTS]
        assert min(parts) > 0
        # The parts and the rest add up to the median step.
        total = sum(parts) + float(lines[f"ms_{side}_rest"])
        assert total == pytest.approx(1000 / float(lines[f"{side}_steps_per_s"]), rel=1e-2)  # 4-digit output


@needs_basicsr
def test_train_step_agreement_detects_a_different_reference():
    generator = {**bench.TRAIN_STEP_GENERATOR, "img_size": 16, "embed_dim": 12, "depths": (2,), "num_heads": (2,)}
    steps = bench.build_train_steps(generator, {**bench.TRAIN_STEP_DISCRIMINATOR, "ndf": 8})
    ours, theirs = steps["ours_reference"], steps["reference"]
    lr_img, hr = bench._hr_batches(1, 1, 64, 4, 0)[0]
    with torch.no_grad():  # same architecture, one weight changed: the check must notice
        theirs.g.conv_last.bias.add_(0.01)
    agreement = bench.check_agreement(ours, theirs, lr_img, hr)
    assert agreement["max_abs_sr_diff"] > bench.AGREEMENT_TOLERANCE["max_abs_sr_diff"]
    assert agreement["rel_grad_g_diff"] > 0


def test_train_step_rejects_patch_not_matching_windows():
    with pytest.raises(ValueError, match="window_size"):
        bench.bench_train_step(patch=40)  # 10 px LR is no multiple of the 8 px window


def test_parse_ints():
    assert bench.parse_ints("6,6,6,6") == (6, 6, 6, 6)
    assert bench.parse_ints("2") == (2,)
    for bad in ("", "6,,6", "a", "0"):
        with pytest.raises(argparse.ArgumentTypeError):
            bench.parse_ints(bad)


def test_interleaved_medians_alternates_order_and_skips_warmup():
    calls = []
    runners = {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}
    result = bench.interleaved_medians(runners, n_repeats=3, n_warmup=1)
    assert calls == ["a", "b", "b", "a", "a", "b", "b", "a"]
    assert all(len(result[k]["all_s"]) == 3 for k in runners)
    assert all(result[k]["median_s"] == sorted(result[k]["all_s"])[1] for k in runners)


@needs_basicsr
def test_train_step_with_our_step_compiled_still_agrees(capsys):
    """``--compile`` times our step as optimize.compile runs it; the agreement check still gates it
    (the "eager" backend traces with TorchDynamo without generating kernels: seconds, not minutes)."""
    main(["train-step", *TINY, "--compile", "eager"])
    lines = dict(line.split(": ", 1) for line in capsys.readouterr().out.strip().splitlines())
    assert lines["ours_compiled"] == "eager"
    for key, tolerance in bench.AGREEMENT_TOLERANCE.items():
        for side in bench.OURS:
            assert 0 <= float(lines[f"{key}_{side}"]) <= tolerance
