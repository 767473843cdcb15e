"""A persistent cache of oracle values: the same check on the same input is computed once.

A student runs ``grade optimizers.adam`` dozens of times an evening, and the oracle values the
checks need are the same every time (the inputs are drawn from the seed).  They are kept in one
SQLite file in the user's cache directory (``platformdirs``), keyed by the grader's fingerprint
(its version, the sources of the oracles and checks, NumPy's and torch's versions), the check
and a hash of the input.  Each value carries a checksum: a corrupt, truncated or foreign entry
is detected, dropped and computed again, never trusted.  SQLite's locking keeps concurrent runs
from corrupting the file; its size is bounded by evicting the least recently written entries.

The cache lives in the grader's process only: student code runs in a sandbox that cannot read
the user's cache directory.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import sqlite3
import time
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

from grader import codec

MAX_BYTES = 256 * 2**20
ROOT = Path(__file__).resolve().parent.parent
_MISSING = object()


@lru_cache(maxsize=None)
def fingerprint() -> str:
    """Everything an oracle value depends on besides its input."""
    digest = hashlib.sha256()
    for package in ("gradelab", "numpy", "torch"):
        try:
            digest.update(f"{package}={version(package)};".encode())
        except PackageNotFoundError:
            digest.update(f"{package}=?;".encode())
    sources = sorted([*ROOT.joinpath("reference").glob("*.py"), *ROOT.joinpath("grader", "specs").glob("*.py")])
    for path in sources + [ROOT / "grader" / name for name in ("testfns.py", "strategies.py", "stats.py", "codec.py", "calls.py")]:
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:32]


def default_path() -> Path:
    from platformdirs import user_cache_dir

    return Path(os.environ.get("GRADELAB_CACHE_DIR") or user_cache_dir("gradelab")) / "oracles.sqlite3"


class OracleCache:
    """``get_or_compute(check_id, args, compute)``: the stored value, or ``compute()`` stored."""

    def __init__(self, path: Optional[Path] = None, max_bytes: int = MAX_BYTES):
        self.path = Path(path) if path else default_path()
        self.max_bytes = max_bytes
        self._db: Optional[sqlite3.Connection] = None
        self._writes = 0
        self.hits = self.misses = 0

    # -- the store ------------------------------------------------------------------------------
    def _connect(self) -> Optional[sqlite3.Connection]:
        if self._db is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._db = self._open()
            except sqlite3.DatabaseError:  # not a database (any more): start a fresh one
                self.path.unlink(missing_ok=True)
                self._db = self._open()
            except OSError:  # no cache directory here: grade without a cache
                return None
        return self._db

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")  # no fsync per entry: a lost entry is only recomputed
        db.execute("CREATE TABLE IF NOT EXISTS oracle (key TEXT PRIMARY KEY, value BLOB NOT NULL, "
                   "checksum TEXT NOT NULL, written REAL NOT NULL)")
        return db

    def _read(self, key: str, decode: Callable[[Any], Any] = codec.decode) -> Any:
        db = self._connect()
        if db is None:
            return _MISSING
        try:
            row = db.execute("SELECT value, checksum FROM oracle WHERE key = ?", (key,)).fetchone()
        except sqlite3.DatabaseError:
            return _MISSING
        if row is None:
            return _MISSING
        value, checksum = row
        if not isinstance(value, bytes) or hashlib.sha256(key.encode() + value).hexdigest() != checksum:
            self._forget(key)
            return _MISSING
        try:
            return decode(json.loads(value))
        except (ValueError, codec.CodecError):
            self._forget(key)
            return _MISSING

    def _write(self, key: str, value: Any, encode: Callable[[Any], Any] = codec.encode,
               decode: Callable[[Any], Any] = codec.decode) -> None:
        db = self._connect()
        encoded = encode(value)
        if db is None or not _exact(value, decode(encoded)):
            return  # only values the codec carries exactly are kept (no opaque or scalar types)
        payload = json.dumps(encoded, separators=(",", ":"), allow_nan=False).encode()
        try:
            db.execute("INSERT OR REPLACE INTO oracle VALUES (?, ?, ?, ?)",
                       (key, payload, hashlib.sha256(key.encode() + payload).hexdigest(), time.time()))
            self._writes += 1
            if self._writes % 200 == 0:
                self.trim()
        except sqlite3.DatabaseError:
            pass

    def _forget(self, key: str) -> None:
        try:
            self._db.execute("DELETE FROM oracle WHERE key = ?", (key,))
        except sqlite3.DatabaseError:
            pass

    # -- the interface --------------------------------------------------------------------------------
    def get_or_compute(self, check_id: str, args: Any, compute: Callable[[], Any]) -> Any:
        key = self.key(check_id, args)
        value = self._read(key) if key else _MISSING
        if value is not _MISSING:
            self.hits += 1
            return value
        self.misses += 1
        value = compute()
        if key:
            self._write(key, value)
        return value

    def drawn_inputs(self, check_id: str, seed: int, max_examples: int, draw: Callable[[], list]) -> list:
        """The inputs a check's search draws for ``seed`` (the same for every student): stored, or
        ``draw()`` stored."""
        from grader.calls import decode_value, encode_args

        key = hashlib.sha256(f"{fingerprint()}\0inputs\0{check_id}\0{seed}\0{max_examples}".encode()).hexdigest()
        value = self._read(key, decode_value)
        if value is not _MISSING:
            return value
        value = draw()
        self._write(key, value, encode_args, decode_value)
        return value

    @staticmethod
    def key(check_id: str, args: Any) -> Optional[str]:
        from grader.calls import encode_args

        try:
            encoded = json.dumps(encode_args(args), separators=(",", ":"), allow_nan=False, sort_keys=True)
        except (TypeError, ValueError):
            return None
        return hashlib.sha256(f"{fingerprint()}\0{check_id}\0{encoded}".encode()).hexdigest()

    def trim(self) -> None:
        """Evict the oldest entries until the store is under ``max_bytes``."""
        db = self._connect()
        if db is None:
            return
        size = lambda: db.execute("SELECT COALESCE(SUM(LENGTH(value)), 0) FROM oracle").fetchone()[0]
        while size() > self.max_bytes:  # a quarter at a time, the oldest first
            db.execute("DELETE FROM oracle WHERE key IN (SELECT key FROM oracle ORDER BY written LIMIT "
                       "(SELECT COUNT(*) / 4 + 1 FROM oracle))")

    def clear(self) -> int:
        """Remove every entry; the number removed."""
        db = self._connect()
        if db is None:
            return 0
        removed = db.execute("DELETE FROM oracle").rowcount
        db.execute("VACUUM")
        return removed

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


def _exact(value: Any, back: Any) -> bool:
    """``back`` is ``value`` with the same types all the way down (a cached value is then
    indistinguishable from a computed one)."""
    if type(value) is not type(back):
        return False
    if isinstance(value, np.ndarray):
        return value.dtype == back.dtype and value.shape == back.shape and np.array_equal(value, back, equal_nan=True)
    if isinstance(value, dict):
        return list(value) == list(back) and all(_exact(value[k], back[k]) for k in value)
    if isinstance(value, (list, tuple)):
        return len(value) == len(back) and all(map(_exact, value, back))
    if isinstance(value, float) and value != value:
        return back != back
    return value == back


class MemoryCache:
    """The same interface, in this process's memory only (a class report's warm workers: the
    students' questions repeat, so each oracle value is computed once per worker).  Values are
    handed out as deep copies, so nothing a comparison does to one reaches the next student."""

    def __init__(self, limit: int = 200_000):
        self.limit = limit
        self.values: dict[str, Any] = {}
        self.keys: dict[int, tuple[Any, str, Optional[str]]] = {}  # id(args) -> (args, check, key)
        self.hits = self.misses = 0

    def get_or_compute(self, check_id: str, args: Any, compute: Callable[[], Any]) -> Any:
        key = self._key(check_id, args)
        if key is not None and key in self.values:
            self.hits += 1
            return copy.deepcopy(self.values[key])
        self.misses += 1
        value = compute()
        if key is not None and len(self.values) < self.limit:
            self.values[key] = copy.deepcopy(value)
        return value

    def _key(self, check_id: str, args: Any) -> Optional[str]:
        """The key of ``args``, remembered by identity: every student of a worker is asked about
        the very same drawn arguments (the engine keeps them, and nothing changes them: students
        and oracles get copies), so each is encoded and hashed once, not once per student."""
        known = self.keys.get(id(args))
        if known is not None and known[0] is args and known[1] == check_id:
            return known[2]
        key = OracleCache.key(check_id, args)
        if len(self.keys) < self.limit:
            self.keys[id(args)] = (args, check_id, key)  # holding args keeps its id from being reused
        return key

    def drawn_inputs(self, check_id: str, seed: int, max_examples: int, draw: Callable[[], list]) -> list:
        return draw()  # the engine keeps drawn inputs in memory already

    def close(self) -> None:
        pass
