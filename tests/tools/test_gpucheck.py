"""The GPU check (scripts/gpu_check.sh, asym.tools.gpucheck) on the CPU at toy size; no GPU is needed."""

from __future__ import annotations

import subprocess

import pytest
import torch

from asym.tools import gpucheck
from asym.tools.flops import sr_step_flops
from tests.conftest import REPO

PAPER = str(REPO / "workflow" / "config" / "paper.yaml")
FIELDS = ("date", "device", "torch", "generator", "loss", "precision", "batch_size", "patch_size", "steps_per_s",
          "images_per_s", "peak_memory_gib", "tflop_per_step", "achieved_tflops", "peak_tflops", "fraction_of_peak")


def _parse(out: str) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in out.strip().splitlines() if ": " in line)


@pytest.fixture(scope="module")
def tiny_output():
    """One --tiny CPU run, printed as the command prints it (with a stated peak to get a fraction)."""
    result = gpucheck.check(PAPER, device="cpu", steps=2, warmup=1, tiny=True, peak_tflops=0.5)
    return result, _parse(gpucheck.format_result(result))


def test_tiny_cpu_run_prints_every_field(tiny_output):
    _, printed = tiny_output
    for field in FIELDS:
        assert field in printed, field
    assert printed["batch_size"] == "2" and printed["patch_size"] == "32" and printed["precision"] == "bf16"
    steps_per_s = float(printed["steps_per_s"])
    assert steps_per_s > 0
    assert float(printed["images_per_s"]) == pytest.approx(2 * steps_per_s, rel=1e-3)
    assert float(printed["peak_memory_gib"]) > 0
    achieved = float(printed["achieved_tflops"])
    assert achieved == pytest.approx(float(printed["tflop_per_step"]) * steps_per_s, rel=1e-3)
    assert float(printed["fraction_of_peak"]) == pytest.approx(achieved / 0.5, rel=1e-3)
    assert "dists" in printed["loss"] and "swinir" in printed["generator"]


def test_counted_flops_equal_the_plan_cost_model(tiny_output):
    """The FLOPs counted on a real step equal asym.tools.flops's meta-device count of the same step."""
    result, _ = tiny_output
    spec = {"generator": {**gpucheck.TINY_GENERATOR, "upscale": 4}, "patch_size": 32, "discriminator": None,
            "run": {"objective": "none"}, "loss": gpucheck.loss_spec({"metrics": {}})[0]}
    per_sample = sum(sr_step_flops(spec).values())
    assert result["tflop_per_step"] * 1e12 == pytest.approx(2 * per_sample, rel=1e-6)


def test_unknown_peak_asks_for_it():
    result = gpucheck.check(PAPER, device="cpu", steps=1, warmup=0, tiny=True)
    assert "--peak-tflops" in str(result["fraction_of_peak"])


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message of a machine without CUDA")
def test_without_cuda_exits_2_with_a_clear_message(capsys):
    with pytest.raises(SystemExit) as exit_info:
        gpucheck.main(["--config", PAPER])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "no CUDA device" in err and "--device cpu" in err


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message of a machine without CUDA")
def test_shell_wrapper_runs_the_module():
    done = subprocess.run(["bash", str(REPO / "scripts" / "gpu_check.sh")], check=False, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2
    assert "no CUDA device" in done.stderr


def test_record_appends_a_row_and_drops_the_placeholder(tiny_output, tmp_path):
    result, _ = tiny_output
    doc = tmp_path / "gpu-reference.md"
    doc.write_text((REPO / "docs" / "gpu-reference.md").read_text())  # the project's file, as it is now
    gpucheck.record(result, doc)
    gpucheck.record(result, doc)
    text = doc.read_text()
    assert gpucheck.PLACEHOLDER not in text
    assert text.count("| date | device |") == 1
    rows = [line for line in text.splitlines() if line.startswith(f"| {result['date']}")]
    assert len(rows) == 2 and result["device"] in rows[0] and "2 x 32" in rows[0]
