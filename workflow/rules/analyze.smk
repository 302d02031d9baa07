# Analysis stage: one statistic per claim (C1..C5) -> results/analysis/claims.csv.


# Snapshot of the validated config the results were made with (shown in the report).
rule config_snapshot:
    input:
        code=code("config"),
    output:
        f"{RES}/config.yaml",
    params:
        cfg=dumps(CFG),
    log:
        f"{RES}/logs/analyze/config_snapshot.log",
    shell:
        "{PY} -m asym.config --json {params.cfg:q} --out {output} > {log} 2>&1"


# Claims C1 (assessment rank vs optimization rank) and C2 (its change with GAN); C3-C5
# rows say which stage they wait for.
rule claims:
    input:
        scores=ASSESS_SCORES,
        evaluation=f"{RES}/optimize/evaluation.csv",
        code=code("claims"),
    output:
        claims=f"{RES}/analysis/claims.csv",
        ranks=f"{RES}/analysis/ranks.csv",
    params:
        scale=CFG["scale"],
        n_boot=CFG["analysis"]["n_boot"],
        n_perm=CFG["analysis"]["n_perm"],
        seed=CFG["analysis"]["seed"],
        threshold=CFG["analysis"]["c1_threshold"],
    log:
        f"{RES}/logs/analyze/claims.log",
    shell:
        "{PY} -m asym.claims --assess-scores {input.scores} --evaluation {input.evaluation} "
        "--scale {params.scale} --n-boot {params.n_boot} --n-perm {params.n_perm} --seed {params.seed} "
        "--threshold {params.threshold} --out {output.claims} --ranks-out {output.ranks} > {log} 2>&1"
