"""On-disk spool: every alert message is written here before Alertmanager gets its 200.

SQLite in WAL mode with ``synchronous=FULL`` fsyncs every commit, so a message
acknowledged to Alertmanager survives a crash or restart. Tables:

* ``messages``: one row per message to send, keyed by a de-duplication key
  (fingerprint, status, startsAt) that drops Alertmanager's repeats, with a
  stable ``delivery_id`` posted in the Slack message metadata; ``lane`` is the
  configured channel; ``stage`` how far a refused message has been degraded
  (0 blocks, 1 plain text, 2 fallback channel); ``in_doubt`` is set before
  every post and cleared once Slack answered, so after a timeout or a crash the
  next attempt looks in the channel before posting again;
* ``deliveries``: a row when Slack took the message (its ``ts`` and channel);
* ``dead_letters``: messages refused in every form, until replayed;
* ``threads``: the ``ts`` of each firing message, to thread the resolved one.

Pending = messages with neither a delivery nor a dead letter, oldest first.
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

__all__ = ["DeadLetter", "Spool", "SpoolEntry", "SpooledMessage"]

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
CREATE TABLE IF NOT EXISTS dead_letters (
    message_id INTEGER PRIMARY KEY REFERENCES messages(id),
    error TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS heartbeat (id INTEGER PRIMARY KEY CHECK (id = 1), at REAL NOT NULL);
"""
# Columns added after the first release; an old spool is migrated in place.
_COLUMNS = {
    "messages": {
        "delivery_id": "TEXT NOT NULL DEFAULT ''",
        "stage": "INTEGER NOT NULL DEFAULT 0",
        "in_doubt": "INTEGER NOT NULL DEFAULT 0",
        "attempts": "INTEGER NOT NULL DEFAULT 0",
    },
    "deliveries": {"channel": "TEXT"},
}
_PENDING = (
    "FROM messages m LEFT JOIN deliveries d ON d.message_id = m.id"
    " LEFT JOIN dead_letters x ON x.message_id = m.id"
    " WHERE d.message_id IS NULL AND x.message_id IS NULL"
)
_FIELDS = "m.id, m.delivery_id, m.fingerprint, m.status, m.channel, m.body, m.created, m.stage, m.in_doubt"


@dataclass(frozen=True)
class SpoolEntry:
    """A message to append: what to post, where, and its de-duplication and delivery ids."""

    dedupe_key: str
    delivery_id: str
    fingerprint: str
    status: str
    channel: str
    message: dict[str, Any]


@dataclass(frozen=True)
class SpooledMessage:
    """A pending message read back from the spool."""

    id: int
    delivery_id: str
    fingerprint: str
    status: str
    channel: str
    message: dict[str, Any]
    created: float
    stage: int = 0
    in_doubt: bool = False


@dataclass(frozen=True)
class DeadLetter:
    """A message Slack refused in every form."""

    id: int
    channel: str
    status: str
    text: str
    error: str
    at: float


class Spool:
    """Durable outbox of Slack messages (thread-safe; other processes may open it too)."""

    def __init__(self, directory: str | Path) -> None:
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        self.path = path / "spool.sqlite3"
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            self.path, check_same_thread=False, isolation_level=None, timeout=5.0
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        for table, columns in _COLUMNS.items():
            have = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
            for name, decl in columns.items():
                if name not in have:
                    self._db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {decl}")
        # Messages spooled by an older bridge get an id stable within this spool.
        self._db.execute("UPDATE messages SET delivery_id = 'spool-' || id WHERE delivery_id = ''")
        # Each lane reads its own channel's pending messages, oldest first.
        self._db.execute("CREATE INDEX IF NOT EXISTS messages_lane ON messages (channel, id)")

    def _write(self, *statements: tuple[str, tuple[Any, ...]]) -> list[int]:
        """Run statements in one fsynced transaction; returns each one's rowcount."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                counts = [self._db.execute(sql, args).rowcount for sql, args in statements]
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return counts

    def _read(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def append(self, entries: Iterable[SpoolEntry]) -> int:
        """Append messages in one fsynced transaction; returns how many were new."""
        now = time.time()
        return sum(
            self._write(
                *[
                    (
                        "INSERT OR IGNORE INTO messages (dedupe_key, delivery_id, fingerprint, status,"
                        " channel, body, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (
                            e.dedupe_key,
                            e.delivery_id,
                            e.fingerprint,
                            e.status,
                            e.channel,
                            json.dumps(e.message),
                            now,
                        ),
                    )
                    for e in entries
                ]
            )
        )

    def check_writable(self) -> None:
        """Prove the spool takes an fsynced write now (raises sqlite3.Error or OSError)."""
        self._write(("INSERT OR REPLACE INTO heartbeat (id, at) VALUES (1, ?)", (time.time(),)))

    def pending(self, channel: str | None = None, limit: int = 100) -> list[SpooledMessage]:
        """Undelivered messages (of one lane when ``channel`` is given), oldest first."""
        where, args = ("AND m.channel = ?", (channel,)) if channel is not None else ("", ())
        rows = self._read(
            f"SELECT {_FIELDS} {_PENDING} {where} ORDER BY m.id LIMIT ?", (*args, limit)
        )
        return [
            SpooledMessage(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), r[6], r[7], bool(r[8]))
            for r in rows
        ]

    def lanes(self) -> list[str]:
        """Channels that have pending messages."""
        return [r[0] for r in self._read(f"SELECT DISTINCT m.channel {_PENDING}")]

    def pending_count(self) -> int:
        """Number of messages neither delivered nor dead-lettered."""
        return int(self._read(f"SELECT COUNT(*) {_PENDING}")[0][0])

    def oldest_pending(self) -> float:
        """Unix time the oldest pending message was spooled; 0 when none is."""
        return float(self._read(f"SELECT COALESCE(MIN(m.created), 0) {_PENDING}")[0][0])

    def begin_attempt(self, msg: SpooledMessage) -> None:
        """Mark ``msg`` in doubt before posting: a crash from here on leaves it to be looked up."""
        self._write(
            ("UPDATE messages SET in_doubt = 1, attempts = attempts + 1 WHERE id = ?", (msg.id,))
        )

    def settle(self, msg: SpooledMessage) -> None:
        """Slack answered (and did not take it): the next attempt needs no look-up."""
        self._write(("UPDATE messages SET in_doubt = 0 WHERE id = ?", (msg.id,)))

    def set_stage(self, msg: SpooledMessage, stage: int) -> None:
        """Degrade a refused message to ``stage`` (nothing of it was posted)."""
        self._write(("UPDATE messages SET stage = ?, in_doubt = 0 WHERE id = ?", (stage, msg.id)))

    def mark_delivered(self, msg: SpooledMessage, ts: str | None, channel: str) -> None:
        """Record that Slack took ``msg`` in ``channel``; remember the thread of a firing one."""
        statements: list[tuple[str, tuple[Any, ...]]] = [
            (
                "INSERT OR IGNORE INTO deliveries (message_id, ts, delivered, channel)"
                " VALUES (?, ?, ?, ?)",
                (msg.id, ts, time.time(), channel),
            )
        ]
        if ts and msg.status == "firing":
            statements.append(
                (
                    "INSERT OR REPLACE INTO threads (fingerprint, channel, ts) VALUES (?, ?, ?)",
                    (msg.fingerprint, channel, ts),
                )
            )
        self._write(*statements)

    def thread_ts(self, fingerprint: str, channel: str) -> str | None:
        """Slack ``ts`` of the firing message for this alert in this channel, if any."""
        rows = self._read(
            "SELECT ts FROM threads WHERE fingerprint = ? AND channel = ?", (fingerprint, channel)
        )
        return rows[0][0] if rows else None

    def remember_thread(self, fingerprint: str, channel: str, ts: str) -> None:
        """Store the ``ts`` of a firing message found in the channel (posted by a replica)."""
        self._write(
            (
                "INSERT OR REPLACE INTO threads (fingerprint, channel, ts) VALUES (?, ?, ?)",
                (fingerprint, channel, ts),
            )
        )

    def dead_letter(self, msg: SpooledMessage, error: str) -> None:
        """Give up on ``msg`` until :meth:`retry_dead_letters` replays it."""
        self._write(
            (
                "INSERT OR REPLACE INTO dead_letters (message_id, error, at) VALUES (?, ?, ?)",
                (msg.id, error, time.time()),
            ),
            ("UPDATE messages SET in_doubt = 0 WHERE id = ?", (msg.id,)),
        )

    def dead_letters(self, limit: int = 1000) -> list[DeadLetter]:
        """Dead letters, oldest first."""
        rows = self._read(
            "SELECT m.id, m.channel, m.status, m.body, x.error, x.at FROM"
            " dead_letters x JOIN messages m ON m.id = x.message_id"
            " ORDER BY m.id LIMIT ?",
            (limit,),
        )
        return [DeadLetter(r[0], r[1], r[2], json.loads(r[3])["text"], r[4], r[5]) for r in rows]

    def dead_count(self) -> int:
        """Number of dead letters."""
        return int(self._read("SELECT COUNT(*) FROM dead_letters")[0][0])

    def retry_dead_letters(self, ids: Iterable[int] | None = None) -> int:
        """Put dead letters (all, or those ``ids``) back in their lane from stage 0."""
        wanted = None if ids is None else list(ids)
        with self._lock:
            rows = self._db.execute("SELECT message_id FROM dead_letters").fetchall()
        chosen = [r[0] for r in rows if wanted is None or r[0] in wanted]
        self._write(
            *[
                s
                for mid in chosen
                for s in (
                    ("DELETE FROM dead_letters WHERE message_id = ?", (mid,)),
                    ("UPDATE messages SET stage = 0, in_doubt = 0 WHERE id = ?", (mid,)),
                )
            ]
        )
        return len(chosen)

    def prune(self, older_than: float) -> int:
        """Forget delivered messages spooled more than ``older_than`` seconds ago.

        Keeps the spool bounded. Their de-duplication keys go too, so pick an age
        well above Alertmanager's ``repeat_interval`` (the bridge uses 7 days).
        """
        cutoff = time.time() - older_than
        old = (
            "SELECT message_id FROM deliveries d JOIN messages m ON m.id = d.message_id"
            " WHERE m.created < ?"
        )
        counts = self._write(
            (f"DELETE FROM messages WHERE id IN ({old})", (cutoff,)),
            ("DELETE FROM deliveries WHERE message_id NOT IN (SELECT id FROM messages)", ()),
            ("DELETE FROM threads WHERE fingerprint NOT IN (SELECT fingerprint FROM messages)", ()),
        )
        return counts[0]

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()
