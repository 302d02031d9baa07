"""The catalogue of bad inputs: each stops its entry point before any work with one stderr
line that names the culprit, a distinct exit code per kind of error, no traceback, and
leaves every previously computed file byte-identical.

    python -m pytest -q tests/test_bad_inputs.py

Most cases call a module's ``main`` under :func:`asym.errors.run` in this process (what
``python -m asym.X`` runs; ``tests/test_errors.py`` checks every ``__main__`` block
does), which keeps the catalogue fast; a few run as real subprocesses (the ``asym``
console script, ``python -m``, Snakemake) to show the same from the outside.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from PIL import Image

from asym import errors
from asym.config import merge, metric_spec, run_by_name, train_spec
from asym.io import write_png
from asym.optimize.train_sr import CHECKPOINT_FORMAT, train
from tests.conftest import REPO, TINY_CONFIG
from tests.iqa_fixtures import build_kadid10k

CONFIG, INPUT, FETCH, CHECKPOINT, WEIGHTS = (errors.ConfigError.exit_code, errors.InputError.exit_code,
                                            errors.FetchError.exit_code, errors.CheckpointError.exit_code,
                                            errors.WeightsMissingError.exit_code)


# --------------------------------------------------------------------------- a workspace with results

@pytest.fixture(scope="module")
def ws(tiny_cfg, tiny_workdir, tmp_path_factory):
    """Training images, a finished run, an interrupted run's checkpoint, score and correlation tables."""
    root = tmp_path_factory.mktemp("bad_inputs")
    shutil.copytree(tiny_workdir / tiny_cfg["data"]["sr_train"], root / "train")
    shutil.copytree(tiny_workdir / tiny_cfg["data"]["sr_test"], root / "test")
    spec = merge(train_spec(tiny_cfg, run_by_name(tiny_cfg, "l1__nogan__s0")), {"steps": 2, "checkpoint_every": 1})
    results = root / "results"
    train(spec, root / "train", results / "done", progress=False)
    assert train(spec, root / "train", results / "part", progress=False, stop_after=1) is None
    scores = pd.DataFrame({"dataset": "synthetic", "metric": "psnr", "reference": [f"r{i // 3}" for i in range(9)],
                           "distorted": [f"d{i}" for i in range(9)], "score": np.linspace(20, 30, 9),
                           "lower_better": False, "mos": np.arange(9, 0, -1.0)})
    scores.to_csv(results / "psnr.csv", index=False)
    (results / "correlations.csv").write_text("metric,dataset,srcc\npsnr,synthetic,0.9\n")
    cfg = yaml.safe_load(TINY_CONFIG.read_text())
    (root / "tiny.yaml").write_text(yaml.safe_dump(cfg))
    return {"root": root, "results": results, "spec": spec, "cfg": cfg, "tiny_cfg": tiny_cfg,
            "scores": scores, "synthetic": tiny_workdir / tiny_cfg["data"]["iqa_sets"]["synthetic"]["root"],
            "raw": tiny_workdir / tiny_cfg["data"]["raw"]}


def _snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _config(ws, tmp_path, **changes) -> Path:
    """The tiny config with ``changes`` (dotted keys) written to a file; None as a value deletes the key."""
    cfg = json.loads(json.dumps(ws["cfg"]))
    for dotted, value in changes.items():
        *parents, last = dotted.split(".")
        node = cfg
        for key in parents:
            node = node[key]
        if value is None:
            node.pop(last)
        else:
            node[last] = value
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def _images(ws, tmp_path, extra: dict[str, bytes | np.ndarray | Image.Image], base: str = "train") -> Path:
    folder = tmp_path / "images"
    shutil.copytree(ws["root"] / base, folder)
    for name, content in extra.items():
        if isinstance(content, bytes):
            (folder / name).write_bytes(content)
        elif isinstance(content, Image.Image):
            content.save(folder / name)
        else:
            write_png(content, folder / name)
    return folder


def _spec_json(ws, **changes) -> str:
    return json.dumps(merge(ws["spec"], changes))


def _train_argv(ws, spec: str, train_dir, out) -> list[str]:
    return ["--spec", spec, "--train-dir", str(train_dir), "--out", str(out), "--no-progress"]


def _kadid(tmp_path, edit) -> Path:
    root = build_kadid10k(tmp_path / "kadid")
    edit(root)
    return root


def _score_argv(ws, root, kind="kadid10k", spec=None) -> list[str]:
    spec = spec or metric_spec(ws["tiny_cfg"], "psnr")
    return ["--metric-spec", json.dumps(spec), "--dataset", "set", "--kind", kind, "--root", str(root),
            "--out", str(ws["results"] / "psnr.csv")]


def _scores_file(ws, tmp_path, edit) -> Path:
    df = ws["scores"].copy()
    df = edit(df)
    path = tmp_path / "scores.csv"
    df.to_csv(path, index=False)
    return path


def _correlate_argv(ws, *paths) -> list[str]:
    return ["--scores", *map(str, paths), "--metric-info", "{}", "--n-boot", "10",
            "--out", str(ws["results"] / "correlations.csv")]


def _evaluation_file(tmp_path, nan: bool) -> Path:
    """Two rows in the evaluation.csv contract; the second score NaN when ``nan``."""
    path = tmp_path / "evaluation.csv"
    pd.DataFrame({"run": "l1__nogan__s0", "generator": "swinir", "fidelity": "l1", "adversarial": False,
                  "setting": "nogan", "discriminator": "none", "objective": "none", "disc_level": "none",
                  "disc_family": "none", "gan_weight": 0.0, "seed": 0, "dataset": "test", "image": ["a", "b"],
                  "evaluator": "psnr", "score": [25.0, np.nan if nan else 26.0], "lower_better": False,
                  "baseline": False}).to_csv(path, index=False)
    return path


def _save_checkpoint(ws, tmp_path, make) -> Path:
    """A run folder holding the finished run's files and a checkpoint written by ``make(path)``."""
    out = tmp_path / "run"
    shutil.copytree(ws["results"] / "part", out)
    make(out / "checkpoint.pt")
    return out


class _Pickled:
    def __reduce__(self):
        return (print, ("code ran on load",))


def _entry(module: str):
    import importlib

    return importlib.import_module(module).main


# Each case: (id, module whose main runs, argv builder (ws, tmp_path) -> argv, exit code, words the line names)
CASES = [
    # --- configuration, through `asym check` / `asym spec`
    ("config-missing-file", "asym.cli", lambda ws, t: ["check", "--config", str(t / "nope.yaml")], CONFIG,
     ["nope.yaml", "not found"]),
    ("config-empty-file", "asym.cli", lambda ws, t: ["check", "--config", str((t / "e.yaml", (t / "e.yaml").write_text(""))[0])],
     CONFIG, ["e.yaml", "is empty"]),
    ("config-malformed-yaml", "asym.cli",
     lambda ws, t: ["check", "--config", str((t / "m.yaml", (t / "m.yaml").write_text("optimize: [1, 2\n"))[0])],
     CONFIG, ["m.yaml"]),
    ("config-negative-steps", "asym.cli", lambda ws, t: ["check", "--config", str(_config(ws, t, **{"optimize.steps": -5}))],
     CONFIG, ["bad.yaml", "optimize.steps", "-5"]),
    ("config-unknown-backbone", "asym.cli",
     lambda ws, t: ["check", "--config", str(_config(ws, t, **{"metrics.dists_vgg16-R.backbone": "vgg61"}))],
     CONFIG, ["metrics.dists_vgg16-R.backbone", "vgg61", "vgg16"]),
    ("config-unknown-pyiqa-name", "asym.cli",
     lambda ws, t: ["check", "--config", str(_config(ws, t, **{"metrics.psnr.name": "psnrr"}))],
     CONFIG, ["metrics.psnr.name", "psnrr", "not a pyiqa metric"]),
    ("config-unknown-key", "asym.cli",
     lambda ws, t: ["check", "--config", str(_config(ws, t, **{"optimize.stepps": 3}))], CONFIG, ["stepps"]),
    ("config-wrong-type", "asym.cli",
     lambda ws, t: ["check", "--config", str(_config(ws, t, **{"optimize.batch_size": "eight"}))],
     CONFIG, ["optimize.batch_size", "eight"]),
    ("config-unknown-discriminator", "asym.cli",
     lambda ws, t: ["check", "--config", str(_config(ws, t, **{"optimize.discriminators.patchgan.name": "patchgann"}))],
     CONFIG, ["optimize.discriminators.patchgan.name", "patchgann"]),
    ("config-unknown-generator", "asym.cli",
     lambda ws, t: ["check", "--config", str(_config(ws, t, **{"optimize.generator.name": "swinirr"}))],
     CONFIG, ["optimize.generator.name", "swinirr"]),
    ("config-undefined-loss", "asym.cli",
     lambda ws, t: ["check", "--config", str(_config(ws, t, **{"optimize.losses": ["l1", "lpips"]}))],
     CONFIG, ["optimize.losses", "lpips"]),
    ("config-crop-larger-than-images", "asym.cli",
     lambda ws, t: ["check", "--config", str(_config(ws, t, **{"transfer.crop": 64}))],
     CONFIG, ["transfer.crop", "64", "iqa_size"]),
    ("config-zero-patch-size", "asym.cli",
     lambda ws, t: ["check", "--config", str(_config(ws, t, **{"optimize.patch_size": 0}))],
     CONFIG, ["optimize.patch_size", "0"]),
    ("check-training-image-smaller-than-crop", "asym.cli",
     lambda ws, t: ["check", "--config", str(_config(ws, t, **{"data.sr_train": str(_images(
         ws, t, {"zz_small.png": np.zeros((20, 40, 3), np.uint8)}))}))], INPUT, ["zz_small.png", "40x20", "patch_size"]),
    ("check-duplicate-training-image-ids", "asym.cli",
     lambda ws, t: ["check", "--config", str(_config(ws, t, **{"data.sr_train": str(_images(
         ws, t, {"dup.png": np.zeros((40, 40, 3), np.uint8), "dup.jpg": Image.new("RGB", (40, 40))}))}))],
     INPUT, ["'dup'", "dup.jpg", "dup.png"]),
    ("spec-unknown-run", "asym.cli", lambda ws, t: ["spec", "--config", str(ws["root"] / "tiny.yaml"), "--run", "l2__nogan__s0"],
     CONFIG, ["l2__nogan__s0"]),
    # --- one SR training job (python -m asym.optimize.train_sr), pointed at a finished run's folder
    ("train-negative-steps", "asym.optimize.train_sr",
     lambda ws, t: _train_argv(ws, _spec_json(ws, steps=-5), ws["root"] / "train", ws["results"] / "done"),
     CONFIG, ["steps = -5", "optimize.steps"]),
    ("train-spec-not-json", "asym.optimize.train_sr",
     lambda ws, t: _train_argv(ws, "{steps: 3", ws["root"] / "train", ws["results"] / "done"), CONFIG, ["--spec", "JSON"]),
    ("train-patch-not-multiple-of-scale", "asym.optimize.train_sr",
     lambda ws, t: _train_argv(ws, _spec_json(ws, patch_size=30), ws["root"] / "train", ws["results"] / "done"),
     CONFIG, ["patch_size 30", "upscale"]),
    ("train-missing-image-folder", "asym.optimize.train_sr",
     lambda ws, t: _train_argv(ws, _spec_json(ws), t / "no_such_dir", t / "out"), INPUT, ["no_such_dir"]),
    ("train-duplicate-image-ids", "asym.optimize.train_sr",
     lambda ws, t: _train_argv(ws, _spec_json(ws), _images(ws, t, {"flower.png": np.zeros((40, 40, 3), np.uint8),
                                                                    "flower.jpg": Image.new("RGB", (40, 40))}),
                               t / "out"), INPUT, ["'flower'", "flower.jpg", "flower.png"]),
    ("train-image-smaller-than-crop", "asym.optimize.train_sr",
     lambda ws, t: _train_argv(ws, _spec_json(ws), _images(ws, t, {"zz_dot.png": np.zeros((1, 1, 3), np.uint8)}),
                               t / "out"), INPUT, ["zz_dot.png", "1x1", "patch_size"]),
    ("train-corrupt-image", "asym.optimize.train_sr",
     lambda ws, t: _train_argv(ws, _spec_json(ws), _images(ws, t, {"zz_bad.png": b"\x89PNG not really"}),
                               t / "out"), INPUT, ["zz_bad.png", "cannot read"]),
    ("train-16-bit-image", "asym.optimize.train_sr",
     lambda ws, t: _train_argv(ws, _spec_json(ws), _images(ws, t, {
         "zz_deep.png": Image.fromarray(np.full((40, 40), 40000, np.uint16))}), t / "out"),
     INPUT, ["zz_deep.png", "pixel mode"]),
    ("train-truncated-checkpoint", "asym.optimize.train_sr",
     lambda ws, t: _train_argv(ws, _spec_json(ws), ws["root"] / "train", _save_checkpoint(
         ws, t, lambda p: p.write_bytes(p.read_bytes()[:400]))), CHECKPOINT, ["checkpoint.pt", "truncated"]),
    ("train-checkpoint-with-code", "asym.optimize.train_sr",
     lambda ws, t: _train_argv(ws, _spec_json(ws), ws["root"] / "train", _save_checkpoint(
         ws, t, lambda p: torch.save({"format": CHECKPOINT_FORMAT, "x": _Pickled()}, p))),
     CHECKPOINT, ["checkpoint.pt", "pickled Python objects"]),
    ("train-stale-checkpoint-refused", "asym.optimize.train_sr",
     lambda ws, t: _train_argv(ws, _spec_json(ws, lr_g=0.5), ws["root"] / "train", ws["results"] / "part"),
     CHECKPOINT, ["checkpoint.pt", "different run spec", "--restart-stale"]),
    ("train-missing-pretrained-start", "asym.optimize.train_sr",
     lambda ws, t: _train_argv(ws, json.dumps(merge(ws["spec"], {"init": {"path": str(t / "pre" / "final.pt")}})),
                               ws["root"] / "train", t / "out"), INPUT, ["pre/final.pt", "pretrain_sr"]),
    # --- evaluation of a trained generator
    ("evaluate-missing-generator", "asym.optimize.evaluate",
     lambda ws, t: ["--generator", str(t / "gone" / "final.pt"), "--panel", "{}", "--test-dir", str(ws["root"] / "test"),
                    "--dataset", "test", "--sr-dir", str(t / "sr"), "--out", str(t / "e.csv")],
     CHECKPOINT, ["gone/final.pt", "not found"]),
    ("evaluate-garbage-generator", "asym.optimize.evaluate",
     lambda ws, t: ["--generator", str((t / "final.pt", (t / "final.pt").write_bytes(b"not a torch file"))[0]),
                    "--panel", "{}", "--test-dir", str(ws["root"] / "test"), "--dataset", "test",
                    "--sr-dir", str(t / "sr"), "--out", str(t / "e.csv")], CHECKPOINT, ["final.pt"]),
    ("evaluate-duplicate-test-ids", "asym.optimize.evaluate",
     lambda ws, t: ["--generator", str(ws["results"] / "done" / "final.pt"), "--panel", "{}",
                    "--test-dir", str(_images(ws, t, {"a.png": np.zeros((32, 32, 3), np.uint8),
                                                      "a.bmp": Image.new("RGB", (32, 32))})),
                    "--dataset", "test", "--sr-dir", str(t / "sr"), "--out", str(t / "e.csv")],
     INPUT, ["'a'", "a.bmp", "a.png"]),
    ("evaluate-test-image-not-multiple-of-scale", "asym.optimize.evaluate",
     lambda ws, t: ["--generator", str(ws["results"] / "done" / "final.pt"), "--panel", "{}",
                    "--test-dir", str(_images(ws, t, {"zz_odd.png": np.zeros((33, 32, 3), np.uint8)}, base="test")),
                    "--dataset", "test", "--sr-dir", str(t / "sr"), "--out", str(t / "e.csv")],
     INPUT, ["zz_odd", "32x33", "scale 4"]),
    # --- IQA label files through the readers (python -m asym.assess.score)
    ("labels-nan", "asym.assess.score",
     lambda ws, t: _score_argv(ws, _kadid(t, lambda r: (r / "dmos.csv").write_text(
         (r / "dmos.csv").read_text().replace("4.57", "nan")))), INPUT, ["dmos.csv"]),
    ("labels-duplicate-row", "asym.assess.score",
     lambda ws, t: _score_argv(ws, _kadid(t, lambda r: (r / "dmos.csv").write_text(
         (r / "dmos.csv").read_text() + "I01_01_01.png,I01.png,4.57,0.496\n"))), INPUT, ["dmos.csv", "I01_01_01"]),
    ("labels-missing-column", "asym.assess.score",
     lambda ws, t: _score_argv(ws, _kadid(t, lambda r: (r / "dmos.csv").write_text(
         (r / "dmos.csv").read_text().replace("dmos,var", "score,var")))), INPUT, ["dmos.csv", "dmos"]),
    ("labels-missing-distorted-file", "asym.assess.score",
     lambda ws, t: _score_argv(ws, _kadid(t, lambda r: (r / "images" / "I01_10_05.png").unlink())),
     INPUT, ["I01_10_05.png"]),
    ("labels-missing-reference-file", "asym.assess.score",
     lambda ws, t: _score_argv(ws, _kadid(t, lambda r: (r / "images" / "I02.png").unlink())), INPUT, ["I02.png"]),
    ("score-missing-pinned-weights", "asym.assess.score",
     lambda ws, t: _score_argv(ws, ws["synthetic"], kind="synthetic", spec={
         "name": "dists_vgg16", "kind": "dists_style", "backbone": "vgg16", "init": "imagenet",
         "weights": str(t / "weights" / "vgg16-397923af.pth"), "group": "vgg16"}),
     WEIGHTS, ["vgg16-397923af.pth", "download.pytorch.org"]),
    ("prepare-missing-raw-folder", "asym.data.prepare",
     lambda ws, t: ["--raw", str(t / "no_raw"), "--out", str(t / "prepared"), "--config", str(ws["root"] / "tiny.yaml")],
     INPUT, ["no_raw", "asym.data.collect"]),
    ("score-missing-set", "asym.assess.score",
     lambda ws, t: _score_argv(ws, t / "no_set", kind="synthetic"), INPUT, ["no_set/scores.csv"]),
    # --- score tables into the correlations (python -m asym.assess.correlate)
    ("scores-nan", "asym.assess.correlate",
     lambda ws, t: _correlate_argv(ws, _scores_file(ws, t, lambda d: d.assign(score=d["score"].where(d.index != 4)))),
     INPUT, ["scores.csv", "'score'", "line 6"]),
    ("scores-infinite-mos", "asym.assess.correlate",
     lambda ws, t: _correlate_argv(ws, _scores_file(ws, t, lambda d: d.assign(mos=d["mos"].replace(5.0, np.inf)))),
     INPUT, ["scores.csv", "'mos'"]),
    ("scores-missing-column", "asym.assess.correlate",
     lambda ws, t: _correlate_argv(ws, _scores_file(ws, t, lambda d: d.drop(columns="lower_better"))),
     INPUT, ["scores.csv", "lower_better"]),
    # --- the same tables into the claims' statistics (python -m asym.analysis.claims)
    ("claims-nan-assessment-score", "asym.analysis.claims",
     lambda ws, t: ["--assess-scores", str(_scores_file(ws, t, lambda d: d.assign(score=d["score"].where(d.index != 2)))),
                    "--evaluation", str(_evaluation_file(t, nan=False)), "--scale", "demo",
                    "--out", str(ws["results"] / "correlations.csv")], INPUT, ["scores.csv", "'score'", "line 4"]),
    ("claims-nan-evaluation-score", "asym.analysis.claims",
     lambda ws, t: ["--assess-scores", str(ws["results"] / "psnr.csv"), "--evaluation", str(_evaluation_file(t, nan=True)),
                    "--scale", "demo", "--out", str(ws["results"] / "correlations.csv")],
     INPUT, ["evaluation.csv", "'score'", "line 3"]),
    ("scores-missing-file", "asym.assess.correlate",
     lambda ws, t: _correlate_argv(ws, t / "absent.csv"), INPUT, ["absent.csv"]),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_stops_with_one_line(case, ws, tmp_path, capsys, monkeypatch):
    _name, module, build, code, culprit = case
    monkeypatch.delenv("ASYM_DEBUG", raising=False)
    before = _snapshot(ws["results"])
    argv = build(ws, tmp_path)
    capsys.readouterr()
    with pytest.raises(SystemExit) as info:
        errors.run(_entry(module), argv, prog="asym" if module == "asym.cli" else module)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert info.value.code == code, err
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for word in culprit:
        assert word in lines[0], (word, lines[0])
    assert _snapshot(ws["results"]) == before  # nothing computed before was touched


def test_the_catalogue_is_large():
    assert len(CASES) >= 30
    assert len({c[0] for c in CASES}) == len(CASES)


# --------------------------------------------------------------------------- from the outside

def _env():
    env = {k: v for k, v in os.environ.items() if k != "ASYM_DEBUG"}
    env["PYTHONPATH"] = str(REPO)
    return env


def _one_line(proc) -> str:
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    return lines[0]


def test_python_m_train_sr_negative_steps(ws, tmp_path):
    before = _snapshot(ws["results"])
    proc = subprocess.run([sys.executable, "-m", "asym.optimize.train_sr",
                           *_train_argv(ws, _spec_json(ws, steps=-5), ws["root"] / "train", ws["results"] / "done")],
                          capture_output=True, text=True, env=_env(), cwd=tmp_path, timeout=300, check=False)
    assert proc.returncode == CONFIG
    line = _one_line(proc)
    assert line.startswith("asym.optimize.train_sr: ConfigError:") and "steps = -5" in line
    assert _snapshot(ws["results"]) == before


def test_asym_console_script_and_debug_traceback(tmp_path):
    script = Path(sys.executable).parent / "asym"
    if not script.exists():
        pytest.skip("the asym console script is not installed beside this interpreter")
    proc = subprocess.run([str(script), "check", "--config", str(tmp_path / "nope.yaml")],
                          capture_output=True, text=True, env=_env(), timeout=300, check=False)
    assert proc.returncode == CONFIG and "nope.yaml" in _one_line(proc)
    debug = subprocess.run([str(script), "check", "--config", str(tmp_path / "nope.yaml"), "--debug"],
                           capture_output=True, text=True, env=_env(), timeout=300, check=False)
    assert debug.returncode == 1 and "Traceback" in debug.stderr and "nope.yaml" in debug.stderr


def test_python_m_correlate_nan_score_keeps_the_old_table(ws, tmp_path):
    before = _snapshot(ws["results"])
    bad = _scores_file(ws, tmp_path, lambda d: d.assign(score=d["score"].where(d.index != 0)))
    proc = subprocess.run([sys.executable, "-m", "asym.assess.correlate", *_correlate_argv(ws, bad)],
                          capture_output=True, text=True, env=_env(), cwd=tmp_path, timeout=300, check=False)
    assert proc.returncode == INPUT and "line 2" in _one_line(proc)
    assert _snapshot(ws["results"]) == before


@pytest.mark.slow
def test_snakemake_config_error_names_the_file(ws, tmp_path):
    bad = _config(ws, tmp_path, **{"optimize.steps": -5})
    proc = subprocess.run([str(Path(sys.executable).parent / "snakemake"), "-n", "--snakefile", str(REPO / "Snakefile"),
                           "--configfile", str(bad), "--directory", str(tmp_path)],
                          capture_output=True, text=True, env=_env(), timeout=600, check=False)
    assert proc.returncode != 0
    assert f"invalid configuration in {bad}" in proc.stdout + proc.stderr
    assert "optimize.steps: -5" in proc.stdout + proc.stderr
