"""Recurring flows (rent, salaries, loans, subscriptions, social charges, taxes) found in bank history.

Transactions are grouped by a normalised label (counterparty and wording without dates, numbers or
references), split by amount level (two leases with the same lessor are two flows), and each group
is tested for a weekly, monthly or quarterly rhythm. Intervals are measured in days, so a debit
moved from a Sunday to the Monday or skipped one month still counts; amounts are summarised by
their median. User-entered flows are the same dataclass with ``confirmed=True``.

>>> from datetime import date
>>> from decimal import Decimal
>>> from encaisse.domain.bank import BankTransaction
>>> txs = [BankTransaction(date(2026, m, 5), Decimal("-1850"), remittance=f"PRLV LOYER {m:02d}/2026")
...        for m in range(1, 7)]
>>> flow = detect_recurring(txs, today=date(2026, 6, 30))[0]
>>> flow.period.value, flow.amount, flow.next_dates[0]
('monthly', Decimal('-1850.00'), datetime.date(2026, 7, 6))
"""

from __future__ import annotations

import itertools
import re
import statistics
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from encaisse.domain.bank import BankTransaction
from encaisse.domain.money import ZERO, round_money


class Period(StrEnum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"

    @property
    def days(self) -> int:
        return {"weekly": 7, "monthly": 30, "quarterly": 91}[self.value]

    @property
    def tolerance(self) -> int:
        return {"weekly": 2, "monthly": 5, "quarterly": 10}[self.value]


#: keyword -> category (the first match wins); "vat" flows are replaced by the VAT calendar
CATEGORIES = (
    ("TVA", "vat"),
    ("URSSAF", "social"),
    ("PRO BTP", "social"),
    ("CIBTP", "social"),
    ("RETRAITE", "social"),
    ("SALAIRE", "salary"),
    ("REMUNERATION", "salary"),
    ("LOYER", "rent"),
    ("PRET", "loan"),
    ("ECHEANCE", "loan"),
    ("DGFIP", "tax"),
    ("IMPOT", "tax"),
    ("FRAIS", "fees"),
    ("COMMISSION", "fees"),
    ("ABONNEMENT", "subscription"),
    ("FACT", "supplier"),
)
_NOISE = re.compile(r"/(A|DE|MOTIF|REF)\b|\b(PRLV|SEPA|VIR|EMIS|RECU|CB|CARTE|NO)\b|[/:;,.*'()°-]")
_HAS_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class RecurringFlow:
    """A flow repeating every ``period``; ``amount`` is signed (debits negative), in EUR."""

    label: str
    amount: Decimal
    period: Period
    next_dates: tuple[date, ...] = ()
    confidence: float = 1.0
    confirmed: bool = False  # entered or validated by the user
    category: str = "other"
    counterparty: str = ""
    anchor_day: int = 1  # day of month (monthly/quarterly; 31 = last business day) or weekday (weekly)
    last_date: date | None = None
    spread: Decimal = ZERO  # typical deviation of the amount (median absolute deviation)

    def occurrences(self, start: date, end: date) -> list[date]:
        """Dates of the flow in ``[start, end]``: ``next_dates`` first, then extended by the rhythm."""
        dates = [d for d in self.next_dates if start <= d <= end]
        last = max(self.next_dates, default=self.last_date or start - timedelta(days=1))
        for d in _project(self.period, self.anchor_day, last, end):
            if d >= start and d not in dates:
                dates.append(d)
        return sorted(dates)


def normalize_label(tx: BankTransaction) -> str:
    """Counterparty and wording of a transaction without numbers, dates, references or accents."""
    text = f"{tx.counterparty_name} {tx.remittance}".upper()
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = [w for w in _NOISE.sub(" ", text).split() if not _HAS_DIGIT.search(w) and len(w) > 1]
    seen: list[str] = []
    for w in words:
        if w not in seen:
            seen.append(w)
    return " ".join(seen[:6])


def categorize(label: str) -> str:
    return next((cat for key, cat in CATEGORIES if key in label), "other")


def _business(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _month_day(year: int, month: int, anchor: int) -> date:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    last = nxt - timedelta(days=1)
    if anchor >= 28:  # month-end flows: the last business day
        while last.weekday() >= 5:
            last -= timedelta(days=1)
        return last
    return _business(date(year, month, min(anchor, last.day)))


def _project(period: Period, anchor: int, last: date, end: date) -> list[date]:
    out: list[date] = []
    if period is Period.WEEKLY:
        d = last + timedelta(days=1)
        while d <= end:
            if d.weekday() == anchor:
                out.append(d)
            d += timedelta(days=1)
        return out
    step = 1 if period is Period.MONTHLY else 3
    y, m = last.year, last.month
    while True:
        m += step
        y, m = y + (m - 1) // 12, (m - 1) % 12 + 1
        d = _month_day(y, m, anchor)
        if d > end:
            return out
        if d > last + timedelta(days=period.tolerance):
            out.append(d)


def _split_by_amount(txs: list[BankTransaction]) -> list[list[BankTransaction]]:
    """Split a group holding several flows (two leases with one lessor) by amount level.

    A group with at most one transaction per day is one flow, however noisy its amounts; otherwise
    it is cut where consecutive sorted amounts jump, with a finer threshold until days are unique.
    """
    if len({t.booking_date for t in txs}) >= 0.75 * len(txs):  # a few coinciding dates: one flow
        return [txs]
    for jump in (Decimal("1.12"), Decimal("1.03"), Decimal("1.005")):
        ordered = sorted(txs, key=lambda t: abs(t.amount))
        groups: list[list[BankTransaction]] = [[ordered[0]]]
        for prev, cur in itertools.pairwise(ordered):
            if abs(cur.amount) > abs(prev.amount) * jump:
                groups.append([])
            groups[-1].append(cur)
        if all(len({t.booking_date for t in g}) == len(g) for g in groups):
            return groups
    return groups


def _rhythm(dates: list[date]) -> tuple[Period, float] | None:
    gaps = [(b - a).days for a, b in itertools.pairwise(dates)]
    if not gaps:
        return None
    best: tuple[Period, float] | None = None
    for period in Period:
        ok = 0.0
        for g in gaps:
            multiple = round(g / period.days)
            if 1 <= multiple <= 2 and abs(g - multiple * period.days) <= period.tolerance * multiple:
                ok += 1 if multiple == 1 else 0.5  # a missing occurrence counts half
        score = ok / len(gaps)
        if best is None or score > best[1]:
            best = (period, score)
    return best


def detect_recurring(
    transactions: Iterable[BankTransaction],
    *,
    today: date,
    horizon_days: int = 120,
    include_credits: bool = False,
    min_occurrences: int = 3,
) -> list[RecurringFlow]:
    """Recurring flows found in ``transactions`` (debits only unless ``include_credits``)."""
    groups: dict[str, list[BankTransaction]] = defaultdict(list)
    for tx in transactions:
        if tx.booking_date <= today and (tx.amount < 0 or include_credits) and tx.amount != 0:
            groups[normalize_label(tx) + (" +" if tx.amount > 0 else "")].append(tx)
    flows: list[RecurringFlow] = []
    for label, txs in groups.items():
        for part in _split_by_amount(txs):
            flow = _flow(label, part, today, horizon_days, min_occurrences)
            if flow is not None:
                flows.append(flow)
    flows.sort(key=lambda f: (f.category, f.label, f.amount))
    return flows


def _flow(
    label: str, txs: Sequence[BankTransaction], today: date, horizon: int, min_n: int
) -> RecurringFlow | None:
    per_day: dict[date, Decimal] = defaultdict(lambda: ZERO)
    for t in txs:
        per_day[t.booking_date] += t.amount
    dates = sorted(per_day)
    if len(dates) < min_n:
        return None
    found = _rhythm(dates)
    if found is None or found[1] < 0.6:
        return None
    period, regularity = found
    if (today - dates[-1]).days > 2 * period.days + period.tolerance:
        return None  # stopped
    amounts = [float(a) for a in per_day.values()]
    median = statistics.median(amounts)
    mad = statistics.median(abs(a - median) for a in amounts)
    stability = max(0.0, 1.0 - mad / max(abs(median), 1.0))
    if period is Period.WEEKLY:
        anchor = statistics.mode(d.weekday() for d in dates)
    else:
        # debits move forward to the next business day: the most frequent day is the contractual one
        days = [d.day if d.day < 26 else 31 for d in dates]
        anchor = min(days, key=lambda x: (-days.count(x), x))
    confidence = round(regularity * min(1.0, len(dates) / 6) * (0.5 + 0.5 * stability), 3)
    recent_dates = [d for d in dates if (today - d).days < 400]
    flow = RecurringFlow(
        label=label,
        amount=round_money(Decimal(str(median))),
        period=period,
        confidence=confidence,
        category=categorize(label),
        counterparty=next((t.counterparty_name for t in txs if t.counterparty_name), ""),
        anchor_day=anchor,
        last_date=recent_dates[-1],
        spread=round_money(Decimal(str(1.4826 * mad))),
    )
    nexts = _project(period, anchor, dates[-1], today + timedelta(days=horizon))
    return _with_next(flow, tuple(d for d in nexts if d > today))


def _with_next(flow: RecurringFlow, nexts: tuple[date, ...]) -> RecurringFlow:
    from dataclasses import replace

    return replace(flow, next_dates=nexts)


def user_flow(
    label: str, amount: Decimal, period: Period, first: date, *, category: str = "other"
) -> RecurringFlow:
    """A flow entered by the user, starting on ``first``."""
    anchor = first.weekday() if period is Period.WEEKLY else (31 if first.day >= 28 else first.day)
    return RecurringFlow(
        label=label,
        amount=amount,
        period=period,
        next_dates=(first,),
        confidence=1.0,
        confirmed=True,
        category=category,
        anchor_day=anchor,
        last_date=first,
    )
