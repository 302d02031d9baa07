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


# Claims C1 (assessment vs optimization ranking, runs as units), C2 (its change with GAN,
# plus a regression on run means), C3/C5 (transfer; C5 also on the assessment side), C4
# (discriminator level x family, with instability); Holm across the five claims.
HUMAN_TABLE = f"{RES}/judge/human_evaluation.csv"
rule claims:
    input:
        scores=ASSESS_SCORES,
        correlations=f"{RES}/assess/correlations.csv",
        evaluation=f"{RES}/optimize/evaluation.csv",
        stability=rules.stability_summary.output[0],
        transfer=TRANSFER_TABLE,
        human=[HUMAN_TABLE] if Path(HUMAN_TABLE).is_file() else [],
        labels=list(WITHIN_TYPE.values()),  # sets with level labels: SRCC within distortion types (assess.smk)
        code=code("analysis.claims"),
    output:
        claims=f"{RES}/analysis/claims.csv",
        ranks=f"{RES}/analysis/ranks.csv",
        mixedlm=f"{RES}/analysis/c2_mixedlm.csv",
        pairwise=f"{RES}/analysis/c4_pairwise.csv",
        panels=f"{RES}/analysis/c1_c2_panels.csv",
    params:
        scale=CFG["scale"],
        n_boot=CFG["analysis"]["n_boot"],
        n_perm=CFG["analysis"]["n_perm"],
        seed=CFG["analysis"]["seed"],
        threshold=CFG["analysis"]["c1_threshold"],
        alpha=CFG["analysis"].get("alpha", 0.05),
        margin=CFG["analysis"].get("equivalence_margin", 0.05),
        no_reference=" ".join(CFG["analysis"].get("no_reference_evaluators", [])),
        transfer=lambda w, input: f"--transfer {input.transfer}" if input.transfer else "",
        human=lambda w, input: f"--human {input.human}" if input.human else "",
        gan_setting=f"--gan-setting {main_gan_setting(CFG)}" if main_gan_setting(CFG) else "",
        within=" ".join(f"--within-type {d}={path}" for d, path in WITHIN_TYPE.items()),
    log:
        f"{RES}/logs/analyze/claims.log",
    shell:
        "{PY} -m asym.analysis.claims --assess-scores {input.scores} --correlations {input.correlations} "
        "--evaluation {input.evaluation} --stability {input.stability} {params.transfer} {params.human} "
        "{params.gan_setting} {params.within} --no-reference {params.no_reference} --scale {params.scale} "
        "--alpha {params.alpha} --threshold {params.threshold} --margin {params.margin} "
        "--n-boot {params.n_boot} --n-perm {params.n_perm} --seed {params.seed} --out {output.claims} "
        "--ranks-out {output.ranks} --mixedlm-out {output.mixedlm} --pairwise-out {output.pairwise} "
        "--panels-out {output.panels} > {log} 2>&1"


# What this design can detect: each claim's false-positive rate and power, simulated with the
# config's design and the variance components of the results just made (asym power).
rule power:
    input:
        config=f"{RES}/config.yaml",
        evaluation=f"{RES}/optimize/evaluation.csv",
        code=code("analysis.power"),
    output:
        f"{RES}/analysis/power.csv",
    params:
        reps=CFG["analysis"].get("power_reps", 200),
        effects=" ".join(str(e) for e in CFG["analysis"].get("power_effects", [0.5, 1.0, 2.0])),
    log:
        f"{RES}/logs/analyze/power.log",
    shell:
        "{PY} -m asym.analysis.power --config {input.config} --results {RES} --reps {params.reps} "
        "--effect {params.effects} --out {output} > {log} 2>&1"
