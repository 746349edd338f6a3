"""A small in-process cache of costly read models (dashboard figures, list pages, invoice pages).

Two kinds of entries:

- **Versioned** (``get(key, compute, version=...)``): stored with the database's data version read
  at the start of the request (:mod:`encaisse.adapters.store.web_reads`), which changes on every
  committed write, whatever the process that wrote (this one, another web process, the worker, the
  CLI). An entry is served only to a request that read the same version, so it is never stale;
  a request whose version differs computes the value again. The value is computed after the
  version was read, so it is at least as recent as that version.
- **Timed** (no version; the cash forecast, the accounting books, or no version known): dropped
  when this process commits any write (``CachingUnitOfWork`` bumps a counter after each write
  transaction) and after ``ttl_s`` seconds anyway, which bounds how stale a figure can be when
  another process changed the data.

Concurrent requests for the same missing entry compute it once (the others wait for it), so an
expiry under load does not make twenty requests run the same aggregate together. When full, the
tenth of the entries stored longest ago is dropped.
``ttl_s = 0`` disables the cache.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from itertools import islice
from typing import TypeVar, cast

from sqlalchemy.engine import Engine

from encaisse.adapters.store.sql_repository import SqlRepository, SqlUnitOfWork

T = TypeVar("T")
DEFAULT_TTL_S = 15.0
#: How long a versioned entry may be kept (it cannot be stale; this only bounds memory use).
VERSIONED_MAX_AGE_S = 3600.0


class ReadCache:
    def __init__(self, ttl_s: float = DEFAULT_TTL_S, max_entries: int = 2000) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self.version = 0  # bumped by every write committed by this process
        # key -> (local version, data version, expiry, value)
        self._data: dict[Hashable, tuple[int, Hashable | None, float, object]] = {}
        # key -> (local version, data version, future of the value being computed)
        self._inflight: dict[Hashable, tuple[int, Hashable | None, Future[object]]] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.ttl_s > 0

    def bump(self) -> None:
        with self._lock:
            self.version += 1
            self._data.clear()

    def peek(self, key: Hashable, version: Hashable | None = None) -> object | None:
        """The fresh cached value of ``key`` (stored under ``version``), or None (never computes)."""
        with self._lock:
            found = self._data.get(key)
            if (
                found is not None
                and found[0] == self.version
                and found[1] == version
                and found[2] > time.monotonic()
            ):
                return found[3]
        return None

    def get(self, key: Hashable, compute: Callable[[], T], version: Hashable | None = None) -> T:
        """The value of ``key``: cached under ``version`` (None: a timed entry), else computed once."""
        if self.ttl_s <= 0:
            return compute()
        now = time.monotonic()
        with self._lock:
            found = self._data.get(key)
            if found is not None and found[0] == self.version and found[1] == version and found[2] > now:
                return cast(T, found[3])
            local = self.version
            running = self._inflight.get(key)
            if running is not None and running[0] == local and running[1] == version:
                waiting: Future[object] | None = running[2]
            else:
                waiting = None
                mine: Future[object] = Future()
                self._inflight[key] = (local, version, mine)
        if waiting is not None:
            try:
                return cast(T, waiting.result())
            except Exception:  # the computing request failed: try on our own (and fail alike)
                return compute()
        try:
            value = compute()
        except BaseException as exc:
            mine.set_exception(exc)
            with self._lock:
                if self._inflight.get(key, (0, None, None))[2] is mine:
                    del self._inflight[key]
            raise
        mine.set_result(value)
        max_age = self.ttl_s if version is None else max(self.ttl_s, VERSIONED_MAX_AGE_S)
        with self._lock:
            if self._inflight.get(key, (0, None, None))[2] is mine:
                del self._inflight[key]
            if local == self.version:
                self._data.pop(key, None)  # re-inserted last: the oldest entries go first
                if len(self._data) >= self.max_entries:
                    for old in list(islice(self._data, max(1, self.max_entries // 10))):
                        del self._data[old]
                self._data[key] = (local, version, now + max_age, value)
        return value


class CachingUnitOfWork(SqlUnitOfWork):
    """``SqlUnitOfWork`` whose write transactions invalidate the read cache once committed."""

    def __init__(self, engine: Engine, cache: ReadCache) -> None:
        super().__init__(engine)
        self.cache = cache

    @contextmanager
    def __call__(self) -> Iterator[SqlRepository]:
        try:
            with super().__call__() as repo:
                yield repo
        finally:
            self.cache.bump()
