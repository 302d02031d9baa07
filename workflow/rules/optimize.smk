# Optimization stage: SR generators trained with each fidelity loss, without and with
# an adversarial loss, over seeds; each scored by an evaluator panel without its own metric.

wildcard_constraints:
    run="[A-Za-z0-9_.-]+__[A-Za-z0-9_.-]+__s[0-9]+",


# Train one generator (resumes from its checkpoint if one is there).
rule train_sr:
    input:
        data=f"{DATA}/splits.csv",
        fitted=lambda w: fitted_files(CFG, [RUNS[w.run].fidelity]),
        code=code("train_sr"),
    output:
        final=f"{RES}/optimize/runs/{{run}}/final.pt",
        log=f"{RES}/optimize/runs/{{run}}/train_log.csv",
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
        "{PY} -m asym.train_sr --spec {params.spec:q} --train-dir {params.train_dir} "
        "--out {params.out_dir} --threads {threads} --no-progress > {log} 2>&1"


# Super-resolve the test images with one generator and score them with its panel.
rule evaluate_run:
    input:
        final=rules.train_sr.output.final,
        data=f"{DATA}/splits.csv",
        fitted=lambda w: fitted_files(CFG, evaluator_panel(CFG, RUNS[w.run])),
        code=code("evaluate"),
    output:
        scores=f"{RES}/optimize/evaluation/{{run}}.csv",
        sr=directory(f"{RES}/optimize/runs/{{run}}/sr"),
    params:
        panel=lambda w: dumps(evaluator_panel(CFG, RUNS[w.run])),
        test_dir=CFG["data"]["sr_test"],
        dataset=Path(CFG["data"]["sr_test"]).parent.parent.name + "-test",
        batch_size=CFG["evaluate"]["batch_size"],
        device=CFG["device"],
    log:
        f"{RES}/logs/optimize/evaluate/{{run}}.log",
    benchmark:
        f"{RES}/benchmarks/optimize/evaluate/{{run}}.tsv"
    threads: 1
    shell:
        "{PY} -m asym.evaluate --generator {input.final} --panel {params.panel:q} "
        "--test-dir {params.test_dir} --dataset {params.dataset} --sr-dir {output.sr} "
        "--batch-size {params.batch_size} --device {params.device} --threads {threads} "
        "--out {output.scores} > {log} 2>&1"


# All runs' evaluator scores in one tidy table.
rule evaluation_table:
    input:
        scores=expand(f"{RES}/optimize/evaluation/{{run}}.csv", run=RUNS),
        code=code("tables"),
    output:
        f"{RES}/optimize/evaluation.csv",
    log:
        f"{RES}/logs/optimize/evaluation_table.log",
    shell:
        "{PY} -m asym.tables concat --inputs {input.scores} --out {output} > {log} 2>&1"
