# asym: the asymmetry between perceptual optimization and assessment (arXiv 2509.20878).
#
#   snakemake --cores 2                                   # demo scale (default config)
#   snakemake --profile workflow/profiles/slurm --configfile workflow/config/paper.yaml
#
# Data are prepared by DVC (`dvc repro`) beforehand; this workflow never downloads.
# Stages: assess -> optimize -> transfer -> analyze -> report (one rule file each, plus common).
from pathlib import Path

REPO = Path(workflow.basedir)

if not workflow.overwrite_configfiles:
    configfile: REPO / "workflow" / "config" / "demo.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/assess.smk"
include: "workflow/rules/assess_human.smk"
include: "workflow/rules/optimize.smk"
include: "workflow/rules/transfer.smk"
include: "workflow/rules/analyze.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/judge.smk"


# Everything the study produces: the claims table and the report (PDF where LaTeX exists).
rule all:
    input:
        f"{RES}/analysis/claims.csv",
        f"{REPORT}/report.html",
        f"{REPORT}/tex",
        [f"{REPORT}/report.pdf"] if LATEX else [],
        HUMAN_AGREEMENT,  # 2AFC / pairwise accuracy on public human data, where configured
