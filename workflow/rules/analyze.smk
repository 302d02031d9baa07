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


# Claims C1 (assessment vs optimization ranking), C2 (its change with GAN, plus a
# mixed-effects view), C3/C5 (transfer), C4 (discriminator designs, Holm-corrected).
rule claims:
    input:
        scores=ASSESS_SCORES,
        evaluation=f"{RES}/optimize/evaluation.csv",
        logs=TRAIN_LOGS,
        transfer=TRANSFER_TABLE,
        code=code("analysis.claims"),
    output:
        claims=f"{RES}/analysis/claims.csv",
        ranks=f"{RES}/analysis/ranks.csv",
        mixedlm=f"{RES}/analysis/c2_mixedlm.csv",
        pairwise=f"{RES}/analysis/c4_pairwise.csv",
    params:
        scale=CFG["scale"],
        n_boot=CFG["analysis"]["n_boot"],
        n_perm=CFG["analysis"]["n_perm"],
        seed=CFG["analysis"]["seed"],
        threshold=CFG["analysis"]["c1_threshold"],
        transfer=lambda w, input: f"--transfer {input.transfer}" if input.transfer else "",
        gan_setting=f"--gan-setting {main_gan_setting(CFG)}" if main_gan_setting(CFG) else "",
    log:
        f"{RES}/logs/analyze/claims.log",
    shell:
        "{PY} -m asym.analysis.claims --assess-scores {input.scores} --evaluation {input.evaluation} "
        "--train-logs {input.logs} {params.transfer} {params.gan_setting} --scale {params.scale} --n-boot {params.n_boot} "
        "--n-perm {params.n_perm} --seed {params.seed} --threshold {params.threshold} --out {output.claims} "
        "--ranks-out {output.ranks} --mixedlm-out {output.mixedlm} --pairwise-out {output.pairwise} > {log} 2>&1"
