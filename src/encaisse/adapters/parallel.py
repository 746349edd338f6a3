"""Run independent pieces of one job on several CPU cores (``formats.camt053_parts.PartMapper``).

:func:`forked_map` runs the first item in the calling process and the others in forked worker
processes, so a two-part job on a two-core machine takes about half the time. It is meant for
single-threaded processes (the ``encaisse`` CLI): forking a process that runs other threads can
copy a lock held by one of them. Anything going wrong with the workers (no ``fork`` on this
platform, a worker killed, a result that cannot be sent back) falls back to running every item
here, in order: the result never depends on whether the workers could be used.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
I = TypeVar("I")  # noqa: E741

__all__ = ["forked_map", "usable_cores"]


def usable_cores() -> int:
    """CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def forked_map(fn: Callable[[I], T], items: Sequence[I], /) -> list[T]:
    """``[fn(item) for item in items]``, the items after the first in forked worker processes."""
    if len(items) < 2 or usable_cores() < 2 or threading.active_count() > 1:
        return [fn(item) for item in items]
    try:
        context = multiprocessing.get_context("fork")
    except ValueError:  # pragma: no cover - platform without fork
        return [fn(item) for item in items]
    try:
        with ProcessPoolExecutor(max_workers=len(items) - 1, mp_context=context) as pool:
            futures: list[Future[T]] = [pool.submit(fn, item) for item in items[1:]]
            first = fn(items[0])
            return [first, *(f.result() for f in futures)]
    except (OSError, RuntimeError, EOFError):  # BrokenProcessPool is a RuntimeError
        return [fn(item) for item in items]
