"""Budget spend persisted in one SQLite file: one machine, no server.

Every reservation is a row (budget, id, time, amount in integer nano-dollars,
state). Reserving sums the rows of the current period and inserts the new one
inside one ``BEGIN IMMEDIATE`` transaction, which takes SQLite's write lock, so
concurrent threads and processes on the machine can never overshoot a limit.
A restart reads the same rows back. A corrupt, truncated or unreadable file is
an error (:class:`BudgetStoreError`), never a silent reset to zero spend.

A new file is created whole: the schema is written to a temporary file in
the same directory, which is then hard-linked into place (``link`` fails if
the name exists, so of several processes creating the store at once exactly
one wins and the others open its file). The store's path therefore never
names an empty or half-initialised database, and an empty file really is a
truncated one.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from qobserve.state import ENV_VAR as STATE_ENV_VAR
from qobserve.state import StateDirError, resolve_state_dir

if TYPE_CHECKING:
    from qobserve.cost.budget import Hold

__all__ = ["BudgetStoreError", "SqliteBudgetStore", "default_path"]

ENV_VAR = "QOBSERVE_BUDGET_DB"
_SCHEMA_VERSION = "1"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS qobserve_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS qobserve_spend (
    budget TEXT NOT NULL,
    id TEXT NOT NULL,
    ts REAL NOT NULL,
    nanos INTEGER NOT NULL CHECK (nanos >= 0),
    state TEXT NOT NULL CHECK (state IN ('reserved', 'settled')),
    PRIMARY KEY (budget, id)
);
CREATE INDEX IF NOT EXISTS qobserve_spend_ts ON qobserve_spend (budget, ts);
"""
_COLUMNS = ["budget", "id", "ts", "nanos", "state"]


class BudgetStoreError(RuntimeError):
    """The spend store cannot be read or written; recorded spend was not reset."""


def default_path() -> Path:
    """``$QOBSERVE_BUDGET_DB``, else ``budgets.sqlite`` in the state directory
    (:func:`qobserve.state.resolve_state_dir`: ``$QOBSERVE_STATE_DIR``,
    ``$XDG_STATE_HOME/qobserve``, ``~/.local/state/qobserve``).

    Raises:
        BudgetStoreError: one line naming the settings when there is no state directory.
    """
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    try:
        return resolve_state_dir() / "budgets.sqlite"
    except StateDirError as exc:
        raise BudgetStoreError(f"budget store: {exc}, or {ENV_VAR} to a file") from None


class SqliteBudgetStore:
    """Spend of any number of budgets in one SQLite file.

    Args:
        path: the database file (default :func:`default_path`); created if missing.
        timeout: seconds to wait for another writer's lock.

    Raises:
        BudgetStoreError: the file exists but is empty, corrupt, not a qobserve
            spend database, or cannot be opened.
    """

    def __init__(
        self, path: str | os.PathLike[str] | None = None, *, timeout: float = 30.0
    ) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.timeout = timeout
        self._lock = threading.Lock()  # one writer per process at a time: less lock spinning
        if not self.path.exists():
            self._create()
        if self.path.is_file() and self.path.stat().st_size == 0:
            raise self._error("the file is empty (truncated?)")
        with self._connect() as conn:
            self._check(conn)

    def __repr__(self) -> str:
        return f"SqliteBudgetStore({str(self.path)!r})"

    def _error(self, why: str) -> BudgetStoreError:
        return BudgetStoreError(
            f"budget store {self.path}: {why}. Recorded spend was NOT reset: restore the file "
            f"from a backup, or move it away to start again from zero spend."
        )

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise self._error(f"cannot open ({exc})") from None
        try:
            yield conn
        except sqlite3.DatabaseError as exc:
            raise self._error(f"cannot read or write spend ({exc})") from None
        finally:
            conn.close()

    def _create(self) -> None:
        """Write a fully initialised store beside ``path`` and link it into place."""
        parent = self.path.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{self.path.name}.", suffix=".new")
        except OSError as exc:
            raise BudgetStoreError(
                f"budget store {self.path}: cannot create it ({exc.strerror or exc}); set "
                f"{STATE_ENV_VAR} or {ENV_VAR} to a writable place"
            ) from None
        os.close(fd)
        try:
            conn = sqlite3.connect(tmp, isolation_level=None)
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                self._init_schema(conn)
            finally:
                conn.close()  # the last connection checkpoints the WAL into the file
            try:
                os.link(tmp, self.path)
            except FileExistsError:
                pass  # another process created it first: use theirs
            except OSError:  # no hard links here (some network filesystems)
                if not self.path.exists():
                    os.replace(tmp, self.path)
        finally:
            for leftover in (tmp, tmp + "-wal", tmp + "-shm"):
                try:
                    os.unlink(leftover)
                except FileNotFoundError:
                    pass

    @staticmethod
    def _init_schema(conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in filter(str.strip, _SCHEMA.split(";")):
                conn.execute(statement)
            conn.execute(
                "INSERT OR IGNORE INTO qobserve_meta VALUES ('schema', ?)", (_SCHEMA_VERSION,)
            )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _check(self, conn: sqlite3.Connection) -> None:
        result = conn.execute("PRAGMA quick_check").fetchone()
        if not result or result[0] != "ok":
            raise self._error(f"integrity check failed ({result[0] if result else 'no answer'})")
        cols = [row[1] for row in conn.execute("PRAGMA table_info(qobserve_spend)")]
        if cols and cols != _COLUMNS:
            raise self._error(f"table qobserve_spend has columns {cols}, expected {_COLUMNS}")
        meta = conn.execute("SELECT 1 FROM sqlite_master WHERE name='qobserve_meta'").fetchone()
        if not cols or meta is None:
            # A database made by something else (or an older qobserve): add the
            # schema under SQLite's write lock, as one transaction.
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            self._init_schema(conn)
        version = conn.execute("SELECT value FROM qobserve_meta WHERE key='schema'").fetchone()[0]
        if version != _SCHEMA_VERSION:
            raise self._error(f"schema version {version}, this qobserve reads {_SCHEMA_VERSION}")

    @staticmethod
    def _sum(conn: sqlite3.Connection, budget: str, since: float) -> int:
        row = conn.execute(
            "SELECT COALESCE(SUM(nanos), 0) FROM qobserve_spend WHERE budget = ? AND ts >= ?",
            (budget, since),
        ).fetchone()
        return int(row[0])

    def reserve(self, hold: Hold) -> tuple[bool, int]:
        """Atomically add a reservation unless it would take spend past the limit
        (:meth:`BudgetStore.reserve <qobserve.cost.BudgetStore.reserve>`)."""
        with self._lock, self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                spent = self._sum(conn, hold.budget, hold.since)
                if hold.limit_nanos is not None and spent + hold.nanos > hold.limit_nanos:
                    conn.execute("ROLLBACK")
                    return False, spent
                conn.execute(
                    "INSERT INTO qobserve_spend VALUES (?, ?, ?, ?, 'reserved')",
                    (hold.budget, hold.rid, hold.now, hold.nanos),
                )
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            return True, spent + hold.nanos

    def settle(self, budget: str, rid: str, nanos: int, *, now: float) -> None:
        """Record the actual amount of a reservation (inserting it if it is missing)."""
        with self._lock, self._connect() as conn:
            conn.execute(
                "INSERT INTO qobserve_spend VALUES (?, ?, ?, ?, 'settled') "
                "ON CONFLICT (budget, id) DO UPDATE SET nanos = excluded.nanos, state = 'settled'",
                (budget, rid, now, nanos),
            )

    def release(self, budget: str, rid: str) -> None:
        """Drop a reservation whose job never ran."""
        with self._lock, self._connect() as conn:
            conn.execute(
                "DELETE FROM qobserve_spend WHERE budget = ? AND id = ? AND state = 'reserved'",
                (budget, rid),
            )

    def spent(self, budget: str, *, since: float) -> int:
        """Settled plus reserved nano-dollars since ``since`` (Unix time)."""
        with self._connect() as conn:
            return self._sum(conn, budget, since)
