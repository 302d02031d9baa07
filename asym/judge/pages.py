"""The observer's pages: instructions, trial, break, thank-you, and plain messages.

Plain server-rendered HTML with one small script (:data:`TRIAL_JS`, served as
``/static/judge.js`` so the pages need no inline script). Every value placed in a page
goes through :func:`html.escape`; the trial's data travel as a JSON island whose ``<``
is escaped, so no manifest text can become markup.

Answers: the left/right arrow keys or F/J, or a click on an image. The response time is
measured in the browser from the moment both images finished loading to the answer
(``performance.now()``, milliseconds), so slow image transfer does not count.
"""

from __future__ import annotations

import json
from html import escape

STYLE = """
body{font-family:system-ui,sans-serif;margin:0;background:#808080;color:#111}
main{max-width:1400px;margin:0 auto;padding:1rem 1.5rem}
.panel{background:#f4f4f4;border-radius:6px;padding:1.2rem 1.6rem;max-width:46rem;margin:2rem auto}
header{display:flex;align-items:center;gap:1rem;background:#f4f4f4;padding:.5rem 1rem;border-radius:6px}
progress{flex:1;height:1rem}
.pair{display:flex;justify-content:center;gap:2rem;margin-top:1rem}
figure{margin:0;text-align:center}
figure img{display:block;cursor:pointer;image-rendering:pixelated;border:3px solid transparent}
figure img:hover{border-color:#ffd400}
figcaption{color:#fff;margin-top:.3rem}
.reference{text-align:center;margin-top:1rem}
.question{text-align:center;color:#fff;font-size:1.2rem;margin:.6rem}
a.button{display:inline-block;background:#1f5fbf;color:#fff;padding:.6rem 1.4rem;border-radius:5px;
 text-decoration:none;font-size:1.1rem}
kbd{border:1px solid #999;border-radius:3px;padding:0 .3rem;background:#fff;color:#111}
.code{font-family:monospace;font-size:1.6rem;letter-spacing:.1rem}
#error{color:#b00;text-align:center;font-weight:bold}
"""

TRIAL_JS = r"""
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("trial-data").textContent);
  const images = Array.from(document.querySelectorAll("img"));
  let shownAt = null, shownClock = null, sent = false;
  function ready() {
    if (shownAt !== null || !images.every(function (i) { return i.complete && i.naturalWidth > 0; })) return;
    shownAt = performance.now();
    shownClock = new Date().toISOString();
    document.body.dataset.ready = "1";
  }
  images.forEach(function (i) { i.addEventListener("load", ready); });
  ready();
  async function answer(choice, input) {
    if (sent || shownAt === null) return;
    sent = true;
    const body = {trial: data.trial, choice: choice, rt_ms: performance.now() - shownAt, input: input,
                  shown_at: shownClock, answered_at: new Date().toISOString()};
    let reply = null, status = 0;
    try {
      const r = await fetch(data.answer_url, {method: "POST", headers: {"Content-Type": "application/json"},
                                              body: JSON.stringify(body)});
      status = r.status;
      reply = await r.json();
    } catch (e) { reply = null; }
    if (reply && (status === 200 || status === 409) && reply.next) {
      window.location.assign(reply.next);
    } else {
      document.getElementById("error").textContent =
        "Your answer could not be saved (" + (reply && reply.error ? reply.error : "no connection") +
        "). Please try again.";
      sent = false;
    }
  }
  document.addEventListener("keydown", function (e) {
    if (e.repeat || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === "ArrowLeft" || e.key === "f" || e.key === "F") { e.preventDefault(); answer("left", "key"); }
    if (e.key === "ArrowRight" || e.key === "j" || e.key === "J") { e.preventDefault(); answer("right", "key"); }
  });
  document.getElementById("left").addEventListener("click", function () { answer("left", "click"); });
  document.getElementById("right").addEventListener("click", function () { answer("right", "click"); });
})();
"""


def page(title: str, body: str, script: bool = False) -> str:
    tag = '<script src="/static/judge.js" defer></script>' if script else ""
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<style>{STYLE}</style>{tag}</head><body><main>{body}</main></body></html>")


def message(title: str, text: str) -> str:
    return page(title, f'<div class="panel"><h1>{escape(title)}</h1><p>{escape(text)}</p></div>')


def instructions(title: str, token: str, done: int, total: int, break_every: int, show_reference: bool) -> str:
    action = "Continue" if done else "Start"
    resume = (f"<p>You have answered {done} of {total} comparisons so far; you continue where you "
              "stopped.</p>") if done else ""
    reference = ("<p>The original (reference) image is shown above each pair for comparison.</p>"
                 if show_reference else "")
    body = (f'<div class="panel"><h1>{escape(title)}</h1>'
            "<p>You will see two versions of the same photograph side by side. Choose the one whose "
            "<b>visual quality</b> you find better: sharper, more natural detail, fewer artifacts. "
            "If they look the same to you, choose the one you lean towards; there is no wrong answer "
            "except on a few check trials.</p>"
            "<p>Answer with the keyboard, <kbd>&larr;</kbd> or <kbd>F</kbd> for the left image and "
            "<kbd>&rarr;</kbd> or <kbd>J</kbd> for the right image, or click the image you prefer.</p>"
            f"{reference}<p>There are {total} comparisons, with a short break every {break_every}. "
            "Please view the images at full size, in a quiet moment, without zooming.</p>"
            f"{resume}"
            f'<p><a class="button" id="start" href="/o/{escape(token)}/trial">{action}</a></p></div>')
    return page(title, body)


def trial(title: str, token: str, trial_id: str, position: int, total: int, left_sha: str, right_sha: str,
          reference_sha: str | None) -> str:
    data = json.dumps({"trial": trial_id, "answer_url": f"/o/{token}/answer"}).replace("<", "\\u003c")
    reference = (f'<div class="reference"><img id="reference" src="/img/{escape(reference_sha)}" alt="reference">'
                 '<div class="question">reference</div></div>' if reference_sha else "")
    body = (f'<header><span id="count">{position} / {total}</span>'
            f'<progress id="progress" value="{position}" max="{total}"></progress></header>'
            f"{reference}"
            '<p class="question">Which image looks better?</p>'
            '<div class="pair">'
            f'<figure><img id="left" src="/img/{escape(left_sha)}" alt="left image">'
            "<figcaption><kbd>&larr;</kbd> / <kbd>F</kbd></figcaption></figure>"
            f'<figure><img id="right" src="/img/{escape(right_sha)}" alt="right image">'
            "<figcaption><kbd>&rarr;</kbd> / <kbd>J</kbd></figcaption></figure>"
            '</div><p id="error"></p>'
            f'<script type="application/json" id="trial-data">{data}</script>')
    return page(title, body, script=True)


def break_page(title: str, token: str, done: int, total: int) -> str:
    body = (f'<div class="panel"><h1>Time for a short break</h1><p>You have answered {done} of {total} '
            "comparisons. Rest your eyes for a minute; continue when you are ready.</p>"
            f'<p><a class="button" id="continue" href="/o/{escape(token)}/trial">Continue</a></p></div>')
    return page(title, body)


def thanks(title: str, code: str) -> str:
    body = ('<div class="panel"><h1>Thank you!</h1><p>You have answered every comparison. Your answers '
            f'are saved. Your completion code is</p><p class="code" id="completion-code">{escape(code)}</p>'
            "<p>You can close this window.</p></div>")
    return page(title, body)
