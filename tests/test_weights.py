"""`asym weights check`: needed files listed with path, presence and source; never the network."""

from __future__ import annotations

import copy
import io
import socket

import pytest
import yaml

from asym.weights import NetworkBlocked, _pyiqa_dry_run, check, metric_requirements


@pytest.fixture
def hub(tmp_path, monkeypatch):
    """Empty torch hub and pyiqa caches under tmp_path."""
    from pyiqa.utils import download_util

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr(download_util, "DEFAULT_CACHE_DIR", str(tmp_path / "torch" / "hub" / "pyiqa"))
    return tmp_path / "torch" / "hub"


def _cfg(tiny_cfg, metrics: dict) -> dict:
    cfg = copy.deepcopy(tiny_cfg)
    cfg["metrics"].update(metrics)
    cfg["assess"]["metrics"] = list(cfg["assess"]["metrics"]) + list(metrics)
    return cfg


def test_lists_missing_files_with_sources_then_passes_once_present(tiny_cfg, tmp_path, hub):
    weights, fitted = tmp_path / "w" / "vgg16.pth", tmp_path / "fitted" / "d.pt"
    cfg = _cfg(tiny_cfg, {
        "dists_vgg16": {"kind": "dists_style", "backbone": "vgg16", "init": "imagenet", "weights": str(weights),
                        "group": "vgg16"},
        "dists_vgg16-R-fit": {"kind": "dists_style", "backbone": "vgg16", "init": "random", "group": "vgg16",
                              "fitted": str(fitted)},
        "lpips": {"kind": "pyiqa", "name": "lpips", "group": "lpips"},
    })
    out = io.StringIO()
    assert check(cfg, out) == 1
    text = out.getvalue()
    assert f"{weights}\tMISSING\thttps://download.pytorch.org/models/vgg16-397923af.pth" in text
    assert f"{fitted}\tMISSING\tpython -m asym.assess.fit_metric" in text
    lpips_file = hub / "pyiqa" / "LPIPS_v0.1_alex-df73285e.pth"
    alex_file = hub / "checkpoints" / "alexnet-owt-7be5be79.pth"
    assert f"{lpips_file}\tMISSING\thttps://huggingface.co/chaofengc/IQA-PyTorch-Weights" in text
    assert f"{alex_file}\tMISSING\thttps://download.pytorch.org/models/alexnet-owt-7be5be79.pth" in text
    assert "5 files needed, 4 missing" in text  # + the tiny config's fitted weights, made by the workflow
    for path in (weights, fitted, lpips_file, alex_file):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"not read by the check")
    out = io.StringIO()
    assert check(cfg, out) == 0
    assert "5 files needed, 0 missing" in out.getvalue()


def test_files_the_workflow_makes_are_listed_but_never_missing(tiny_cfg):
    out = io.StringIO()
    assert check(tiny_cfg, out) == 0  # l1, psnr, ssim, gmsd and a random-weight DISTS-style metric with fit:
    text = out.getvalue()
    assert "results/assess/fitted/dists_vgg16-R.pt\tmade by the workflow" in text
    assert "1 files needed, 0 missing" in text


def test_metrics_without_files_need_nothing():
    assert metric_requirements("r", {"kind": "dists_style", "backbone": "swin_t", "init": "random"}) == ([], [])
    assert metric_requirements("s", {"kind": "pyiqa", "name": "ssim"}) == ([], [])


def test_cli_subcommand_exits_1_when_a_file_is_missing(tiny_cfg, tmp_path, capsys):
    from asym.cli import main

    cfg = _cfg(tiny_cfg, {"dists_dinov2": {"kind": "dists_style", "backbone": "dinov2_vits14", "init": "imagenet",
                                           "weights": str(tmp_path / "dinov2.pth"), "group": "dinov2"}})
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg))
    with pytest.raises(SystemExit) as exit_info:
        main(["weights", "check", "--config", str(path)])
    assert exit_info.value.code == 1
    assert "dinov2_vits14_pretrain.pth" in capsys.readouterr().out


def test_dry_run_blocks_the_network_and_restores_pyiqa(hub):
    from pyiqa.archs import arch_util

    original = arch_util.load_pretrained_network
    with _pyiqa_dry_run([]):
        with pytest.raises(NetworkBlocked):
            socket.create_connection(("example.org", 80))
        with pytest.raises(NetworkBlocked):
            socket.socket().connect(("127.0.0.1", 9))
    assert arch_util.load_pretrained_network is original
    metric_requirements("l", {"kind": "pyiqa", "name": "lpips-vgg"})
    from pyiqa.archs import lpips_arch

    assert lpips_arch.load_pretrained_network is original


def test_pyiqa_metric_with_missing_weights_fails_at_once_naming_each_file(hub, monkeypatch):
    """Building a loss/evaluator whose weights are absent never reaches pyiqa's downloader."""
    from pyiqa.utils import download_util

    from asym.assess.fidelity import build_metric
    from asym.nets.backbones import WeightsMissingError

    def no_download(*args, **kwargs):  # the test fails loudly if pyiqa's real downloader is reached
        raise AssertionError("pyiqa's downloader was called")

    monkeypatch.setattr(download_util, "download_file_from_url", no_download, raising=False)
    with pytest.raises(WeightsMissingError) as err:
        build_metric({"name": "my_lpips", "kind": "pyiqa", "pyiqa_name": "lpips", "group": "alexnet"})
    message = str(err.value)
    assert "my_lpips" in message and "'lpips'" in message
    assert str(hub / "pyiqa") in message and "LPIPS_v0.1_alex" in message
    assert str(hub / "checkpoints" / "alexnet-owt-7be5be79.pth") in message
    assert "https://" in message and "asym weights check" in message


def test_pyiqa_metric_without_weight_files_builds_and_scores(hub):
    import torch

    from asym.assess.fidelity import build_metric

    metric = build_metric({"name": "gmsd", "kind": "pyiqa", "group": "gradient"})
    ref = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    scores = metric.score(ref.flip(-1), ref)
    assert scores.shape == (2,) and (scores > 0).all()
    assert torch.allclose(metric.score(ref, ref), torch.zeros(2), atol=1e-6)


def test_block_network_raises_instead_of_connecting():
    from asym.weights import block_network

    with block_network(), pytest.raises(NetworkBlocked):
        socket.create_connection(("127.0.0.1", 9))
    # Restored afterwards: connecting to a closed port is refused, not blocked.
    with socket.socket() as s, pytest.raises(ConnectionRefusedError):
        s.connect(("127.0.0.1", 9))


def test_clip_metrics_list_the_clip_model_and_every_file_after_it(hub):
    # A-FINE reads its CLIP model (ViT-B/32) and then its own checkpoint; CLIP-IQA reads
    # CLIP RN50. The dry run stands a random CLIP of the right shape in for the unread
    # checkpoint, so the constructor gets past it: both files are listed, no note.
    from asym.offline import pyiqa_requirements

    reqs, note = pyiqa_requirements("afine", "afine_fr")
    assert note is None
    assert [(r.what, r.path.rsplit("/", 1)[-1], r.present) for r in reqs] == [
        ("CLIP model", "ViT-B-32.pt", False), ("pyiqa weights", "afine.pth", False)]
    reqs, note = pyiqa_requirements("clipiqa", "clipiqa")
    assert note is None and [r.path for r in reqs] == [str(hub / "clip" / "RN50.pt")]
    assert reqs[0].source.endswith("/RN50.pt")


def test_clip_shape_state_dict_gives_the_released_architectures():
    from pyiqa.archs.clip_model import build_model

    from asym.offline import clip_shape_state_dict

    with _pyiqa_dry_run([]):  # load_state_dict is a no-op in the dry run: meta values never read
        vit = build_model(clip_shape_state_dict("ViT-B-32.pt"))
    assert vit.visual.conv1.weight.shape == (768, 3, 32, 32) and vit.visual.input_resolution == 224
    assert len(vit.visual.transformer.resblocks) == 12 and vit.text_projection.shape == (512, 512)
    with pytest.raises(FileNotFoundError, match="no known architecture for CLIP file 'ViT-H-14.pt'"):
        clip_shape_state_dict("ViT-H-14.pt")


def test_arch_module_is_found_by_its_class_not_by_importing_every_arch():
    # MS-SSIM's arch lives in ssim_arch and TOPIQ's CFANet in topiq_arch: pyiqa's name-based
    # lookup misses both and imports all 50 arch modules (transformers included). A fresh
    # interpreter shows that building MS-SSIM's requirements imports only the module it needs.
    import ast
    import subprocess
    import sys

    from asym.offline import import_pyiqa_arch_module

    assert import_pyiqa_arch_module("MS_SSIM") == "pyiqa.archs.ssim_arch"
    assert import_pyiqa_arch_module("SSIM") == "pyiqa.archs.ssim_arch"  # not MS_SSIM's class
    assert import_pyiqa_arch_module("CFANet") == "pyiqa.archs.topiq_arch"
    assert import_pyiqa_arch_module("NoSuchArch") is None
    code = ("import sys; from asym.offline import pyiqa_requirements; "
            "reqs, note = pyiqa_requirements('ms_ssim', 'ms_ssim'); assert reqs == [] and note is None, (reqs, note); "
            "loaded = sorted(m for m in sys.modules if m.startswith('pyiqa.archs.') and m.endswith('_arch')); "
            "print(loaded)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = ast.literal_eval(out)
    assert "pyiqa.archs.ssim_arch" in loaded and "pyiqa.archs.fgresq_arch" not in loaded, loaded
    assert len(loaded) < 10, loaded
