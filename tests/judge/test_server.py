"""The study build, its manifest checks, and the server's rules (FastAPI TestClient, no browser).

The answers posted here come from the test itself (a scripted observer): nothing in the
package creates one.
"""

import hashlib
import json
import sqlite3

import pytest
from fastapi.testclient import TestClient

from asym.io import InputError
from asym.judge.invite import invite
from asym.judge.manifest import completion_code, load_study
from asym.judge.server import MAX_BODY, create_app, is_loopback
from asym.judge.store import Store
from tests.judge_fixtures import build, write_inputs


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    _, folder = build(tmp_path_factory.mktemp("judge"), max_all=4, per_condition=2, break_every=5)
    return folder


def token_of(link):
    return link.rsplit("/", 1)[1]


def test_manifest_holds_sha256_of_every_stimulus(study):
    manifest = json.loads((study / "manifest.json").read_text())
    for sha, entry in manifest["stimuli"].items():
        assert hashlib.sha256((study / entry["file"]).read_bytes()).hexdigest() == sha
    kinds = {t["kind"] for t in manifest["trials"]}
    assert kinds == {"compare", "catch_degraded", "catch_identical"}
    assert {c["kind"] for c in manifest["conditions"].values()} == {"run", "baseline", "reference"}
    assert manifest["conditions"]["l1__patchgan-w0.1__s0"]["traits"]["level"] == "patch"


def test_changed_stimulus_is_refused(tmp_path):
    _, folder = build(tmp_path, max_all=8)
    victim = next((folder / "stimuli").iterdir())
    victim.write_bytes(victim.read_bytes() + b"x")
    with pytest.raises(InputError, match="sha256"):
        load_study(folder)


def test_build_names_missing_sr_outputs(tmp_path):
    from asym.judge.build import build_study

    cfg, runs_dir, test_dir = write_inputs(tmp_path)
    next(runs_dir.iterdir()).joinpath("sr").rename(tmp_path / "moved")
    with pytest.raises(InputError, match="evaluate_run"):
        build_study(cfg, tmp_path / "study", runs_dir=runs_dir, test_dir=test_dir)


def answer(client, token, trial, choice="left", **extra):
    return client.post(f"/o/{token}/answer", json={"trial": trial, "choice": choice, "rt_ms": 512.5,
                                                   "input": "key", **extra})


def test_scripted_observer_finishes_with_breaks_and_resume(study):
    (_, link), = invite(study, 1)
    token = token_of(link)
    client = TestClient(create_app(study))
    assert "Start" in client.get(f"/o/{token}").text
    order = load_study(study).trials
    total, nexts, seen = len(order), [], []
    for i in range(total):
        if i == 7:  # the server restarts: a new app on the same study folder
            client = TestClient(create_app(study))
            assert "continue where you stopped" in client.get(f"/o/{token}").text
        page = client.get(f"/o/{token}/trial").text
        trial = json.loads(page.split('id="trial-data">')[1].split("</script>")[0])["trial"]
        assert trial not in seen
        seen.append(trial)
        reply = answer(client, token, trial, "left" if i % 2 else "right")
        assert reply.status_code == 200, reply.text
        nexts.append(reply.json()["next"])
    assert nexts[4] == f"/o/{token}/break" and nexts[5] == f"/o/{token}/trial"
    assert nexts[-1] == f"/o/{token}/done"
    done = client.get(f"/o/{token}/done")
    code = completion_code(Store(load_study(study).database, load_study(study).fingerprint).secret, "O001")
    assert code in done.text
    rows = sqlite3.connect(load_study(study).database).execute(
        "SELECT trial_id, COUNT(*) FROM answers WHERE observer_id='O001' GROUP BY trial_id").fetchall()
    assert len(rows) == total and all(n == 1 for _, n in rows)
    mode = sqlite3.connect(load_study(study).database).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_hostile_and_malformed_requests_are_refused(study):
    (_, link), = invite(study, 1)
    token = token_of(link)
    client = TestClient(create_app(study))
    trial = next(iter(load_study(study).trials))
    assert client.get("/o/not-a-token").status_code == 404
    assert answer(client, "not-a-token", trial).status_code == 404
    for path in ("/img/../manifest.json", "/img/..%2Fmanifest.json", "/img/%2e%2e%2fsecret.key",
                 "/img/" + "0" * 64, "/img/manifest.json", "/stimuli/x.png", "/img/..%2F..%2Fetc%2Fpasswd"):
        r = client.get(path)
        assert r.status_code == 404, path
        assert b"PNG" not in r.content[:8] and b"trials" not in r.content
    assert answer(client, token, "t99999").status_code == 404
    assert answer(client, token, trial, "middle").status_code == 400
    assert answer(client, token, trial, rt_ms=-3).status_code == 400
    assert client.post(f"/o/{token}/answer", content=b"{not json").status_code == 400
    big = client.post(f"/o/{token}/answer", content=b"x" * (MAX_BODY + 1),
                      headers={"Content-Type": "application/json"})
    assert big.status_code == 413
    assert answer(client, token, trial).status_code == 200
    again = answer(client, token, trial, "right")
    assert again.status_code == 409 and "already answered" in again.json()["error"]
    rows = sqlite3.connect(load_study(study).database).execute(
        "SELECT choice FROM answers WHERE trial_id=? AND observer_id=?", (trial, "O002")).fetchall()
    assert rows == [("left",)]  # the first answer is kept


def test_images_are_served_from_the_manifest(study):
    client = TestClient(create_app(study))
    sha = next(iter(load_study(study).manifest["stimuli"]))
    r = client.get(f"/img/{sha}")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert hashlib.sha256(r.content).hexdigest() == sha


def test_localhost_by_default():
    import argparse

    from asym.judge import cli as judge_cli

    parser = argparse.ArgumentParser()
    judge_cli.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["judge", "serve", "somewhere"])
    assert args.host == "127.0.0.1" and is_loopback(args.host)
    assert not is_loopback("0.0.0.0")


def test_database_outlives_a_rebuild_and_refuses_another_design(tmp_path):
    from asym.judge.build import build_study

    cfg, runs_dir, test_dir = write_inputs(tmp_path)
    folder = tmp_path / "study"
    build_study(cfg, folder, runs_dir=runs_dir, test_dir=test_dir, seed=0)
    invite(folder, 2)
    build_study(cfg, folder, runs_dir=runs_dir, test_dir=test_dir, seed=0)  # same design: same trials
    assert Store(load_study(folder).database, load_study(folder).fingerprint).observer_ids() == ["O001", "O002"]
    build_study(cfg, folder, runs_dir=runs_dir, test_dir=test_dir, seed=1)  # another draw of the design
    with pytest.raises(InputError, match="another build of the study"):
        create_app(folder)


def test_reference_is_shown_when_asked(tmp_path):
    _, folder = build(tmp_path, max_all=4, per_condition=2, show_reference=True)
    (_, link), = invite(folder, 1)
    client = TestClient(create_app(folder))
    page = client.get(f"/o/{token_of(link)}/trial").text
    reference = page.split('id="reference" src="/img/')[1].split('"')[0]
    study = load_study(folder)
    assert any(t["reference_sha"] == reference for t in study.trials.values())
    assert client.get(f"/img/{reference}").status_code == 200
    assert "reference" in client.get(f"/o/{token_of(link)}").text
