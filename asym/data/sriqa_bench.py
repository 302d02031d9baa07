"""Reader of SRIQA-Bench: human paired comparisons of super-resolution outputs.

SRIQA-Bench (Chen, Wu, Ma, Zhang, CVPR 2025, with A-FINE), https://github.com/ChrisDud0257/AFINE:
100 reference images, each super-resolved by 10 SR methods (2 regression, 8 generative);
all 45 pairs of methods per image judged by several people, and per image a Thurstone
scale fitted to them. Handed out through Google Drive (manual download, see
``data/paper/sources.yaml``). Layout, as the authors' own loaders read it::

    <root>/images/Original/<content>_Original.png        reference
    <root>/images/<Method>/<content>_<Method>.png         SR outputs
    <root>/labels/<person>/<content>/<any>.json          one judged pair per file:
        {"Picture_01": {"Name": "<content>_<A>.png", "Label": "Positive"|"Similar"|"Negative"},
         "Picture_02": {"Name": "<content>_<B>.png", "Label": ...}}
    <root>/MOS/<content>.txt                             "<content>_<Method>.png,<score>" lines
                                                         (their Thurstone fit, higher = better)

A pair's winner is the picture with the better label (Positive > Similar > Negative);
equal labels are a tie. :func:`load_sriqa_pairs` pools the people per (content, A, B) and
returns ``content, a, b, image_a, image_b, reference, wins_a, wins_b, ties, n, human_pref_a``
(``human_pref_a`` = (wins_a + ties / 2) / n) with ``source == "labels"``. Where a copy has
no ``labels/`` folder, the pairs come from ``MOS/`` (``wins`` 1/0 or a tie from the
published scale, ``n`` = 1, ``source == "mos"``), which is how the authors score
pairwise accuracy. Missing files and unknown labels raise :class:`asym.io.InputError`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from asym.io import InputError

LABEL_SCORE = {"Positive": 1, "Similar": 0, "Negative": -1}
COLUMNS = ["content", "a", "b", "image_a", "image_b", "reference", "wins_a", "wins_b", "ties", "n",
           "human_pref_a", "source"]
FIX = ("download SRIQA-Bench from the A-FINE page (https://github.com/ChrisDud0257/AFINE) and fetch it with "
       "`python -m asym.data.fetch fetch sriqa_bench`")


def split_name(name: str) -> tuple[str, str]:
    """``"<content>_<Method>.png"`` -> ``(content, method)``: the content is the part before the
    first underscore, as in the authors' loaders."""
    stem = Path(name).stem
    if "_" not in stem:
        raise ValueError(f"image name {name!r} is not <content>_<Method>.png")
    content, method = stem.split("_", 1)
    return content, method


def _image(root: Path, content: str, method: str, where: str) -> str:
    path = root / "images" / method / f"{content}_{method}.png"
    if not path.is_file():
        raise InputError(f"SRIQA-Bench {where}: image {path} is missing; {FIX}")
    return str(path.resolve())


def _pairs_from_labels(root: Path) -> pd.DataFrame:
    tally: dict[tuple[str, str, str], list[int]] = {}
    for file in sorted((root / "labels").glob("*/*/*.json")):
        try:
            info = json.loads(file.read_text(encoding="utf-8"))
            first, second = info["Picture_01"], info["Picture_02"]
            (c1, m1), (c2, m2) = split_name(first["Name"]), split_name(second["Name"])
            s1, s2 = LABEL_SCORE[first["Label"]], LABEL_SCORE[second["Label"]]
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise InputError(f"{file}: not a SRIQA-Bench label (Picture_01/Picture_02 with Name and Label "
                             f"Positive/Similar/Negative): {exc!r}; {FIX}") from exc
        if c1 != c2 or c1 != file.parent.name:
            raise InputError(f"{file}: pictures of contents {c1!r} and {c2!r} in the folder of {file.parent.name!r}")
        if m1 == m2:
            raise InputError(f"{file}: both pictures are method {m1!r}")
        a, b, sa, sb = (m1, m2, s1, s2) if m1 < m2 else (m2, m1, s2, s1)
        counts = tally.setdefault((c1, a, b), [0, 0, 0])
        counts[0 if sa > sb else 1 if sb > sa else 2] += 1
    return pd.DataFrame([{"content": c, "a": a, "b": b, "wins_a": w[0], "wins_b": w[1], "ties": w[2]}
                         for (c, a, b), w in tally.items()])


def _pairs_from_mos(root: Path) -> pd.DataFrame:
    rows = []
    for file in sorted((root / "MOS").glob("*.txt")):
        scores = {}
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            parts = [p for p in line.replace(",", " ").split() if p]
            try:
                content, method = split_name(parts[0])
                scores[method] = float(parts[1])
            except (IndexError, ValueError) as exc:
                raise InputError(f"{file} line {number}: expected '<content>_<Method>.png,<score>', got "
                                 f"{line!r}; {FIX}") from exc
            if content != file.stem:
                raise InputError(f"{file} line {number}: image {parts[0]!r} is not of content {file.stem!r}; {FIX}")
        methods = sorted(scores)
        for i, a in enumerate(methods):
            for b in methods[i + 1:]:
                rows.append({"content": file.stem, "a": a, "b": b, "wins_a": int(scores[a] > scores[b]),
                             "wins_b": int(scores[b] > scores[a]), "ties": int(scores[a] == scores[b])})
    return pd.DataFrame(rows)


def load_sriqa_pairs(root: str | Path) -> pd.DataFrame:
    """Human pairwise preferences between SR methods per content (see the module docstring)."""
    root = Path(root)
    if (root / "labels").is_dir():
        pairs, source = _pairs_from_labels(root), "labels"
    elif (root / "MOS").is_dir():
        pairs, source = _pairs_from_mos(root), "mos"
    else:
        raise InputError(f"SRIQA-Bench: neither {root / 'labels'} nor {root / 'MOS'} exists; {FIX}")
    if pairs.empty:
        raise InputError(f"SRIQA-Bench at {root}: no judged pairs found under {source}/; {FIX}")
    pairs["n"] = pairs["wins_a"] + pairs["wins_b"] + pairs["ties"]
    pairs["human_pref_a"] = (pairs["wins_a"] + 0.5 * pairs["ties"]) / pairs["n"]
    pairs["source"] = source
    pairs["image_a"] = [_image(root, c, m, f"pair {c}: {a} vs {b}")
                        for c, m, a, b in zip(pairs["content"], pairs["a"], pairs["a"], pairs["b"])]
    pairs["image_b"] = [_image(root, c, m, f"pair {c}: {a} vs {b}")
                        for c, m, a, b in zip(pairs["content"], pairs["b"], pairs["a"], pairs["b"])]
    pairs["reference"] = [_image(root, c, "Original", f"content {c}") for c in pairs["content"]]
    return pairs[COLUMNS].sort_values(["content", "a", "b"]).reset_index(drop=True)
