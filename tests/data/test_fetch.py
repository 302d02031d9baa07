"""asym.data.fetch against a loopback HTTP server: verified installs, clear refusals, no partial data.

Archives are small fixtures in the official layouts (tests/iqa_fixtures.py), served from
127.0.0.1 through the lab-mirror variable; nothing else is contacted.
"""

from __future__ import annotations

import hashlib
import http.server
import io
import shutil
import subprocess
import tarfile
import threading
import zipfile
from pathlib import Path

import pytest
import yaml

from asym.data import fetch as F
from asym.data.iqa_sets import load_iqa_set
from tests.iqa_fixtures import BUILDERS, write_image

REPO = Path(__file__).resolve().parents[2]
KADID_PATH = "/datasets.vqa.mmsp-kn.de/archives/kadid10k.zip"  # official address, under the mirror


class LoopbackServer:
    """Serves ``files`` ({path: bytes}) on 127.0.0.1; paths in ``truncate`` send half the body, then close."""

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.truncate: set[str] = set()
        self.requests: list[str] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # http.server's method name
                server.requests.append(self.path)
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.path in server.truncate:
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(monkeypatch):
    srv = LoopbackServer()
    monkeypatch.setenv(F.MIRROR_ENV, srv.url)
    yield srv
    srv.close()


def zip_folder(folder: Path, prefix: str) -> bytes:
    """The files under ``folder`` as a zip whose members start with ``prefix/`` (the official wrapper folder)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, f"{prefix}/{path.relative_to(folder)}" if prefix else str(path.relative_to(folder)))
    return buffer.getvalue()


def kadid_zip(tmp: Path) -> bytes:
    return zip_folder(BUILDERS["kadid10k"](tmp / "kadid10k-src"), "kadid10k")


def pinned(name: str, files: dict[str, bytes]) -> dict:
    return {name: {f: {"sha256": hashlib.sha256(b).hexdigest(), "size": len(b)} for f, b in files.items()}}


def real_sources() -> dict:
    return F.load_sources(REPO / "data" / "paper" / "sources.yaml", REPO / "data" / "paper" / "weights.yaml")


def leftovers(folder: Path) -> list[str]:
    """Temporary files or folders the fetch may have left (its names start with a dot)."""
    return sorted(str(p) for p in folder.rglob(".*")) if folder.exists() else []


@pytest.fixture
def work(tmp_path, monkeypatch):
    """Run in an empty folder: data/paper, data/downloads and the checksum file are relative paths."""
    root = tmp_path / "repo"
    root.mkdir()
    monkeypatch.chdir(root)
    return root


def test_fetch_verifies_extracts_and_installs_a_readable_set(work, server):
    archive = kadid_zip(work.parent)
    server.files[KADID_PATH] = archive
    target = F.fetch("kadid10k", real_sources(), pinned("kadid10k", {"kadid10k.zip": archive}))
    assert target == Path("data/paper/iqa/kadid10k")
    table = load_iqa_set("kadid10k", target)
    assert len(table) == 3 and table["mos"].between(1, 5).all()
    assert server.requests == [KADID_PATH]
    assert sorted(p.name for p in target.parent.iterdir()) == ["kadid10k"]  # no temporaries beside it


def test_unpinned_source_is_refused_before_any_download(work, server):
    server.files[KADID_PATH] = kadid_zip(work.parent)
    with pytest.raises(F.FetchError) as err:
        F.fetch("kadid10k", real_sources(), {"kadid10k": None})
    text = str(err.value)
    assert "no checksum recorded for kadid10k.zip" in text
    assert "https://datasets.vqa.mmsp-kn.de/archives/kadid10k.zip" in text
    assert "python -m asym.data.fetch pin kadid10k" in text and "checksums.yaml" in text
    assert server.requests == [] and not Path("data").exists()


def test_corrupted_download_is_rejected_and_leaves_nothing(work, server):
    archive = kadid_zip(work.parent)
    corrupted = archive[:100] + bytes([archive[100] ^ 0xFF]) + archive[101:]
    server.files[KADID_PATH] = corrupted
    with pytest.raises(F.FetchError) as err:
        F.fetch("kadid10k", real_sources(), pinned("kadid10k", {"kadid10k.zip": archive}))
    text = str(err.value)
    assert "kadid10k" in text and "sha256 mismatch" in text and f"{server.url}{KADID_PATH}" in text
    assert f"expected {hashlib.sha256(archive).hexdigest()}" in text
    assert f"got      {hashlib.sha256(corrupted).hexdigest()}" in text
    assert not Path("data").exists()  # neither a partial folder nor the folders it created


def test_truncated_download_is_rejected_and_leaves_nothing(work, server):
    archive = kadid_zip(work.parent)
    server.files[KADID_PATH] = archive
    server.truncate.add(KADID_PATH)
    with pytest.raises(F.FetchError) as err:
        F.fetch("kadid10k", real_sources(), pinned("kadid10k", {"kadid10k.zip": archive}))
    text = str(err.value)
    assert "truncated" in text and f"of {len(archive)} bytes" in text and "kadid10k" in text
    assert not Path("data").exists()


def test_existing_data_survive_a_failed_refetch_and_a_good_one_replaces_them(work, server):
    archive = kadid_zip(work.parent)
    checksums = pinned("kadid10k", {"kadid10k.zip": archive})
    server.files[KADID_PATH] = archive
    target = F.fetch("kadid10k", real_sources(), checksums)
    (target / "marker.txt").write_text("old copy")
    before = sorted((p.relative_to(target), p.read_bytes()) for p in target.rglob("*") if p.is_file())
    server.files[KADID_PATH] = archive[:-10] + b"0123456789"  # same size, other bytes
    with pytest.raises(F.FetchError, match="sha256 mismatch"):
        F.fetch("kadid10k", real_sources(), checksums)
    after = sorted((p.relative_to(target), p.read_bytes()) for p in target.rglob("*") if p.is_file())
    assert after == before and leftovers(target.parent) == []
    server.files[KADID_PATH] = archive
    F.fetch("kadid10k", real_sources(), checksums)
    assert not (target / "marker.txt").exists() and len(load_iqa_set("kadid10k", target)) == 3


def test_wrong_layout_is_rejected_with_the_readers_message(work, server):
    src = BUILDERS["kadid10k"](work.parent / "bad")
    (src / "dmos.csv").unlink()
    archive = zip_folder(src, "kadid10k")
    server.files[KADID_PATH] = archive
    with pytest.raises(F.FetchError) as err:
        F.fetch("kadid10k", real_sources(), pinned("kadid10k", {"kadid10k.zip": archive}))
    assert "layout the kadid10k reader expects" in str(err.value) and "dmos.csv" in str(err.value)
    assert not Path("data").exists()


def test_manual_source_explains_where_to_get_it_then_pins_and_installs_from_downloads(work, server):
    sources = real_sources()
    with pytest.raises(F.FetchError) as err:
        F.fetch("live", sources, {"live": None})  # instructions come first, pinned or not
    text = str(err.value)
    assert "must be obtained by hand" in text
    assert "https://live.ece.utexas.edu/research/quality/subjective.htm" in text
    assert str((work / "data" / "downloads" / "databaserelease2.zip").resolve()) in text
    assert server.requests == [] and not Path("data/paper").exists()

    archive = zip_folder(BUILDERS["live"](work.parent / "live-src"), "databaserelease2")
    Path("data/downloads").mkdir(parents=True)
    Path("data/downloads/databaserelease2.zip").write_bytes(archive)
    checksum_file = Path("checksums.yaml")
    F.pin("live", sources=sources, checksums_path=checksum_file)
    recorded = yaml.safe_load(checksum_file.read_text())
    assert recorded == pinned("live", {"databaserelease2.zip": archive})
    with pytest.raises(F.FetchError, match="already pinned"):
        F.pin("live", sources=sources, checksums_path=checksum_file)
    target = F.fetch("live", sources, recorded)
    assert len(load_iqa_set("live", target)) == 5
    assert Path("data/downloads/databaserelease2.zip").read_bytes() == archive  # the user's copy is kept


def test_pin_downloads_records_and_the_next_fetch_uses_the_kept_archive(work, server):
    archive = kadid_zip(work.parent)
    server.files[KADID_PATH] = archive
    F.pin("kadid10k", sources=real_sources(), checksums_path=Path("c.yaml"))
    assert Path("data/downloads/kadid10k.zip").read_bytes() == archive
    assert leftovers(Path("data")) == []
    F.fetch("kadid10k", real_sources(), F.load_checksums(Path("c.yaml")))
    assert server.requests == [KADID_PATH]  # fetched once, by pin


def test_zip_and_tar_merge_into_one_folder_and_the_file_count_is_checked(work, server):
    src = work.parent / "sr"
    for k in range(3):
        write_image(src / "DIV2K_train_HR" / f"{k:04d}.png")
    for k in range(2):
        write_image(src / "Flickr2K" / "Flickr2K_HR" / f"{k:06d}.png")
    write_image(src / "Flickr2K" / "Flickr2K_LR_bicubic" / "X4" / "000000x4.png")  # not taken
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tf:
        tf.add(src / "Flickr2K", "Flickr2K")
    files = {"/h/DIV2K_train_HR.zip": zip_folder(src / "DIV2K_train_HR", "DIV2K_train_HR"),
             "/h/Flickr2K.tar": buffer.getvalue()}
    server.files.update(files)

    def source(count):
        return F.Source(name="sr", target=Path("data/sr/HR"), expect={"glob": "*.png", "count": count}, archives=[
            F.Archive("DIV2K_train_HR.zip", "https://h/DIV2K_train_HR.zip", "zip", take="DIV2K_train_HR"),
            F.Archive("Flickr2K.tar", "https://h/Flickr2K.tar", "tar", take="Flickr2K/Flickr2K_HR")])

    checksums = pinned("sr", {Path(k).name: v for k, v in files.items()})
    with pytest.raises(F.FetchError, match="5 files match '\\*.png' after extraction, expected 6"):
        F.fetch("sr", {"sr": source(6)}, checksums)
    assert not Path("data").exists()
    target = F.fetch("sr", {"sr": source(5)}, checksums)
    assert sorted(p.name for p in target.iterdir()) == sorted(["0000.png", "0001.png", "0002.png", "000000.png", "000001.png"])


def test_weight_file_is_checked_against_the_sha256_prefix_in_its_torchvision_name(work, server):
    good = b"pretend weights" * 100
    prefix = hashlib.sha256(good).hexdigest()[:8]
    url = f"https://download.pytorch.org/models/tiny-{prefix}.pth"
    source = F.Source(name="tiny", target=Path(f"data/weights/tiny-{prefix}.pth"), section="weights",
                      archives=[F.Archive(f"tiny-{prefix}.pth", url, "file")])
    server.files[f"/download.pytorch.org/models/tiny-{prefix}.pth"] = b"x" + good[1:]
    with pytest.raises(F.FetchError) as err:
        F.fetch("tiny", {"tiny": source}, {})
    assert f"expected {prefix}... (sha256 prefix in the torchvision file name)" in str(err.value)
    assert not Path("data").exists()
    server.files[f"/download.pytorch.org/models/tiny-{prefix}.pth"] = good
    assert F.fetch("tiny", {"tiny": source}, {}).read_bytes() == good
    assert leftovers(Path("data")) == []


def test_mirror_replaces_only_the_host(monkeypatch):
    monkeypatch.setenv(F.MIRROR_ENV, "https://mirror.lab.example/data/")
    assert F.mirror_url("https://download.pytorch.org/models/vgg16-397923af.pth") == \
        "https://mirror.lab.example/data/download.pytorch.org/models/vgg16-397923af.pth"
    monkeypatch.delenv(F.MIRROR_ENV)
    assert F.mirror_url("https://h/x.zip") == "https://h/x.zip"


def test_every_path_the_paper_config_reads_has_a_fetch_stage():
    from asym.config import load_config

    cfg = load_config(REPO / "workflow" / "config" / "paper.yaml")
    stages = F.dvc_stages(cfg, real_sources())
    assert sorted(stages) == sorted(F.config_paths(cfg))
    assert stages["data/paper/iqa/kadid10k"] == ("kadid10k", "data/paper/dvc.yaml:data@kadid10k")
    assert stages["data/weights/vgg16-397923af.pth"][1] == "data/paper/dvc.yaml:weights@vgg16-397923af"
    checksums = F.load_checksums(REPO / "data" / "paper" / "checksums.yaml")
    assert set(checksums) == set(real_sources())  # every source has its params key for DVC


def test_demo_config_gets_no_fetch_stage(tiny_cfg):
    assert F.dvc_stages(tiny_cfg, real_sources()) == {}


@pytest.mark.slow  # builds every pyiqa metric of the paper config in a dry run (~10 s)
def test_weights_manifest_is_up_to_date_with_the_registry(monkeypatch):
    from asym.config import load_config

    monkeypatch.chdir(REPO)
    cfg = load_config("workflow/config/paper.yaml")
    assert (REPO / "data" / "paper" / "weights.yaml").read_text() == \
        F.weights_manifest_text(cfg, "workflow/config/paper.yaml")


def test_hub_backbone_is_installed_as_a_hub_cache_entry_timm_loads_offline(work, server):
    # TOPIQ and MANIQA build timm backbones "pretrained" from the Hugging Face hub. The fetch
    # lays the verified file out as a hub cache entry; a job with HF_HUB_CACHE there (the
    # paper config's hf_hub_cache) and no network loads exactly those weights.
    import os
    import subprocess
    import sys

    import timm
    import torch
    from safetensors.torch import save

    torch.manual_seed(0)
    model = timm.create_model("test_resnet.r160_in1k", pretrained=False)
    body = save({k: v.contiguous() for k, v in model.state_dict().items()})
    repo = "timm/test_resnet.r160_in1k"
    Path("data/paper").mkdir(parents=True)
    Path("data/paper/sources.yaml").write_text("datasets: {}\n")
    Path("data/paper/weights.yaml").write_text(yaml.safe_dump({"weights": {"hub_test": {
        "target": "data/weights/hf/models--timm--test_resnet.r160_in1k", "layout": "hf-hub-cache",
        "url": f"https://huggingface.co/{repo}/resolve/main/model.safetensors"}}}))
    sources = F.load_sources(Path("data/paper/sources.yaml"), Path("data/paper/weights.yaml"))
    archive = sources["hub_test"].archives[0]
    assert archive.file == "models--timm--test_resnet.r160_in1k--model.safetensors"  # unique in data/downloads
    server.files[f"/huggingface.co/{repo}/resolve/main/model.safetensors"] = body
    with pytest.raises(F.FetchError, match="no checksum recorded"):  # hub addresses carry no hash: pin first
        F.fetch("hub_test", sources, {})
    target = F.fetch("hub_test", sources, pinned("hub_test", {archive.file: body}))
    revision = (target / "refs" / "main").read_text()
    assert revision == hashlib.sha256(body).hexdigest()[:40]
    assert (target / "snapshots" / revision / "model.safetensors").read_bytes() == body
    assert leftovers(Path("data")) == []
    script = ("import timm, torch; from asym.offline import _hf_present\n"
              f"m = timm.create_model('test_resnet.r160_in1k', pretrained=True)\n"
              f"print(_hf_present('{repo}'), float(sum(p.double().sum() for p in m.state_dict().values())))")
    env = {**os.environ, "HF_HUB_CACHE": str(Path("data/weights/hf").resolve()), "HF_HUB_OFFLINE": "1",
           "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", script], check=False, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    present, total = out.stdout.split()
    assert present == "True"
    assert float(total) == pytest.approx(float(sum(p.double().sum() for p in model.state_dict().values())), rel=1e-9)


# ---------------------------------------------------------------- the sets' real distributions

def _pin_downloads(name: str, sources: dict) -> dict:
    """Pin what lies in data/downloads for ``name`` (as a lab does once) and return the checksums."""
    F.pin(name, sources=sources, checksums_path=Path("c.yaml"))
    return F.load_checksums(Path("c.yaml"))


def test_split_zip_join_gives_the_members_back_byte_for_byte(tmp_path):
    from asym.data import splitzip
    from tests.iqa_fixtures import write_split_zip

    folder = tmp_path / "TestImage"
    for k in range(5):
        (folder).mkdir(exist_ok=True)
        (folder / f"{k:05d}.jpg").write_bytes(bytes(range(256)) * (k + 3))
    parts = write_split_zip(folder, tmp_path / "dl" / "SPAQ.zip", part_size=700)
    assert [p.name for p in parts[:-1]] == splitzip.part_names("SPAQ.zip", len(parts) - 1)
    assert splitzip.part_count(parts[-1]) == len(parts) > 2
    joined = splitzip.join(parts[-1], parts[:-1], tmp_path / "joined.zip")
    with zipfile.ZipFile(joined) as zf:
        assert zf.testzip() is None and splitzip.part_count(joined) == 1
        for k in range(5):
            assert zf.read(f"TestImage/{k:05d}.jpg") == (folder / f"{k:05d}.jpg").read_bytes()
    with pytest.raises(splitzip.SplitZipError, match=f"has {len(parts)} parts, {len(parts) - 1} were given"):
        splitzip.join(parts[-1], parts[1:-1], tmp_path / "short.zip")


@pytest.mark.skipif(shutil.which("zip") is None, reason="Info-ZIP's zip is not installed")
@pytest.mark.parametrize("flags", [[], ["-fz"]], ids=["zip32", "zip64"])  # -fz: ZIP64 records, as large sets need
def test_split_zip_written_by_info_zip_is_joined(tmp_path, flags):
    from asym.data import splitzip

    folder = tmp_path / "TestImage"
    folder.mkdir()
    for k in range(6):
        (folder / f"{k:05d}.jpg").write_bytes(hashlib.sha256(bytes([k])).digest() * 1200)
    subprocess.run(["zip", "-q", "-0", *flags, "-r", "-s", "64k", str(tmp_path / "SPAQ.zip"), "TestImage"],
                   cwd=tmp_path, check=True)
    parts = sorted(tmp_path.glob("SPAQ.z[0-9][0-9]"))  # the parts before SPAQ.zip
    assert len(parts) >= 2 and splitzip.part_count(tmp_path / "SPAQ.zip") == len(parts) + 1
    with zipfile.ZipFile(splitzip.join(tmp_path / "SPAQ.zip", parts, tmp_path / "joined.zip")) as zf:
        assert zf.testzip() is None and len(zf.namelist()) == 7  # the folder entry and six files


def test_spaq_split_zip_and_annotations_outside_it_are_fetched(work):
    from tests.iqa_fixtures import build_spaq, write_split_zip

    sources = real_sources()
    src = build_spaq(work.parent / "spaq-src")
    downloads = Path("data/downloads")
    for size in range(800, 100, -20):  # the part size that makes seven parts, as SPAQ has
        parts = write_split_zip(src / "TestImage", downloads / "SPAQ.zip", part_size=size)
        if len(parts) == 7:
            break
    assert [p.name for p in parts] == sources["spaq"].archives[0].files()  # SPAQ.z01 ... z06, SPAQ.zip
    shutil.copy(src / "Annotations" / "MOS and Image attribute scores.xlsx", downloads)
    parts[2].rename(work / "z03.away")
    with pytest.raises(F.FetchError) as err:  # a missing part: where to get it, and that all seven are needed
        F.fetch("spaq", sources, {})
    assert "SPAQ.z03 must be obtained by hand" in str(err.value) and "split zip" in str(err.value)
    (work / "z03.away").rename(parts[2])
    target = F.fetch("spaq", sources, _pin_downloads("spaq", sources))
    table = load_iqa_set("spaq", target)
    assert len(table) == 4 and table["mos"].between(0, 100).all()
    assert (target / "TestImage" / "00001.jpg").is_file() and (target / "Annotations").is_dir()
    assert leftovers(Path("data")) == []


def test_last_part_of_a_split_zip_alone_is_refused_with_the_instruction(work):
    from tests.iqa_fixtures import build_spaq, write_split_zip

    src = build_spaq(work.parent / "spaq-src")
    parts = write_split_zip(src / "TestImage", Path("data/downloads/SPAQ.zip"), part_size=600)
    source = F.Source(name="spaq", target=Path("data/spaq"), kind="spaq", manual=True,
                      archives=[F.Archive("SPAQ.zip", None, "zip", into="TestImage")])  # parts not declared
    with pytest.raises(F.FetchError) as err:
        F.fetch("spaq", {"spaq": source}, pinned("spaq", {"SPAQ.zip": parts[-1].read_bytes()}))
    text = str(err.value)
    assert f"split zip of {len(parts)} parts" in text and "SPAQ.z01" in text and "`parts`" in text
    assert "zip -s 0" in text and not Path("data/spaq").exists()


def test_csiq_from_the_authors_site_zips_with_and_without_top_folder_and_upper_case_folders(work, server):
    pytest.importorskip("openpyxl")
    import pandas as pd

    from tests.iqa_fixtures import build_csiq

    src = build_csiq(work.parent / "csiq-src", upper_case_folders=True)
    cells = [[None] * 7, [None, "image", "dst_idx", "dst_type", "dst_lev", "dmos_std", "dmos"],
             [None, 1600, 1, "noise", 1, 0.061, 0.062], [None, 1600, 5, "blur", 2, 0.05, 0.3],
             [None, "cactus", 3, "jpeg 2000", 3, 0.1, 0.5], [None, "cactus", 6, "contrast", 4, 0.1, 0.21]]
    pd.DataFrame(cells).to_excel(work.parent / "csiq.DMOS.xlsx", sheet_name="all_by_image", header=False,
                                 index=False)
    base = "/s2.smu.edu/~eclarson/csiq/"
    files = {base + "src_imgs.zip": zip_folder(src / "src_imgs", ""),  # no top folder
             base + "dst_imgs.zip": zip_folder(src / "dst_imgs", "DST_IMGS"),  # a top folder, upper case
             base + "csiq.DMOS.xlsx": (work.parent / "csiq.DMOS.xlsx").read_bytes()}
    server.files.update(files)
    sources = real_sources()
    assert not sources["csiq"].manual  # served directly, no form
    target = F.fetch("csiq", sources, pinned("csiq", {Path(k).name: v for k, v in files.items()}))
    table = load_iqa_set("csiq", target)
    assert len(table) == 4 and (table["mos"] == -table["mos_raw"]).all()
    assert sorted(p.name for p in target.iterdir()) == ["csiq.DMOS.xlsx", "dst_imgs", "src_imgs"]
    assert (target / "dst_imgs" / "AWGN" / "1600.AWGN.1.png").is_file()
    assert sorted(server.requests) == sorted(files)


def test_pipal_reference_label_and_four_distortion_archives(work):
    from tests.iqa_fixtures import build_pipal

    src = build_pipal(work.parent / "pipal-src")  # Distortion_1, Distortion_2 hold the fixture's images
    downloads = Path("data/downloads")
    downloads.mkdir(parents=True)
    (downloads / "Train_Ref.zip").write_bytes(zip_folder(src / "Train_Ref", "Train_Ref"))
    (downloads / "Train_Label.zip").write_bytes(zip_folder(src / "Train_Label", ""))
    for k in range(1, 5):
        folder = src / f"Distortion_{k}"
        folder.mkdir(exist_ok=True)
        (downloads / f"Distortion_{k}.zip").write_bytes(zip_folder(folder, f"Distortion_{k}" if k % 2 else ""))
    sources = real_sources()
    assert [a.file for a in sources["pipal"].archives] == ["Train_Ref.zip", "Train_Label.zip"] + \
        [f"Distortion_{k}.zip" for k in range(1, 5)]
    target = F.fetch("pipal", sources, _pin_downloads("pipal", sources))
    table = load_iqa_set("pipal", target)
    assert len(table) == 3 and {Path(p).parent.name for p in table["distorted"]} == {"Distortion_1", "Distortion_2"}


def test_tqd_with_distance_scores_is_refused_without_a_declared_direction(work):
    from tests.iqa_fixtures import build_tqd

    src = build_tqd(work.parent / "tqd-src")
    (src / "mos.csv").write_text("ref_name,dist_name,dmos\n"  # distances: lower = better
                                 "reference/bark.png,distorted/bark_synth1.png,0.12\n"
                                 "reference/bark.png,distorted/bark_jpeg3.png,0.64\n"
                                 "reference/sand.png,distorted/sand_synth1.png,0.3\n")
    Path("data/downloads").mkdir(parents=True)
    Path("data/downloads/tqd.zip").write_bytes(zip_folder(src, ""))
    sources = real_sources()
    checksums = _pin_downloads("tqd", sources)
    with pytest.raises(F.FetchError) as err:
        F.fetch("tqd", sources, checksums)
    text = str(err.value)
    assert "needs 'direction'" in text and "data/paper/iqa/tqd" in text and not Path("data/paper").exists()
    cfg = {"data": {"iqa_sets": {"tqd": {"kind": "tqd", "root": "data/paper/iqa/tqd",
                                         "direction": "lower_better", "score_range": [0, 1]}}}}
    options = F.reader_options_for(sources["tqd"], cfg)
    assert options == {"direction": "lower_better", "score_range": [0, 1]}
    target = F.fetch("tqd", sources, checksums, reader_options=options)
    table = load_iqa_set("tqd", target, options)
    assert list(table["mos"]) == [-0.12, -0.64, -0.3]  # the least distant image ranks best
    with pytest.raises(F.FetchError, match="outside the accepted range"):  # a declared scale is checked
        F.fetch("tqd", sources, checksums, reader_options={"direction": "lower_better", "score_range": [0, 0.5]})
    assert len(load_iqa_set("tqd", target, options)) == 3  # the installed copy survives the failed refetch


def test_sources_name_the_real_distributions():
    sources = real_sources()
    assert "dingkeyan93/DISTS" in sources["tqd"].page and "DISTS authors" in sources["tqd"].title
    assert "notice" in sources["live"].licence and "any purpose" in sources["live"].licence
    assert [a.into for a in sources["spaq"].archives] == ["TestImage", "Annotations"]
    assert all(a.url and a.url.startswith("https://s2.smu.edu/~eclarson/csiq/") for a in sources["csiq"].archives)
