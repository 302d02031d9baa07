"""Workflow configuration: load a YAML file, validate it, derive the run table.

    from asym.config import load_config, runs
    cfg = load_config("workflow/config/demo.yaml")
    for run in runs(cfg): print(run.name)

The schema is ``workflow/schemas/config.schema.yaml``; every object in it forbids
unknown keys, so a typo fails with a message that names the key. On top of the
schema, :func:`validate` checks cross references (a loss, evaluator or discriminator
named but not defined). The Snakefile calls the same function, so the workflow and
the modules agree on what a valid configuration is.
"""

from __future__ import annotations

import copy
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import jsonschema
import yaml

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "workflow" / "schemas" / "config.schema.yaml"


class ConfigError(ValueError):
    """A configuration that does not follow the schema or refers to undefined names."""


def _schema() -> dict:
    if not SCHEMA_PATH.is_file():
        raise ConfigError(f"config schema not found at {SCHEMA_PATH}; is the repository complete?")
    return yaml.safe_load(SCHEMA_PATH.read_text())


def _where(error: jsonschema.ValidationError) -> str:
    path = ".".join(str(p) for p in error.absolute_path)
    return path or "<top level>"


def validate(cfg: dict, source: str = "config") -> dict:
    """Check ``cfg`` against the schema and its cross references; return it unchanged.

    Raises :class:`ConfigError` listing every problem, each with the dotted key path.
    """
    if not isinstance(cfg, dict):
        raise ConfigError(f"{source}: expected a mapping at the top level, got {type(cfg).__name__}")
    validator = jsonschema.Draft202012Validator(_schema())
    problems = [
        f"{_where(e)}: {e.message}" for e in sorted(validator.iter_errors(cfg), key=lambda e: list(e.absolute_path))
    ]
    if not problems:
        problems = _cross_reference_problems(cfg)
    if problems:
        raise ConfigError(f"invalid configuration in {source}:\n  - " + "\n  - ".join(problems))
    return cfg


def _cross_reference_problems(cfg: dict) -> list[str]:
    metrics = cfg["metrics"]
    problems = []
    for section, key in (("assess", "metrics"), ("optimize", "losses"), ("evaluate", "evaluators")):
        for name in cfg[section][key]:
            if name not in metrics:
                problems.append(f"{section}.{key}: metric {name!r} is not defined under metrics (defined: {sorted(metrics)})")
    for name in cfg["assess"]["datasets"]:
        if name not in cfg["data"]["iqa_sets"]:
            problems.append(f"assess.datasets: {name!r} is not defined under data.iqa_sets")
    for name, spec in metrics.items():
        if spec["kind"] == "pyiqa" and "name" not in spec:
            problems.append(f"metrics.{name}: kind pyiqa needs 'name' (the pyiqa metric name)")
        if spec["kind"] == "dists_style" and "backbone" not in spec:
            problems.append(f"metrics.{name}: kind dists_style needs 'backbone'")
        if spec.get("init") == "imagenet" and "weights" not in spec:
            problems.append(f"metrics.{name}: init imagenet needs 'weights' (path to the pinned file)")
        if "fit" in spec:
            if spec["kind"] != "dists_style":
                problems.append(f"metrics.{name}.fit: only dists_style metrics have weights to fit")
            if spec["fit"]["dataset"] not in cfg["data"]["iqa_sets"]:
                problems.append(f"metrics.{name}.fit.dataset: {spec['fit']['dataset']!r} is not under data.iqa_sets")
    problems += _transfer_problems(cfg)
    main = cfg["analysis"].get("main_gan_setting")
    if main is not None:
        setting = next((a for a in cfg["optimize"]["adversarial"] if a["name"] == main), None)
        if setting is None or "discriminator" not in setting:
            problems.append(f"analysis.main_gan_setting: {main!r} is not an adversarial setting of optimize.adversarial")
        elif set(setting.get("losses", cfg["optimize"]["losses"])) != set(cfg["optimize"]["losses"]):
            problems.append(f"analysis.main_gan_setting: {main!r} must be trained with every loss (no 'losses' subset)")
    seen = set()
    for i, setting in enumerate(cfg["optimize"]["adversarial"]):
        if setting["name"] in seen:
            problems.append(f"optimize.adversarial.{i}.name: {setting['name']!r} is used twice")
        seen.add(setting["name"])
        for loss in setting.get("losses", []):
            if loss not in cfg["optimize"]["losses"]:
                problems.append(f"optimize.adversarial.{i}.losses: {loss!r} is not in optimize.losses")
        disc = setting.get("discriminator")
        if disc is not None and disc not in cfg["optimize"]["discriminators"]:
            problems.append(
                f"optimize.adversarial.{i}.discriminator: {disc!r} is not defined under optimize.discriminators"
            )
    return problems


def _transfer_problems(cfg: dict) -> list[str]:
    transfer = cfg.get("transfer")
    if not transfer:
        return []
    problems = []
    run_names = {r.name: r for r in runs(cfg)}
    for name in transfer["datasets"]:
        if name not in cfg["data"]["iqa_sets"]:
            problems.append(f"transfer.datasets: {name!r} is not defined under data.iqa_sets")
    for name, spec in transfer["backbones"].items():
        where = f"transfer.backbones.{name}"
        if ("discriminator" in spec) == ("backbone" in spec):
            problems.append(f"{where}: give exactly one of 'discriminator' (a design) or 'backbone' (a named one)")
            continue
        if "discriminator" in spec:
            if spec["discriminator"] not in cfg["optimize"]["discriminators"]:
                problems.append(f"{where}.discriminator: {spec['discriminator']!r} is not under optimize.discriminators")
            if "imagenet" in spec["inits"]:
                problems.append(f"{where}.inits: a discriminator trunk has no ImageNet weights")
            if "discriminator" in spec["inits"]:
                run = run_names.get(spec.get("run", ""))
                if run is None:
                    problems.append(f"{where}.run: init 'discriminator' needs 'run', a GAN run of this config")
                elif run.discriminator != spec["discriminator"]:
                    problems.append(f"{where}.run: {run.name} trained a {run.discriminator!r} discriminator, "
                                    f"not {spec['discriminator']!r}")
        else:
            if "discriminator" in spec["inits"]:
                problems.append(f"{where}.inits: init 'discriminator' needs a 'discriminator' design")
            if "imagenet" in spec["inits"] and "weights" not in spec:
                problems.append(f"{where}: init imagenet needs 'weights' (path to the pinned file)")
    return problems


def transfer_jobs(cfg: dict) -> list[str]:
    """Names ``<backbone>__<init>__<dataset>__s<seed>`` of every transfer job (none without a transfer section)."""
    t = cfg.get("transfer")
    if not t:
        return []
    return [f"{b}__{init}__{d}__s{seed}" for b, spec in t["backbones"].items() for init in spec["inits"]
            for d in t["datasets"] for seed in t["split_seeds"]]


def transfer_spec(cfg: dict, job: str) -> dict:
    """Everything one transfer job needs, as a JSON-serializable dict (see asym.train_iqa)."""
    backbone, init, dataset, seed = job.rsplit("__", 3)
    t = cfg["transfer"]
    source = copy.deepcopy(t["backbones"][backbone])
    source.pop("inits")
    source.pop("run", None)
    if "discriminator" in source:
        args = copy.deepcopy(cfg["optimize"]["discriminators"][source["discriminator"]])
        args.pop("name")
        source["args"] = args
    keys = ("test_fraction", "mode", "steps", "batch_size", "crop", "lr", "backbone_lr_scale", "stages", "hidden",
            "n_boot")
    return {"name": backbone, "init": init, "dataset": dataset, "split_seed": int(seed[1:]), "backbone": source,
            **{k: t[k] for k in keys}}


def load_config(path: str | Path, overrides: dict | None = None) -> dict:
    """Read a YAML config, apply ``overrides`` (a nested dict merged on top), validate it."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        cfg = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    if overrides:
        cfg = merge(cfg, overrides)
    return validate(cfg, source=str(path))


def merge(base: dict, update: dict) -> dict:
    """Recursive dict merge: values of ``update`` win; returns a new dict."""
    out = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


@dataclass(frozen=True)
class Run:
    """One SR training run: a fidelity loss x an adversarial setting x a seed."""

    name: str
    fidelity: str
    adversarial: bool
    setting: str
    discriminator: str  # "none" without GAN
    gan_weight: float  # 0.0 without GAN
    objective: str  # "none" without GAN
    seed: int

    def as_dict(self) -> dict:
        return asdict(self)


def run_name(fidelity: str, setting: str, seed: int) -> str:
    return f"{fidelity}__{setting}__s{seed}"


def runs(cfg: dict) -> list[Run]:
    """Every training run the config asks for, in a stable order."""
    out = []
    for fidelity in cfg["optimize"]["losses"]:
        for setting in cfg["optimize"]["adversarial"]:
            if fidelity not in setting.get("losses", [fidelity]):
                continue  # a sweep restricted to some losses (e.g. the GAN-weight sweep)
            for seed in cfg["optimize"]["seeds"]:
                adversarial = "discriminator" in setting
                out.append(
                    Run(
                        name=run_name(fidelity, setting["name"], seed),
                        fidelity=fidelity,
                        adversarial=adversarial,
                        setting=setting["name"],
                        discriminator=setting.get("discriminator", "none"),
                        gan_weight=float(setting.get("gan_weight", 0.0)),
                        objective=setting.get("objective", "none"),
                        seed=int(seed),
                    )
                )
    return out


def run_by_name(cfg: dict, name: str) -> Run:
    for run in runs(cfg):
        if run.name == name:
            return run
    raise ConfigError(f"no run named {name!r} in this config")


def train_spec(cfg: dict, run: Run) -> dict:
    """Everything one training job needs, as a JSON-serializable dict.

    The workflow passes this through ``params:``, so Snakemake reruns a training job
    exactly when something in its own spec changes, not when an unrelated key does.
    """
    opt = cfg["optimize"]
    keys = ("generator", "steps", "batch_size", "patch_size", "lr_g", "lr_d", "betas", "checkpoint_every", "log_every")
    spec = {"run": run.as_dict(), "device": cfg["device"], "loss": metric_spec(cfg, run.fidelity)}
    spec.update({k: copy.deepcopy(opt[k]) for k in keys})
    spec["discriminator"] = copy.deepcopy(opt["discriminators"][run.discriminator]) if run.adversarial else None
    return spec


def evaluator_panel(cfg: dict, run: Run) -> dict[str, dict]:
    """The evaluators that may score ``run``: never one in its training loss's group.

    A metric's group names what it is circular with (same formula, same backbone),
    so an L1-trained run is not judged by PSNR, nor a VGG-feature loss by a VGG metric.
    """
    own_group = cfg["metrics"][run.fidelity]["group"]
    return {
        name: metric_spec(cfg, name)
        for name in cfg["evaluate"]["evaluators"]
        if name != run.fidelity and cfg["metrics"][name]["group"] != own_group
    }


def main_gan_setting(cfg: dict) -> str | None:
    """``"<discriminator>:<gan_weight>"`` of analysis.main_gan_setting, or None (pool all GAN runs)."""
    name = cfg["analysis"].get("main_gan_setting")
    if name is None:
        return None
    setting = next(a for a in cfg["optimize"]["adversarial"] if a["name"] == name)
    return f"{setting['discriminator']}:{setting['gan_weight']}"


def metric_spec(cfg: dict, name: str) -> dict:
    """A metric as its jobs build it: a metric with ``fit`` uses its fitted weights file."""
    spec = _named_spec(cfg, name)
    fit = spec.pop("fit", None)
    if fit is not None:
        spec["fitted"] = fitted_file(cfg, name)
        spec["fitted_on"] = fit["dataset"]  # assessment on this set keeps only the held-out references
    return spec


def fitted_file(cfg: dict, name: str) -> str:
    """Where the workflow writes a metric's fitted alpha/beta (``python -m asym.fit_metric``)."""
    return f"{cfg['results']}/assess/fitted/{name}.pt"


def fitted_files(cfg: dict, names) -> list[str]:
    """The fitted-weights files the given metrics need (inputs of the jobs that use them)."""
    return [fitted_file(cfg, n) for n in names if "fit" in cfg["metrics"][n]]


def _named_spec(cfg: dict, name: str) -> dict:
    """A copy of config metric ``name`` whose ``name`` is the config key; a pyiqa metric's own
    ``name:`` (pyiqa's model name, e.g. ``afine_fr`` for config key ``afine``) moves to
    ``pyiqa_name``, so every result row is labelled with the key the config uses."""
    entry = copy.deepcopy(cfg["metrics"][name])
    if entry.get("kind") == "pyiqa":
        entry["pyiqa_name"] = entry.pop("name", name)
    entry.pop("name", None)
    return {"name": name, **entry}


def fit_spec(cfg: dict, name: str) -> dict:
    """The metric to fit (without ``fit``/``fitted``) and how, for ``python -m asym.fit_metric``."""
    spec = _named_spec(cfg, name)
    how = spec.pop("fit")
    return {"metric": spec, **how}


def dumps(obj) -> str:
    """Canonical JSON (sorted keys), so equal specs give equal strings."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def main(argv=None) -> None:
    """``python -m asym.config --check FILE`` validates a config file;
    ``python -m asym.config --json '<cfg>' --out results/config.yaml`` validates and snapshots one."""
    import argparse
    import sys

    from asym.io import write_text

    parser = argparse.ArgumentParser(description="Validate a workflow config, or write a snapshot of one.")
    parser.add_argument("--check", type=Path, help="config YAML to validate")
    parser.add_argument("--json", help="config as JSON (what the workflow ran with)")
    parser.add_argument("--out", type=Path, help="where to write the validated snapshot as YAML")
    args = parser.parse_args(argv)
    try:
        cfg = load_config(args.check) if args.check else validate(json.loads(args.json or "null"), "--json")
    except ConfigError as exc:
        sys.exit(str(exc))
    if args.out:
        write_text(yaml.safe_dump(cfg, sort_keys=False), args.out)
    else:
        print(f"valid: {len(runs(cfg))} training runs, {len(cfg['assess']['metrics'])} assessed metrics")


if __name__ == "__main__":
    main()
