# Report stage: one rule per figure (each reads result CSVs only), then the HTML report.

TRAIN_LOGS = expand(f"{RES}/optimize/runs/{{run}}/train_log.csv", run=RUNS)
FIGURES = [f"{REPORT}/figures/{name}.png" for name in ("assessment", "asymmetry", "training")]


# Assessment ranking: SRCC of every metric with bootstrap CIs, per IQA set.
rule figure_assessment:
    input:
        correlations=f"{RES}/assess/correlations.csv",
        code=code("figures.assessment"),
    output:
        report(f"{REPORT}/figures/assessment.png", caption="../report/assessment.rst", category="Assessment"),
        f"{REPORT}/figures/assessment.pdf",
    log:
        f"{RES}/logs/report/figure_assessment.log",
    shell:
        "{PY} -m asym.figures.assessment --correlations {input.correlations} --out {output[0]} > {log} 2>&1"


# The asymmetry: assessment SRCC vs optimization quality, without and with GAN.
rule figure_asymmetry:
    input:
        ranks=f"{RES}/analysis/ranks.csv",
        evaluation=f"{RES}/optimize/evaluation.csv",
        code=code("figures.asymmetry"),
    output:
        report(f"{REPORT}/figures/asymmetry.png", caption="../report/asymmetry.rst", category="Claims"),
        f"{REPORT}/figures/asymmetry.pdf",
    log:
        f"{RES}/logs/report/figure_asymmetry.log",
    shell:
        "{PY} -m asym.figures.asymmetry --ranks {input.ranks} --evaluation {input.evaluation} "
        "--out {output[0]} > {log} 2>&1"


# Training curves of every run.
rule figure_training:
    input:
        logs=TRAIN_LOGS,
        code=code("figures.training"),
    output:
        report(f"{REPORT}/figures/training.png", caption="../report/training.rst", category="Optimization"),
        f"{REPORT}/figures/training.pdf",
    log:
        f"{RES}/logs/report/figure_training.log",
    shell:
        "{PY} -m asym.figures.training --logs {input.logs} --out {output[0]} > {log} 2>&1"


# The self-contained HTML report: scale, claims with verdicts, tables, figures, config.
rule report_html:
    input:
        claims=f"{RES}/analysis/claims.csv",
        ranks=f"{RES}/analysis/ranks.csv",
        correlations=f"{RES}/assess/correlations.csv",
        evaluation=f"{RES}/optimize/evaluation.csv",
        config=f"{RES}/config.yaml",
        figures=FIGURES,
        code=code("report"),
    output:
        f"{REPORT}/report.html",
    params:
        scale=CFG["scale"],
    log:
        f"{RES}/logs/report/report_html.log",
    shell:
        "{PY} -m asym.report --claims {input.claims} --correlations {input.correlations} "
        "--evaluation {input.evaluation} --ranks {input.ranks} --figures {input.figures} "
        "--scale {params.scale} --config-file {input.config} --out {output} > {log} 2>&1"
