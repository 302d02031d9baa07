"""Transfer stage: IQA models on reused backbones (random, published checkpoint or discriminator init).

Run: ``python -m pytest -q tests/transfer/test_train_iqa.py`` (about half a minute: two 2-step
GAN runs, a few 3-step fine-tunings on tiny sets).
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from asym.config import (
    ConfigError,
    load_config,
    run_by_name,
    train_spec,
    transfer_checkpoint_label,
    transfer_jobs,
    transfer_mode,
    transfer_spec,
    validate,
)
from asym.nets.discriminators import ProjectedDiscriminator
from asym.optimize.final import load_discriminator
from asym.optimize.train_sr import train
from asym.transfer.train_iqa import (
    TRANSFER_COLUMNS,
    IQAModel,
    ProjectedTrunk,
    backbone_family,
    build_trunk,
    load_image,
    run,
)
from tests.iqa_fixtures import build_koniq10k

REPO = Path(__file__).resolve().parents[2]
# A projected design small enough for tests: timm's ResNet-18 (a features_only CNN) as
# the frozen backbone, patch heads on its first two stages.
PROJECTED = {"name": "projected", "backbone": "resnet18", "init": "random", "init_seed": 3,
             "stages": [1, 2], "head": "patch", "hidden": 8, "spectral_norm": True}


@pytest.fixture(scope="module")
def gan_final(tiny_cfg, tiny_workdir, tmp_path_factory):
    spec = dict(train_spec(tiny_cfg, run_by_name(tiny_cfg, "l1__patchgan-w0.1__s0")), steps=2)
    out = tmp_path_factory.mktemp("gan")
    train(spec, tiny_workdir / tiny_cfg["data"]["sr_train"], out, progress=False)
    return out / "final.pt"


@pytest.fixture(scope="module")
def projected_cfg(tiny_cfg):
    """The tiny config with a projected design, a GAN run with it and a transfer entry on it."""
    cfg = copy.deepcopy(tiny_cfg)
    cfg["optimize"]["discriminators"]["proj"] = dict(PROJECTED)
    cfg["optimize"]["adversarial"].append(
        {"name": "proj-w0.1", "discriminator": "proj", "gan_weight": 0.1, "objective": "hinge", "losses": ["l1"]})
    cfg["transfer"]["backbones"]["proj_resnet18"] = {
        "discriminator": "proj", "disc_runs": {"loss": "l1", "setting": "proj-w0.1"}, "weights": "unused-here.pth",
        "inits": ["random", "imagenet", "disc"]}
    return validate(cfg)


@pytest.fixture(scope="module")
def projected_final(projected_cfg, tiny_workdir, tmp_path_factory):
    spec = dict(train_spec(projected_cfg, run_by_name(projected_cfg, "l1__proj-w0.1__s0")), steps=2)
    out = tmp_path_factory.mktemp("gan-projected")
    train(spec, tiny_workdir / projected_cfg["data"]["sr_train"], out, progress=False)
    return out / "final.pt"


def _spec(cfg, init, backbone=None):
    job = next(j for j in transfer_jobs(cfg) if j.split("__")[1] == init and backbone in (None, j.split("__")[0]))
    return transfer_spec(cfg, job)


# ---------------------------------------------------------------- conv / ViT trunks

def test_discriminator_init_carries_the_trained_weights(tiny_cfg, gan_final):
    disc, _ = load_discriminator(gan_final)
    trunk = build_trunk(_spec(tiny_cfg, "disc")["backbone"], "disc", gan_final)
    first = next(trunk.parameters())
    assert torch.equal(first, next(disc.trunk().parameters()))
    random_trunk = build_trunk(_spec(tiny_cfg, "random")["backbone"], "random")
    assert not torch.equal(next(random_trunk.parameters()), first)
    assert all(p.requires_grad for p in trunk.parameters())


def test_discriminator_init_needs_the_file_and_the_same_design(tiny_cfg, gan_final):
    backbone = _spec(tiny_cfg, "disc")["backbone"]
    with pytest.raises(ValueError, match="--discriminator"):
        build_trunk(backbone, "disc", None)
    with pytest.raises(ValueError, match="not the configured 'patchgan' design"):
        build_trunk({**backbone, "args": {**backbone["args"], "ndf": 16}}, "disc", gan_final)
    with pytest.raises(ValueError, match="'vit'"):
        build_trunk({**backbone, "design": "vit", "args": {}}, "disc", gan_final)
    with pytest.raises(ValueError, match="only projected designs"):
        build_trunk(backbone, "imagenet")


@pytest.mark.parametrize("mode", ["nr", "fr"])
def test_iqa_model_gives_one_score_per_image_with_gradients(tiny_cfg, mode):
    model = IQAModel(build_trunk(_spec(tiny_cfg, "random")["backbone"], "random"), stages=2, hidden=8, mode=mode)
    x, r = torch.rand(3, 3, 32, 32), torch.rand(3, 3, 32, 32)
    y = model(x, r)
    assert y.shape == (3,)
    y.sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.head.parameters())


def test_backbone_family_comes_from_the_source_configuration():
    assert backbone_family({"backbone": "vgg16"}) == "conv"
    assert backbone_family({"backbone": "dinov2_vits14"}) == "transformer"
    assert backbone_family({"discriminator": "mine", "design": "vit"}) == "transformer"
    assert backbone_family({"discriminator": "vit"}) == "transformer"
    assert backbone_family({"discriminator": "p", "design": "projected", "args": {"backbone": "swin_t"}}) == "transformer"
    assert backbone_family({"discriminator": "p", "design": "projected", "args": {"backbone": "resnet50"}}) == "conv"
    assert backbone_family({"discriminator": "patchgan"}) == "conv"


def test_transfer_run_returns_the_contract_row(tiny_cfg, tiny_workdir, gan_final):
    spec = _spec(tiny_cfg, "disc")
    root = tiny_workdir / tiny_cfg["data"]["iqa_sets"]["synthetic"]["root"]
    row = run(spec, "synthetic", root, gan_final)
    assert list(row) == TRANSFER_COLUMNS
    assert row["init"] == "disc" and row["n"] > 0
    assert row["scope"] == "within_distortion"  # the synthetic set's levels: SRCC within each type
    assert -1 <= row["srcc"] <= 1 and not math.isnan(row["srcc"])
    assert row["srcc_ci_low"] <= row["srcc"] + 1e-9 <= row["srcc_ci_high"] + 2e-9
    assert row["backbone_family"] == backbone_family(spec["backbone"]) == "conv"  # the tiny config's PatchGAN


def test_full_reference_variant_runs_on_the_same_code(tiny_cfg, tiny_workdir):
    spec = dict(_spec(tiny_cfg, "random"), mode="fr")
    root = tiny_workdir / tiny_cfg["data"]["iqa_sets"]["synthetic"]["root"]
    row = run(spec, "synthetic", root)
    nr = run(dict(spec, mode="nr"), "synthetic", root)
    assert row["n"] == nr["n"] and not math.isnan(row["srcc"])
    assert row["srcc"] != nr["srcc"] or row["plcc"] != nr["plcc"]  # a different model, not a relabel


# ---------------------------------------------------------------- no-reference sets

def koniq_like(root: Path, n: int = 12) -> Path:
    """A KonIQ-10k layout with ``n`` 24x24 images (grey level follows MOS)."""
    # MOS from 1.2 to 4.8 and MOS_zscore (rescaled to 0-100 as released; the reader's default label)
    rows = [(f"{1000 + k}.jpg", round(1.2 + 3.6 * k / (n - 1), 2), round(10 + 80 * k / (n - 1), 2))
            for k in range(n)]
    return build_koniq10k(root, rows=rows, size=24)


def test_no_reference_set_trains_split_by_image(tiny_cfg, tmp_path):
    root = koniq_like(tmp_path / "koniq10k")
    spec = dict(_spec(tiny_cfg, "random"), dataset="koniq10k", test_fraction=0.5, n_boot=50)
    row = run(spec, "koniq10k", root)
    assert row["n"] == 6 and row["dataset"] == "koniq10k"  # half of 12 photographs, each its own content
    assert -1 <= row["srcc"] <= 1 and row["srcc_ci_low"] <= row["srcc_ci_high"]
    with pytest.raises(ValueError, match="no-reference"):
        run(dict(spec, mode="fr"), "koniq10k", root)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message shown where no GPU is")
def test_cuda_without_a_gpu_is_a_clear_error(tiny_cfg, tiny_workdir):
    root = tiny_workdir / tiny_cfg["data"]["iqa_sets"]["synthetic"]["root"]
    with pytest.raises(RuntimeError, match="set device: cpu"):
        run(dict(_spec(tiny_cfg, "random"), device="cuda"), "synthetic", root)


def test_resize_sets_the_shorter_side(tmp_path):
    Image.new("RGB", (60, 40), (10, 200, 30)).save(tmp_path / "wide.png")
    img = load_image(str(tmp_path / "wide.png"), resize=20)
    assert img.dtype == torch.uint8 and tuple(img.shape) == (3, 20, 30)
    assert tuple(load_image(str(tmp_path / "wide.png")).shape) == (3, 40, 60)
    assert torch.allclose(img.float().mean((1, 2)), torch.tensor([10.0, 200.0, 30.0]), atol=1.0)


# ---------------------------------------------------------------- projected discriminators

def test_projected_trunk_is_backbone_plus_the_heads_projection():
    torch.manual_seed(0)
    disc = ProjectedDiscriminator(**{k: v for k, v in PROJECTED.items() if k != "name"}).eval()
    trunk = ProjectedTrunk(disc).eval()
    x = torch.rand(2, 3, 32, 32)
    feats = trunk(x)
    assert trunk.channels == [3, 64, 64, 8, 8] and [f.shape[1] for f in feats] == trunk.channels
    # The projection IS the discriminator's layer: its logit conv on top reproduces the
    # discriminator's per-stage logits, and the trunk shares (not copies) the parameters.
    with torch.no_grad():
        logits = [head[2](p) for head, p in zip(disc.head, feats[-2:])]
        size = logits[0].shape[-2:]
        up = torch.nn.functional.interpolate(logits[1], size=size, mode="bilinear", align_corners=False)
        assert torch.allclose(disc(x), (logits[0] + up) / 2, atol=1e-6)
    assert trunk.project[0][0] is disc.head[0][0]
    assert {id(p) for p in trunk.parameters()} <= {id(p) for p in disc.parameters()}


def test_projected_image_head_trunk_pools_without_nan():
    disc = ProjectedDiscriminator(backbone="resnet18", stages=[2], head="image", hidden=6)
    model = IQAModel(ProjectedTrunk(disc), stages=2, hidden=8)
    assert model.trunk.channels == [3, 64, 64, 6]
    y = model(torch.rand(3, 3, 32, 32))
    y.sum().backward()
    assert torch.isfinite(y).all()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)


def test_projected_inits_differ_only_where_they_should(projected_cfg, projected_final, tmp_path):
    import timm

    # A stand-in for the pinned ImageNet file: a ResNet-18 state dict in timm's layout.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(123)
        pinned = timm.create_model("resnet18", pretrained=False).state_dict()
    torch.save(pinned, tmp_path / "resnet18.pth")
    source = _spec(projected_cfg, "random", "proj_resnet18")["backbone"]
    assert source["design"] == "projected" and source["args"]["backbone"] == "resnet18"
    random_ = build_trunk(source, "random")
    imagenet = build_trunk({**source, "weights": str(tmp_path / "resnet18.pth")}, "imagenet")
    learned = build_trunk(source, "disc", projected_final)
    disc, _ = load_discriminator(projected_final)

    def backbone(trunk):
        return trunk.backbone.state_dict()

    def projection(trunk):
        return [p.detach().clone() for p in trunk.project.parameters()]

    # ImageNet init: the pinned backbone, the same random projection as init random.
    assert torch.equal(backbone(imagenet)["body.conv1.weight"], pinned["conv1.weight"])
    assert not torch.equal(backbone(random_)["body.conv1.weight"], pinned["conv1.weight"])
    assert all(torch.equal(a, b) for a, b in zip(projection(random_), projection(imagenet)))
    # Discriminator init: the backbone the GAN run had (frozen there, so its own init) and
    # the projection it learned, which is not the random one.
    assert all(torch.equal(v, disc.backbone.state_dict()[k]) for k, v in backbone(learned).items())
    assert all(torch.equal(a, b) for a, b in zip(projection(learned), [p.detach() for h in disc.head
                                                                       for p in h[0].parameters()]))
    assert not all(torch.equal(a, b) for a, b in zip(projection(learned), projection(random_)))
    assert all(p.requires_grad for p in learned.parameters())  # fine-tuned end to end


def test_projected_discriminator_transfer_run(projected_cfg, projected_final, tiny_workdir):
    spec = _spec(projected_cfg, "disc", "proj_resnet18")
    root = tiny_workdir / projected_cfg["data"]["iqa_sets"]["synthetic"]["root"]
    row = run(spec, "synthetic", root, projected_final)
    assert row["backbone"] == "proj_resnet18" and row["init"] == "disc"
    assert not math.isnan(row["srcc"])


# ---------------------------------------------------------------- configuration

def test_transfer_config_modes_and_checks(projected_cfg):
    cfg = copy.deepcopy(projected_cfg)
    cfg["data"]["iqa_sets"]["koniq10k"] = {"kind": "koniq10k", "root": "data/koniq10k"}
    cfg["transfer"]["datasets"] = ["synthetic", "koniq10k"]
    cfg["transfer"]["dataset_modes"] = {"synthetic": "fr"}
    validate(cfg)
    assert transfer_mode(cfg, "synthetic") == "fr" and transfer_mode(cfg, "koniq10k") == "nr"
    specs = {j: transfer_spec(cfg, j) for j in transfer_jobs(cfg)}
    assert {s["mode"] for s in specs.values() if s["dataset"] == "synthetic"} == {"fr"}
    assert {s["mode"] for s in specs.values() if s["dataset"] == "koniq10k"} == {"nr"}
    assert all(s["device"] == cfg["device"] for s in specs.values())

    def problems(change):
        bad = copy.deepcopy(cfg)
        change(bad)
        with pytest.raises(ConfigError) as info:
            validate(bad)
        return str(info.value)

    assert "cannot train a full-reference" in problems(
        lambda c: c["transfer"]["dataset_modes"].update(koniq10k="fr"))
    assert "not in transfer.datasets" in problems(lambda c: c["transfer"]["dataset_modes"].update(tqd="fr"))
    assert "are not inits of this backbone; use ['random', 'disc']" in problems(
        lambda c: c["transfer"]["backbones"]["patchgan"]["inits"].append("imagenet"))
    assert "needs 'weights'" in problems(lambda c: c["transfer"]["backbones"]["proj_resnet18"].pop("weights"))
    assert "no reference images" in problems(lambda c: c["assess"]["datasets"].append("koniq10k"))

    def vit_trunk(c):
        c["optimize"]["discriminators"]["vit"] = {"name": "vit", "patch_size": 6}
        c["transfer"]["backbones"]["vit"] = {"discriminator": "vit", "inits": ["random"]}

    assert "not a multiple of the ViT design's patch_size 6" in problems(vit_trunk)


def test_paper_transfer_section():
    cfg = load_config(REPO / "workflow" / "config" / "paper.yaml")
    t, sets = cfg["transfer"], cfg["data"]["iqa_sets"]
    kinds = {sets[d]["kind"] for d in t["datasets"]}
    assert {"koniq10k", "spaq", "livechallenge", "kadid10k", "tqd"} <= kinds
    assert all(sets[d]["root"] == f"data/paper/iqa/{d}" for d in t["datasets"])
    assert {d: transfer_mode(cfg, d) for d in t["datasets"] if transfer_mode(cfg, d) == "fr"} == {"tqd": "fr"}
    assert len(t["split_seeds"]) >= 3 and t["test_fraction"] == 0.2
    designs = {n: cfg["optimize"]["discriminators"][b["discriminator"]]["name"]
               for n, b in t["backbones"].items() if "discriminator" in b}
    assert {"patchgan", "vit", "projected"} <= set(designs.values())
    for name, design in designs.items():
        assert "disc" in t["backbones"][name]["inits"] and "random" in t["backbones"][name]["inits"]
        if design == "projected":
            assert transfer_checkpoint_label(cfg, name) in t["backbones"][name]["inits"]
    jobs = transfer_jobs(cfg)
    assert len(jobs) == len(set(jobs)) and all(np.isfinite(transfer_spec(cfg, j)["lr"]) for j in jobs)


# ---------------------------------------------------------------- C3 on equal footing

@pytest.fixture(scope="module")
def demo_cfg():
    return load_config(REPO / "workflow" / "config" / "demo.yaml")


def test_random_arm_draws_new_weights_per_split(demo_cfg):
    specs = {j: transfer_spec(demo_cfg, j) for j in transfer_jobs(demo_cfg) if j.split("__")[:2] == ["patchgan", "random"]}
    seeds = sorted((s["split_seed"], s["backbone"]["init_seed"]) for s in specs.values())
    assert seeds == [(0, 0), (1, 1), (2, 2)]  # init seed follows the split, never reused
    trunks = [build_trunk(s["backbone"], "random") for s in specs.values()]
    firsts = [next(t.parameters()).detach() for t in trunks]
    assert not torch.equal(firsts[0], firsts[1]) and not torch.equal(firsts[1], firsts[2])


def test_disc_arm_takes_the_gan_runs_of_several_seeds(demo_cfg):
    from asym.config import transfer_disc_run, transfer_disc_runs

    assert transfer_disc_runs(demo_cfg, "patchgan") == ["l1__patchgan-w0.05__s0", "l1__patchgan-w0.05__s1"]
    by_split = {transfer_spec(demo_cfg, j)["split_seed"]: transfer_spec(demo_cfg, j)["disc_run"]
                for j in transfer_jobs(demo_cfg) if j.split("__")[:2] == ["patchgan", "disc"]}
    # split i reuses the run of optimize seed i mod 2: both seeds' discriminators are used
    assert by_split == {0: "l1__patchgan-w0.05__s0", 1: "l1__patchgan-w0.05__s1", 2: "l1__patchgan-w0.05__s0"}
    assert transfer_disc_run(demo_cfg, "patchgan", 1) == by_split[1]
    assert all(transfer_spec(demo_cfg, j)["disc_run"] is None for j in transfer_jobs(demo_cfg) if "__random__" in j)


def test_paper_backbones_with_a_checkpoint_have_all_three_arms_named_by_their_weights():
    cfg = load_config(REPO / "workflow" / "config" / "paper.yaml")
    backbones = cfg["transfer"]["backbones"]
    labels = {name: transfer_checkpoint_label(cfg, name) for name in backbones}
    assert labels["dinov2_vits14"] == labels["projected_dinov2"] == "dinov2"  # self-supervised, not ImageNet
    assert labels["vgg16"] == labels["resnet50"] == labels["projected_resnet50"] == "imagenet"
    assert labels["patchgan"] is None and labels["vit"] is None
    for name, label in labels.items():
        arms = {"random", "disc"} | ({label} if label else set())
        assert set(backbones[name]["inits"]) == arms, name
    # a named backbone's disc arm is a discriminator that trained that very network
    for name in ("vgg16", "resnet50", "dinov2_vits14"):
        design = cfg["optimize"]["discriminators"][backbones[name]["discriminator"]]
        assert design["backbone"] == backbones[name]["backbone"] and design["finetune"] is True
        runs_ = {transfer_spec(cfg, f"{name}__disc__kadid10k__s{s}")["disc_run"] for s in cfg["transfer"]["split_seeds"]}
        assert len(runs_) == len(cfg["optimize"]["seeds"])  # one GAN run per seed


def test_config_rejects_a_misnamed_or_missing_arm():
    cfg = load_config(REPO / "workflow" / "config" / "paper.yaml")

    def problems(change):
        bad = copy.deepcopy(cfg)
        change(bad["transfer"]["backbones"])
        with pytest.raises(ConfigError) as info:
            validate(bad)
        return str(info.value)

    def imagenet_dinov2(b):
        b["dinov2_vits14"]["inits"] = ["random", "imagenet", "disc"]

    text = problems(imagenet_dinov2)
    assert "transfer.backbones.dinov2_vits14.inits: ['imagenet'] are not inits" in text and "dinov2" in text
    assert "add ['disc']" in problems(lambda b: b["vgg16"].update(inits=["random", "imagenet"]))
    assert "finetune: true" in problems(lambda b: b["vgg16"].update(discriminator="projected_vgg16_patch"))
    assert "finetune: true" in problems(lambda b: b["vgg16"].update(discriminator="resnet50_patch_ft"))


def test_named_backbone_disc_arm_is_the_network_a_gan_run_trained(tiny_cfg, tiny_workdir, tmp_path, projected_final):
    cfg = copy.deepcopy(tiny_cfg)
    cfg["optimize"]["discriminators"]["r18_ft"] = {**PROJECTED, "finetune": True}
    cfg["optimize"]["adversarial"].append(
        {"name": "r18_ft-w0.1", "discriminator": "r18_ft", "gan_weight": 0.1, "objective": "hinge", "losses": ["l1"]})
    cfg["transfer"]["backbones"]["resnet18"] = {
        "backbone": "resnet18", "weights": "unused-here.pth", "discriminator": "r18_ft",
        "disc_runs": {"loss": "l1", "setting": "r18_ft-w0.1"}, "inits": ["random", "imagenet", "disc"]}
    cfg = validate(cfg)
    spec = dict(train_spec(cfg, run_by_name(cfg, "l1__r18_ft-w0.1__s0")), steps=2)
    train(spec, tiny_workdir / cfg["data"]["sr_train"], tmp_path / "gan", progress=False)
    final = tmp_path / "gan" / "final.pt"
    source = _spec(cfg, "disc", "resnet18")["backbone"]
    trunk = build_trunk(source, "disc", final)
    disc, _ = load_discriminator(final)
    fresh = ProjectedDiscriminator(**{k: v for k, v in PROJECTED.items() if k != "name"}, finetune=True)
    trained, drawn = trunk.state_dict(), fresh.backbone.state_dict()
    assert trained.keys() == drawn.keys() and all(torch.equal(trained[k], disc.backbone.state_dict()[k]) for k in trained)
    # the GAN run moved the backbone itself (finetune), so this arm is not the drawn start
    assert any(not torch.equal(trained[k], drawn[k]) for k in trained if k.endswith("weight"))
    assert all(p.requires_grad for p in trunk.parameters())
    # a run of another design is refused; so is a frozen (projected) design, whose backbone learned nothing
    with pytest.raises(ValueError, match="not the configured 'r18_ft' design"):
        build_trunk({**source, "args": {**source["args"], "finetune": False}}, "disc", final)
    frozen = {"backbone": "resnet18", "discriminator": "proj", "design": "projected",
              "args": {k: v for k, v in PROJECTED.items() if k != "name"}}
    with pytest.raises(ValueError, match="finetune: true"):
        build_trunk(frozen, "disc", projected_final)


def test_finetune_discriminator_trains_its_backbone_with_fixed_norm_statistics():
    disc = ProjectedDiscriminator(**{k: v for k, v in PROJECTED.items() if k != "name"}, finetune=True).train()
    frozen = ProjectedDiscriminator(**{k: v for k, v in PROJECTED.items() if k != "name"}).train()
    assert all(p.requires_grad for p in disc.backbone.parameters())
    assert not any(p.requires_grad for p in frozen.backbone.parameters())
    assert not disc.backbone.training  # batch-norm statistics stay as drawn / pre-trained
    disc.requires_grad_(False)
    assert not any(p.requires_grad for p in disc.parameters())
    disc.requires_grad_(True)
    before = {k: v.clone() for k, v in disc.backbone.state_dict().items()}
    opt = torch.optim.SGD([p for p in disc.parameters() if p.requires_grad], lr=0.1)
    disc(torch.rand(2, 3, 32, 32)).mean().backward()
    opt.step()
    after = disc.backbone.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before if k.endswith("weight"))
    assert all(torch.equal(before[k], after[k]) for k in before if "running" in k)


def test_every_named_backbone_has_a_weights_label():
    from asym.config import WEIGHTS_LABELS
    from asym.nets.backbones import BACKBONES

    assert set(BACKBONES) <= set(WEIGHTS_LABELS)
    assert WEIGHTS_LABELS["dinov2_vits14"] == "dinov2" and WEIGHTS_LABELS["clip_vit_b16"] == "clip"
