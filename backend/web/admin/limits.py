"""Sign-in limits, shared by every worker process through one small SQLite file: <data>/signin.sqlite.

Attempts are counted per account *and* client address (5, then a lock), and per client address across
accounts (20, then a lock). A lock lasts a minute and doubles with each further failure, up to an hour;
a key quiet for 15 minutes after its lock ends is forgotten. So a stranger's guesses lock out the
stranger, never the account's owner signing in from elsewhere. An attempt counts before its password is
hashed (so parallel guesses cannot all slip under the limit) and a sign-in that succeeds takes it back.

The state is bounded: at most MAX_KEYS keys (the oldest unlocked go first), each a keyed hash of a
name and an address (auth.keyed), never the address itself. Failed and refused sign-ins reach the audit
log as one line per INTERVAL with counts per account (every name that is not an account counts as one),
not one line per attempt.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ... import releases
from ...config import Config
from .auth import keyed

WINDOW = 15 * 60
FIRST_LOCK, LONGEST_LOCK = 60.0, 3600.0
INTERVAL = 300  # seconds of failed sign-ins summed into one audit line
MAX_KEYS = 4096
UNKNOWN = "(not an account)"
SCHEMA = """
CREATE TABLE IF NOT EXISTS attempts (key TEXT PRIMARY KEY, failures INTEGER NOT NULL, locked_until REAL NOT NULL,
                                     seen REAL NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tally (interval INTEGER NOT NULL, account TEXT NOT NULL, kind TEXT NOT NULL, count INTEGER NOT NULL,
                                  PRIMARY KEY (interval, account, kind)) WITHOUT ROWID;
"""


@dataclass(frozen=True)
class Rule:
    purpose: str
    limit: int


PER_ACCOUNT_AND_CLIENT = Rule("account+client", 5)
PER_CLIENT = Rule("client", 20)


def lock_seconds(failures: int, limit: int) -> float:
    """How long a key stays locked after its `failures`-th failure: none below the limit, then doubling."""
    if failures < limit:
        return 0.0
    return float(min(LONGEST_LOCK, FIRST_LOCK * 2 ** min(failures - limit, 16)))


class Limiter:
    """Sign-in attempts per account and client, and their tally for the audit log."""

    def __init__(self, cfg: Config, interval: int = INTERVAL, max_keys: int = MAX_KEYS):
        self.cfg, self.interval, self.max_keys = cfg, interval, max_keys
        self.path = cfg.data / "signin.sqlite"
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    # -- the file ---------------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            self.cfg.data.mkdir(parents=True, exist_ok=True)
            for attempt in (1, 2):
                db = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
                try:
                    db.execute("PRAGMA journal_mode=DELETE")  # no write-ahead log to grow: the journal goes after each write
                    db.execute("PRAGMA synchronous=OFF")  # lost counts after a power cut are harmless; slow sign-ins are not
                    db.executescript(SCHEMA)
                    break
                except sqlite3.DatabaseError:
                    db.close()
                    if attempt == 2 or not self.path.exists():
                        raise
                    self.path.unlink()  # a damaged file holds nothing worth keeping: start again
            self.path.chmod(0o600)
            self._db = db
        return self._db

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            db = self._connect()
            db.execute("BEGIN IMMEDIATE")  # one writer at a time, across processes
            try:
                yield db
            except BaseException:
                if db.in_transaction:  # SQLite has rolled back by itself after some errors (a full disk)
                    db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def _keys(self, name: str, client: str) -> list[tuple[str, Rule]]:
        return [(keyed(self.cfg, PER_ACCOUNT_AND_CLIENT.purpose, f"{name}\0{client}"), PER_ACCOUNT_AND_CLIENT),
                (keyed(self.cfg, PER_CLIENT.purpose, client), PER_CLIENT)]

    # -- attempts ---------------------------------------------------------------------------------

    def wait(self, name: str, client: str) -> float:
        """Seconds until `client` may try `name` again; 0 when it may now."""
        keys = [k for k, _ in self._keys(name, client)]
        with self._lock:
            row = self._connect().execute("SELECT max(locked_until) FROM attempts WHERE key IN (?, ?)", keys).fetchone()
        return max(0.0, float(row[0] or 0) - time.time())

    def attempt(self, name: str, client: str) -> None:
        """Count one attempt against both keys before its password is checked (locking a key that reaches its limit)."""
        now = time.time()
        with self._transaction() as db:
            for key, rule in self._keys(name, client):
                row = db.execute("SELECT failures, locked_until, seen FROM attempts WHERE key = ?", (key,)).fetchone()
                failures, locked_until = (0, 0.0) if row is None or _forgotten(row, now) else (int(row[0]), float(row[1]))
                failures += 1
                locked_until = max(locked_until, now + lock_seconds(failures, rule.limit)) if failures >= rule.limit else locked_until
                db.execute("INSERT OR REPLACE INTO attempts VALUES (?, ?, ?, ?)", (key, failures, locked_until, now))
            self._prune(db, now)

    def succeeded(self, name: str, client: str) -> None:
        """Take back the attempt that turned out right: the account's key for this client is cleared."""
        (mine, _), (client_key, rule) = self._keys(name, client)
        with self._transaction() as db:
            db.execute("DELETE FROM attempts WHERE key = ?", (mine,))
            db.execute(
                "UPDATE attempts SET failures = failures - 1, locked_until = CASE WHEN failures - 1 < ? THEN 0 ELSE locked_until END "
                "WHERE key = ? AND failures > 0", (rule.limit, client_key))
            self._flush(db, time.time(), everything=False)

    def _prune(self, db: sqlite3.Connection, now: float) -> None:
        db.execute("DELETE FROM attempts WHERE seen < ? AND locked_until < ?", (now - WINDOW, now - WINDOW))
        (count,) = db.execute("SELECT count(*) FROM attempts").fetchone()
        if count > self.max_keys:  # bounded whatever an attacker sends: the oldest unlocked keys go first
            db.execute("DELETE FROM attempts WHERE key IN (SELECT key FROM attempts ORDER BY locked_until > ?, seen LIMIT ?)",
                       (now, count - self.max_keys))

    def keys(self) -> int:
        with self._lock:
            return int(self._connect().execute("SELECT count(*) FROM attempts").fetchone()[0])

    # -- the audit log's tally ----------------------------------------------------------------------

    def count(self, kind: str, account: str | None) -> None:
        """Add one "failed" or "refused" sign-in to this interval's tally (`account` None: a name that is no account)."""
        now = time.time()
        with self._transaction() as db:
            db.execute(
                "INSERT INTO tally VALUES (?, ?, ?, 1) ON CONFLICT (interval, account, kind) DO UPDATE SET count = count + 1",
                (int(now // self.interval), account or UNKNOWN, kind))
            self._flush(db, now, everything=False)

    def flush(self, everything: bool = True) -> None:
        """Write the tally of ended intervals (`everything`: the current one too) to the audit log."""
        with self._transaction() as db:
            self._flush(db, time.time(), everything)

    def _flush(self, db: sqlite3.Connection, now: float, everything: bool) -> None:
        current = int(now // self.interval) + (1 if everything else 0)
        rows = db.execute("SELECT interval, account, kind, count FROM tally WHERE interval < ? ORDER BY interval", (current,)).fetchall()
        by_interval: dict[int, dict[str, dict[str, int]]] = {}
        for interval, account, kind, count in rows:
            by_interval.setdefault(interval, {}).setdefault(account, {})[kind] = count
        for interval, accounts in by_interval.items():
            detail: dict[str, Any] = {
                "from": _iso(interval * self.interval), "to": _iso((interval + 1) * self.interval),
                "failed": sum(a.get("failed", 0) for a in accounts.values()),
                "refused": sum(a.get("refused", 0) for a in accounts.values()), "accounts": accounts,
            }
            releases.audit(self.cfg, "?", "login-failures", **detail)
        db.execute("DELETE FROM tally WHERE interval < ?", (current,))


def _forgotten(row: tuple[int, float, float], now: float) -> bool:
    _failures, locked_until, seen = row
    return now - seen > WINDOW and now - locked_until > WINDOW


def _iso(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat(timespec="seconds")
