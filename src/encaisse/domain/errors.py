"""One exception family with stable codes, and problems as data.

Validators return lists of :class:`Problem`; callers decide whether to raise
:class:`EncaisseError`. Codes are stable strings used by tests, messages, API and docs
(legal rule codes come from ``shared/legal/CHECKLIST.md``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARN = "warn"
    INFO = "info"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: stable code, where, how bad, English message."""

    code: str
    message: str
    field: str = ""
    severity: Severity = Severity.ERROR
    line: int | None = None
    args: dict[str, Any] = dataclasses.field(default_factory=dict)

    def describe(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.field:
            where.append(f"field {self.field}")
        prefix = f"{', '.join(where)}: " if where else ""
        return f"[{self.code}] {prefix}{self.message}"


def errors_only(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity is Severity.ERROR]


class EncaisseError(Exception):
    """Base error: a stable ``code``, an English message and optional problems."""

    code: str = "ENCAISSE-ERROR"

    def __init__(
        self, message: str, *, code: str | None = None, problems: list[Problem] | None = None
    ) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message
        self.problems: list[Problem] = list(problems or [])

    def __str__(self) -> str:
        return self.message


class ValidationError(EncaisseError):
    code = "VALIDATION"


class NotFoundError(EncaisseError):
    code = "NOT-FOUND"


class ForbiddenError(EncaisseError):
    code = "FORBIDDEN"


class TransitionError(EncaisseError):
    code = "LIFECYCLE-TRANSITION"


class FormatError(EncaisseError):
    """A file could not be read in the format it claims (or any known format)."""

    code = "FORMAT-ERROR"
