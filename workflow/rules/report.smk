# Report stage: one rule per figure (each reads result CSVs only), the LaTeX tables and
# number macros, the HTML report, and the PDF where a LaTeX engine is installed.
import shutil

ANALYSIS = {
    "claims": f"{RES}/analysis/claims.csv",
    "ranks": f"{RES}/analysis/ranks.csv",
    "mixedlm": f"{RES}/analysis/c2_mixedlm.csv",
    "pairwise": f"{RES}/analysis/c4_pairwise.csv",
    "panels": f"{RES}/analysis/c1_c2_panels.csv",
    "power": f"{RES}/analysis/power.csv",
    "correlations": f"{RES}/assess/correlations.csv",
    "evaluation": f"{RES}/optimize/evaluation.csv",
}
# figure name -> (inputs, extra arguments, caption category)
FIGURE_SPECS = {
    "assessment": ({"correlations": ANALYSIS["correlations"]}, "--correlations {input.correlations}", "Assessment"),
    "asymmetry": ({"ranks": ANALYSIS["ranks"]}, "--ranks {input.ranks}", "Claims"),
    "slope": ({"ranks": ANALYSIS["ranks"]}, "--ranks {input.ranks}", "Claims"),
    "sr_grid": ({"evaluation": ANALYSIS["evaluation"],
                 "sr": [f"{RES}/optimize/runs/{run}/sr" for run in RUNS],
                 "bicubic": f"{RES}/optimize/bicubic/sr"},
                f"--runs-dir {RES}/optimize/runs --test-dir {CFG['data']['sr_test']} "
                "--evaluation {input.evaluation} --bicubic-dir {input.bicubic} --image first --crop 48",
                "Optimization"),
    "gan_sweep": ({"evaluation": ANALYSIS["evaluation"]}, "--evaluation {input.evaluation}", "Optimization"),
    "discriminators": ({"evaluation": ANALYSIS["evaluation"]}, "--evaluation {input.evaluation}", "Optimization"),
    "training": ({"logs": TRAIN_LOGS}, "--logs {input.logs}", "Optimization"),
    "stability": ({"logs": TRAIN_LOGS}, "--logs {input.logs}", "Optimization"),
}
if TRANSFER_JOBS:
    FIGURE_SPECS["transfer"] = ({"transfer": TRANSFER_TABLE}, "--transfer {input.transfer}", "Transfer")
FIGURES = [f"{REPORT}/figures/{name}.png" for name in FIGURE_SPECS]
TRANSFER_ARG = f"--transfer {TRANSFER_TABLE}" if TRANSFER_JOBS else ""
# Human judgements where a study was fitted (asym judge fit): the report shows the human ranking,
# else it says none were collected. Read at parse time: the next run after a fit rebuilds the report.
HUMAN_EVALUATION = f"{RES}/judge/human_evaluation.csv"
HUMAN_INPUT = [HUMAN_EVALUATION] if Path(HUMAN_EVALUATION).is_file() else []
LATEX = shutil.which("latexmk") is not None


# One rule per figure: python -m asym.report.figures.<name>; editing a module reruns its figure only.
for _name, (_inputs, _args, _category) in FIGURE_SPECS.items():

    rule:
        name:
            f"figure_{_name}"
        input:
            **_inputs,
            code=code(f"report.figures.{_name}"),
        output:
            png=report(f"{REPORT}/figures/{_name}.png", caption=f"../report/{_name}.rst", category=_category),
            pdf=f"{REPORT}/figures/{_name}.pdf",
        params:
            module=f"asym.report.figures.{_name}",
            # Bound now (default argument): rule bodies are evaluated per job, after the loop ended.
            args=lambda w, input, _args=_args: _args.format(input=input),
        log:
            f"{RES}/logs/report/figure_{_name}.log",
        shell:
            "{PY} -m {params.module} {params.args} --out {output.png} > {log} 2>&1"


# Booktabs tables and macros.tex: every number the report's text cites, generated.
rule report_latex:
    input:
        **ANALYSIS,
        transfer=TRANSFER_TABLE,
        code=code("report.latex"),
    output:
        directory(f"{REPORT}/tex"),
    params:
        scale=CFG["scale"],
        transfer=TRANSFER_ARG,
    log:
        f"{RES}/logs/report/report_latex.log",
    shell:
        "{PY} -m asym.report.latex --claims {input.claims} --correlations {input.correlations} "
        "--evaluation {input.evaluation} --ranks {input.ranks} --mixedlm {input.mixedlm} "
        "--pairwise {input.pairwise} --panels {input.panels} --power {input.power} {params.transfer} "
        "--scale {params.scale} --out-dir {output} > {log} 2>&1"


# The self-contained HTML report: scale, claims with verdicts, tables, figures, config.
rule report_html:
    input:
        **ANALYSIS,
        transfer=TRANSFER_TABLE,
        stability=rules.stability_summary.output[0],
        config=f"{RES}/config.yaml",
        figures=FIGURES,
        human=HUMAN_INPUT,
        human_agreement=HUMAN_AGREEMENT,
        code=code("report.html"),
    output:
        f"{REPORT}/report.html",
    params:
        scale=CFG["scale"],
        transfer=TRANSFER_ARG,
        human=f"--human {HUMAN_EVALUATION}" if HUMAN_INPUT else "",
        human_agreement=f"--human-agreement {HUMAN_AGREEMENT[0]}" if HUMAN_AGREEMENT else "",
    log:
        f"{RES}/logs/report/report_html.log",
    shell:
        "{PY} -m asym.report.html --claims {input.claims} --correlations {input.correlations} "
        "--evaluation {input.evaluation} --ranks {input.ranks} --mixedlm {input.mixedlm} "
        "--pairwise {input.pairwise} --panels {input.panels} --power {input.power} {params.transfer} "
        "--stability {input.stability} {params.human} {params.human_agreement} "
        "--figures {input.figures} --scale {params.scale} --config-file {input.config} --out {output} > {log} 2>&1"


if LATEX:

    # The PDF (report/report.tex includes build/tex/* and build/figures/*.pdf).
    rule report_pdf:
        input:
            tex=str(REPO / "report" / "report.tex"),
            tables=f"{REPORT}/tex",
            figures=[f.replace(".png", ".pdf") for f in FIGURES],
        output:
            f"{REPORT}/report.pdf",
        params:
            workdir=REPORT.rsplit("/build", 1)[0] if REPORT.endswith("/build") else REPORT,
        log:
            f"{RES}/logs/report/report_pdf.log",
        shell:
            "mkdir -p {params.workdir} && ([ {input.tex} -ef {params.workdir}/report.tex ] || "
            "cp {input.tex} {params.workdir}/report.tex) && "
            "latexmk -cd -pdf -interaction=nonstopmode -halt-on-error -outdir=build "
            "{params.workdir}/report.tex > {log} 2>&1"
