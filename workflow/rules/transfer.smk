# Transfer stage: IQA models whose backbone starts from random weights (a new draw per
# split), its published checkpoint (init named by its pre-training: imagenet, dinov2, ...)
# or a trained discriminator of the same architecture (claims C3, C5). A "disc" job
# depends on its GAN run's final.pt (split i: the run of optimize seed i mod n,
# asym.config.transfer_disc_run), so changing that run reruns exactly the transfer jobs
# that use it; a checkpoint job (or a projected design on pinned weights) depends on the
# pinned file. The model is no-reference or full-reference per data set (transfer_mode).

from asym.data.iqa_sets import reader_options_json

TRANSFER_JOBS = transfer_jobs(CFG)
TRANSFER_TABLE = f"{RES}/transfer/correlations.csv" if TRANSFER_JOBS else []


def transfer_inputs(wildcards):
    spec = transfer_spec(CFG, wildcards.job)
    backbone, init, dataset = spec["name"], spec["init"], spec["dataset"]
    inputs = {"labels": iqa_labels(dataset), "code": code("transfer.train_iqa")}
    if spec["disc_run"]:
        inputs["discriminator"] = f"{RES}/optimize/runs/{spec['disc_run']}/final.pt"
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
        reader=lambda w: reader_options_json(iqa_set(w.job.split("__")[2])),
        disc=lambda w, input: f"--discriminator {input.discriminator}" if "discriminator" in input.keys() else "",
        device=CFG["device"],
    log:
        f"{RES}/logs/transfer/{{job}}.log",
    benchmark:
        f"{RES}/benchmarks/transfer/{{job}}.tsv"
    threads: 1
    shell:
        "{PY} -m asym.transfer.train_iqa --spec {params.spec:q} --kind {params.kind} --root {params.root} "
        "--reader-options {params.reader:q} {params.disc} --device {params.device} --threads {threads} --out {output} > {log} 2>&1"


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
