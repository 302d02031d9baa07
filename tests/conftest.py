"""Shared fixtures: the tiny config and a tiny prepared data set (built once per session)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")
torch.set_num_threads(1)

REPO = Path(__file__).resolve().parent.parent
TINY_CONFIG = REPO / "tests" / "configs" / "tiny.yaml"

# Devices the hand-written autograd functions are checked on: the CPU always, and CUDA
# where the machine has it, so `make test` on a GPU machine checks their CUDA paths too
# (CI has no GPU: there these tests run on the CPU only, nothing is skipped).
DEVICES = ["cpu"] + ([pytest.param("cuda", marks=pytest.mark.gpu)] if torch.cuda.is_available() else [])


@pytest.fixture(params=DEVICES)
def device(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def tiny_cfg() -> dict:
    from asym.config import load_config

    return load_config(TINY_CONFIG)


@pytest.fixture(scope="session")
def tiny_workdir(tmp_path_factory, tiny_cfg) -> Path:
    """A work folder holding data/raw (collected) and data/tiny (prepared) as tiny.yaml expects."""
    from asym.data.collect import collect
    from asym.data.prepare import prepare

    work = tmp_path_factory.mktemp("tiny")
    collect(work / "data" / "raw")
    prepare(work / "data" / "raw", work / tiny_cfg["data"]["root"], tiny_cfg["data"]["prepare"])
    return work
