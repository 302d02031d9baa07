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
import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import jsonschema
import yaml

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "workflow" / "schemas" / "config.schema.yaml"


from asym.errors import ConfigError


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
        if cfg is None:
            raise ConfigError(f"{source} is empty: start from workflow/config/demo.yaml or paper.yaml")
        raise ConfigError(f"{source}: expected a mapping of keys at the top level, got {type(cfg).__name__}")
    validator = jsonschema.Draft202012Validator(_schema())
    problems = [
        f"{_where(e)}: {e.message}" for e in sorted(validator.iter_errors(cfg), key=lambda e: list(e.absolute_path))
    ]
    if not problems:
        from asym.validation import registry_problems, size_problems  # names against the registries, sizes

        problems = _cross_reference_problems(cfg) + registry_problems(cfg) + size_problems(cfg)
    if problems:
        raise ConfigError(f"invalid configuration in {source}:\n  - " + "\n  - ".join(problems))
    return cfg


def kernels(cfg: dict) -> str:
    """The config's ``kernels`` setting (``reference`` unless set; see :mod:`asym.accel.switch`)."""
    return cfg.get("kernels", "reference")


def _cross_reference_problems(cfg: dict) -> list[str]:
    metrics = cfg["metrics"]
    problems = []
    if kernels(cfg) == "fast" and cfg["optimize"].get("precision", "fp32") != "fp32":
        problems.append("kernels: fast runs hand-written float32 CPU kernels whose backward passes do not replay "
                        "autocast; use kernels: reference with optimize.precision bf16")
    for section, key in (("assess", "metrics"), ("optimize", "losses"), ("evaluate", "evaluators")):
        for name in cfg[section][key]:
            if name not in metrics:
                problems.append(f"{section}.{key}: metric {name!r} is not defined under metrics (defined: {sorted(metrics)})")
    # Imported here: importing asym.config stays light (no pandas) until a config is validated.
    from asym.data.iqa_sets import check_reader_options, is_no_reference, reader_options

    for name, entry in cfg["data"]["iqa_sets"].items():  # an option of another kind of set is a mistake
        problems += [p for p in check_reader_options(entry["kind"], reader_options(entry), f"data.iqa_sets.{name}")
                     if "is not an option" in p]
    for name in cfg["assess"]["datasets"]:
        if name not in cfg["data"]["iqa_sets"]:
            problems.append(f"assess.datasets: {name!r} is not defined under data.iqa_sets")
        elif is_no_reference(cfg["data"]["iqa_sets"][name]["kind"]):
            problems.append(f"assess.datasets: {name!r} has no reference images; full-reference metrics "
                            "cannot be assessed on it (use it under transfer.datasets)")
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
            fit_set = cfg["data"]["iqa_sets"].get(spec["fit"]["dataset"])
            if fit_set is None:
                problems.append(f"metrics.{name}.fit.dataset: {spec['fit']['dataset']!r} is not under data.iqa_sets")
            elif is_no_reference(fit_set["kind"]):
                problems.append(f"metrics.{name}.fit.dataset: {spec['fit']['dataset']!r} has no reference "
                                "images; a full-reference metric is fitted on a full-reference set")
    problems += _transfer_problems(cfg)
    problems += _pretrain_problems(cfg)
    gpus = cfg["optimize"].get("gpus_per_run", 1)
    batches = {"optimize.batch_size": cfg["optimize"]["batch_size"],
               "optimize.pretrain.batch_size": cfg["optimize"].get("pretrain", {}).get("batch_size", gpus)}
    for key, batch in batches.items():
        if batch % gpus:
            problems.append(f"{key}: {batch} is not divisible by optimize.gpus_per_run ({gpus}); each process "
                            "takes an equal share of every batch")
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


def _pretrain_problems(cfg: dict) -> list[str]:
    pre = cfg["optimize"].get("pretrain")
    if pre is None:
        return []
    where = "optimize.pretrain"
    training = [k for k in ("steps", "loss", "lr") if k in pre]
    if "official" in pre:
        extra = sorted(set(pre) - {"official", "key"})
        if extra:
            return [f"{where}: 'official' imports a published checkpoint; drop {extra} (or drop 'official' to train)"]
        return []
    problems = []
    if len(training) < 3:
        problems.append(f"{where}: give either 'official' (a published generator checkpoint) or all of "
                        f"steps, loss and lr (pretraining); missing {sorted({'steps', 'loss', 'lr'} - set(training))}")
    if "key" in pre:
        problems.append(f"{where}.key: only used with 'official'")
    if "loss" in pre and pre["loss"] not in cfg["metrics"]:
        problems.append(f"{where}.loss: metric {pre['loss']!r} is not defined under metrics")
    return problems


# Label of the published checkpoint of each named backbone (asym.nets.backbones.BACKBONES):
# what its pre-training was, which is what a transfer result's ``init`` says. DINOv2's
# self-supervised weights and CLIP's image tower are not ImageNet classifiers.
# resnet18 is no named backbone but a timm CNN build_backbone also builds (small configs, tests).
WEIGHTS_LABELS = {"vgg16": "imagenet", "resnet50": "imagenet", "convnext_tiny": "imagenet", "swin_t": "imagenet",
                  "clip_vit_b16": "clip", "dinov2_vits14": "dinov2", "resnet18": "imagenet"}
# The two inits every transfer backbone has: drawn weights, and a trained discriminator's.
RANDOM_INIT, DISC_INIT = "random", "disc"


def transfer_checkpoint_label(cfg: dict, backbone: str) -> str | None:
    """The init label of a transfer entry's published checkpoint (``imagenet``, ``dinov2``,
    ``clip``, ...), None when its architecture has none (a PatchGAN, U-Net, ViT trunk).

    A named backbone's label is its own; a projected design's is its backbone's.
    """
    spec = cfg["transfer"]["backbones"][backbone]
    if "backbone" in spec:
        return WEIGHTS_LABELS.get(spec["backbone"])
    design = cfg["optimize"]["discriminators"].get(spec.get("discriminator", ""), {})
    return WEIGHTS_LABELS.get(design.get("backbone", "vgg16")) if design.get("name") == "projected" else None


def transfer_disc_runs(cfg: dict, backbone: str) -> list[str]:
    """The GAN runs (one per ``optimize.seeds``) whose discriminators give the ``disc`` arm."""
    src = cfg["transfer"]["backbones"][backbone].get("disc_runs")
    if not src:
        return []
    return [r.name for r in runs(cfg) if (r.fidelity, r.setting) == (src["loss"], src["setting"])]


def transfer_disc_run(cfg: dict, backbone: str, split_seed: int) -> str:
    """The GAN run the ``disc`` arm of split ``split_seed`` starts from: the splits take the
    runs of the optimization seeds in turn (split i -> seed i mod n), so the arm spans seeds."""
    names = transfer_disc_runs(cfg, backbone)
    if not names:
        raise ConfigError(f"transfer.backbones.{backbone}: init {DISC_INIT!r} needs disc_runs "
                          "({loss: <a loss>, setting: <a GAN setting of that design>})")
    return names[cfg["transfer"]["split_seeds"].index(int(split_seed)) % len(names)]


def _transfer_problems(cfg: dict) -> list[str]:
    transfer = cfg.get("transfer")
    if not transfer:
        return []
    # Imported here: importing asym.config stays light (no pandas) until a config is validated.
    from asym.data.iqa_sets import is_no_reference

    problems = []
    sets = cfg["data"]["iqa_sets"]
    for name in transfer["datasets"]:
        if name not in sets:
            problems.append(f"transfer.datasets: {name!r} is not defined under data.iqa_sets")
        elif transfer_mode(cfg, name) == "fr" and is_no_reference(sets[name]["kind"]):
            problems.append(f"transfer: {name!r} ({sets[name]['kind']}) has no reference images, so it "
                            "cannot train a full-reference (mode fr) model; give it mode nr in transfer.dataset_modes")
    for name in transfer.get("dataset_modes", {}):
        if name not in transfer["datasets"]:
            problems.append(f"transfer.dataset_modes: {name!r} is not in transfer.datasets")
    for name in transfer["backbones"]:
        problems += _transfer_backbone_problems(cfg, name)
    return problems


def _transfer_backbone_problems(cfg: dict, name: str) -> list[str]:
    """What is wrong with ``transfer.backbones.<name>`` (see :func:`transfer_checkpoint_label`)."""
    spec, where = cfg["transfer"]["backbones"][name], f"transfer.backbones.{name}"
    designs = cfg["optimize"]["discriminators"]
    if "discriminator" not in spec and "backbone" not in spec:
        return [f"{where}: give 'discriminator' (a design) or 'backbone' (a named one), or both"]
    design = designs.get(spec.get("discriminator"))
    if "discriminator" in spec and design is None:
        return [f"{where}.discriminator: {spec['discriminator']!r} is not under optimize.discriminators"]
    problems = []
    if design is not None and "backbone" in spec and not (
            design["name"] == "projected" and design.get("backbone", "vgg16") == spec["backbone"]
            and design.get("finetune")):
        problems.append(f"{where}: the disc arm of backbone {spec['backbone']!r} needs a discriminator whose "
                        f"backbone is {spec['backbone']!r} and trains (name: projected, backbone: "
                        f"{spec['backbone']}, finetune: true); {spec['discriminator']!r} is not one")
    if design is not None and design["name"] == "vit" and cfg["transfer"]["crop"] % design.get("patch_size", 8):
        problems.append(f"{where}: transfer.crop {cfg['transfer']['crop']} is not a multiple of the ViT "
                        f"design's patch_size {design.get('patch_size', 8)}")
    label = transfer_checkpoint_label(cfg, name)
    arms = [RANDOM_INIT, DISC_INIT] + ([label] if label else [])
    unknown = [i for i in spec["inits"] if i not in arms]
    if unknown:
        problems.append(f"{where}.inits: {unknown} are not inits of this backbone; use {arms} (the published "
                        "checkpoint is named by its pre-training, asym.config.WEIGHTS_LABELS)")
    if label and set(arms) - set(spec["inits"]):
        problems.append(f"{where}.inits: a backbone with a published checkpoint is trained from random, from "
                        f"that checkpoint ({label}) and from a discriminator ({DISC_INIT}); add "
                        f"{sorted(set(arms) - set(spec['inits']))}")
    if label in spec["inits"] and transfer_weights(cfg, name, label) is None:
        problems.append(f"{where}: init {label} needs 'weights' (path to the pinned checkpoint file)")
    if DISC_INIT in spec["inits"]:
        problems += _disc_arm_problems(cfg, name, design)
    return problems


def _disc_arm_problems(cfg: dict, name: str, design: dict | None) -> list[str]:
    spec, where = cfg["transfer"]["backbones"][name], f"transfer.backbones.{name}"
    if design is None:
        return [f"{where}: init {DISC_INIT!r} needs 'discriminator' (the design whose trained weights it reuses)"]
    src = spec.get("disc_runs")
    if not src:
        return [(f"{where}: init {DISC_INIT!r} needs disc_runs: {{loss: <a loss>, setting: <a GAN setting of "
                 f"{spec['discriminator']!r}>}} (its runs of every optimize seed are drawn from)")]
    setting = next((a for a in cfg["optimize"]["adversarial"] if a["name"] == src["setting"]), None)
    if setting is None or setting.get("discriminator") != spec["discriminator"]:
        return [(f"{where}.disc_runs.setting: {src['setting']!r} is not an adversarial setting that trains the "
                 f"{spec['discriminator']!r} discriminator")]
    if not transfer_disc_runs(cfg, name):
        return [f"{where}.disc_runs: setting {src['setting']!r} is not trained with loss {src['loss']!r}"]
    return []


def transfer_jobs(cfg: dict) -> list[str]:
    """Names ``<backbone>__<init>__<dataset>__s<seed>`` of every transfer job (none without a transfer section)."""
    t = cfg.get("transfer")
    if not t:
        return []
    return [f"{b}__{init}__{d}__s{seed}" for b, spec in t["backbones"].items() for init in spec["inits"]
            for d in t["datasets"] for seed in t["split_seeds"]]


def transfer_mode(cfg: dict, dataset: str) -> str:
    """'nr' or 'fr' for the transfer models trained on ``dataset`` (transfer.dataset_modes, else mode)."""
    t = cfg["transfer"]
    return t.get("dataset_modes", {}).get(dataset, t["mode"])


def transfer_weights(cfg: dict, backbone: str, init: str) -> str | None:
    """The pinned weights file a transfer job reads, if any (an input of its rule).

    The checkpoint arm (``imagenet``, ``dinov2``, ...) reads the entry's ``weights`` (a
    projected design's own ``weights`` otherwise); the ``disc`` arm of a design on
    pinned weights rebuilds that design, which reads the design's file before the GAN
    run's state replaces it.
    """
    spec = cfg["transfer"]["backbones"][backbone]
    design = cfg["optimize"]["discriminators"].get(spec.get("discriminator", ""), {})
    if init == DISC_INIT:
        return design.get("weights") if design.get("init") == "imagenet" else None
    if init != RANDOM_INIT:
        return spec.get("weights", design.get("weights"))
    return None


def transfer_spec(cfg: dict, job: str) -> dict:
    """Everything one transfer job needs, as a JSON-serializable dict (see asym.transfer.train_iqa).

    A discriminator source carries its design as built: ``design`` (the constructor
    name, e.g. "projected") and ``args`` (the rest of optimize.discriminators.<name>).
    Drawn weights differ per split: ``init_seed`` is the entry's (default 0) plus the
    split seed. The ``disc`` arm names its GAN run (``disc_run``, :func:`transfer_disc_run`).
    """
    backbone, init, dataset, seed = job.rsplit("__", 3)
    t, split_seed = cfg["transfer"], int(seed[1:])
    source = copy.deepcopy(t["backbones"][backbone])
    source.pop("inits")
    source.pop("disc_runs", None)
    source["init_seed"] = source.get("init_seed", 0) + split_seed
    if "discriminator" in source:
        args = copy.deepcopy(cfg["optimize"]["discriminators"][source["discriminator"]])
        source["design"] = args.pop("name")
        source["args"] = args
    keys = ("test_fraction", "steps", "batch_size", "crop", "lr", "backbone_lr_scale", "stages", "hidden", "n_boot")
    return {"name": backbone, "init": init, "dataset": dataset, "split_seed": split_seed, "backbone": source,
            "disc_run": transfer_disc_run(cfg, backbone, split_seed) if init == DISC_INIT else None,
            "mode": transfer_mode(cfg, dataset), "resize": t.get("resize"), "device": cfg["device"],
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


# Config key -> environment variable of the weight caches it sets (see apply_weight_caches).
WEIGHT_CACHE_VARIABLES = {"torch_home": "TORCH_HOME", "hf_hub_cache": "HF_HUB_CACHE"}


def apply_weight_caches(cfg: dict) -> dict[str, str]:
    """Point ``TORCH_HOME`` and ``HF_HUB_CACHE`` at the config's ``torch_home`` and
    ``hf_hub_cache`` (absolute), for this process and the jobs it starts: pyiqa and
    torchvision look for their weight files under the first, timm's Hugging Face hub
    backbones (TOPIQ, MANIQA) in the second. pyiqa and huggingface_hub fix their folders
    when first imported, so call this before. Returns {variable: path} of those set."""
    out = {}
    for key, variable in WEIGHT_CACHE_VARIABLES.items():
        if cfg.get(key):
            os.environ[variable] = out[variable] = str(Path(cfg[key]).resolve())
    return out


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


# GPU switches of optimize (schema defaults: what a CPU run wants).
GPU_SWITCHES = {"precision": "fp32", "channels_last": False, "compile": False}


def train_spec(cfg: dict, run: Run) -> dict:
    """Everything one training job needs, as a JSON-serializable dict.

    The workflow passes this through ``params:``, so Snakemake reruns a training job
    exactly when something in its own spec changes, not when an unrelated key does.
    With ``optimize.pretrain``, ``init`` names the pretrained generator of the run's
    seed (:func:`pretrain_file`) and carries the pretrain settings; without, None.
    """
    opt = cfg["optimize"]
    keys = ("generator", "steps", "batch_size", "patch_size", "lr_g", "lr_d", "betas", "checkpoint_every", "log_every")
    spec = {"run": run.as_dict(), "device": cfg["device"], "loss": metric_spec(cfg, run.fidelity)}
    spec.update({k: copy.deepcopy(opt[k]) for k in keys})
    spec.update({k: opt.get(k, default) for k, default in GPU_SWITCHES.items()})
    spec["kernels"] = kernels(cfg)
    spec["discriminator"] = copy.deepcopy(opt["discriminators"][run.discriminator]) if run.adversarial else None
    pre = opt.get("pretrain")
    spec["init"] = None if pre is None else {"path": pretrain_file(cfg, run.seed), "pretrain": copy.deepcopy(pre)}
    return spec


def generator_tag(cfg: dict) -> str:
    """``<name>-x<upscale>-<hash>`` of optimize.generator: one pretrained file per generator setting."""
    gen = cfg["optimize"]["generator"]
    digest = hashlib.sha1(dumps(gen).encode()).hexdigest()[:8]
    return f"{gen['name']}-x{gen['upscale']}-{digest}"


def pretrain_file(cfg: dict, seed: int) -> str:
    """Where rule pretrain_sr writes the pretrained generator every run of ``seed`` starts from."""
    return f"{cfg['results']}/optimize/pretrain/{generator_tag(cfg)}__s{seed}/final.pt"


def pretrain_spec(cfg: dict, seed: int) -> dict:
    """The spec of ``python -m asym.optimize.train_sr`` that makes :func:`pretrain_file` for ``seed``.

    ``{official: path}`` imports a published checkpoint (no training); ``{steps, loss, lr}``
    is an ordinary training run without discriminator (the ESRGAN recipe: pixel-loss
    pretraining), with the batch and patch size of optimize unless the block sets them.
    """
    opt, pre = cfg["optimize"], cfg["optimize"].get("pretrain")
    if pre is None:
        raise ConfigError("optimize.pretrain is not set: runs start from a random generator, nothing to pretrain")
    name = f"pretrain/{generator_tag(cfg)}__s{seed}"
    if "official" in pre:
        return {"run": {"name": name, "seed": int(seed)}, "generator": copy.deepcopy(opt["generator"]),
                "official": pre["official"], "key": pre.get("key")}
    run = Run(name=name, fidelity=pre["loss"], adversarial=False, setting="pretrain", discriminator="none",
              gan_weight=0.0, objective="none", seed=int(seed))
    spec = train_spec(cfg, run)  # no discriminator (run.adversarial is False)
    spec.update(steps=pre["steps"], lr_g=pre["lr"], init=None)
    spec.update({k: pre[k] for k in ("batch_size", "patch_size") if k in pre})
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
    """analysis.main_gan_setting: the name of the adversarial setting C1/C2 rank as "with GAN"
    (matched against the evaluation table's ``setting`` column), or None (pool all GAN runs)."""
    return cfg["analysis"].get("main_gan_setting")


def metric_spec(cfg: dict, name: str) -> dict:
    """A metric as its jobs build it: a metric with ``fit`` uses its fitted weights file."""
    spec = _named_spec(cfg, name)
    fit = spec.pop("fit", None)
    if fit is not None:
        spec["fitted"] = fitted_file(cfg, name)
        spec["fitted_on"] = fit["dataset"]  # assessment on this set keeps only the held-out references
    return spec


def fitted_file(cfg: dict, name: str) -> str:
    """Where the workflow writes a metric's fitted alpha/beta (``python -m asym.assess.fit_metric``)."""
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
    """The metric to fit (without ``fit``/``fitted``) and how, for ``python -m asym.assess.fit_metric``."""
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

    from asym.io import write_text

    parser = argparse.ArgumentParser(description="Validate a workflow config, or write a snapshot of one.")
    parser.add_argument("--check", type=Path, help="config YAML to validate")
    parser.add_argument("--json", help="config as JSON (what the workflow ran with)")
    parser.add_argument("--out", type=Path, help="where to write the validated snapshot as YAML")
    args = parser.parse_args(argv)
    cfg = load_config(args.check) if args.check else validate(json.loads(args.json or "null"), "--json")
    if args.out:
        write_text(yaml.safe_dump(cfg, sort_keys=False), args.out)
    else:
        print(f"valid: {len(runs(cfg))} training runs, {len(cfg['assess']['metrics'])} assessed metrics")


if __name__ == "__main__":
    import asym.errors

    asym.errors.run(main)
