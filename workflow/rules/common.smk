# Shared by every rule file: the validated config, the run table, paths, code inputs.
import sys

from asym.codedeps import module_files
from asym.config import (apply_weight_caches, dumps, evaluator_panel, fit_spec, fitted_files, kernels, main_gan_setting, metric_spec, runs, train_spec, transfer_disc_run, transfer_jobs, transfer_spec, transfer_weights,
                         validate)

# Name the files the config came from (--configfile, or the Snakefile's default), so an error says which to fix.
CONFIG_FILES = [str(f) for f in workflow.configfiles] or ["the workflow config"]
CFG = validate(config, source=" + ".join(CONFIG_FILES))
# Jobs inherit them: pinned pyiqa/torchvision weights are looked up under the config's torch_home,
# timm's hub backbones under its hf_hub_cache.
apply_weight_caches(CFG)
RES = CFG["results"]
REPORT = CFG["report"]
DATA = CFG["data"]["root"]
RUNS = {run.name: run for run in runs(CFG)}
TRAIN_LOGS = [f"{RES}/optimize/runs/{run}/train_log.csv" for run in RUNS]
# Jobs run with the interpreter that runs Snakemake (the project's .venv).
PY = sys.executable


def code(*modules):
    """The package files the given modules run (their asym imports included), as inputs:
    editing one reruns exactly the rules that execute it."""
    return module_files(*modules, root=REPO / "asym")


def iqa_set(name):
    return CFG["data"]["iqa_sets"][name]


def iqa_labels(name):
    """The file that lists an IQA set's images and labels (its reader's entry point)."""
    root, kind = iqa_set(name)["root"], iqa_set(name)["kind"]
    return f"{root}/scores.csv" if kind == "synthetic" else root


onstart:
    if not Path(DATA).exists():
        print(f"\nPrepared data not found at {DATA}. Build it first with `dvc repro` "
              "(or `make demo`, which does both).\n", file=sys.stderr)
