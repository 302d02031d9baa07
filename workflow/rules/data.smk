# Data stage: each paper data folder and pinned weight file the config reads is made by its
# DVC stage (data/paper/dvc.yaml): DVC fetches, verifies and versions it; Snakemake never
# downloads, it only runs `dvc repro <stage>` when the path is missing. Derived from the
# config and data/paper/{sources,weights}.yaml, so a config whose data the top-level DVC
# stage prepare_demo builds (demo, tiny) gets no rule here. Local rules: on a cluster they
# run where the workflow runs (network), never as batch jobs.
from asym.data.fetch import dvc_stages, load_sources

PAPER_SOURCES = REPO / "data" / "paper" / "sources.yaml"
# A copy of the workflow without the manifest (e.g. the tests' copy) has nothing to fetch.
FETCHED = dvc_stages(CFG, load_sources(PAPER_SOURCES, PAPER_SOURCES.with_name("weights.yaml"))) \
    if PAPER_SOURCES.is_file() else {}


def weight_files(metrics):
    """The pinned backbone files of the given metrics (as inputs: a missing one is fetched first)."""
    specs = [CFG["metrics"][m] for m in metrics]
    return sorted({s["weights"] for s in specs if s.get("init") == "imagenet" and s.get("weights")})


for _path, (_source, _stage) in FETCHED.items():
    # Fetch one data set or weight file through its DVC stage (waits for DVC's repository lock).
    rule:
        name: f"fetch_{_source.replace('-', '_')}"
        output: _path if Path(_path).suffix in (".pth", ".pt", ".bin", ".safetensors") else directory(_path)
        params: stage=_stage
        log: f"{RES}/logs/data/{_source}.log"
        localrule: True
        shell: "{PY} -m dvc --wait-for-lock repro {params.stage:q} > {log} 2>&1"
