"""A small in-process cache of costly read models (dashboard figures, list totals).

Entries are dropped when this process commits any write (``CachingUnitOfWork`` bumps a version
after each write transaction) and expire after ``ttl_s`` seconds anyway, which bounds how stale a
figure can be when another process (the worker, the CLI, another web process) changed the data.
``ttl_s = 0`` disables the cache.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy.engine import Engine

from encaisse.adapters.store.sql_repository import SqlRepository, SqlUnitOfWork

T = TypeVar("T")
DEFAULT_TTL_S = 15.0


class ReadCache:
    def __init__(self, ttl_s: float = DEFAULT_TTL_S, max_entries: int = 2000) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self.version = 0
        self._data: dict[Hashable, tuple[int, float, object]] = {}
        self._lock = threading.Lock()

    def bump(self) -> None:
        with self._lock:
            self.version += 1
            self._data.clear()

    def peek(self, key: Hashable) -> object | None:
        """The fresh cached value of ``key``, or None (never computes)."""
        with self._lock:
            found = self._data.get(key)
            if found is not None and found[0] == self.version and found[1] > time.monotonic():
                return found[2]
        return None

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        if self.ttl_s <= 0:
            return compute()
        now = time.monotonic()
        with self._lock:
            found = self._data.get(key)
            if found is not None and found[0] == self.version and found[1] > now:
                return found[2]  # type: ignore[return-value]
            version = self.version
        value = compute()
        with self._lock:
            if version == self.version:
                if len(self._data) >= self.max_entries:
                    self._data.clear()
                self._data[key] = (version, now + self.ttl_s, value)
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
