"""Which weight files a config needs, where each belongs, whether it is there. Offline.

    asym weights check --config workflow/config/paper.yaml
    python -m asym.weights check --config workflow/config/paper.yaml

One line per needed file: metric, what the file is, expected local path, ``present`` or
``MISSING``, official source. Exit status 1 when any file is missing (or a pyiqa metric
cannot be inspected), 0 otherwise. The metrics checked are those the config uses
(``assess.metrics``, ``optimize.losses``, ``evaluate.evaluators``), in the order of
``metrics:``. Files come from:

- ``dists_style`` with ``init: imagenet``: the backbone file ``weights:``
  (source: :data:`asym.nets.backbones.OFFICIAL_WEIGHTS`);
- ``dists_style`` with ``fit:``: the alpha/beta file the workflow's ``fit_metric`` rule
  writes (listed as "made by the workflow" until then, never counted missing); a job
  spec with ``fitted: <path>`` needs that file (source: the ``asym.assess.fit_metric`` command);
- ``pyiqa`` metrics: whatever pyiqa would download when building the metric. pyiqa
  decides that in each network's constructor (its own files under
  ``$TORCH_HOME/hub/pyiqa``, torchvision backbones under
  ``$TORCH_HOME/hub/checkpoints``, timm backbones from the Hugging Face hub, CLIP
  models under ``$TORCH_HOME/hub/clip``), so the metric is built once in a *dry run*:
  every download function pyiqa, torchvision and timm use is replaced by one that
  records the URL and its cache path, weight loading is skipped, and opening a socket
  raises. A constructor that stops early (e.g. reading a missing file directly)
  is reported with the files recorded up to that point.

Nothing here ever touches the network: ``HF_HUB_OFFLINE=1`` is set and the dry run
blocks sockets.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from asym.offline import (  # noqa: F401  (re-exported: the offline guards live there)
    NetworkBlocked,
    Requirement,
    _pyiqa_dry_run,
    block_network,
    pyiqa_requirements,
)


def metric_requirements(name: str, spec: dict, cfg: dict | None = None) -> tuple[list[Requirement], list[str]]:
    """Files one metric (config entry ``spec``) needs, and notes on anything that could not be checked.

    A config metric with ``fit:`` gets its alpha/beta from the workflow's ``fit_metric`` rule
    (listed, never missing); a job spec with ``fitted: <path>`` needs that file.
    """
    from asym.config import fitted_file
    from asym.nets.backbones import OFFICIAL_WEIGHTS

    reqs, notes = [], []
    kind = spec.get("kind")
    if kind == "dists_style":
        if spec.get("init") == "imagenet":
            path = spec.get("weights") or "<weights: not set>"
            reqs.append(Requirement(name, f"backbone {spec.get('backbone')} weights", path, Path(path).is_file(),
                                    OFFICIAL_WEIGHTS.get(spec.get("backbone"), "the backbone's official release")))
        if spec.get("fitted"):
            base = {"name": name, **{k: v for k, v in spec.items() if k not in ("fitted", "fitted_on")}}
            command = (f"python -m asym.assess.fit_metric --metric-spec '{json.dumps(base, sort_keys=True)}' "
                       f"--dataset-kind <kind> --root <iqa set root> --out {spec['fitted']}")
            reqs.append(Requirement(name, "fitted alpha/beta", spec["fitted"], Path(spec["fitted"]).is_file(), command))
        elif spec.get("fit") and cfg is not None:
            path = fitted_file(cfg, name)
            reqs.append(Requirement(name, "fitted alpha/beta", path, Path(path).is_file(),
                                    f"workflow rule fit_metric (on IQA set {spec['fit'].get('dataset')!r})",
                                    made_by_workflow=True))
    elif kind == "pyiqa":
        found, note = pyiqa_requirements(name, spec.get("pyiqa_name", spec.get("name", name)))
        reqs.extend(found)
        if note:
            notes.append(f"{name}: {note}")
    return reqs, notes


def used_metrics(cfg: dict) -> list[str]:
    used = set(cfg["assess"]["metrics"]) | set(cfg["optimize"]["losses"]) | set(cfg["evaluate"]["evaluators"])
    return [name for name in cfg["metrics"] if name in used]


#: Where the published generator checkpoints of ``optimize.pretrain.official`` come from:
#: {generator name: release folder whose files can be downloaded by name}.
GENERATOR_RELEASES = {
    "swinir": "https://github.com/JingyunLiang/SwinIR/releases/download/v0.0/",
}


def generator_requirements(cfg: dict) -> list[Requirement]:
    """The published checkpoint ``optimize.pretrain.official`` starts every run from, if set."""
    from asym.nets.generators import OFFICIAL_SOURCES

    official = ((cfg.get("optimize") or {}).get("pretrain") or {}).get("official")
    if not official:
        return []
    name = cfg["optimize"]["generator"]["name"]
    release = GENERATOR_RELEASES.get(name)
    source = release + Path(official).name if release else OFFICIAL_SOURCES.get(
        {"swinir": "SwinIR", "rrdbnet": "RRDBNet"}.get(name, name), "the model authors' release page")
    return [Requirement("optimize.pretrain", f"published {name} checkpoint", official, Path(official).is_file(), source)]


def check(cfg: dict, out=None) -> int:
    """Print the needed files of ``cfg``'s metrics and generator; return the exit status (1 if any is missing)."""
    out = out or sys.stdout
    reqs, notes = generator_requirements(cfg), []
    for name in used_metrics(cfg):
        r, n = metric_requirements(name, cfg["metrics"][name], cfg)
        reqs.extend(r)
        notes.extend(n)
    print("metric\tfile\texpected path\tstatus\tofficial source", file=out)
    for r in reqs:
        print(r.line(), file=out)
    for note in notes:
        print(f"note: {note}", file=out)
    missing = [r for r in reqs if r.missing]
    print(f"{len(reqs)} files needed, {len(missing)} missing"
          + (f", {len(notes)} metrics not fully checked" if notes else ""), file=out)
    return 1 if missing or notes else 0


def main(argv=None) -> None:
    from asym.config import load_config

    parser = argparse.ArgumentParser(prog="asym weights", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["check"])
    parser.add_argument("--config", default="workflow/config/demo.yaml")
    args = parser.parse_args(argv)
    cfg = load_config(args.config)  # a ConfigError becomes one line and its exit code (asym.errors.run)
    sys.exit(check(cfg))


if __name__ == "__main__":
    import asym.errors

    asym.errors.run(main)
