"""Join a split ("spanned") zip archive, ``name.z01`` ... ``name.zNN`` + ``name.zip``, into one zip.

Some data sets ship their images this way (SPAQ: ``SPAQ.zip`` with ``SPAQ.z01`` ...
``SPAQ.z06``), and neither Python's :mod:`zipfile` nor ``unzip`` reads it: in a split
archive every central-directory record gives the number of the part ("disk") its file
starts on and an offset *within that part*. Concatenating the parts in order is not
enough either (the offsets stay relative to their part; that is what ``zip -FF`` or
``zip -s 0`` repair). :func:`join` does the same repair in Python, so no tool has to be
installed: it concatenates the parts, then rewrites the central directory with offsets
into the joined file (ZIP64 fields where an offset no longer fits 32 bits) and part
number 0, and writes a fresh end record. File data are copied byte for byte, so every
member's CRC still checks on extraction.
"""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

from asym.io import InputError

EOCD_SIG, EOCD64_SIG, LOC64_SIG, CDIR_SIG = b"PK\x05\x06", b"PK\x06\x06", b"PK\x06\x07", b"PK\x01\x02"
EOCD = struct.Struct("<4s4H2LH")  # signature, disk, cd disk, entries here, entries, cd size, cd offset, comment
EOCD64 = struct.Struct("<4sQ2H2L4Q")  # signature, record size, made by, needed, disk, cd disk, entries x2, size, offset
LOC64 = struct.Struct("<4sLQL")  # signature, disk of the ZIP64 end record, its offset, number of disks
CDIR = struct.Struct("<4s6H3L5H2L")  # the 46 fixed bytes of a central-directory record
ZIP64_EXTRA = 0x0001
U16, U32 = 0xFFFF, 0xFFFFFFFF


class SplitZipError(InputError):
    """A split archive whose parts are missing, out of order or damaged."""


def part_names(last: str, count: int) -> list[str]:
    """The names of the first parts of a split archive: ``SPAQ.zip``, 6 -> ``SPAQ.z01`` ... ``SPAQ.z06``."""
    stem = last[:-4] if last.lower().endswith(".zip") else last
    return [f"{stem}.z{k:02d}" for k in range(1, count + 1)]


def _end_records(tail: bytes, tail_start: int, name: str) -> dict:
    """The end-of-central-directory values (ZIP64 ones where present) from the last part's tail."""
    at = tail.rfind(EOCD_SIG)
    if at < 0 or len(tail) - at < EOCD.size:
        raise SplitZipError(f"{name}: no zip end record; is it the last part (.zip) of the split archive, "
                            "and complete?")
    _, disk, cd_disk, _, entries, cd_size, cd_offset, comment = EOCD.unpack_from(tail, at)
    end = {"disk": disk, "cd_disk": cd_disk, "entries": entries, "cd_size": cd_size,
           "cd_offset": cd_offset, "comment": tail[at + EOCD.size: at + EOCD.size + comment],
           "eocd_at": tail_start + at}
    loc = at - LOC64.size
    if loc >= 0 and tail[loc:loc + 4] == LOC64_SIG:
        _, disk64, offset64, _ = LOC64.unpack_from(tail, loc)
        end["loc64"] = (disk64, offset64)
    return end


def _fix_record(record: bytes, extra: bytes, starts: list[int], name: str) -> tuple[bytes, bytes]:
    """One central-directory record with its offset made absolute and its part number 0."""
    fields = list(CDIR.unpack(record))
    csize, usize, disk, offset = fields[8], fields[9], fields[13], fields[16]
    kept, values = b"", {}
    pos = 0
    while pos + 4 <= len(extra):
        ident, size = struct.unpack_from("<2H", extra, pos)
        body = extra[pos + 4: pos + 4 + size]
        if ident == ZIP64_EXTRA:
            at = 0
            for field, wide in (("usize", usize == U32), ("csize", csize == U32), ("offset", offset == U32)):
                if wide:
                    values[field] = struct.unpack_from("<Q", body, at)[0]
                    at += 8
            if disk == U16:
                values["disk"] = struct.unpack_from("<L", body, at)[0]
        else:
            kept += extra[pos: pos + 4 + size]
        pos += 4 + size
    disk, offset = values.get("disk", disk), values.get("offset", offset)
    if disk >= len(starts):
        raise SplitZipError(f"{name}: a member starts on part {disk + 1}, but only {len(starts)} parts were given")
    absolute = starts[disk] + offset
    wide = b"".join(struct.pack("<Q", values[f]) for f in ("usize", "csize") if f in values)
    if absolute >= U32:
        wide += struct.pack("<Q", absolute)
    fields[13], fields[16] = 0, min(absolute, U32)
    new_extra = kept + (struct.pack("<2H", ZIP64_EXTRA, len(wide)) + wide if wide else b"")
    fields[11] = len(new_extra)
    return CDIR.pack(*fields), new_extra


def join(last: Path, parts: list[Path], out: Path) -> Path:
    """Join the split archive ``parts`` (``.z01`` ... in order) + ``last`` (``.zip``) into ``out``, one zip."""
    segments = [*parts, last]
    missing = [str(p) for p in segments if not p.is_file()]
    if missing:
        raise SplitZipError(f"{last.name}: part(s) of the split archive missing: {', '.join(missing)}; "
                            "all parts (.z01, .z02, ... and .zip) must lie side by side")
    starts, total = [], 0
    with open(out, "wb") as sink:
        for segment in segments:
            starts.append(total)
            with open(segment, "rb") as source:
                shutil.copyfileobj(source, sink, 1 << 20)
            total += segment.stat().st_size
    with open(out, "r+b") as joined:
        tail_start = max(starts[-1], total - (1 << 16) - EOCD.size - LOC64.size - EOCD64.size)
        joined.seek(tail_start)
        end = _end_records(joined.read(), tail_start, last.name)
        if "loc64" in end:
            disk64, offset64 = end["loc64"]
            joined.seek(starts[disk64] + offset64)
            record = joined.read(EOCD64.size)
            if record[:4] != EOCD64_SIG:
                raise SplitZipError(f"{last.name}: damaged ZIP64 end record")
            _, _, _, _, disk, cd_disk, _, entries, cd_size, cd_offset = EOCD64.unpack(record)
            end.update(disk=disk, cd_disk=cd_disk, entries=entries, cd_size=cd_size, cd_offset=cd_offset)
        if end["disk"] + 1 != len(segments):
            raise SplitZipError(f"{last.name}: the archive has {end['disk'] + 1} parts, {len(segments)} were "
                                f"given ({', '.join(p.name for p in segments)})")
        cd_start = starts[end["cd_disk"]] + end["cd_offset"]
        joined.seek(cd_start)
        directory = joined.read(end["cd_size"])
        records, pos = [], 0
        for _ in range(end["entries"]):
            if directory[pos:pos + 4] != CDIR_SIG:
                raise SplitZipError(f"{last.name}: damaged central directory (record {len(records) + 1})")
            fields = CDIR.unpack_from(directory, pos)
            name_len, extra_len, comment_len = fields[10], fields[11], fields[12]
            name_end = pos + CDIR.size + name_len
            fixed, extra = _fix_record(directory[pos:pos + CDIR.size], directory[name_end:name_end + extra_len],
                                       starts, last.name)
            records.append(fixed + directory[pos + CDIR.size:name_end] + extra
                           + directory[name_end + extra_len:name_end + extra_len + comment_len])
            pos = name_end + extra_len + comment_len
        new_directory = b"".join(records)
        joined.seek(cd_start)
        joined.truncate()
        joined.write(new_directory)
        entries, size = len(records), len(new_directory)
        if entries >= U16 or size >= U32 or cd_start >= U32:
            eocd64_at = cd_start + size
            joined.write(EOCD64.pack(EOCD64_SIG, EOCD64.size - 12, 45, 45, 0, 0, entries, entries, size, cd_start))
            joined.write(LOC64.pack(LOC64_SIG, 0, eocd64_at, 1))
            joined.write(EOCD.pack(EOCD_SIG, 0, 0, U16, U16, U32, U32, len(end["comment"])) + end["comment"])
        else:
            joined.write(EOCD.pack(EOCD_SIG, 0, 0, entries, entries, size, cd_start, len(end["comment"]))
                         + end["comment"])
    return out


def part_count(path: Path) -> int:
    """How many parts the archive whose last part is ``path`` has (1 for an ordinary zip; 0: no zip end record)."""
    with open(path, "rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        start = max(0, size - (1 << 16) - EOCD.size - LOC64.size)
        handle.seek(start)
        tail = handle.read()
    try:
        end = _end_records(tail, start, Path(path).name)
    except SplitZipError:
        return 0
    if "loc64" in end:
        return end["loc64"][0] + 1 if end["disk"] == U16 else end["disk"] + 1
    return end["disk"] + 1
