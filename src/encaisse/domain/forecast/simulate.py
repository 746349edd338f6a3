"""Vectorised Monte-Carlo draws of collection days (numpy), the core of the forecast.

Each open item draws its delay from its customer's distribution *conditioned on not being paid
yet* (inverse-CDF sampling on a quantile grid: ``u = F(lateness) + (1 - F(lateness)) · U``).
Items of one customer are correlated through a shared uniform (a customer who pays late pays
all its invoices late): with probability ``correlation`` an item uses its customer's draw.
Amounts are summed per simulation and per day with ``bincount``; items are processed in chunks
so memory stays bounded (100,000 items × 500 simulations in well under two seconds).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from encaisse.domain.forecast.delays import MIN_DELAY, SUPPORT, DelayDistribution

GRID = 1024
NEVER = 10**6  # sentinel delay: not collected within the support (lands beyond any horizon)
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class SamplingTables:
    cdf: FloatArray  # (K, SUPPORT + 1): cdf[k, j] = P(delay <= MIN_DELAY + j - 1)
    inverse: IntArray  # (K, GRID): delay at quantile (j + 0.5) / GRID, NEVER beyond the paid mass


def sampling_tables(dists: Sequence[DelayDistribution]) -> SamplingTables:
    probs = np.array([d.probs for d in dists], dtype=np.float64).reshape(len(dists), SUPPORT)
    cum = np.cumsum(probs, axis=1)
    cdf = np.concatenate([np.zeros((len(dists), 1)), cum], axis=1)
    targets = (np.arange(GRID) + 0.5) / GRID
    inverse = np.empty((len(dists), GRID), dtype=np.int64)
    for k in range(len(dists)):
        idx = np.searchsorted(cum[k], targets - 1e-12, side="left")
        inverse[k] = np.where(idx >= SUPPORT, NEVER, MIN_DELAY + idx)
    return SamplingTables(cdf=cdf, inverse=inverse)


def simulate_collections(
    tables: SamplingTables,
    dist_index: IntArray,
    lateness: IntArray,
    due_offset: IntArray,
    amounts: FloatArray,
    *,
    horizon: int,
    simulations: int,
    rng: np.random.Generator,
    correlation: float = 0.5,
    probability: FloatArray | None = None,
    chunk: int = 8192,
) -> FloatArray:
    """Daily collected amounts, shape ``(simulations, horizon + 1)``; column t = day today + t.

    ``lateness`` = today − due date (days), ``due_offset`` = due date − today; an item is
    collected on ``due_offset + delay`` with ``delay > lateness``, i.e. never before tomorrow.
    A share ``correlation`` of the items (chosen once) follow their customer's shared draw.
    ``probability`` (optional) is the chance that the item exists at all (quotes).
    """
    n = len(amounts)
    width = horizon + 2  # the last column collects what falls beyond the horizon
    out = np.zeros(simulations * width, dtype=np.float64)
    if n == 0:
        return out.reshape(simulations, width)[:, : horizon + 1]
    n_groups = int(dist_index.max()) + 1
    shared = rng.random((simulations, n_groups), dtype=np.float32)
    col = np.clip(lateness - MIN_DELAY + 1, 0, SUPPORT)
    f_late = tables.cdf[dist_index, col]
    # quantile index q = floor(GRID·(F + (1 − F)·U)) = floor(a + b·U)
    a = (f_late * GRID).astype(np.float32)
    b = ((1.0 - f_late) * GRID).astype(np.float32)
    base = (dist_index * GRID).astype(np.int32)
    flat_inverse = tables.inverse.ravel().astype(np.int32)
    offsets = due_offset.astype(np.int32)
    follows = rng.random(n) < correlation
    order = np.argsort(~follows, kind="stable")  # items following their customer first
    sim_base = (np.arange(simulations, dtype=np.int32) * width)[:, None]
    n_follow = int(follows.sum())
    for lo in range(0, n, chunk):
        hi = min(n, lo + chunk)
        idx = order[lo:hi]
        u = np.empty((simulations, hi - lo), dtype=np.float32)
        cut = max(0, min(hi, n_follow) - lo)
        if cut:
            u[:, :cut] = shared[:, dist_index[idx[:cut]]]
        if cut < hi - lo:
            u[:, cut:] = rng.random((simulations, hi - lo - cut), dtype=np.float32)
        q = (a[idx] + b[idx] * u).astype(np.int32)
        np.minimum(q, GRID - 1, out=q)
        q += base[idx]
        day = flat_inverse[q]
        day += offsets[idx]
        np.clip(day, 1, horizon + 1, out=day)
        day += sim_base
        weights = np.broadcast_to(amounts[idx], day.shape)
        if probability is not None:
            weights = weights * (rng.random(day.shape, dtype=np.float32) < probability[idx])
        out += np.bincount(day.ravel(), weights=weights.ravel(), minlength=out.size)
    return out.reshape(simulations, width)[:, : horizon + 1]


def simulate_replayed_sales(
    lag_tables: SamplingTables,
    history_days: IntArray,
    amounts: FloatArray,
    *,
    window_days: int,
    shift: int,
    horizon: int,
    simulations: int,
    rng: np.random.Generator,
) -> tuple[FloatArray, FloatArray]:
    """New invoices replayed from a history window, and their collections (row 0 of ``lag_tables``).

    Simulation s replays the window from a random week on: an invoice issued on window day d
    reappears on future day ``((d − 7·start_s − shift − 1) mod window_days) + 1`` (weekdays preserved when
    ``shift`` is today's weekday and the window starts on a Monday), and is collected after a lag
    drawn from the lag distribution. Returns ``(issued, collected)``, each ``(simulations, horizon + 1)``.
    """
    width = horizon + 2
    issued = np.zeros(simulations * width)
    collected = np.zeros(simulations * width)
    n = len(amounts)
    if n == 0 or window_days <= 0:
        empty = np.zeros((simulations, horizon + 1))
        return empty, empty.copy()
    starts = rng.integers(0, max(1, window_days // 7), size=(simulations, 1)) * 7
    base = (np.arange(simulations) * width)[:, None]
    flat_inverse = lag_tables.inverse[0]
    for wrap in range(horizon // window_days + 1):
        day = (history_days[None, :] - starts - shift - 1) % window_days + 1 + wrap * window_days
        inside = day <= horizon
        weights = np.broadcast_to(amounts, day.shape)
        issued += np.bincount((base + day)[inside], weights=weights[inside], minlength=issued.size)
        u = rng.random(day.shape)
        lag = flat_inverse[np.minimum((u * GRID).astype(np.int64), GRID - 1)]
        paid_day = np.clip(day + np.maximum(lag, 0), 1, horizon + 1)
        collected += np.bincount((base + paid_day)[inside], weights=weights[inside], minlength=collected.size)
    return (
        issued.reshape(simulations, width)[:, : horizon + 1],
        collected.reshape(simulations, width)[:, : horizon + 1],
    )
