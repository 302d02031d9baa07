"""``asym judge build|serve|invite|fit``: the study kit's subcommands, wired into :mod:`asym.cli`.

    asym judge build --config workflow/config/demo.yaml --out results/judge/study
    asym judge invite results/judge/study --n 3
    asym judge serve results/judge/study            # http://127.0.0.1:8765
    asym judge fit results/judge/study --out-dir results/judge

Each subcommand is the ``run(args)`` of its module; the modules are imported here so
that their arguments are known, and each keeps its heavy imports (torch, uvicorn) inside.
"""

from __future__ import annotations

import argparse

from asym.judge import build, fit, invite, server

ACTIONS = {
    "build": (build, "build a paired-comparison study from the runs' SR outputs"),
    "serve": (server, "serve a study to observers in the browser (localhost by default)"),
    "invite": (invite, "create observers and print their token links"),
    "fit": (fit, "export, screen and fit the judgements (Bradley-Terry); evaluator 'human'"),
}


def add_parser(sub) -> None:
    """Add ``judge`` with its four actions to the ``asym`` subparsers ``sub``."""
    judge = sub.add_parser("judge", help="human paired-comparison studies (build, serve, invite, fit)")
    actions = judge.add_subparsers(dest="judge_action", required=True)
    for name, (module, text) in ACTIONS.items():
        module.add_arguments(actions.add_parser(name, help=text, description=text))


def run(args: argparse.Namespace) -> None:
    ACTIONS[args.judge_action][0].run(args)
