# Transfer stage: IQA models whose backbone starts from random, ImageNet or a trained
# discriminator's weights (claims C3, C5). A "discriminator" job depends on the GAN
# run's final.pt, so changing that run reruns exactly the transfer jobs that use it; an
# ImageNet job (or a projected design on ImageNet weights) depends on the pinned file.
# The model is no-reference or full-reference per data set (asym.config.transfer_mode).

TRANSFER_JOBS = transfer_jobs(CFG)
TRANSFER_TABLE = f"{RES}/transfer/correlations.csv" if TRANSFER_JOBS else []


def transfer_inputs(wildcards):
    backbone, init = wildcards.job.split("__")[:2]
    spec = CFG["transfer"]["backbones"][backbone]
    dataset = wildcards.job.split("__")[2]
    inputs = {"labels": iqa_labels(dataset), "code": code("transfer.train_iqa")}
    if init == "discriminator":
        inputs["discriminator"] = f"{RES}/optimize/runs/{spec['run']}/final.pt"
    weights = transfer_weights(CFG, backbone, init)
    if weights:
        inputs["weights"] = weights  # a missing pinned file is fetched first (data.smk)
    return inputs


# Fine-tune and test one IQA model (backbone x init x IQA set x split seed).
rule train_iqa:
    input:
        unpack(transfer_inputs),
    output:
        f"{RES}/transfer/runs/{{job}}.csv",
    params:
        spec=lambda w: dumps(transfer_spec(CFG, w.job)),
        kind=lambda w: iqa_set(w.job.split("__")[2])["kind"],
        root=lambda w: iqa_set(w.job.split("__")[2])["root"],
        disc=lambda w, input: f"--discriminator {input.discriminator}" if "discriminator" in input.keys() else "",
        device=CFG["device"],
    log:
        f"{RES}/logs/transfer/{{job}}.log",
    benchmark:
        f"{RES}/benchmarks/transfer/{{job}}.tsv"
    threads: 1
    shell:
        "{PY} -m asym.transfer.train_iqa --spec {params.spec:q} --kind {params.kind} --root {params.root} "
        "{params.disc} --device {params.device} --threads {threads} --out {output} > {log} 2>&1"


# Every transfer job's result in one tidy table.
rule transfer_table:
    input:
        rows=expand(f"{RES}/transfer/runs/{{job}}.csv", job=TRANSFER_JOBS),
        code=code("tables"),
    output:
        f"{RES}/transfer/correlations.csv",
    log:
        f"{RES}/logs/transfer/transfer_table.log",
    shell:
        "{PY} -m asym.tables concat --inputs {input.rows} --out {output} > {log} 2>&1"
