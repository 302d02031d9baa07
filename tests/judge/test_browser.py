"""The study in a real browser: Debian's chromium driven by selenium through chromedriver.

A scripted observer (test code only) opens their token link, answers every trial with
the keyboard and with the mouse, takes the breaks, while the server is killed (SIGKILL)
mid-study and restarted; the database must then hold every answer exactly once. Hostile
requests are sent to the live server as raw HTTP, so no client library tidies them up.

Needs `apt-get install chromium chromium-driver` (.ci/run installs them).
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from asym.judge.invite import invite
from asym.judge.manifest import completion_code, load_study
from asym.judge.store import Store
from tests.judge_fixtures import build

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="needs Debian's chromium and chromium-driver "
                                 "(apt-get install chromium chromium-driver)")]
REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(study: Path, port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "asym.judge.server", str(study), "--port", str(port)],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start within 30 s")


def raw(port: int, method: str, path: str, body: bytes | None = None, headers=None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.putrequest(method, path, skip_accept_encoding=True)
    for key, value in (headers or {}).items():
        conn.putheader(key, value)
    if body is not None and "Transfer-Encoding" not in (headers or {}):
        conn.putheader("Content-Length", str(len(body)))
    conn.endheaders()
    if body is not None:
        conn.send(body)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, data


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1100,760"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    yield driver
    driver.quit()


def detached(element):
    """Wait condition: ``element`` has left the page (the next trial replaced it).

    Chromium reports a node removed between lookup and query either as a stale element or
    as "Node with given id does not belong to the document"; both mean the page moved on.
    """
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

    def check(_driver) -> bool:
        try:
            element.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as exc:
            if "does not belong to the document" in str(exc):
                return True
            raise
        return False

    return check


def test_scripted_observer_in_chromium_with_a_server_kill(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    _, study = build(tmp_path, size=192, max_all=4, per_condition=2, break_every=5)
    (_, link), = invite(study, 1, base_url="http://placeholder")
    token = link.rsplit("/", 1)[1]
    total = len(load_study(study).trials)
    port = free_port()
    server = start_server(study, port)
    base = f"http://127.0.0.1:{port}"
    wait = WebDriverWait(browser, 20)
    answered, breaks, killed_at = 0, 0, None
    try:
        browser.get(f"{base}/o/{token}")
        wait.until(ec.element_to_be_clickable((By.ID, "start"))).click()
        while answered < total:
            if answered == 6 and killed_at is None:  # kill -9 mid-study, then restart on the same folder
                os.kill(server.pid, signal.SIGKILL)
                server.wait()
                killed_at = answered
                server = start_server(study, port)
                browser.get(f"{base}/o/{token}")
                assert f"answered {answered} of {total}" in browser.page_source
                wait.until(ec.element_to_be_clickable((By.ID, "start"))).click()
            if "/break" in browser.current_url:
                breaks += 1
                wait.until(ec.element_to_be_clickable((By.ID, "continue"))).click()
                continue
            wait.until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "1")
            assert browser.find_element(By.ID, "count").text == f"{answered} / {total}"
            if answered == 1 and os.environ.get("ASYM_JUDGE_SCREENSHOT"):
                browser.save_screenshot(os.environ["ASYM_JUDGE_SCREENSHOT"])
            old = browser.find_element(By.ID, "left")
            if answered % 3 == 0:
                old.click()
            else:
                browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT if answered % 3 == 1 else "f")
            wait.until(detached(old))
            answered += 1
        wait.until(ec.presence_of_element_located((By.ID, "completion-code")))
        assert browser.find_element(By.ID, "completion-code").text == completion_code(Store(load_study(study).database, load_study(study).fingerprint).secret, "O001")
        assert breaks == (total - 1) // 5

        # Hostile and malformed requests against the live server.
        trial = next(iter(load_study(study).trials))
        json_headers = {"Content-Type": "application/json"}
        assert raw(port, "GET", "/o/unknown-token")[0] == 404
        assert raw(port, "POST", "/o/unknown-token/answer", b'{"trial": "t00000", "choice": "left", "rt_ms": 1}',
                   json_headers)[0] == 404
        for path in ("/img/../manifest.json", "/img/..%2Fmanifest.json", "/img/..%2F..%2F..%2Fetc%2Fpasswd",
                     "/img/%2e%2e%2fsecret.key", "/../manifest.json", "/stimuli/" + "0" * 64 + ".png"):
            status, data = raw(port, "GET", path)
            assert status == 404, path
            assert b"trials" not in data and b"root:" not in data
        again = raw(port, "POST", f"/o/{token}/answer",
                    f'{{"trial": "{trial}", "choice": "right", "rt_ms": 5}}'.encode(), json_headers)
        assert again[0] == 409
        assert raw(port, "POST", f"/o/{token}/answer", b"x" * 100_000, json_headers)[0] == 413
        chunked = raw(port, "POST", f"/o/{token}/answer", b"2000\r\n" + b"y" * 0x2000 + b"\r\n0\r\n\r\n",
                      {**json_headers, "Transfer-Encoding": "chunked"})
        assert chunked[0] == 413
    finally:
        server.kill()
        server.wait()
    db = sqlite3.connect(load_study(study).database)
    rows = db.execute("SELECT trial_id, COUNT(*) FROM answers GROUP BY trial_id").fetchall()
    assert len(rows) == total and all(n == 1 for _, n in rows)
    inputs = {r[0] for r in db.execute("SELECT input FROM answers")}
    assert inputs == {"key", "click"}
    assert db.execute("SELECT MIN(rt_ms) FROM answers").fetchone()[0] > 0
    assert killed_at == 6
