# Human judgement (asym/judge/): the paired-comparison study built from the runs' SR outputs.
# Not part of `rule all`: a study needs people. Build it with
#   snakemake --cores 2 judge_build
# then `asym judge invite results/judge/study --n 10`, `asym judge serve results/judge/study`,
# and `asym judge fit results/judge/study --out-dir results/judge` once answers are in; the
# analysis and the report use results/judge/human_evaluation.csv where it exists. The answers
# live in results/judge/study.sqlite, beside the study folder, so rebuilding never deletes them.


# The study: pairs per test image (all, or a cyclic incomplete design), catch trials, manifest.
rule judge_build:
    input:
        sr=[f"{RES}/optimize/runs/{run}/sr" for run in RUNS],
        bicubic=f"{RES}/optimize/bicubic/sr",
        data=CFG["data"]["sr_test"],
        code=code("judge.build"),
    output:
        directory(f"{RES}/judge/study"),
    params:
        config=dumps(CFG),
    log:
        f"{RES}/logs/judge/judge_build.log",
    shell:
        "{PY} -m asym.judge.build --config-json {params.config:q} --out {output} "
        "--runs-dir {RES}/optimize/runs --test-dir {input.data} --bicubic-dir {input.bicubic} > {log} 2>&1"
