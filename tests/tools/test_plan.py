"""asym plan: FLOP counts against hand counts, the pixel-scaling rule, job counts against
`snakemake -n --forceall` on the tiny config, and the command's output."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from argparse import Namespace

import pytest
import torch

from asym.config import runs, train_spec, transfer_jobs
from asym.tools import flops as FL
from asym.tools import plan as P
from tests.conftest import REPO, TINY_CONFIG


def test_single_convolution_matches_the_hand_count():
    conv = torch.nn.Conv2d(3, 8, kernel_size=3, padding=1, device="meta")
    x = torch.empty(1, 3, 16, 20, device="meta", requires_grad=True)
    # 2 FLOPs per multiply-add: out channels x out pixels x (in channels x kernel taps)
    forward = 2 * 8 * (16 * 20) * (3 * 3 * 3)
    assert FL.count_flops(lambda: conv(x)) == forward
    # backward: the gradient to the input and to the weights, each as large as the forward
    assert FL.count_flops(lambda: conv(x).sum().backward()) == 3 * forward
    # batch 4 costs 4 times batch 1: the rule the plan scales training steps by
    x4 = torch.empty(4, 3, 16, 20, device="meta")
    assert FL.count_flops(lambda: conv(x4)) == 4 * forward


def test_pixel_cost_fit_recovers_an_affine_cost():
    cost = FL.PixelCost.fit(lambda side: 5e6 + 7.0 * side * side, (16, 32))
    assert cost.fixed == pytest.approx(5e6)
    assert cost.per_pixel == pytest.approx(7.0)
    assert cost.at(100, 30) == pytest.approx(5e6 + 7.0 * 3000)
    assert FL.PixelCost(-10.0, 1.0).at(2, 2) == 0.0  # a negative intercept never gives a negative cost


def test_swinir_cost_is_linear_in_pixels(tiny_cfg):
    """The scaling assumption: windowed attention and convolutions cost a fixed amount per pixel."""
    gen = {**tiny_cfg["optimize"]["generator"], "window_size": 4}
    counts = {side: FL.generator_flops(gen, side, side, train=True) for side in (8, 16)}
    fitted = FL.PixelCost.fit(counts.get, (8, 16))
    assert fitted.fixed == pytest.approx(0.0, abs=1e-6 * counts[16])
    direct = FL.generator_flops(gen, 24, 32, train=True)  # 6 x 8 windows
    assert fitted.at(24, 32) == pytest.approx(direct, rel=1e-9)
    # inference is the forward alone: a third of forward + backward for conv/matmul layers
    forward = FL.generator_flops(gen, 24, 32, train=False)
    assert 0.3 * direct < forward < 0.4 * direct


def test_discriminator_step_counts_each_pass():
    spec = {"name": "patchgan", "ndf": 8, "n_layers": 2, "norm": "none", "spectral_norm": True}
    disc = FL._discriminator(FL.spec_key(spec))
    x = torch.empty(1, 3, 32, 32, device="meta")

    def forward():
        with torch.no_grad():
            disc(x)

    one_forward = FL.count_flops(forward)
    plain = FL.discriminator_flops(spec, 32, 32, "nonsaturating")
    # generator side: forward + gradient to the input (2F); own update: 2 forwards + backward (< 4F)
    assert 6 * one_forward < plain < 8 * one_forward
    # a relativistic objective adds exactly one forward on the real patch
    assert FL.discriminator_flops(spec, 32, 32, "relativistic") - plain == one_forward


def test_training_step_parts(tiny_cfg):
    run = next(r for r in runs(tiny_cfg) if r.adversarial)
    spec = train_spec(tiny_cfg, run)
    parts = FL.sr_step_flops(spec)
    assert parts["loss"] == 0  # L1: elementwise only, which the counter does not count
    assert parts["generator"] > 0 and parts["discriminator"] > 0
    dists = FL.metric_flops(tiny_cfg["metrics"]["dists_vgg16-R"] | {"name": "dists_vgg16-R"}, 32, 32, grad=True)
    assert dists > 0


@pytest.fixture(scope="module")
def tiny_plan(tiny_cfg):
    return {s.stage: s for s in P.plan(tiny_cfg)}


def test_plan_flops_follow_the_config(tiny_cfg, tiny_plan):
    opt = tiny_cfg["optimize"]
    expected = sum(opt["steps"] * opt["batch_size"] * sum(FL.sr_step_flops(train_spec(tiny_cfg, r)).values())
                   for r in runs(tiny_cfg))
    assert tiny_plan["optimize-train"].flops == pytest.approx(expected)
    prepare = tiny_cfg["data"]["prepare"]
    n_images = prepare["n_iqa"] * len(prepare["distortions"]) * prepare["levels"]
    size = prepare["iqa_size"]
    # pyiqa metrics: extrapolated from counts at two sizes; close to a direct count at a larger size
    net = FL._pyiqa_network("ssim", "meta")
    x = torch.empty(1, 3, 512, 512, device="meta")
    direct = FL.count_flops(lambda: net(x, x))
    assert FL.metric_flops({"name": "ssim", "kind": "pyiqa"}, 512, 512, grad=False) == pytest.approx(direct, rel=0.05)
    # assessment: every metric once per image of the set
    per_image = sum(FL.metric_flops(tiny_cfg["metrics"][m] | {"name": m}, size, size, grad=False)
                    for m in tiny_cfg["assess"]["metrics"])
    assert tiny_plan["assess"].flops == pytest.approx(n_images * per_image)
    for stage in ("data", "pretrain", "analyze/report"):
        assert tiny_plan[stage].flops == 0
    assert tiny_plan["transfer"].flops > 0 and tiny_plan["fit"].flops > 0


def _snakemake_job_counts(workdir, configfile=TINY_CONFIG) -> dict[str, int]:
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir),
           "--configfile", str(configfile), "-n", "--forceall", "--cores", "1", "--quiet", "rules"]
    done = subprocess.run(cmd, check=False, capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"},
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    table = (done.stdout + done.stderr).split("Job stats:")[-1]
    counts = {}
    for line in table.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit() and parts[0] not in ("job", "total", "all"):
            counts[parts[0]] = int(parts[1])
    return counts


def test_job_counts_equal_snakemake_dry_run(tiny_workdir, tiny_cfg, tiny_plan):
    snakemake = _snakemake_job_counts(tiny_workdir)
    assert P.rule_jobs(tiny_cfg) == snakemake
    for stage in P.STAGES:
        assert tiny_plan[stage].jobs == sum(n for r, n in snakemake.items() if P.stage_of(r) == stage), stage
    assert tiny_plan["optimize-train"].jobs == len(runs(tiny_cfg))
    assert tiny_plan["transfer"].jobs == len(transfer_jobs(tiny_cfg))
    assert tiny_plan["data"].jobs == 0  # the tiny data are made before the workflow, by prepare


def test_paper_job_counts_equal_snakemake_dry_run(tmp_path):
    """The paper config in an empty folder: every data set and weight file is a fetch job."""
    from asym.config import load_config

    paper = REPO / "workflow" / "config" / "paper.yaml"
    snakemake = _snakemake_job_counts(tmp_path, configfile=paper)
    jobs = P.rule_jobs(load_config(paper))
    assert jobs == snakemake
    assert {P.stage_of(r) for r in jobs} == set(P.STAGES)  # every stage has jobs at paper scale


def _args(**kw) -> Namespace:
    return Namespace(**{"config": str(TINY_CONFIG), "gpu_name": P.DEFAULT_GPU, "tflops": None,
                        "utilization": P.DEFAULT_UTILIZATION, "csv": False, **kw})


def test_csv_gpu_hours_follow_the_cost_model(tiny_plan):
    def table(**kw):
        out = io.StringIO()
        P.run(_args(csv=True, **kw), out=out)
        return {r["stage"]: r for r in csv.DictReader(io.StringIO(out.getvalue()))}

    default = table()
    assert list(default) == [*P.STAGES, "total"]
    train = default["optimize-train"]
    assert float(train["flops_total"]) == pytest.approx(tiny_plan["optimize-train"].flops)
    assert float(train["gpu_hours_total"]) == pytest.approx(float(train["flops_total"]) / (989e12 * 0.35) / 3600)
    assert int(default["total"]["jobs"]) == sum(s.jobs for s in tiny_plan.values())
    halved = table(utilization=0.175)
    assert float(halved["total"]["gpu_hours_total"]) == pytest.approx(2 * float(default["total"]["gpu_hours_total"]))
    custom = table(tflops=100.0, utilization=0.5)
    assert float(custom["fit"]["gpu_hours_total"]) == pytest.approx(tiny_plan["fit"].flops / 50e12 / 3600)
    pcie = table(gpu_name="NVIDIA H100 PCIe")
    assert float(pcie["total"]["gpu_hours_total"]) == pytest.approx(
        float(default["total"]["gpu_hours_total"]) * 989 / 756)


def test_asym_plan_prints_a_table(capsys):
    from asym.cli import main

    main(["plan", "--config", str(TINY_CONFIG), "--gpu-name", "A100"])
    out = capsys.readouterr().out
    assert "A100 bf16 dense peak 312 TFLOP/s x utilization 0.35" in out
    for stage in P.STAGES:
        assert f"\n{stage} " in out
    assert "GPU-h total" in out and "\ntotal " in out


@pytest.mark.parametrize(("name", "label", "tflops"), [
    ("NVIDIA H100 80GB HBM3", "H100 SXM", 989.0),
    ("NVIDIA H100 PCIe", "H100 PCIe", 756.0),
    ("NVIDIA H200", "H200", 989.0),
    ("NVIDIA A100-SXM4-80GB", "A100", 312.0),
    ("NVIDIA L40S", "L40S", 362.0),
    ("NVIDIA L4", "L4", 121.0),
    ("NVIDIA GeForce RTX 4090", "RTX 4090", 165.2),
])
def test_gpu_peaks_by_device_name(name, label, tflops):
    assert P.peak_tflops(name) == (label, tflops)


@pytest.mark.parametrize("name", ["NVIDIA RTX A4000", "NVIDIA A10G", "AMD Instinct MI300X"])
def test_unknown_gpu_asks_for_tflops(name):
    with pytest.raises(P.PlanError, match="--tflops"):
        P.peak_tflops(name)
    with pytest.raises(SystemExit, match="--tflops"):
        P.run(_args(gpu_name=name))


def test_bad_utilization_is_refused():
    with pytest.raises(SystemExit, match="utilization"):
        P.run(_args(utilization=1.5))


def test_data_set_sizes(tiny_cfg, tmp_path, monkeypatch):
    size, how = P.iqa_set_size(tiny_cfg, "synthetic")
    prepare = tiny_cfg["data"]["prepare"]
    assert size == (prepare["n_iqa"] * len(prepare["distortions"]) * prepare["levels"], 32, 32)
    monkeypatch.chdir(tmp_path)  # nothing prepared here
    cfg = {"data": {"iqa_sets": {"kadid": {"kind": "kadid10k", "root": "data/kadid"},
                                 "mystery": {"kind": "tqd", "root": "data/tqd"}},
                    "sr_test": "data/paper/sr/DIV2K_valid/HR"}}
    assert P.iqa_set_size(cfg, "kadid")[0] == P.NOMINAL_IQA_SETS["kadid10k"]
    size, how = P.iqa_set_size(cfg, "mystery")
    assert size is None and "data/tqd" in how
    assert P.sr_test_size(cfg)[0] == P.NOMINAL_SR_TEST["DIV2K_valid"]
