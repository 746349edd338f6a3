"""Allocation: spread one payment over items, and find the items a grouped payment settles.

Amounts are integer cents, signed like the items (credit notes negative). The payment is spread
oldest first after netting the credit notes, never above an item's remaining amount nor above
the payment: what is left is the *excess* (an over-payment).

>>> spread(150000, [("A", 100000), ("B", 80000)])
([('A', 100000), ('B', 50000)], 0)
>>> subset_sums(30000, [("A", 10000), ("B", 20000), ("C", 5000)], max_size=3)
[('A', 'B')]
"""

from __future__ import annotations

from collections.abc import Sequence

from encaisse.domain.matching.model import ItemId


def spread(paid: int, items: Sequence[tuple[ItemId, int]]) -> tuple[list[tuple[ItemId, int]], int]:
    """Allocate ``paid`` (positive cents) over ``items`` (oldest first); return (allocations, excess).

    Credit notes (negative) are netted in full first, so the cash available grows by their amount;
    then each item takes ``min(available, remaining)``. Items that receive nothing are left out.
    Always ``sum(allocations) + excess == paid`` and ``excess >= 0``.
    """
    available = paid
    out: list[tuple[ItemId, int]] = []
    for item_id, remaining in items:
        if remaining < 0:
            out.append((item_id, remaining))
            available -= remaining
    for item_id, remaining in items:
        if remaining <= 0:
            continue
        take = min(available, remaining)
        if take <= 0:
            break
        out.append((item_id, take))
        available -= take
    return out, available


def subset_sums(
    target: int,
    items: Sequence[tuple[ItemId, int]],
    *,
    max_size: int,
    limit: int = 2,
    budget: int = 5_000,
) -> list[tuple[ItemId, ...]]:
    """Up to ``limit`` subsets of 2+ items (oldest first) whose amounts sum exactly to ``target``.

    Depth-first over the items in the given order (oldest first, so the first solution prefers
    old items), pruned when the running sum overshoots or the items left cannot reach the target;
    ``budget`` bounds the visited nodes. Only positive amounts take part. Two solutions mean
    the grouping is ambiguous.
    """
    pool = [(i, c) for i, c in items if 0 < c < target]
    suffix = [0] * (len(pool) + 1)
    for k in range(len(pool) - 1, -1, -1):
        suffix[k] = suffix[k + 1] + pool[k][1]
    found: list[tuple[ItemId, ...]] = []
    chosen: list[ItemId] = []
    visited = 0

    def walk(k: int, total: int) -> None:
        nonlocal visited
        visited += 1
        if total == target and len(chosen) >= 2:
            found.append(tuple(chosen))
            return
        if k == len(pool) or len(chosen) >= max_size or total + suffix[k] < target or visited > budget:
            return
        item_id, cents = pool[k]
        if total + cents <= target:
            chosen.append(item_id)
            walk(k + 1, total + cents)
            chosen.pop()
        if len(found) < limit:
            walk(k + 1, total)

    walk(0, 0)
    return found[:limit]
