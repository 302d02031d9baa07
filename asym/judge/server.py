"""Serve a paired-comparison study to observers in a browser (FastAPI on uvicorn).

    asym judge serve results/judge/study                     # http://127.0.0.1:8765, localhost only
    asym judge serve results/judge/study --host 0.0.0.0 --port 8080   # reachable from other machines

Observers arrive through their token link (``asym judge invite``): ``/o/<token>`` is the
instructions page (or "continue" after an interruption), ``/o/<token>/trial`` the next
unanswered trial of their order, a break page every ``break_every`` answers, and a
thank-you page with a completion code at the end. Each answer is a JSON POST to
``/o/<token>/answer`` and is in the SQLite store (:mod:`asym.judge.store`) before the
reply leaves, so a killed and restarted server loses nothing and observers resume where
they stopped.

What is refused, and how (JSON ``{"error": ...}`` for the answer endpoint):

* unknown token: 404 on every ``/o/<token>`` page and endpoint;
* an answer to an unknown trial: 404; a second answer to the same trial: 409;
* a malformed answer (not JSON, wrong choice, negative or non-finite time ...): 400;
* a body larger than :data:`MAX_BODY` bytes: 413, read no further;
* images only as ``/img/<sha256>`` of a stimulus in the manifest; any other name,
  traversal attempts included, is a 404 (no path from the request reaches the disk).

The server binds to 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import math
import sys
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response

from asym.judge import pages
from asym.judge.manifest import Study, completion_code, load_study
from asym.judge.store import DuplicateAnswer, Store, now

MAX_BODY = 4096  # bytes; an answer is about 200
PAGE_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'",
                "Referrer-Policy": "no-referrer"}
MAX_RT_MS = 24 * 3600 * 1000.0


def _html(text: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status_code=status, headers=PAGE_HEADERS)


def _error(status: int, text: str) -> JSONResponse:
    return JSONResponse({"error": text}, status_code=status, headers={"Cache-Control": "no-store"})


class TooLarge(Exception):
    pass


async def _read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The request body, refusing (:class:`TooLarge`) as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise TooLarge
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLarge
    return body


def _parse_answer(payload) -> dict:
    """Check an answer's JSON; raise ValueError naming what is wrong."""
    if not isinstance(payload, dict):
        raise ValueError("the body must be a JSON object")  # noqa: TRY004 (every check: ValueError -> 400)
    unknown = set(payload) - {"trial", "choice", "rt_ms", "input", "shown_at", "answered_at"}
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)}")
    if not isinstance(payload.get("trial"), str):
        raise ValueError("'trial' must be a trial id string")  # noqa: TRY004
    if payload.get("choice") not in ("left", "right"):
        raise ValueError("'choice' must be 'left' or 'right'")
    rt = payload.get("rt_ms")
    if isinstance(rt, bool) or not isinstance(rt, (int, float)) or not math.isfinite(rt) or not 0 <= rt <= MAX_RT_MS:
        raise ValueError("'rt_ms' must be a finite number of milliseconds between 0 and one day")
    if payload.get("input", "key") not in ("key", "click"):
        raise ValueError("'input' must be 'key' or 'click'")
    for key in ("shown_at", "answered_at"):
        value = payload.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > 40):
            raise ValueError(f"'{key}' must be a timestamp string")
    return payload


def create_app(study_dir: str | Path) -> FastAPI:
    """The web app of one study (the study is checked, stimuli hashes included, at start)."""
    study: Study = load_study(study_dir)
    store = Store(study.database, study.fingerprint)
    manifest = study.manifest
    title = manifest.get("title", "Which image looks better?")
    total = len(study.trials)
    break_every = int(manifest["break_every"])
    app = FastAPI(title="asym judge", docs_url=None, redoc_url=None, openapi_url=None)

    def progress(observer: dict) -> tuple[list[str], set[str]]:
        return observer["trial_order"], store.answered(observer["observer_id"])

    def next_trial(observer: dict) -> str | None:
        order, answered = progress(observer)
        return next((t for t in order if t not in answered), None)

    @app.get("/", response_class=HTMLResponse)
    def index():
        return _html(pages.message(title, "This study is reached through your personal invitation link."))

    @app.get("/static/judge.js")
    def script():
        return Response(pages.TRIAL_JS, media_type="text/javascript",
                        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})

    @app.get("/img/{name}")
    def image(name: str):
        path = study.stimulus_path(name)
        if path is None:
            return _html(pages.message("Not found", "No such image in this study."), 404)
        return FileResponse(path, media_type="image/png",
                            headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"})

    def unknown_token():
        return _html(pages.message("Link not valid", "This invitation link is not known. Please check that "
                                   "you copied the whole link you were sent."), 404)

    @app.get("/o/{token}")
    def start(token: str):
        observer = store.observer_by_token(token)
        if observer is None:
            return unknown_token()
        order, answered = progress(observer)
        if len(answered) >= len(order):
            return RedirectResponse(f"/o/{token}/done", status_code=303)
        return _html(pages.instructions(title, token, len(answered), len(order), break_every,
                                        bool(manifest.get("show_reference"))))

    @app.get("/o/{token}/trial")
    def trial_page(token: str):
        observer = store.observer_by_token(token)
        if observer is None:
            return unknown_token()
        trial_id = next_trial(observer)
        if trial_id is None:
            return RedirectResponse(f"/o/{token}/done", status_code=303)
        order, answered = progress(observer)
        trial = study.trials[trial_id]
        return _html(pages.trial(title, token, trial_id, len(answered), len(order), trial["left_sha"],
                                 trial["right_sha"], trial["reference_sha"]))

    @app.get("/o/{token}/break")
    def break_page(token: str):
        observer = store.observer_by_token(token)
        if observer is None:
            return unknown_token()
        order, answered = progress(observer)
        return _html(pages.break_page(title, token, len(answered), len(order)))

    @app.get("/o/{token}/done")
    def done(token: str):
        observer = store.observer_by_token(token)
        if observer is None:
            return unknown_token()
        if next_trial(observer) is not None:
            return RedirectResponse(f"/o/{token}/trial", status_code=303)
        return _html(pages.thanks(title, completion_code(store.secret, observer["observer_id"])))

    @app.post("/o/{token}/answer")
    async def answer(token: str, request: Request):
        try:
            body = await _read_body(request)
        except TooLarge:
            return _error(413, f"the body is larger than {MAX_BODY} bytes")
        observer = store.observer_by_token(token)
        if observer is None:
            return _error(404, "unknown invitation token")
        try:
            payload = _parse_answer(json.loads(body or b"null"))
        except (ValueError, UnicodeDecodeError) as exc:
            return _error(400, f"malformed answer: {exc}")
        trial_id = payload["trial"]
        order = observer["trial_order"]
        if trial_id not in study.trials or trial_id not in order:
            return _error(404, f"unknown trial {trial_id[:40]!r}")
        trial = study.trials[trial_id]
        chosen = trial["left"] if payload["choice"] == "left" else trial["right"]
        row = {"observer_id": observer["observer_id"], "trial_id": trial_id, "position": order.index(trial_id),
               "left_sha": trial["left_sha"], "right_sha": trial["right_sha"], "left_condition": trial["left"],
               "right_condition": trial["right"], "choice": payload["choice"], "chosen_condition": chosen,
               "rt_ms": float(payload["rt_ms"]), "input": payload.get("input", "key"),
               "shown_at": payload.get("shown_at"), "answered_at": payload.get("answered_at"),
               "received_at": now()}
        status = 200
        try:
            store.add_answer(row)
        except DuplicateAnswer:
            status = 409
        answered = store.answered(observer["observer_id"])
        n = len(answered)
        if n >= len(order):
            nxt = f"/o/{token}/done"
        elif status == 200 and n % break_every == 0:
            nxt = f"/o/{token}/break"
        else:
            nxt = f"/o/{token}/trial"
        reply = {"done": n, "total": len(order), "next": nxt}
        if status == 409:
            reply["error"] = f"trial {trial_id} was already answered; the first answer is kept"
        return JSONResponse(reply, status_code=status, headers={"Cache-Control": "no-store"})

    app.state.study = study
    app.state.total = total
    return app


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("study", help="the study folder (asym judge build --out)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: localhost only)")
    p.add_argument("--port", type=int, default=8765)


def run(args: argparse.Namespace) -> None:
    import uvicorn

    app = create_app(args.study)
    if not is_loopback(args.host):
        print(f"warning: serving on {args.host}: anyone who can reach this address and has a token link "
              "can answer; put it behind HTTPS for use over a network", file=sys.stderr)
    print(f"serving {args.study} ({app.state.total} trials) at http://{args.host}:{args.port}/", file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m asym.judge.server", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    run(parser.parse_args(argv))


if __name__ == "__main__":
    import asym.errors

    asym.errors.run(main)
