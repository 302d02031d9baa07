"""A study folder as the server and the fit read it: manifest, stimuli, completion codes.

``load_study(folder)`` reads ``manifest.json``, checks that every trial names known
stimuli and that every stimulus file has the sha256 it is named by (so what observers
see is exactly what was built), and returns a :class:`Study`. No torch: serving and
fitting a study must not need the training stack.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from pathlib import Path

from asym.io import InputError

MANIFEST, STIMULI, DATABASE_SUFFIX = "manifest.json", "stimuli", ".sqlite"
SHA256 = re.compile(r"^[0-9a-f]{64}$")
TRIAL_KEYS = ("id", "image", "kind", "left", "right", "expected", "left_sha", "right_sha", "reference_sha")


@dataclass
class Study:
    folder: Path
    manifest: dict
    trials: dict[str, dict]  # id -> trial, in manifest order

    @property
    def database(self) -> Path:
        """``<study>.sqlite`` beside the study folder, not inside it: rebuilding the study (a rerun of
        the workflow's judge_build deletes its output folder first) never deletes judgements."""
        return self.folder.parent / f"{self.folder.name}{DATABASE_SUFFIX}"

    @property
    def fingerprint(self) -> str:
        """sha256 of the trials: a database belongs to exactly one build of the study."""
        text = json.dumps(self.manifest["trials"], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    def stimulus_path(self, sha: str) -> Path | None:
        """The file of stimulus ``sha``, or None when ``sha`` is not a stimulus of this study."""
        if not SHA256.match(sha or "") or sha not in self.manifest["stimuli"]:
            return None
        return self.folder / STIMULI / f"{sha}.png"



def load_study(folder: str | Path, verify: bool = True) -> Study:
    """Read and check the study folder written by :mod:`asym.judge.build`."""
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        raise InputError(f"{path} not found: build the study first with `asym judge build --config FILE "
                         f"--out {folder}`")
    try:
        manifest = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise InputError(f"{path} is not valid JSON ({exc}); rebuild the study with `asym judge build`") from exc
    for key in ("trials", "stimuli", "conditions", "images", "break_every"):
        if key not in manifest:
            raise InputError(f"{path} lacks the key {key!r}; rebuild the study with `asym judge build`")
    trials = {}
    for i, trial in enumerate(manifest["trials"]):
        lacking = [k for k in TRIAL_KEYS if k not in trial]
        if lacking:
            raise InputError(f"{path}: trial {i} lacks {lacking}; rebuild the study with `asym judge build`")
        for side in ("left_sha", "right_sha", "reference_sha"):
            if trial[side] is not None and trial[side] not in manifest["stimuli"]:
                raise InputError(f"{path}: trial {trial['id']} names stimulus {trial[side]} ({side}), which is "
                                 "not in the manifest's stimuli; rebuild the study")
        if trial["id"] in trials:
            raise InputError(f"{path}: trial id {trial['id']} appears twice; rebuild the study")
        trials[trial["id"]] = trial
    if verify:
        for sha in manifest["stimuli"]:
            file = folder / STIMULI / f"{sha}.png"
            if not SHA256.match(sha):
                raise InputError(f"{path}: stimulus key {sha!r} is not a sha256; rebuild the study")
            if not file.is_file():
                raise InputError(f"stimulus {file} is missing; rebuild the study with `asym judge build`")
            if hashlib.sha256(file.read_bytes()).hexdigest() != sha:
                raise InputError(f"stimulus {file} does not have the sha256 it is named by (changed after the "
                                 "build); rebuild the study with `asym judge build`")
    return Study(folder=folder, manifest=manifest, trials=trials)


def completion_code(secret: str, observer_id: str) -> str:
    """A code the observer hands in (e.g. to a participant pool) to show they finished: an HMAC of
    their id under the study database's secret, so it cannot be guessed from the id."""
    mac = hmac.new(secret.encode(), f"complete:{observer_id}".encode(), hashlib.sha256).hexdigest()
    return mac[:12].upper()
