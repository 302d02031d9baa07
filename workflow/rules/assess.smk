# Assessment stage: every fidelity metric scored on every IQA set; correlations.
# (Each job gets its set's reader options, data.iqa_sets.<name> beside kind and root, as JSON.)
from asym.data.iqa_sets import labels_within_type, reader_options_json

ASSESS_SCORES = [
    f"{RES}/assess/scores/{dataset}/{metric}.csv"
    for dataset in CFG["assess"]["datasets"]
    for metric in CFG["assess"]["metrics"]
]


# Fit a DISTS-style metric's alpha/beta on the train split (by reference) of an IQA set.
rule fit_metric:
    input:
        labels=lambda w: iqa_labels(fit_spec(CFG, w.metric)["dataset"]),
        weights=lambda w: weight_files([w.metric]),
        code=code("assess.fit_metric"),
    output:
        f"{RES}/assess/fitted/{{metric}}.pt",
    params:
        metric=lambda w: dumps(fit_spec(CFG, w.metric)["metric"]),
        kind=lambda w: iqa_set(fit_spec(CFG, w.metric)["dataset"])["kind"],
        root=lambda w: iqa_set(fit_spec(CFG, w.metric)["dataset"])["root"],
        reader=lambda w: reader_options_json(iqa_set(fit_spec(CFG, w.metric)["dataset"])),
        how=lambda w: "--test-fraction {test_fraction} --seed {seed} --steps {steps}".format(**fit_spec(CFG, w.metric)),
        device=CFG["device"],
        kernels=kernels(CFG),
    log:
        f"{RES}/logs/assess/fit/{{metric}}.log",
    threads: 1
    shell:
        "{PY} -m asym.assess.fit_metric --metric-spec {params.metric:q} --dataset-kind {params.kind} --root {params.root} "
        "--reader-options {params.reader:q} {params.how} --kernels {params.kernels} --device {params.device} "
        "--threads {threads} --out {output} > {log} 2>&1"


# Score one metric on one IQA set, image by image.
rule assess_score:
    input:
        labels=lambda w: iqa_labels(w.dataset),
        fitted=lambda w: fitted_files(CFG, [w.metric]),
        weights=lambda w: weight_files([w.metric]),
        code=code("assess.score"),
    output:
        f"{RES}/assess/scores/{{dataset}}/{{metric}}.csv",
    params:
        metric=lambda w: dumps(metric_spec(CFG, w.metric)),
        kind=lambda w: iqa_set(w.dataset)["kind"],
        root=lambda w: iqa_set(w.dataset)["root"],
        reader=lambda w: reader_options_json(iqa_set(w.dataset)),
        batch_size=CFG["assess"]["batch_size"],
        device=CFG["device"],
        kernels=kernels(CFG),
    log:
        f"{RES}/logs/assess/{{dataset}}/{{metric}}.log",
    benchmark:
        f"{RES}/benchmarks/assess/{{dataset}}/{{metric}}.tsv"
    threads: 1
    shell:
        "{PY} -m asym.assess.score --metric-spec {params.metric:q} --dataset {wildcards.dataset} "
        "--kind {params.kind} --root {params.root} --reader-options {params.reader:q} "
        "--batch-size {params.batch_size} --kernels {params.kernels} "
        "--device {params.device} --threads {threads} --out {output} > {log} 2>&1"


# Synthetic sets' labels are distortion levels: they order severity within one distortion type
# only, so their correlations are computed within each type and averaged (asym/assess/correlate.py).
WITHIN_TYPE = {d: iqa_labels(d) for d in CFG["assess"]["datasets"] if labels_within_type(iqa_set(d)["kind"])}


# SRCC/KRCC/PLCC of every metric on every set, with bootstrap CIs over references.
rule assess_correlate:
    input:
        scores=ASSESS_SCORES,
        labels=list(WITHIN_TYPE.values()),
        code=code("assess.correlate"),
    output:
        f"{RES}/assess/correlations.csv",
    params:
        info=dumps({
            m: {"family": CFG["metrics"][m]["kind"], "backbone": CFG["metrics"][m].get("backbone", ""),
                "init": CFG["metrics"][m].get("init", "")}
            for m in CFG["assess"]["metrics"]
        }),
        n_boot=CFG["assess"]["n_boot"],
        seed=CFG["assess"]["seed"],
        within=" ".join(f"--within-type {d}={path}" for d, path in WITHIN_TYPE.items()),
    log:
        f"{RES}/logs/assess/correlate.log",
    shell:
        "{PY} -m asym.assess.correlate --scores {input.scores} --metric-info {params.info:q} "
        "--n-boot {params.n_boot} --seed {params.seed} {params.within} --out {output} > {log} 2>&1"
