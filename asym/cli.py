"""The ``asym`` command: small conveniences around the workflow.

    asym check --config workflow/config/demo.yaml      # validate a config, count its jobs
    asym runs --config workflow/config/demo.yaml       # list training runs and their panels
    asym spec --config workflow/config/demo.yaml --run l1__nogan__s0   # a run's train spec (JSON)
    asym weights check --config workflow/config/paper.yaml   # weight files needed, present? (offline)
    asym plan --config workflow/config/paper.yaml      # jobs and GPU-hours per stage (asym/tools/plan.py)
    asym judge build|serve|invite|fit ...              # human paired-comparison study (asym/judge/)
    asym power --config workflow/config/paper.yaml [--reps N] [--effect 0.5 1 2]   # what the design can detect

Every stage itself runs as ``python -m asym.<module>`` from the Snakemake rules.
"""

from __future__ import annotations

import argparse
import sys

from asym.analysis import power  # no torch: numpy, scipy, pandas
from asym.config import (
    apply_weight_caches,
    dumps,
    evaluator_panel,
    load_config,
    run_by_name,
    runs,
    train_spec,
)
from asym.errors import InputError
from asym.errors import run as run_entry_point
from asym.judge import cli as judge_cli  # light too: torch only when a study is built
from asym.tools import plan  # light to import: torch only when a plan is computed


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="asym", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (("check", "validate a config"), ("runs", "list training runs"), ("spec", "print a run's spec")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--config", default="workflow/config/demo.yaml")
        if name == "spec":
            p.add_argument("--run", required=True)
    p = sub.add_parser("weights", help="list the weight files a config needs, offline (exit 1 if any is missing)")
    p.add_argument("action", choices=["check"])
    p.add_argument("--config", default="workflow/config/demo.yaml")
    plan.add_arguments(sub.add_parser("plan", help="jobs, FLOPs and GPU-hours per stage (cost model: asym/tools/plan.py)"))
    judge_cli.add_parser(sub)
    power.add_arguments(sub.add_parser("power", help="false-positive rate and power of each claim's test for a "
                                                     "config's design, by simulation (asym/analysis/power.py)"))
    args = parser.parse_args(argv)
    if args.command == "power":
        power.run(args)
        return
    if args.command == "plan":
        plan.run(args)
        return
    if args.command == "judge":
        judge_cli.run(args)
        return
    cfg = load_config(args.config)
    if args.command == "check":
        from asym.validation import data_problems  # the prepared training images, where they exist

        problems = data_problems(cfg)
        if problems:
            raise InputError(f"the prepared data do not fit {args.config}:\n  - " + "\n  - ".join(problems))
        print(f"{args.config}: valid; {len(runs(cfg))} training runs, "
              f"{len(cfg['assess']['metrics']) * len(cfg['assess']['datasets'])} assessment jobs")
    elif args.command == "weights":
        apply_weight_caches(cfg)  # before pyiqa/huggingface_hub are imported: they fix their folders then
        from asym.weights import check  # imports torch and pyiqa: only for this command

        sys.exit(check(cfg))
    elif args.command == "runs":
        for run in runs(cfg):
            print(f"{run.name}\tpanel: {','.join(evaluator_panel(cfg, run))}")
    else:
        print(dumps(train_spec(cfg, run_by_name(cfg, args.run))))


def entry() -> None:
    """The ``asym`` console script: :func:`main` under :func:`asym.errors.run` (one line per known error)."""
    run_entry_point(main, prog="asym")


if __name__ == "__main__":
    run_entry_point(main, prog="asym")
