"""On-disk spool: every alert message is written here before Alertmanager gets its 200.

SQLite in WAL mode with ``synchronous=FULL`` fsyncs every commit, so a message
acknowledged to Alertmanager survives a crash or restart. Both message tables
are append-only: ``messages`` gets a row per message to send, ``deliveries`` a
row when Slack took it; pending = messages without a delivery, in insertion
order. A unique key per (fingerprint, status, startsAt) drops the repeats that
Alertmanager sends for a group on every flush, so no alert is posted twice.
``threads`` remembers the Slack ``ts`` of each firing message so the resolved
message can be threaded under it, across restarts.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Spool", "SpoolEntry", "SpooledMessage"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dedupe_key TEXT NOT NULL UNIQUE,
    fingerprint TEXT NOT NULL,
    status TEXT NOT NULL,
    channel TEXT NOT NULL,
    body TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    message_id INTEGER PRIMARY KEY REFERENCES messages(id),
    ts TEXT,
    delivered REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS threads (
    fingerprint TEXT NOT NULL,
    channel TEXT NOT NULL,
    ts TEXT NOT NULL,
    PRIMARY KEY (fingerprint, channel)
);
"""


@dataclass(frozen=True)
class SpoolEntry:
    """A message to append: what to post, where, and its de-duplication key."""

    dedupe_key: str
    fingerprint: str
    status: str
    channel: str
    message: dict[str, Any]


@dataclass(frozen=True)
class SpooledMessage:
    """A pending message read back from the spool."""

    id: int
    fingerprint: str
    status: str
    channel: str
    message: dict[str, Any]


class Spool:
    """Durable, ordered outbox of Slack messages (thread-safe)."""

    def __init__(self, directory: str | Path) -> None:
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        self.path = path / "spool.sqlite3"
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def append(self, entries: Iterable[SpoolEntry]) -> int:
        """Append messages in one fsynced transaction; returns how many were new."""
        now = time.time()
        added = 0
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for e in entries:
                    cur = self._db.execute(
                        "INSERT OR IGNORE INTO messages (dedupe_key, fingerprint, status, channel,"
                        " body, created) VALUES (?, ?, ?, ?, ?, ?)",
                        (e.dedupe_key, e.fingerprint, e.status, e.channel,
                         json.dumps(e.message), now),
                    )
                    added += cur.rowcount
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return added

    def pending(self, limit: int = 100) -> list[SpooledMessage]:
        """Undelivered messages, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT m.id, m.fingerprint, m.status, m.channel, m.body FROM messages m"
                " LEFT JOIN deliveries d ON d.message_id = m.id"
                " WHERE d.message_id IS NULL ORDER BY m.id LIMIT ?", (limit,),
            ).fetchall()
        return [SpooledMessage(r[0], r[1], r[2], r[3], json.loads(r[4])) for r in rows]

    def pending_count(self) -> int:
        """Number of messages not yet delivered."""
        with self._lock:
            return self._db.execute(
                "SELECT COUNT(*) FROM messages m LEFT JOIN deliveries d ON d.message_id = m.id"
                " WHERE d.message_id IS NULL").fetchone()[0]

    def mark_delivered(self, msg: SpooledMessage, ts: str | None) -> None:
        """Record that Slack took ``msg``; remember the thread of a firing message."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("INSERT INTO deliveries (message_id, ts, delivered) VALUES (?, ?, ?)",
                                 (msg.id, ts, time.time()))
                if ts and msg.status == "firing":
                    self._db.execute(
                        "INSERT OR REPLACE INTO threads (fingerprint, channel, ts) VALUES (?, ?, ?)",
                        (msg.fingerprint, msg.channel, ts))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def thread_ts(self, fingerprint: str, channel: str) -> str | None:
        """Slack ``ts`` of the firing message for this alert in this channel, if any."""
        with self._lock:
            row = self._db.execute("SELECT ts FROM threads WHERE fingerprint = ? AND channel = ?",
                                   (fingerprint, channel)).fetchone()
        return row[0] if row else None

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()
