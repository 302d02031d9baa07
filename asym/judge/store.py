"""The study's answers and observers in SQLite, written at once and never rewritten.

One database file per study (``<study>.sqlite`` beside the study folder, see
:attr:`asym.judge.manifest.Study.database`) in WAL mode with
``synchronous=FULL``: an answer is on disk when its request returns, so killing the
server at any moment loses nothing that was acknowledged, and readers (``asym judge
fit``) never block the server. Each answer is one row, unique per (observer, trial):
a repeated submission is refused by the database itself, not only by the server's
check, so two concurrent requests cannot both land.

It records the fingerprint of the trials it was opened with and refuses any other
build of the study, so answers can never be matched with the wrong trials.

Tables::

    meta(key PK, value)        study_fingerprint; secret (random, behind the completion codes)
    observers(observer_id PK, token UNIQUE, created_at, trial_order JSON)
    answers(observer_id, trial_id, position, left_sha, right_sha, left_condition,
            right_condition, choice 'left'|'right', chosen_condition, rt_ms, input 'key'|'click',
            shown_at, answered_at (client clock), received_at (server clock),
            UNIQUE(observer_id, trial_id))
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from asym.io import InputError

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS observers (
    observer_id TEXT PRIMARY KEY,
    token TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    trial_order TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS answers (
    observer_id TEXT NOT NULL REFERENCES observers(observer_id),
    trial_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    left_sha TEXT NOT NULL,
    right_sha TEXT NOT NULL,
    left_condition TEXT NOT NULL,
    right_condition TEXT NOT NULL,
    choice TEXT NOT NULL CHECK (choice IN ('left', 'right')),
    chosen_condition TEXT NOT NULL,
    rt_ms REAL NOT NULL,
    input TEXT NOT NULL CHECK (input IN ('key', 'click')),
    shown_at TEXT,
    answered_at TEXT,
    received_at TEXT NOT NULL,
    UNIQUE (observer_id, trial_id)
);
"""
ANSWER_COLUMNS = ("observer_id", "trial_id", "position", "left_sha", "right_sha", "left_condition",
                  "right_condition", "choice", "chosen_condition", "rt_ms", "input", "shown_at",
                  "answered_at", "received_at")


class DuplicateAnswer(Exception):
    """The observer already answered this trial."""


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class Store:
    """Thin access to one study database; a new connection per call (safe across threads)."""

    def __init__(self, path: str | Path, fingerprint: str):
        self.path = Path(path)
        with closing(self._connect()) as db:
            mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise InputError(f"{self.path}: SQLite refused WAL mode (got {mode!r}); put the study on a "
                                 "local file system")
            db.executescript(SCHEMA)
            db.execute("INSERT OR IGNORE INTO meta VALUES ('study_fingerprint', ?)", (fingerprint,))
            db.execute("INSERT OR IGNORE INTO meta VALUES ('secret', ?)", (secrets.token_hex(32),))
            self.secret = db.execute("SELECT value FROM meta WHERE key = 'secret'").fetchone()[0]
            stored = db.execute("SELECT value FROM meta WHERE key = 'study_fingerprint'").fetchone()[0]
        if stored != fingerprint:
            raise InputError(f"{self.path} holds judgements collected under another build of the study (its "
                             "trials changed since); restore that study folder to serve or fit them, or move "
                             "the database away to start a new collection")

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA foreign_keys=ON")
        return db

    def add_observer(self, observer_id: str, token: str, trial_order: list[str]) -> None:
        with closing(self._connect()) as db:
            db.execute("INSERT INTO observers VALUES (?, ?, ?, ?)",
                       (observer_id, token, now(), json.dumps(trial_order)))

    def observer_ids(self) -> list[str]:
        with closing(self._connect()) as db:
            return [r[0] for r in db.execute("SELECT observer_id FROM observers ORDER BY observer_id")]

    def observer_by_token(self, token: str) -> dict | None:
        with closing(self._connect()) as db:
            row = db.execute("SELECT * FROM observers WHERE token = ?", (token,)).fetchone()
        if row is None:
            return None
        out = dict(row)
        out["trial_order"] = json.loads(out["trial_order"])
        return out

    def answered(self, observer_id: str) -> set[str]:
        with closing(self._connect()) as db:
            return {r[0] for r in db.execute("SELECT trial_id FROM answers WHERE observer_id = ?", (observer_id,))}

    def add_answer(self, row: dict) -> None:
        """Insert one answer (keys ``ANSWER_COLUMNS``); :class:`DuplicateAnswer` if it exists already."""
        values = tuple(row[c] for c in ANSWER_COLUMNS)
        try:
            with closing(self._connect()) as db:
                db.execute(f"INSERT INTO answers ({', '.join(ANSWER_COLUMNS)}) "
                           f"VALUES ({', '.join('?' * len(ANSWER_COLUMNS))})", values)
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" in str(exc):
                raise DuplicateAnswer(f"observer {row['observer_id']} already answered trial {row['trial_id']}") \
                    from exc
            raise

    def answers(self) -> list[dict]:
        with closing(self._connect()) as db:
            return [dict(r) for r in db.execute("SELECT * FROM answers ORDER BY observer_id, position")]
