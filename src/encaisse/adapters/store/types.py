"""Column types: exact decimals stored as scaled integers (identical on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, overload

import sqlalchemy as sa
from sqlalchemy.engine import Dialect


class ScaledDecimal(sa.types.TypeDecorator[Decimal]):
    """A Decimal stored as a BIGINT of ``10**-scale`` units (money: scale 2, i.e. cents).

    Exact on both databases (SQLite has no exact NUMERIC), sortable and summable in SQL.
    """

    impl = sa.BigInteger
    cache_ok = True

    def __init__(self, scale: int = 2) -> None:
        super().__init__()
        self.scale = scale
        self._factor = Decimal(10) ** scale
        self._quantum = Decimal(1).scaleb(-scale)

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        dec = value if isinstance(value, Decimal) else Decimal(str(value))
        scaled = dec * self._factor
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{dec} has more than {self.scale} decimals")
        return int(scaled)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(int(value)) / self._factor).quantize(self._quantum)


def Money() -> ScaledDecimal:  # noqa: N802 - reads like a type
    return ScaledDecimal(2)


def Quantity() -> ScaledDecimal:  # noqa: N802
    return ScaledDecimal(4)


@overload
def utc(value: datetime) -> datetime: ...
@overload
def utc(value: None) -> None: ...
def utc(value: datetime | None) -> datetime | None:
    """A stored instant in UTC: SQLite gives naive datetimes back (they were stored in UTC)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
