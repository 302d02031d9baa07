"""How many jobs a config makes and what they cost in GPU-hours, before anything runs.

    asym plan --config workflow/config/paper.yaml
    asym plan --config workflow/config/paper.yaml --gpu-name "H100 PCIe" --utilization 0.3
    asym plan --config workflow/config/paper.yaml --tflops 400 --csv > plan.csv
    python -m asym.tools.plan --config workflow/config/paper.yaml      # the same

One row per stage (data, assess, fit, pretrain, optimize-train, optimize-evaluate,
transfer, analyze/report): the number of jobs, FLOPs per job and in total, and
GPU-hours. Job counts come from the functions the Snakefile uses to make its jobs
(:func:`asym.config.runs`, :func:`asym.config.transfer_jobs`, the metrics with ``fit:``
that a job needs, ``assess.metrics`` x ``assess.datasets``), so the plan and
``snakemake -n --forceall`` agree rule by rule (:func:`rule_jobs`; ``tests/tools/test_plan.py``
checks it for the tiny and the paper config).

The cost model
--------------

**FLOPs come from the models themselves**, counted on PyTorch's ``meta`` device at the
exact sizes the jobs use (:mod:`asym.tools.flops`, which also says how pyiqa metrics are
counted and scaled). Per job:
- optimize-train: ``steps x batch_size x`` one training step at batch 1, as
  :mod:`asym.optimize.train_sr` does it: generator forward + backward on an LR patch
  (``patch_size / upscale``), the fidelity loss forward + backward to its input on the
  HR patch, and with a discriminator its generator-side pass (gradient to the input,
  weights frozen; a relativistic objective adds a forward on the real patch) and its
  own update (forward on real and fake, backward to its weights).
- pretrain (one job per seed where ``optimize.pretrain`` exists): the same step with the
  pretraining loss and no discriminator (:func:`asym.config.pretrain_spec`); importing a
  published checkpoint (``official``) costs nothing.
- optimize-evaluate: per SR test image, the generator forward on the LR image plus
  every evaluator of the run's panel (:func:`asym.config.evaluator_panel`) on the HR image.
- assess: per image of each IQA set, the metric's forward on the image pair.
- fit: one forward of the metric over every image of its fitting set (the frozen
  backbone's terms are computed once; the fitting steps on the table are negligible).
- transfer: ``steps x batch_size x`` forward + backward of the IQA model
  (:class:`asym.transfer.train_iqa.IQAModel`: trunk, pooling, head) on a ``crop`` x ``crop``
  crop, plus a forward on the 3 x 3 grid of crops of each test image
  (``test_fraction`` of the set).
- data: no GPU work; the jobs are the DVC fetches of workflow/rules/data.smk (the paper
  config's data sets and weight files; none for the demo, whose data ``dvc repro`` makes).
- analyze/report: no GPU work (statistics, tables, figures, report on the CPU).

**Image counts and sizes.** The synthetic demo set and SR test crops from
``data.prepare``; a prepared folder on disk is measured (image count and mean size);
otherwise the published count and a nominal size (:data:`NOMINAL_IQA_SETS`,
:data:`NOMINAL_SR_TEST`). A set known none of these ways is listed in the notes and its
jobs contribute no FLOPs.

**GPU-hours** = FLOPs / (peak x utilization) / 3600. ``peak`` is the bf16 dense
tensor-core peak of a GPU from :data:`GPU_PEAKS` (vendor datasheets, no sparsity;
default ``H100 SXM``, 989 TFLOP/s) or ``--tflops``; ``utilization`` (default 0.35) is
the sustained fraction of peak a job reaches. ``scripts/gpu_check.sh`` measures that
fraction for the paper-scale training step on a real GPU (see ``docs/gpu-reference.md``).

What the model leaves out, so read it as a lower bound: elementwise, normalisation,
FFT and optimizer kernels (FlopCounterMode counts none of them; filter-based metrics
such as FSIM or NLPD look nearly free while their real cost is memory traffic), data
loading, checkpoint writing, job start-up and queueing.
"""

from __future__ import annotations

import argparse
import fnmatch
import math
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from asym.config import (
    ConfigError,
    evaluator_panel,
    load_config,
    metric_spec,
    pretrain_spec,
    runs,
    train_spec,
    transfer_jobs,
    transfer_spec,
)
from asym.tools.flops import (
    PlanError,
    Uncountable,
    generator_flops,
    iqa_model_flops,
    metric_flops,
    spec_key,
    sr_step_flops,
)

# bf16 dense tensor-core peak in TFLOP/s (no structured sparsity), from the vendors'
# datasheets. (pattern searched in a device name, label, TFLOP/s); the first match wins,
# so the specific variants come before the family name.
GPU_PEAKS = [
    (r"H100.*PCIe", "H100 PCIe", 756.0),
    (r"H100.*NVL", "H100 NVL", 835.0),
    (r"H200.*NVL", "H200 NVL", 835.0),
    (r"GH200", "GH200", 989.0),
    (r"H200", "H200", 989.0),
    (r"H100", "H100 SXM", 989.0),
    (r"A100", "A100", 312.0),
    (r"L40S", "L40S", 362.0),
    (r"\bL40\b", "L40", 181.0),
    (r"\bL4\b", "L4", 121.0),
    (r"\bA40\b", "A40", 149.7),
    (r"\bA10\b", "A10", 125.0),
    (r"RTX 4090", "RTX 4090", 165.2),  # GeForce: bf16 with fp32 accumulation, what PyTorch uses
    (r"V100.*PCIe", "V100 PCIe (fp16; no bf16 tensor cores)", 112.0),
    (r"V100", "V100 SXM2 (fp16; no bf16 tensor cores)", 125.0),
]
DEFAULT_GPU = "H100 SXM"
DEFAULT_UTILIZATION = 0.35

# Published image counts with a nominal size (height, width), used when a set is not on
# disk. LIVE's images vary around 768 x 512, DIV2K's validation HR images are 2040 px on
# the long side with the short side varying (about 1356 on average).
NOMINAL_IQA_SETS = {
    "live": (779, 512, 768),
    "csiq": (866, 512, 512),
    "tid2013": (3000, 384, 512),
    "kadid10k": (10125, 384, 512),
    "pipal": (23200, 288, 288),
    "koniq10k": (10073, 768, 1024),
    "livechallenge": (1169, 500, 500),
    "spaq": (11125, 3000, 4000),  # smartphone photographs of varying size, about 4000 x 3000
}
NOMINAL_SR_TEST = {"DIV2K_valid": (100, 1356, 2040)}  # keyed by a folder name in sr_test's path

STAGES = ("data", "assess", "fit", "pretrain", "optimize-train", "optimize-evaluate", "transfer", "analyze/report")
# Snakemake rules (glob patterns) whose jobs each stage counts (tests/tools/test_plan.py compares with
# `snakemake -n --forceall`); every other rule's jobs are analyze/report.
STAGE_RULES = {
    "data": ("fetch_*",),  # workflow/rules/data.smk: one local rule per data set / weight file DVC fetches
    "assess": ("assess_score", "assess_human"),
    "fit": ("fit_metric",),
    "pretrain": ("pretrain_sr",),
    "optimize-train": ("train_sr",),
    "optimize-evaluate": ("evaluate_run", "evaluate_bicubic"),
    "transfer": ("train_iqa",),
}
# The figure rules of workflow/rules/report.smk (one job each; "transfer" only with transfer jobs).
REPORT_FIGURES = ("assessment", "asymmetry", "slope", "sr_grid", "gan_sweep", "discriminators", "training",
                  "stability")
# ------------------------------------------------------------------ data sizes


def _measure_images(paths: list) -> tuple[int, int, int]:
    """(count, mean height, mean width) from the image headers of ``paths`` (up to 50 read)."""
    from PIL import Image

    sample = paths[:: max(1, len(paths) // 50)]
    sizes = []
    for path in sample:
        with Image.open(path) as img:
            sizes.append(img.size)
    width = round(sum(s[0] for s in sizes) / len(sizes))
    height = round(sum(s[1] for s in sizes) / len(sizes))
    return len(paths), height, width


def iqa_set_size(cfg: dict, name: str) -> tuple[tuple[int, int, int] | None, str]:
    """((images, height, width) or None, how it was known) of an IQA set of the config."""
    entry = cfg["data"]["iqa_sets"][name]
    kind, root = entry["kind"], Path(entry["root"])
    prepare = cfg["data"].get("prepare")
    if kind == "synthetic" and prepare:
        n = prepare["n_iqa"] * len(prepare["distortions"]) * prepare["levels"]
        return (n, prepare["iqa_size"], prepare["iqa_size"]), "data.prepare"
    if root.exists():
        from asym.data.iqa_sets import load_iqa_set, reader_options

        try:
            table = load_iqa_set(kind, root, reader_options(entry))
            return _measure_images(list(table["distorted"])), f"measured in {root}"
        except Exception as exc:  # noqa: BLE001 - an incomplete copy: fall back to the published size
            reason = f"{root} unreadable ({type(exc).__name__})"
    else:
        reason = f"{root} not prepared"
    if kind in NOMINAL_IQA_SETS:
        return NOMINAL_IQA_SETS[kind], f"published count, nominal size ({reason})"
    return None, f"IQA set {name!r} (kind {kind}): {reason} and no published size is known"


def sr_test_size(cfg: dict) -> tuple[tuple[int, int, int] | None, str]:
    """((images, height, width) or None, how it was known) of the SR test set."""
    prepare = cfg["data"].get("prepare")
    folder = Path(cfg["data"]["sr_test"])
    if prepare and "n_sr_test" in prepare:
        crops = prepare["n_sr_test"] * prepare.get("sr_test_crops", 1)  # test photographs x crops each
        return (crops, prepare["sr_test_size"], prepare["sr_test_size"]), "data.prepare"
    if folder.is_dir():
        paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".bmp"))
        if paths:
            return _measure_images(paths), f"measured in {folder}"
    for key, size in NOMINAL_SR_TEST.items():
        if key in folder.parts:
            return size, f"published count, nominal size ({folder} not prepared)"
    return None, f"SR test set {folder}: not prepared and no published size is known"


# ------------------------------------------------------------------ the plan


@dataclass
class StageCost:
    stage: str
    jobs: int = 0
    flops: float = 0.0
    notes: list[str] = field(default_factory=list)


def fit_metrics(cfg: dict) -> list[str]:
    """Metrics whose alpha/beta a ``fit_metric`` job fits: those with ``fit`` that some job uses."""
    used = set(cfg["assess"]["metrics"])
    pretrain = cfg["optimize"].get("pretrain") or {}
    if "loss" in pretrain:
        used.add(pretrain["loss"])
    for run in runs(cfg):
        used.add(run.fidelity)
        used.update(evaluator_panel(cfg, run))
    return [name for name, spec in cfg["metrics"].items() if name in used and "fit" in spec]


def pretrain_seeds(cfg: dict) -> list[int]:
    """Seeds of the ``pretrain_sr`` jobs: one per seed a run starts from, where ``optimize.pretrain`` is set."""
    if not cfg["optimize"].get("pretrain"):
        return []
    return sorted({run.seed for run in runs(cfg)})


def rule_jobs(cfg: dict) -> dict[str, int]:
    """Jobs per Snakemake rule of a full run of ``cfg`` (what ``snakemake -n --forceall`` lists, less ``all``).

    Data rules from :func:`fetch_rules`; GPU rules from the config functions the rules
    use; the CPU rules of analyze/report are one job each (workflow/rules/*.smk), the
    transfer ones only with transfer jobs and ``report_pdf`` only where ``latexmk`` is
    installed, as report.smk decides.
    """
    has_transfer = bool(transfer_jobs(cfg))
    jobs = {rule: 1 for rule in fetch_rules(cfg)}
    jobs |= {
        "assess_score": len(cfg["assess"]["metrics"]) * len(cfg["assess"]["datasets"]),
        # workflow/rules/assess_human.smk: each metric on each public human-judgement set, one table
        "assess_human": len(cfg["assess"]["metrics"]) * len(cfg["assess"].get("human_sets", {})),
        "human_agreement_table": int(bool(cfg["assess"].get("human_sets"))),
        "fit_metric": len(fit_metrics(cfg)),
        "pretrain_sr": len(pretrain_seeds(cfg)),
        "train_sr": len(runs(cfg)),
        "evaluate_run": len(runs(cfg)),
        "evaluate_bicubic": 1,  # the bicubic baseline, scored by the whole evaluator panel (FLOPs not modelled)
        "train_iqa": len(transfer_jobs(cfg)),
        "assess_correlate": 1, "evaluation_table": 1, "stability_summary": 1, "transfer_table": int(has_transfer),
        "config_snapshot": 1, "claims": 1, "power": 1, "report_latex": 1, "report_html": 1,
        "report_pdf": int(shutil.which("latexmk") is not None),
    }
    for name in REPORT_FIGURES + (("transfer",) if has_transfer else ()):
        jobs[f"figure_{name}"] = 1
    return {rule: n for rule, n in jobs.items() if n}


def stage_of(rule: str) -> str:
    """The plan stage whose row counts a rule's jobs."""
    return next((stage for stage, patterns in STAGE_RULES.items()
                 if any(fnmatch.fnmatchcase(rule, p) for p in patterns)), "analyze/report")


def fetch_rules(cfg: dict) -> list[str]:
    """The data rules of workflow/rules/data.smk: one per data folder or weight file of ``cfg`` that a
    DVC stage of data/paper/dvc.yaml fetches (none for configs whose data prepare_demo builds)."""
    from asym.data.fetch import dvc_stages, load_sources

    sources = Path(__file__).resolve().parents[2] / "data" / "paper" / "sources.yaml"
    if not sources.is_file():
        return []
    stages = dvc_stages(cfg, load_sources(sources, sources.with_name("weights.yaml")))
    return [f"fetch_{source.replace('-', '_')}" for source, _ in stages.values()]


def _try(stage: StageCost, fn, *args, **kwargs):
    """``fn(...)``, or 0.0 with the reason noted on ``stage`` when it cannot be counted."""
    try:
        return fn(*args, **kwargs)
    except Uncountable as exc:
        note = str(exc)
        if note not in stage.notes:
            stage.notes.append(note)
        return 0.0


def plan(cfg: dict) -> list[StageCost]:
    """The cost of every stage of ``cfg`` (see the module docstring for the model)."""
    out = {name: StageCost(name) for name in STAGES}
    out["data"].notes.append("DVC fetches and checks the data (local jobs, network, no GPU)" if fetch_rules(cfg) else
                             "prepared by DVC before the workflow (dvc repro); no GPU")
    out["analyze/report"].notes.append("statistics, figures and report on the CPU")

    sizes = {}
    for name in set(cfg["assess"]["datasets"]) | {s["fit"]["dataset"] for s in cfg["metrics"].values() if "fit" in s} \
            | set((cfg.get("transfer") or {}).get("datasets", [])):
        sizes[name] = iqa_set_size(cfg, name)

    def dataset(stage: StageCost, name: str):
        size, how = sizes[name]
        note = f"{how}: its jobs add no FLOPs"
        if size is None and note not in stage.notes:
            stage.notes.append(note)
        return size

    stage = out["assess"]
    for name in cfg["assess"]["metrics"]:
        for ds in cfg["assess"]["datasets"]:
            size = dataset(stage, ds)
            if size:
                n, h, w = size
                stage.flops += n * _try(stage, metric_flops, metric_spec(cfg, name), h, w, grad=False)

    if cfg["assess"].get("human_sets"):
        stage.notes.append("2AFC / pairwise-accuracy jobs on human-judgement sets: FLOPs not counted")

    stage = out["fit"]
    for name in fit_metrics(cfg):
        size = dataset(stage, cfg["metrics"][name]["fit"]["dataset"])
        if size:
            n, h, w = size
            stage.flops += n * _try(stage, metric_flops, metric_spec(cfg, name), h, w, grad=False)

    opt = cfg["optimize"]
    stage = out["pretrain"]
    for seed in pretrain_seeds(cfg):
        spec = pretrain_spec(cfg, seed)
        if "official" in spec:
            note = f"imports the published generator {spec['official']} (no training)"
            if note not in stage.notes:
                stage.notes.append(note)
            continue
        parts = _try(stage, sr_step_flops, spec)
        if parts:
            stage.flops += spec["steps"] * spec["batch_size"] * sum(parts.values())

    train, evaluate = out["optimize-train"], out["optimize-evaluate"]
    test_size, how = sr_test_size(cfg)
    if test_size is None:
        evaluate.notes.append(f"{how}: evaluation adds no FLOPs")
    scale = opt["generator"]["upscale"]
    for run in runs(cfg):
        spec = train_spec(cfg, run)
        parts = _try(train, sr_step_flops, spec)
        if parts:
            train.flops += spec["steps"] * spec["batch_size"] * sum(parts.values())
        if test_size:
            n, h, w = test_size
            per_image = generator_flops(opt["generator"], h // scale, w // scale, train=False)
            for evaluator in evaluator_panel(cfg, run).values():
                per_image += _try(evaluate, metric_flops, evaluator, h, w, grad=False)
            evaluate.flops += n * per_image

    stage = out["transfer"]
    for job in transfer_jobs(cfg):
        spec = transfer_spec(cfg, job)
        # FLOPs do not depend on the drawn weights: one key for every split's init seed
        source = {k: v for k, v in spec["backbone"].items() if k != "init_seed"}
        train_flops, test_flops = iqa_model_flops(spec_key(source), spec["crop"], spec["stages"],
                                                   spec["hidden"], spec["mode"])
        stage.flops += spec["steps"] * spec["batch_size"] * train_flops
        size = dataset(stage, spec["dataset"])
        if size:
            n_test = math.ceil(size[0] * spec["test_fraction"])
            stage.flops += n_test * 9 * test_flops  # asym.transfer.train_iqa scores a 3 x 3 grid of crops per image

    for rule, n in rule_jobs(cfg).items():
        out[stage_of(rule)].jobs += n
    return [out[name] for name in STAGES]


def peak_tflops(name: str) -> tuple[str, float]:
    """(label, bf16 dense TFLOP/s) of the first :data:`GPU_PEAKS` entry matching a device name."""
    for pattern, label, tflops in GPU_PEAKS:
        if re.search(pattern, name, flags=re.IGNORECASE):
            return label, tflops
    known = ", ".join(label for _, label, _ in GPU_PEAKS)
    raise PlanError(f"no bf16 peak known for GPU {name!r} (known: {known}); give it with --tflops")


def gpu_hours(flops: float, tflops: float, utilization: float) -> float:
    return flops / (tflops * 1e12 * utilization) / 3600


def _si(flops: float) -> str:
    if flops == 0:
        return "0"
    for value, prefix in ((1e21, "Z"), (1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if flops >= value:
            return f"{flops / value:.3g} {prefix}"
    return f"{flops:.3g} "


def _hours(hours: float) -> str:
    return "0" if hours == 0 else f"{hours:.3g}"


def rows(stages: list[StageCost], tflops: float, utilization: float) -> list[dict]:
    out = []
    for s in stages:
        hours = gpu_hours(s.flops, tflops, utilization)
        out.append({"stage": s.stage, "jobs": s.jobs, "flops_per_job": s.flops / s.jobs if s.jobs else 0.0,
                    "flops_total": s.flops, "gpu_hours_per_job": hours / s.jobs if s.jobs else 0.0,
                    "gpu_hours_total": hours, "notes": list(s.notes)})
    total_flops = sum(s.flops for s in stages)
    out.append({"stage": "total", "jobs": sum(s.jobs for s in stages), "flops_per_job": "", "flops_total": total_flops,
                "gpu_hours_per_job": "", "gpu_hours_total": gpu_hours(total_flops, tflops, utilization), "notes": []})
    return out


def format_table(table: list[dict], header: str) -> str:
    columns = ("stage", "jobs", "FLOP/job", "FLOP total", "GPU-h/job", "GPU-h total")
    lines = [[r["stage"], str(r["jobs"]),
              _si(r["flops_per_job"]) if r["flops_per_job"] != "" else "",
              _si(r["flops_total"]),
              _hours(r["gpu_hours_per_job"]) if r["gpu_hours_per_job"] != "" else "",
              _hours(r["gpu_hours_total"])] for r in table]
    widths = [max(len(c), *(len(line[i]) for line in lines)) for i, c in enumerate(columns)]

    def fmt(cells):
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    text = [header, "", fmt(columns), fmt(["-" * w for w in widths])]
    text += [fmt(line) for line in lines[:-1]] + [fmt(["-" * w for w in widths]), fmt(lines[-1])]
    notes = [f"  {r['stage']}: {note}" for r in table for note in r["notes"]]
    if notes:
        text += ["", "notes:", *notes]
    return "\n".join(text)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``asym plan`` (shared by ``python -m asym.tools.plan`` and :mod:`asym.cli`)."""
    parser.add_argument("--config", default="workflow/config/demo.yaml")
    parser.add_argument("--gpu-name", default=DEFAULT_GPU,
                        help=f"GPU whose bf16 dense peak to use (default {DEFAULT_GPU!r}; any name containing "
                             "H100 PCIe, H200, A100, L40S, RTX 4090, ...)")
    parser.add_argument("--tflops", type=float, help="peak TFLOP/s to use instead of the GPU table's")
    parser.add_argument("--utilization", type=float, default=DEFAULT_UTILIZATION,
                        help=f"sustained fraction of the peak a job reaches (default {DEFAULT_UTILIZATION})")
    parser.add_argument("--csv", action="store_true", help="print CSV (FLOPs and GPU-hours as plain numbers)")


def run(args: argparse.Namespace, out=None) -> None:
    """Print the plan ``args`` ask for; a bad config or option exits with its message."""
    out = out or sys.stdout
    try:
        if not 0 < args.utilization <= 1:
            raise PlanError(f"--utilization must be in (0, 1], got {args.utilization}")
        if args.tflops is not None:
            if args.tflops <= 0:
                raise PlanError(f"--tflops must be positive, got {args.tflops}")
            label, tflops = f"{args.tflops:g} TFLOP/s (--tflops)", args.tflops
        else:
            label, tflops = peak_tflops(args.gpu_name)
            label = f"{label} bf16 dense peak {tflops:g} TFLOP/s"
        cfg = load_config(args.config)
        table = rows(plan(cfg), tflops, args.utilization)
    except (ConfigError, PlanError) as exc:
        sys.exit(f"asym plan: {exc}")
    if args.csv:
        import csv

        writer = csv.DictWriter(out, fieldnames=list(table[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows({**r, "notes": " | ".join(r["notes"])} for r in table)
        return
    header = (f"asym plan: {args.config} (scale {cfg['scale']}, device {cfg['device']})\n"
              f"GPU-hours = FLOPs / ({label} x utilization {args.utilization:g}) / 3600; "
              "FLOPs: matmul/conv/attention kernels (FlopCounterMode), see `python -m pydoc asym.tools.plan`")
    print(format_table(table, header), file=out)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="asym plan", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    run(parser.parse_args(argv))


if __name__ == "__main__":
    import asym.errors

    asym.errors.run(main)
