"""Tamper-evident audit trail: each event's hash covers the previous hash (a hash chain).

Nothing issued can change without a trace (SCENARIOS 6; CHECKLIST RET-INTEGRITY, RET-PAF).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from encaisse.services.ports import AuditEntry, Repository

GENESIS = "0" * 64


def _digest(
    prev_hash: str,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    payload: dict[str, Any],
) -> str:
    body = json.dumps(
        [
            prev_hash,
            seq,
            at.astimezone(UTC).isoformat(timespec="microseconds"),
            actor,
            action,
            object_type,
            object_id,
            payload,
        ],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def record(
    repo: Repository,
    company_id: int,
    action: str,
    object_type: str,
    object_id: object,
    payload: dict[str, Any],
    *,
    actor: str = "",
    at: datetime | None = None,
) -> AuditEntry:
    last = repo.last_audit(company_id)
    prev = last.hash if last else GENESIS
    seq = (last.seq + 1) if last else 1
    when = (at or datetime.now(UTC)).replace(microsecond=(at or datetime.now(UTC)).microsecond)
    clean = json.loads(json.dumps(payload, default=str))
    entry = AuditEntry(
        seq,
        when,
        actor,
        action,
        object_type,
        str(object_id),
        clean,
        prev,
        _digest(prev, seq, when, actor, action, object_type, str(object_id), clean),
    )
    repo.add_audit(company_id, entry)
    return entry


def verify(entries: list[AuditEntry]) -> list[str]:
    """Problems found in the chain (empty when intact)."""
    problems = []
    prev = GENESIS
    for i, e in enumerate(entries, 1):
        if e.seq != i:
            problems.append(f"event {e.seq}: sequence gap (expected {i})")
        if e.prev_hash != prev:
            problems.append(f"event {e.seq}: previous hash does not match")
        at = e.at if e.at.tzinfo else e.at.replace(tzinfo=UTC)
        expected = _digest(e.prev_hash, e.seq, at, e.actor, e.action, e.object_type, e.object_id, e.payload)
        if expected != e.hash:
            problems.append(f"event {e.seq}: content altered ({e.action} {e.object_type} {e.object_id})")
        prev = e.hash
    return problems
