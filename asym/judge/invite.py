"""Invite observers: one secret token link per observer.

    asym judge invite results/judge/study --n 5 --base-url http://127.0.0.1:8765

Each observer gets an id (``O001``, ``O002``, ...), a random URL-safe token (128 bits,
:func:`secrets.token_urlsafe`) and their own trial order, a shuffle seeded by the
observer id (:func:`asym.judge.design.observer_order`), stored with them so a resumed
session continues in the same order. The links are printed one per line (tab-separated
``observer_id, link``); send each to one person. The token is the only credential: the
server knows an observer only by it.
"""

from __future__ import annotations

import argparse
import secrets

from asym.io import InputError
from asym.judge.design import observer_order
from asym.judge.manifest import load_study
from asym.judge.store import Store


def invite(study_dir, n: int, base_url: str = "http://127.0.0.1:8765") -> list[tuple[str, str]]:
    """Create ``n`` observers in the study's database; return ``(observer_id, link)`` pairs."""
    if n < 1:
        raise InputError(f"asym judge invite: --n must be at least 1 observer, got {n}")
    study = load_study(study_dir, verify=False)
    store = Store(study.database, study.fingerprint)
    existing = store.observer_ids()
    start = 1 + max((int(o[1:]) for o in existing if o[1:].isdigit()), default=0)
    out = []
    for number in range(start, start + n):
        observer_id = f"O{number:03d}"
        token = secrets.token_urlsafe(16)
        store.add_observer(observer_id, token, observer_order(list(study.trials), observer_id))
        out.append((observer_id, f"{base_url.rstrip('/')}/o/{token}"))
    return out


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("study", help="the study folder (asym judge build --out)")
    p.add_argument("--n", type=int, default=1, help="how many observers to invite")
    p.add_argument("--base-url", default="http://127.0.0.1:8765", help="where `asym judge serve` is reached")


def run(args: argparse.Namespace) -> None:
    for observer_id, link in invite(args.study, args.n, args.base_url):
        print(f"{observer_id}\t{link}")
