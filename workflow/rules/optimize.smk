# Optimization stage: SR generators trained with each fidelity loss, without and with
# an adversarial loss, over seeds; each scored by an evaluator panel without its own metric.

import os
import re

from asym.config import generator_tag, pretrain_file, pretrain_spec

wildcard_constraints:
    run="[A-Za-z0-9_.-]+__[A-Za-z0-9_.-]+__s[0-9]+",

PRETRAIN = CFG["optimize"].get("pretrain")
GPUS_PER_RUN = CFG["optimize"].get("gpus_per_run", 1)
# optimize.gpus_per_run > 1: torchrun starts one data-parallel process per GPU of the node
# (asym/optimize/train_sr.py); --standalone picks a free rendezvous port, so jobs can share a node.
# (Globals in the commands, not params: the number of GPUs does not change results, so
# changing it reruns nothing.)
TRAIN_LAUNCH = (f"{PY} -m torch.distributed.run --standalone --nproc_per_node {GPUS_PER_RUN}"
                if GPUS_PER_RUN > 1 else PY)
# Importing a published checkpoint is one process's work.
PRETRAIN_LAUNCH = PY if PRETRAIN and "official" in PRETRAIN else TRAIN_LAUNCH


def official_generator():
    """optimize.pretrain.official as an input where it can be had: present, or fetched by a DVC
    stage (FETCHED, data.smk). Otherwise the DAG still builds and pretrain_sr stops with
    load_official's message naming the path and the release page."""
    path = (PRETRAIN or {}).get("official")
    if path is None:
        return []
    return [path] if Path(path).exists() or os.path.normpath(path) in FETCHED else []


def discriminator_weights(run):
    """The pinned backbone file of a run's projected discriminator (ImageNet-initialized), if any."""
    disc = CFG["optimize"]["discriminators"][run.discriminator] if run.adversarial else {}
    return [disc["weights"]] if disc.get("init") == "imagenet" and disc.get("weights") else []


# The generator every run of a seed starts from: optimize.pretrain's L1 (or other pixel-loss)
# pretraining, or a published checkpoint imported; one file per generator setting and seed.
rule pretrain_sr:
    input:
        data=[] if PRETRAIN and "official" in PRETRAIN else CFG["data"]["sr_train"],
        fitted=fitted_files(CFG, [PRETRAIN["loss"]]) if PRETRAIN and "loss" in PRETRAIN else [],
        weights=weight_files([PRETRAIN["loss"]]) if PRETRAIN and "loss" in PRETRAIN else [],
        official=official_generator(),
        code=code("optimize.train_sr"),
    output:
        final=f"{RES}/optimize/pretrain/{{tag}}__s{{seed}}/final.pt",
    wildcard_constraints:
        tag=re.escape(generator_tag(CFG)),
        seed="[0-9]+",
    params:
        spec=lambda w: dumps(pretrain_spec(CFG, int(w.seed))),
        train_dir=CFG["data"]["sr_train"],
        out_dir=lambda w: f"{RES}/optimize/pretrain/{w.tag}__s{w.seed}",
    log:
        f"{RES}/logs/optimize/pretrain/{{tag}}__s{{seed}}.log",
    benchmark:
        f"{RES}/benchmarks/optimize/pretrain/{{tag}}__s{{seed}}.tsv"
    threads: CFG["optimize"]["threads"]
    resources:
        runtime=60,
    shell:
        "{PRETRAIN_LAUNCH} -m asym.optimize.train_sr --spec {params.spec:q} --train-dir {params.train_dir} "
        "--out {params.out_dir} --threads {threads} --restart-stale --no-progress > {log} 2>&1"


# Train one generator from its seed's pretrained one (resumes from its checkpoint if one is
# there; since Snakemake reruns only on change, a checkpoint of other settings, other code or
# another pretrained start, or of a finished run, is set aside as checkpoint.stale-<n>.pt).
rule train_sr:
    input:
        data=CFG["data"]["sr_train"],
        init=lambda w: [pretrain_file(CFG, RUNS[w.run].seed)] if PRETRAIN else [],
        fitted=lambda w: fitted_files(CFG, [RUNS[w.run].fidelity]),
        weights=lambda w: weight_files([RUNS[w.run].fidelity]) + discriminator_weights(RUNS[w.run]),
        code=code("optimize.train_sr"),
    output:
        final=f"{RES}/optimize/runs/{{run}}/final.pt",
        log=f"{RES}/optimize/runs/{{run}}/train_log.csv",
        record=f"{RES}/optimize/runs/{{run}}/run.json",
    params:
        spec=lambda w: dumps(train_spec(CFG, RUNS[w.run])),
        train_dir=CFG["data"]["sr_train"],
        out_dir=lambda w: f"{RES}/optimize/runs/{w.run}",
    log:
        f"{RES}/logs/optimize/train/{{run}}.log",
    benchmark:
        f"{RES}/benchmarks/optimize/train/{{run}}.tsv"
    threads: CFG["optimize"]["threads"]
    resources:
        runtime=60,
    shell:
        "{TRAIN_LAUNCH} -m asym.optimize.train_sr --spec {params.spec:q} --train-dir {params.train_dir} "
        "--out {params.out_dir} --threads {threads} --restart-stale --no-progress > {log} 2>&1"


# Super-resolve the test images with one generator and score them with its panel.
rule evaluate_run:
    input:
        final=rules.train_sr.output.final,
        record=rules.train_sr.output.record,
        data=CFG["data"]["sr_test"],
        fitted=lambda w: fitted_files(CFG, evaluator_panel(CFG, RUNS[w.run])),
        weights=lambda w: weight_files(evaluator_panel(CFG, RUNS[w.run])),
        code=code("optimize.evaluate"),
    output:
        scores=f"{RES}/optimize/evaluation/{{run}}.csv",
        sr=directory(f"{RES}/optimize/runs/{{run}}/sr"),
    params:
        panel=lambda w: dumps(evaluator_panel(CFG, RUNS[w.run])),
        test_dir=CFG["data"]["sr_test"],
        dataset=Path(CFG["data"]["sr_test"]).parent.parent.name + "-test",
        batch_size=CFG["evaluate"]["batch_size"],
        device=CFG["device"],
        kernels=kernels(CFG),
    log:
        f"{RES}/logs/optimize/evaluate/{{run}}.log",
    benchmark:
        f"{RES}/benchmarks/optimize/evaluate/{{run}}.tsv"
    threads: 1
    shell:
        "{PY} -m asym.optimize.evaluate --generator {input.final} --panel {params.panel:q} "
        "--test-dir {params.test_dir} --dataset {params.dataset} --sr-dir {output.sr} "
        "--batch-size {params.batch_size} --kernels {params.kernels} --device {params.device} --threads {threads} "
        "--out {output.scores} > {log} 2>&1"


# The bicubic baseline: the same test inputs upsampled bicubically, scored by the whole panel
# (it was trained on nothing, so no evaluator is circular with it); rows flagged baseline.
rule evaluate_bicubic:
    input:
        data=CFG["data"]["sr_test"],
        fitted=fitted_files(CFG, CFG["evaluate"]["evaluators"]),
        weights=weight_files(CFG["evaluate"]["evaluators"]),
        code=code("optimize.baseline"),
    output:
        scores=f"{RES}/optimize/evaluation/bicubic.csv",
        sr=directory(f"{RES}/optimize/bicubic/sr"),
    params:
        panel=dumps({name: metric_spec(CFG, name) for name in CFG["evaluate"]["evaluators"]}),
        test_dir=CFG["data"]["sr_test"],
        dataset=Path(CFG["data"]["sr_test"]).parent.parent.name + "-test",
        scale=CFG["optimize"]["generator"]["upscale"],
        batch_size=CFG["evaluate"]["batch_size"],
        device=CFG["device"],
    log:
        f"{RES}/logs/optimize/evaluate/bicubic.log",
    threads: 1
    shell:
        "{PY} -m asym.optimize.baseline --panel {params.panel:q} --test-dir {params.test_dir} "
        "--dataset {params.dataset} --scale {params.scale} --sr-dir {output.sr} "
        "--batch-size {params.batch_size} --device {params.device} --threads {threads} "
        "--out {output.scores} > {log} 2>&1"


# All runs' evaluator scores in one tidy table, the bicubic baseline's rows included.
rule evaluation_table:
    input:
        scores=expand(f"{RES}/optimize/evaluation/{{run}}.csv", run=RUNS)
        + [rules.evaluate_bicubic.output.scores],
        code=code("tables"),
    output:
        f"{RES}/optimize/evaluation.csv",
    log:
        f"{RES}/logs/optimize/evaluation_table.log",
    shell:
        "{PY} -m asym.tables concat --inputs {input.scores} --out {output} > {log} 2>&1"


# Training stability per discriminator design x GAN weight x objective x loss, across seeds.
rule stability_summary:
    input:
        logs=TRAIN_LOGS,
        # each log's run record (run.json beside it): what the run was
        records=[str(Path(log).with_name("run.json")) for log in TRAIN_LOGS],
        code=code("optimize.stability"),
    output:
        f"{RES}/optimize/stability.csv",
    log:
        f"{RES}/logs/optimize/stability_summary.log",
    shell:
        "{PY} -m asym.optimize.stability --logs {input.logs} --out {output} > {log} 2>&1"
