"""Copy the reference photographs out of the installed packages into ``data/raw``.

Command::

    python -m asym.data.collect --out data/raw

Writes ``<out>/references/<name><ext>`` for every entry of
:data:`asym.data.sources.REFERENCES` (byte-for-byte copies, so DVC hashes are
stable across machines with the same package versions) and
``<out>/references/sources.csv`` with one row per photograph
(columns: image, file, package, package_version, relpath, description, licence,
credit, width, height, scene). Files in ``<out>/references`` that are not listed
are removed, so the folder always equals the list. Re-running gives identical files.
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
from pathlib import Path

import pandas as pd
from PIL import Image, UnidentifiedImageError

from asym.data.sources import REFERENCES, locate, package_version
from asym.io import InputError, atomic_path, write_csv

SOURCES_CSV = "sources.csv"
COLUMNS = [
    "image", "file", "package", "package_version", "relpath",
    "description", "licence", "credit", "width", "height",
    # Extra column: photographs of one scene share it; prepare keeps a scene in one split.
    "scene",
]


def image_size(path: Path) -> tuple[int, int]:
    """(width, height) of an image file, read from its header; InputError if unreadable."""
    try:
        with Image.open(path) as im:
            return im.size
    except (UnidentifiedImageError, OSError) as exc:
        raise InputError(f"cannot read reference image {path}: {exc}") from exc


def copy_if_changed(src: Path, dst: Path) -> None:
    """Copy ``src`` to ``dst`` byte-for-byte, atomically; skip when already identical.

    Skipping keeps the modification time of an unchanged file, which spares tools
    that look at mtimes (DVC, Snakemake) needless re-hashing.
    """
    if dst.is_file() and filecmp.cmp(src, dst, shallow=False):
        return
    with atomic_path(dst) as tmp:
        shutil.copyfile(src, tmp)


def remove_stale(folder: Path, keep: set[str]) -> list[str]:
    """Delete files in ``folder`` whose names are not in ``keep``; return their names."""
    removed = []
    for path in sorted(folder.iterdir()):
        if path.name not in keep and (path.is_file() or path.is_symlink()):
            path.unlink()
            removed.append(path.name)
    return removed


def collect(out: str | Path, references: list[dict] = REFERENCES) -> pd.DataFrame:
    """Copy ``references`` into ``<out>/references`` and write its sources.csv.

    Returns the sources table that was written.
    """
    folder = Path(out) / "references"
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    # Locate everything first, so a missing package fails before anything is written.
    located = [(ref, locate(ref)) for ref in sorted(references, key=lambda r: r["name"])]
    for ref, src in located:
        file = ref["name"] + src.suffix.lower()
        copy_if_changed(src, folder / file)
        width, height = image_size(folder / file)
        rows.append({
            "image": ref["name"],
            "file": file,
            "package": ref["package"],
            "package_version": package_version(ref["package"]),
            "relpath": ref["relpath"],
            "description": ref["description"],
            "licence": ref["licence"],
            "credit": ref["credit"],
            "width": width,
            "height": height,
            "scene": ref.get("scene", ref["name"]),
        })
    table = pd.DataFrame(rows, columns=COLUMNS)
    write_csv(table, folder / SOURCES_CSV)
    remove_stale(folder, set(table["file"]) | {SOURCES_CSV})
    return table


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="data/raw", help="raw data folder (default: data/raw)")
    args = parser.parse_args(argv)
    table = collect(args.out)
    print(f"collected {len(table)} reference photographs into {Path(args.out) / 'references'}")


if __name__ == "__main__":
    import asym.errors

    asym.errors.run(main)
