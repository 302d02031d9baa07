# Assessment against public human choices (asym/assess/twoafc.py): each assess metric's BAPPS
# 2AFC score and SRIQA-Bench pairwise accuracy, for the sets under assess.human_sets (the paper
# config; the demo has none). Data come from DVC (data/paper/dvc.yaml: data@bapps, data@sriqa_bench).
HUMAN_SETS = CFG["assess"].get("human_sets", {})
HUMAN_AGREEMENT = [f"{RES}/assess/human_agreement.csv"] if HUMAN_SETS else []


# One metric on one human-judgement set: agreement per category and overall, bootstrap CIs.
rule assess_human:
    input:
        data=lambda w: HUMAN_SETS[w.hset]["root"],
        fitted=lambda w: fitted_files(CFG, [w.metric]),
        weights=lambda w: weight_files([w.metric]),
        code=code("assess.twoafc"),
    output:
        f"{RES}/assess/human/{{hset}}/{{metric}}.csv",
    params:
        spec=lambda w: dumps(metric_spec(CFG, w.metric)),
        kind=lambda w: HUMAN_SETS[w.hset]["kind"],
        batch_size=CFG["assess"]["batch_size"],
        n_boot=CFG["assess"]["n_boot"],
        seed=CFG["assess"]["seed"],
        device=CFG["device"],
    log:
        f"{RES}/logs/assess/human/{{hset}}/{{metric}}.log",
    shell:
        "{PY} -m asym.assess.twoafc --set {params.kind} --root {input.data} --metric {wildcards.metric} "
        "--spec {params.spec:q} --batch-size {params.batch_size} --n-boot {params.n_boot} --seed {params.seed} "
        "--device {params.device} --out {output} > {log} 2>&1"


# Every metric x human set in one table: results/assess/human_agreement.csv.
rule human_agreement_table:
    input:
        tables=[f"{RES}/assess/human/{hset}/{metric}.csv" for hset in HUMAN_SETS
                for metric in CFG["assess"]["metrics"]],
        code=code("tables"),
    output:
        f"{RES}/assess/human_agreement.csv",
    log:
        f"{RES}/logs/assess/human_agreement_table.log",
    shell:
        "{PY} -m asym.tables concat --inputs {input.tables} --out {output} > {log} 2>&1"
