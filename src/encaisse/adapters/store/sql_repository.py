"""The SQL implementation of ``services.ports.Repository`` (documents, parties, users, audit)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from encaisse.adapters.store import mapping as mp
from encaisse.adapters.store import tables as t
from encaisse.adapters.store.bank_connections import BankConnectionRepositoryMixin
from encaisse.adapters.store.bank_repository import BankRepositoryMixin
from encaisse.adapters.store.collections_repository import CollectionsRepositoryMixin
from encaisse.adapters.store.financing_repository import FinancingRepositoryMixin
from encaisse.domain.documents import Invoice, Line, Quote, QuoteStatus, compute_totals
from encaisse.domain.errors import NotFoundError
from encaisse.domain.parties import Company, Party
from encaisse.services.ports import (
    ApiTokenRecord,
    AuditEntry,
    CustomerRow,
    InvoiceFilter,
    InvoiceRow,
    ItemRecord,
    UserRecord,
)

# Statements compiled once; parameters passed separately keep SQLAlchemy's compiled cache hot.
_INSERT_INVOICE = t.invoice.insert().returning(t.invoice.c.id)
_INSERT_AUDIT = t.audit_event.insert()
_SEQ_KEY = sa.and_(
    t.number_sequence.c.company_id == sa.bindparam("c"),
    t.number_sequence.c.series == sa.bindparam("s"),
    t.number_sequence.c.fiscal_year == sa.bindparam("y"),
)
_SEQ_SELECT = sa.select(t.number_sequence.c.last_value).where(_SEQ_KEY)
_SEQ_SELECT_FOR_UPDATE = _SEQ_SELECT.with_for_update()
_SEQ_UPDATE = t.number_sequence.update().where(_SEQ_KEY).values(last_value=sa.bindparam("v"))

_ROW_COLUMNS = tuple(
    getattr(t.invoice.c, name)
    for name in (
        "id",
        "number",
        "kind",
        "status",
        "customer_id",
        "customer_snapshot",
        "issue_date",
        "due_date",
        "total_excl_tax",
        "total_incl_tax",
        "amount_paid",
        "amount_credited",
        "currency",
        "payment_reference",
        "disputed",
    )
)


def _invoice_source(flt: InvoiceFilter) -> Any:
    """The invoice table, joined to parties only when the filter or the sort needs their name."""
    if flt.search or flt.sort.lstrip("-") == "customer":
        return t.invoice.outerjoin(t.party, t.party.c.id == t.invoice.c.customer_id)
    return t.invoice


def _invoice_row(r: Any) -> InvoiceRow:
    """A list row from a select of ``_ROW_COLUMNS`` (the customer as it was on the invoice)."""
    snap = r.customer_snapshot or {}
    return InvoiceRow(
        id=r.id,
        number=r.number or "",
        kind=r.kind,
        status=r.status,
        customer_id=r.customer_id,
        customer_name=snap.get("name", ""),
        customer_siren=snap.get("siren", ""),
        issue_date=r.issue_date,
        due_date=r.due_date,
        total_excl_tax=r.total_excl_tax,
        total_incl_tax=r.total_incl_tax,
        amount_paid=r.amount_paid,
        amount_credited=r.amount_credited,
        currency=r.currency,
        payment_reference=r.payment_reference,
        disputed=r.disputed,
    )


_SORTS: dict[str, Any] = {
    "issue_date": t.invoice.c.issue_date,
    "due_date": t.invoice.c.due_date,
    "number": t.invoice.c.number,
    "total": t.invoice.c.total_incl_tax,
    "status": t.invoice.c.status,
    "customer": sa.func.lower(t.party.c.name),
}


class SqlRepository(
    BankRepositoryMixin, BankConnectionRepositoryMixin, CollectionsRepositoryMixin, FinancingRepositoryMixin
):
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        # Within one transaction the store holds the numbering row locks and the audit-chain lock
        # (PostgreSQL) or the database write lock (SQLite): what it read stays true until commit.
        self._seq_cache: dict[tuple[int, str, int], int] = {}
        self._seq_dirty: set[tuple[int, str, int]] = set()
        self._audit_tail: dict[int, AuditEntry | None] = {}
        self._audit_pending: list[dict[str, Any]] = []

    def flush(self) -> None:
        """Write what batch use cases left pending (sequence values, audit events) before commit."""
        if self._seq_dirty:
            self.conn.execute(
                _SEQ_UPDATE,
                [
                    {"c": c, "s": s, "y": y, "v": self._seq_cache[(c, s, y)]}
                    for c, s, y in sorted(self._seq_dirty)
                ],
            )
            self._seq_dirty.clear()
        if self._audit_pending:
            self.conn.execute(_INSERT_AUDIT, self._audit_pending)
            self._audit_pending = []

    # ---- companies and users -------------------------------------------------------------
    def add_company(self, company: Company) -> Company:
        new_id = self.conn.execute(
            t.company.insert().values(**mp.company_values(company)).returning(t.company.c.id)
        ).scalar_one()
        return replace(company, id=new_id)

    def get_company(self, company_id: int) -> Company:
        row = self.conn.execute(sa.select(t.company).where(t.company.c.id == company_id)).first()
        if row is None:
            raise NotFoundError(f"company {company_id} not found", code="COMPANY-NOT-FOUND")
        return mp.company_from(row)

    def update_company(self, company: Company) -> Company:
        assert company.id is not None
        self.conn.execute(
            t.company.update().where(t.company.c.id == company.id).values(**mp.company_values(company))
        )
        return company

    def list_companies(self) -> list[Company]:
        return [mp.company_from(r) for r in self.conn.execute(sa.select(t.company).order_by(t.company.c.id))]

    def company_by_siren(self, siren: str) -> Company | None:
        row = self.conn.execute(sa.select(t.company).where(t.company.c.siren == siren)).first()
        return mp.company_from(row) if row else None

    def add_user(self, email: str, name: str, password_hash: str) -> int:
        return int(
            self.conn.execute(
                t.user.insert()
                .values(email=email.lower(), name=name, password_hash=password_hash)
                .returning(t.user.c.id)
            ).scalar_one()
        )

    def _user(self, where: Any) -> UserRecord | None:
        row = self.conn.execute(sa.select(t.user).where(where)).first()
        if row is None:
            return None
        members = self.conn.execute(
            sa.select(t.membership.c.company_id, t.membership.c.role)
            .where(t.membership.c.user_id == row.id)
            .order_by(t.membership.c.company_id)
        ).all()
        return UserRecord(
            id=row.id,
            email=row.email,
            name=row.name,
            password_hash=row.password_hash,
            memberships=tuple((m.company_id, m.role) for m in members),
        )

    def user_by_email(self, email: str) -> UserRecord | None:
        return self._user(t.user.c.email == email.lower())

    def user_by_id(self, user_id: int) -> UserRecord | None:
        return self._user(t.user.c.id == user_id)

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        self.conn.execute(t.user.update().where(t.user.c.id == user_id).values(password_hash=password_hash))

    def add_membership(self, user_id: int, company_id: int, role: str) -> None:
        self.conn.execute(t.membership.insert().values(user_id=user_id, company_id=company_id, role=role))

    def list_members(self, company_id: int) -> list[tuple[UserRecord, str]]:
        rows = self.conn.execute(
            sa.select(t.user, t.membership.c.role)
            .join(t.membership, t.membership.c.user_id == t.user.c.id)
            .where(t.membership.c.company_id == company_id)
            .order_by(t.user.c.email)
        ).all()
        return [(UserRecord(r.id, r.email, r.name, r.password_hash), r.role) for r in rows]

    # ---- parties -------------------------------------------------------------------------
    def add_party(self, company_id: int, party: Party) -> Party:
        new_id = self.conn.execute(
            t.party.insert().values(**mp.party_values(company_id, party)).returning(t.party.c.id)
        ).scalar_one()
        return replace(party, id=new_id)

    def update_party(self, company_id: int, party: Party) -> Party:
        assert party.id is not None
        res = self.conn.execute(
            t.party.update()
            .where(t.party.c.id == party.id, t.party.c.company_id == company_id)
            .values(**mp.party_values(company_id, party))
        )
        if res.rowcount == 0:
            raise NotFoundError("party not found", code="PARTY-NOT-FOUND")
        return party

    def get_party(self, company_id: int, party_id: int) -> Party:
        row = self.conn.execute(
            sa.select(t.party).where(t.party.c.id == party_id, t.party.c.company_id == company_id)
        ).first()
        if row is None:
            raise NotFoundError("party not found", code="PARTY-NOT-FOUND")
        return mp.party_from(row)

    def customer_index(self, company_id: int) -> tuple[dict[str, Party], dict[str, Party]]:
        """Every customer of the company by SIREN and by lower-cased name (first one wins)."""
        by_siren: dict[str, Party] = {}
        by_name: dict[str, Party] = {}
        rows = self.conn.execute(
            sa.select(t.party)
            .where(t.party.c.company_id == company_id, t.party.c.kind == "customer")
            .order_by(t.party.c.id)
        )
        for r in rows:
            p = mp.party_from(r)
            if p.siren:
                by_siren.setdefault(p.siren, p)
            by_name.setdefault(p.name.lower(), p)
        return by_siren, by_name

    def add_parties_bulk(self, company_id: int, parties: Sequence[Party]) -> list[Party]:
        if not parties:
            return []
        result = self.conn.execute(
            t.party.insert().returning(t.party.c.id, sort_by_parameter_order=True),
            [mp.party_values(company_id, p) for p in parties],
        )
        return [replace(p, id=int(r.id)) for p, r in zip(parties, result, strict=True)]

    def find_party(self, company_id: int, *, siren: str = "", name: str = "", kind: str = "") -> Party | None:
        q = sa.select(t.party).where(t.party.c.company_id == company_id)
        if kind:
            q = q.where(t.party.c.kind == kind)
        if siren:
            q = q.where(t.party.c.siren == siren)
        elif name:
            q = q.where(sa.func.lower(t.party.c.name) == name.lower())
        else:
            return None
        row = self.conn.execute(q.order_by(t.party.c.id).limit(1)).first()
        return mp.party_from(row) if row else None

    def _party_query(self, company_id: int, kind: str, search: str) -> Any:
        q = t.party.c.company_id == company_id
        q = sa.and_(q, t.party.c.kind == kind)
        if search:
            like = f"%{search.lower()}%"
            q = sa.and_(
                q,
                sa.or_(
                    sa.func.lower(t.party.c.name).like(like),
                    t.party.c.siren.like(like),
                    sa.func.lower(t.party.c.city).like(like),
                ),
            )
        return q

    def list_parties(
        self, company_id: int, kind: str, *, search: str = "", limit: int | None = None, offset: int = 0
    ) -> list[Party]:
        q = (
            sa.select(t.party)
            .where(self._party_query(company_id, kind, search))
            .order_by(sa.func.lower(t.party.c.name), t.party.c.id)
        )
        if limit is not None:
            q = q.limit(limit).offset(offset)
        return [mp.party_from(r) for r in self.conn.execute(q)]

    def count_parties(self, company_id: int, kind: str, *, search: str = "") -> int:
        return int(
            self.conn.execute(
                sa.select(sa.func.count())
                .select_from(t.party)
                .where(self._party_query(company_id, kind, search))
            ).scalar_one()
        )

    # ---- invoices ------------------------------------------------------------------------
    @staticmethod
    def _totals(inv: Invoice) -> tuple[Decimal, Decimal, Decimal]:
        if inv.total_incl_tax_override is not None:
            return (inv.total_incl_tax_override, Decimal("0.00"), inv.total_incl_tax_override)
        tot = compute_totals(inv)
        return (tot.total_excl_tax, tot.total_vat, tot.total_incl_tax)

    def _insert_lines(self, company_id: int, lines: Sequence[Line], **owner: int) -> None:
        if lines:
            self.conn.execute(
                t.invoice_line.insert(),
                [mp.line_values(company_id, i, ln, **owner) for i, ln in enumerate(lines, 1)],
            )

    def _write_vat_lines(self, inv: Invoice, *, new: bool = False) -> None:
        assert inv.id is not None
        if not new:
            self.conn.execute(t.vat_line.delete().where(t.vat_line.c.invoice_id == inv.id))
        if inv.status.value == "draft" or inv.total_incl_tax_override is not None:
            return
        groups = compute_totals(inv).vat_groups
        if groups:
            self.conn.execute(
                t.vat_line.insert(),
                [
                    {
                        "company_id": inv.company_id,
                        "invoice_id": inv.id,
                        "category": g.category.value,
                        "rate": g.rate,
                        "taxable_amount": g.taxable_amount,
                        "tax_amount": g.tax_amount,
                    }
                    for g in groups
                ],
            )

    def add_invoice(self, invoice: Invoice) -> Invoice:
        values = mp.invoice_values(invoice, self._totals(invoice))
        new_id = self.conn.execute(_INSERT_INVOICE, values).scalar_one()
        self._insert_lines(invoice.company_id, invoice.lines, invoice_id=new_id)
        stored = replace(invoice, id=new_id)
        self._write_vat_lines(stored, new=True)
        return stored

    def add_invoices_bulk(self, invoices: Sequence[Invoice]) -> None:
        for inv in invoices:
            self.add_invoice(inv)

    def add_imported_invoices(self, invoices: Sequence[Invoice]) -> None:
        """Bulk insert of receivables imported without lines (one executemany per chunk)."""
        self._insert_rows(t.invoice, [mp.invoice_values(inv, self._totals(inv)) for inv in invoices])

    def existing_imported(self, company_id: int, numbers: Sequence[str]) -> dict[str, tuple[Decimal, str]]:
        out: dict[str, tuple[Decimal, str]] = {}
        wanted = list(set(numbers))
        for i in range(0, len(wanted), 500):
            rows = self.conn.execute(
                sa.select(
                    t.invoice.c.number, t.invoice.c.total_incl_tax, t.invoice.c.customer_snapshot
                ).where(t.invoice.c.company_id == company_id, t.invoice.c.number.in_(wanted[i : i + 500]))
            )
            for r in rows:
                snap = r.customer_snapshot or {}
                out[r.number] = (r.total_incl_tax, snap.get("siren") or snap.get("name", "").lower())
        return out

    def update_invoice(self, invoice: Invoice) -> Invoice:
        assert invoice.id is not None
        values = mp.invoice_values(invoice, self._totals(invoice))
        res = self.conn.execute(
            t.invoice.update()
            .where(t.invoice.c.id == invoice.id, t.invoice.c.company_id == invoice.company_id)
            .values(**values)
        )
        if res.rowcount == 0:
            raise NotFoundError("invoice not found", code="INVOICE-NOT-FOUND")
        self.conn.execute(t.invoice_line.delete().where(t.invoice_line.c.invoice_id == invoice.id))
        self._insert_lines(invoice.company_id, invoice.lines, invoice_id=invoice.id)
        self._write_vat_lines(invoice)
        return invoice

    def delete_invoice(self, company_id: int, invoice_id: int) -> None:
        self.conn.execute(
            t.invoice_line.delete().where(
                t.invoice_line.c.invoice_id == invoice_id, t.invoice_line.c.company_id == company_id
            )
        )
        self.conn.execute(t.vat_line.delete().where(t.vat_line.c.invoice_id == invoice_id))
        self.conn.execute(
            t.invoice.delete().where(t.invoice.c.id == invoice_id, t.invoice.c.company_id == company_id)
        )

    def _lines_of(self, column: Any, ids: list[int]) -> dict[int, tuple[Line, ...]]:
        out: dict[int, list[Line]] = defaultdict(list)
        if ids:
            rows = self.conn.execute(
                sa.select(t.invoice_line).where(column.in_(ids)).order_by(column, t.invoice_line.c.position)
            )
            for r in rows:
                out[r._mapping[column.name]].append(mp.line_from(r))
        return {k: tuple(v) for k, v in out.items()}

    def get_invoice(self, company_id: int, invoice_id: int) -> Invoice:
        row = self.conn.execute(
            sa.select(t.invoice).where(t.invoice.c.id == invoice_id, t.invoice.c.company_id == company_id)
        ).first()
        if row is None:
            raise NotFoundError("invoice not found", code="INVOICE-NOT-FOUND")
        return mp.invoice_from(
            row, self._lines_of(t.invoice_line.c.invoice_id, [invoice_id]).get(invoice_id, ())
        )

    def load_invoices(self, company_id: int) -> list[Invoice]:
        """Every invoice of the company with its lines (forecast, reports); lines loaded in one query."""
        rows = self.conn.execute(
            sa.select(t.invoice).where(t.invoice.c.company_id == company_id).order_by(t.invoice.c.id)
        ).all()
        lines: dict[int, list[Line]] = defaultdict(list)
        for r in self.conn.execute(
            sa.select(t.invoice_line)
            .where(t.invoice_line.c.company_id == company_id, t.invoice_line.c.invoice_id.is_not(None))
            .order_by(t.invoice_line.c.invoice_id, t.invoice_line.c.position)
        ):
            lines[r.invoice_id].append(mp.line_from(r))
        return [mp.invoice_from(r, tuple(lines.get(r.id, ()))) for r in rows]

    def all_payments(self, company_id: int) -> list[tuple[str, date, Decimal]]:
        rows = self.conn.execute(
            sa.select(t.invoice.c.number, t.payment.c.date, t.payment.c.amount)
            .join(t.invoice, t.invoice.c.id == t.payment.c.invoice_id)
            .where(t.payment.c.company_id == company_id)
            .order_by(t.payment.c.date, t.payment.c.id)
        )
        return [(r.number or "", r.date, r.amount) for r in rows]

    def invoice_by_number(self, company_id: int, number: str) -> Invoice | None:
        row = self.conn.execute(
            sa.select(t.invoice.c.id).where(
                t.invoice.c.company_id == company_id, t.invoice.c.number == number
            )
        ).first()
        return self.get_invoice(company_id, row.id) if row else None

    def invoice_numbers(self, company_id: int, numbers: Iterable[str]) -> set[str]:
        wanted = list(set(numbers))
        found: set[str] = set()
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            found.update(
                self.conn.execute(
                    sa.select(t.invoice.c.number).where(
                        t.invoice.c.company_id == company_id, t.invoice.c.number.in_(chunk)
                    )
                ).scalars()
            )
        return found

    def _invoice_where(self, company_id: int, flt: InvoiceFilter) -> Any:
        c = t.invoice.c
        cond = [c.company_id == company_id]
        if flt.status:
            cond.append(c.status == flt.status)
        if flt.kind:
            cond.append(c.kind == flt.kind)
        if flt.customer_id is not None:
            cond.append(c.customer_id == flt.customer_id)
        if flt.open_only:
            cond.append(c.status.in_(("issued", "partially_paid")))
        if flt.overdue_on is not None:
            cond.append(c.status.in_(("issued", "partially_paid")))
            cond.append(c.due_date < flt.overdue_on)
        if flt.search:
            like = f"%{flt.search.lower()}%"
            cond.append(sa.or_(sa.func.lower(c.number).like(like), sa.func.lower(t.party.c.name).like(like)))
        return sa.and_(*cond)

    def list_invoices(self, company_id: int, flt: InvoiceFilter) -> list[InvoiceRow]:
        c = t.invoice.c
        q = (
            sa.select(*_ROW_COLUMNS)
            .select_from(_invoice_source(flt))
            .where(self._invoice_where(company_id, flt))
        )
        key = flt.sort.lstrip("-")
        col = _SORTS.get(key, c.issue_date)
        order = [col.desc() if flt.sort.startswith("-") else col.asc(), c.id.desc()]
        q = q.order_by(*order)
        if flt.limit is not None:
            q = q.limit(flt.limit).offset(flt.offset)
        return [_invoice_row(r) for r in self.conn.execute(q)]

    def count_invoices(self, company_id: int, flt: InvoiceFilter) -> int:
        q = (
            sa.select(sa.func.count())
            .select_from(_invoice_source(flt))
            .where(self._invoice_where(company_id, flt))
        )
        return int(self.conn.execute(q).scalar_one())

    def next_number(self, company_id: int, series: str, fiscal_year: int) -> int:
        """Gap-free next value: row lock on PostgreSQL; SQLite writers are serialized (BEGIN IMMEDIATE).

        The first call of a transaction takes the lock and reads the value; later calls in the same
        transaction (batch issuing) only write the incremented value.
        """
        seq = t.number_sequence
        key = {"c": company_id, "s": series, "y": fiscal_year}
        cache_key = (company_id, series, fiscal_year)
        current = self._seq_cache.get(cache_key)
        if current is None:
            if self.conn.dialect.name == "postgresql":
                from sqlalchemy.dialects.postgresql import insert as pg_insert

                self.conn.execute(
                    pg_insert(seq)
                    .values(company_id=company_id, series=series, fiscal_year=fiscal_year, last_value=0)
                    .on_conflict_do_nothing()
                )
                current = int(self.conn.execute(_SEQ_SELECT_FOR_UPDATE, key).scalar_one())
            else:
                found = self.conn.execute(_SEQ_SELECT, key).scalar()
                if found is None:
                    self.conn.execute(
                        seq.insert(),
                        {
                            "company_id": company_id,
                            "series": series,
                            "fiscal_year": fiscal_year,
                            "last_value": 0,
                        },
                    )
                    found = 0
                current = int(found)
        nxt = current + 1
        self._seq_cache[cache_key] = nxt
        self._seq_dirty.add(cache_key)  # written once by flush(), before the transaction commits
        return nxt

    def set_sequence(self, company_id: int, series: str, fiscal_year: int, last_value: int) -> None:
        seq = t.number_sequence
        key = sa.and_(
            seq.c.company_id == company_id, seq.c.series == series, seq.c.fiscal_year == fiscal_year
        )
        if self.conn.execute(sa.select(seq.c.last_value).where(key)).first() is None:
            self.conn.execute(
                seq.insert().values(
                    company_id=company_id, series=series, fiscal_year=fiscal_year, last_value=last_value
                )
            )
        else:
            self.conn.execute(seq.update().where(key).values(last_value=last_value))

    def add_item(
        self,
        company_id: int,
        *,
        code: str,
        description: str,
        unit: str,
        unit_price: Decimal,
        vat_rate: Decimal,
        nature: str,
    ) -> int:
        return int(
            self.conn.execute(
                t.item.insert()
                .values(
                    company_id=company_id,
                    code=code,
                    description=description,
                    unit=unit,
                    unit_price=unit_price,
                    vat_rate=vat_rate,
                    nature=nature,
                )
                .returning(t.item.c.id)
            ).scalar_one()
        )

    def set_invoice_settlement(
        self,
        company_id: int,
        invoice_id: int,
        *,
        amount_paid: Decimal,
        amount_credited: Decimal,
        status: str,
        paid_on: date | None,
    ) -> None:
        self.conn.execute(
            t.invoice.update()
            .where(t.invoice.c.id == invoice_id, t.invoice.c.company_id == company_id)
            .values(amount_paid=amount_paid, amount_credited=amount_credited, status=status, paid_on=paid_on)
        )

    def set_invoice_flags(self, company_id: int, invoice_id: int, **flags: Any) -> None:
        allowed = {
            "disputed",
            "delivery_failed",
            "in_payment_plan",
            "last_step_sent",
            "last_step_sent_on",
            "indemnity_claimed",
            "einvoice_status",
            "issued_at",
        }
        unknown = set(flags) - allowed
        if unknown:
            raise ValueError(f"not a flag: {sorted(unknown)}")
        self.conn.execute(
            t.invoice.update()
            .where(t.invoice.c.id == invoice_id, t.invoice.c.company_id == company_id)
            .values(**flags)
        )

    def add_payment(
        self,
        company_id: int,
        invoice_id: int,
        day: date,
        amount: Decimal,
        *,
        method: str = "transfer",
        allocation_id: int | None = None,
        note: str = "",
    ) -> int:
        return int(
            self.conn.execute(
                t.payment.insert()
                .values(
                    company_id=company_id,
                    invoice_id=invoice_id,
                    date=day,
                    amount=amount,
                    method=method,
                    allocation_id=allocation_id,
                    note=note,
                )
                .returning(t.payment.c.id)
            ).scalar_one()
        )

    def payments_of(self, company_id: int, invoice_id: int) -> list[tuple[int, date, Decimal, str]]:
        rows = self.conn.execute(
            sa.select(t.payment.c.id, t.payment.c.date, t.payment.c.amount, t.payment.c.method)
            .where(t.payment.c.company_id == company_id, t.payment.c.invoice_id == invoice_id)
            .order_by(t.payment.c.date, t.payment.c.id)
        )
        return [(r.id, r.date, r.amount, r.method) for r in rows]

    def delete_payments_of_allocation(self, company_id: int, allocation_id: int) -> None:
        self.conn.execute(
            t.payment.delete().where(
                t.payment.c.company_id == company_id, t.payment.c.allocation_id == allocation_id
            )
        )

    # ---- quotes --------------------------------------------------------------------------
    def _quote_values(self, q: Quote) -> dict[str, Any]:
        tot = compute_totals(q)
        return {
            "company_id": q.company_id,
            "number": q.number,
            "customer_id": q.customer.id,
            "issue_date": q.issue_date,
            "validity_date": q.validity_date,
            "status": q.status.value,
            "document_discount_percent": q.document_discount_percent,
            "currency": q.currency,
            "note": q.note,
            "accepted_on": q.accepted_on,
            "total_excl_tax": tot.total_excl_tax,
            "total_incl_tax": tot.total_incl_tax,
        }

    def add_quote(self, quote: Quote) -> Quote:
        new_id = self.conn.execute(
            t.quote.insert().values(**self._quote_values(quote)).returning(t.quote.c.id)
        ).scalar_one()
        self._insert_lines(quote.company_id, quote.lines, quote_id=new_id)
        return replace(quote, id=new_id)

    def update_quote(self, quote: Quote) -> Quote:
        assert quote.id is not None
        self.conn.execute(
            t.quote.update()
            .where(t.quote.c.id == quote.id, t.quote.c.company_id == quote.company_id)
            .values(**self._quote_values(quote))
        )
        self.conn.execute(t.invoice_line.delete().where(t.invoice_line.c.quote_id == quote.id))
        self._insert_lines(quote.company_id, quote.lines, quote_id=quote.id)
        return quote

    def quote_link_nonce(self, company_id: int, quote_id: int) -> str | None:
        value = self.conn.execute(
            sa.select(t.quote.c.link_nonce).where(
                t.quote.c.id == quote_id, t.quote.c.company_id == company_id
            )
        ).scalar_one_or_none()
        return str(value) if value else None

    def set_quote_link_nonce(self, company_id: int, quote_id: int, nonce: str | None) -> None:
        self.conn.execute(
            t.quote.update()
            .where(t.quote.c.id == quote_id, t.quote.c.company_id == company_id)
            .values(link_nonce=nonce)
        )

    def quote_of_link_nonce(self, nonce: str) -> tuple[int, int] | None:
        """(company id, quote id) of a link nonce: the only query not scoped to a company, as the
        public link is the key (services/quote_links.py)."""
        row = self.conn.execute(
            sa.select(t.quote.c.company_id, t.quote.c.id).where(t.quote.c.link_nonce == nonce)
        ).first()
        return (int(row[0]), int(row[1])) if row else None

    def answer_quote(self, quote: Quote, *, expected: QuoteStatus) -> bool:
        """Set the quote's status (and acceptance date) only if it is still ``expected``: an answer
        given meanwhile in another transaction is never overwritten. True when it was set."""
        assert quote.id is not None
        done = self.conn.execute(
            t.quote.update()
            .where(
                t.quote.c.id == quote.id,
                t.quote.c.company_id == quote.company_id,
                t.quote.c.status == expected.value,
            )
            .values(status=quote.status.value, accepted_on=quote.accepted_on)
        )
        return done.rowcount == 1

    def _quotes(self, q: Any) -> list[Quote]:
        rows = self.conn.execute(q).all()
        lines = self._lines_of(t.invoice_line.c.quote_id, [r.id for r in rows])
        parties: dict[int, Party] = {}
        out = []
        for r in rows:
            if r.customer_id not in parties:
                parties[r.customer_id] = self.get_party(r.company_id, r.customer_id)
            out.append(mp.quote_from(r, parties[r.customer_id], lines.get(r.id, ())))
        return out

    def get_quote(self, company_id: int, quote_id: int) -> Quote:
        found = self._quotes(
            sa.select(t.quote).where(t.quote.c.id == quote_id, t.quote.c.company_id == company_id)
        )
        if not found:
            raise NotFoundError("quote not found", code="QUOTE-NOT-FOUND")
        return found[0]

    def list_quotes(
        self, company_id: int, *, status: str | None = None, limit: int | None = None
    ) -> list[Quote]:
        q = sa.select(t.quote).where(t.quote.c.company_id == company_id)
        if status:
            q = q.where(t.quote.c.status == status)
        q = q.order_by(t.quote.c.issue_date.desc(), t.quote.c.id.desc())
        if limit:
            q = q.limit(limit)
        return self._quotes(q)

    def next_quote_number(self, company_id: int, year: int) -> int:
        return self.next_number(company_id, "quote", year)

    # ---- e-invoicing statuses ------------------------------------------------------------
    def status_events(self, company_id: int, *, invoice_id: int) -> list[tuple[str, datetime, str]]:
        ev = t.einvoice_status_event
        rows = self.conn.execute(
            sa.select(ev.c.status, ev.c.at, ev.c.reason)
            .where(ev.c.company_id == company_id, ev.c.invoice_id == invoice_id)
            .order_by(ev.c.at, ev.c.id)
        )
        return [(r.status, r.at if r.at.tzinfo else r.at.replace(tzinfo=UTC), r.reason) for r in rows]

    def add_status_event(
        self, company_id: int, *, invoice_id: int, status: str, at: datetime, reason: str
    ) -> None:
        self.conn.execute(
            t.einvoice_status_event.insert(),
            {
                "company_id": company_id,
                "invoice_id": invoice_id,
                "status": status,
                "at": at,
                "reason": reason,
            },
        )

    # ---- audit ---------------------------------------------------------------------------
    @staticmethod
    def _audit_from(r: Any) -> AuditEntry:
        return AuditEntry(
            r.seq, r.at, r.actor, r.action, r.object_type, r.object_id, r.payload, r.prev_hash, r.hash
        )

    def last_audit(self, company_id: int) -> AuditEntry | None:
        """The chain's last event; on PostgreSQL first takes the company's chain lock until commit."""
        if company_id in self._audit_tail:
            return self._audit_tail[company_id]
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(sa.text("SELECT pg_advisory_xact_lock(7331, :c)"), {"c": company_id})
        r = self.conn.execute(
            sa.select(t.audit_event)
            .where(t.audit_event.c.company_id == company_id)
            .order_by(t.audit_event.c.seq.desc())
            .limit(1)
        ).first()
        tail = self._audit_from(r) if r else None
        self._audit_tail[company_id] = tail
        return tail

    def add_audit(self, company_id: int, entry: AuditEntry) -> None:
        self._audit_tail[company_id] = entry
        self._audit_pending.append(
            {
                "company_id": company_id,
                "seq": entry.seq,
                "at": entry.at,
                "actor": entry.actor,
                "action": entry.action,
                "object_type": entry.object_type,
                "object_id": entry.object_id,
                "payload": entry.payload,
                "prev_hash": entry.prev_hash,
                "hash": entry.hash,
            }
        )

    def audit_entries(self, company_id: int) -> list[AuditEntry]:
        self.flush()
        rows = self.conn.execute(
            sa.select(t.audit_event)
            .where(t.audit_event.c.company_id == company_id)
            .order_by(t.audit_event.c.seq)
        )
        return [self._audit_from(r) for r in rows]

    # ---- web read models, catalogue, API tokens, memberships (web issue) -----------------
    def list_items(self, company_id: int) -> list[ItemRecord]:
        rows = self.conn.execute(
            sa.select(t.item).where(t.item.c.company_id == company_id).order_by(t.item.c.code, t.item.c.id)
        )
        return [
            ItemRecord(r.id, r.code, r.description, r.unit, r.unit_price, r.vat_rate, r.nature) for r in rows
        ]

    def invoice_totals(self, company_id: int, flt: InvoiceFilter) -> tuple[int, Decimal]:
        """How many invoices match ``flt`` and the sum of what they still owe (one SQL aggregate)."""
        c = t.invoice.c
        due = sa.type_coerce(
            sa.func.coalesce(sa.func.sum(c.total_incl_tax - c.amount_paid - c.amount_credited), 0),
            t.invoice.c.total_incl_tax.type,
        )
        source = t.invoice.outerjoin(t.party, t.party.c.id == c.customer_id) if flt.search else t.invoice
        q = sa.select(sa.func.count(), due).select_from(source).where(self._invoice_where(company_id, flt))
        n, total = self.conn.execute(q).one()
        return int(n), total if total is not None else Decimal("0.00")

    def receivables_summary(self, company_id: int, today: date) -> tuple[int, Decimal, int, Decimal]:
        """(open count, open amount due, overdue count, overdue amount due) of invoices and deposit
        invoices, in one aggregate (credit notes reduce the invoice they correct)."""
        c = t.invoice.c
        money = c.total_incl_tax.type
        due = c.total_incl_tax - c.amount_paid - c.amount_credited
        late = c.due_date < today
        q = sa.select(
            sa.func.count(),
            sa.type_coerce(sa.func.coalesce(sa.func.sum(due), 0), money),
            sa.func.coalesce(sa.func.sum(sa.case((late, 1), else_=0)), 0),
            sa.type_coerce(sa.func.coalesce(sa.func.sum(sa.case((late, due), else_=0)), 0), money),
        ).where(
            c.company_id == company_id,
            c.status.in_(("issued", "partially_paid")),
            c.kind.in_(("invoice", "deposit")),
        )
        n_open, open_due, n_late, late_due = self.conn.execute(q).one()
        return int(n_open), open_due, int(n_late), late_due

    def invoices_due_between(self, company_id: int, start: date, end: date, limit: int) -> list[InvoiceRow]:
        """Open invoices and deposits falling due in [start, end], soonest first."""
        c = t.invoice.c
        q = (
            sa.select(*_ROW_COLUMNS)
            .where(
                c.company_id == company_id,
                c.status.in_(("issued", "partially_paid")),
                c.kind.in_(("invoice", "deposit")),
                c.due_date >= start,
                c.due_date <= end,
            )
            .order_by(c.due_date, c.id)
            .limit(limit)
        )
        return [_invoice_row(r) for r in self.conn.execute(q)]

    def customer_rows(
        self,
        company_id: int,
        today: date,
        *,
        search: str = "",
        sort: str = "name",
        limit: int | None = None,
        offset: int = 0,
    ) -> list[CustomerRow]:
        c = t.invoice.c
        money = t.invoice.c.total_incl_tax.type
        due = c.total_incl_tax - c.amount_paid - c.amount_credited
        agg = (
            sa.select(
                c.customer_id.label("cid"),
                sa.func.count().label("n"),
                sa.func.sum(due).label("outstanding"),
                sa.func.sum(sa.case((c.due_date < today, due), else_=0)).label("overdue"),
            )
            .where(c.company_id == company_id, c.status.in_(("issued", "partially_paid")))
            .group_by(c.customer_id)
            .subquery()
        )
        outstanding = sa.type_coerce(sa.func.coalesce(agg.c.outstanding, 0), money)
        overdue = sa.type_coerce(sa.func.coalesce(agg.c.overdue, 0), money)
        p = t.party.c
        sorts: dict[str, Any] = {
            "name": sa.func.lower(p.name),
            "city": sa.func.lower(p.city),
            "outstanding": sa.func.coalesce(agg.c.outstanding, 0),
            "overdue": sa.func.coalesce(agg.c.overdue, 0),
        }
        col = sorts.get(sort.lstrip("-"), sorts["name"])
        q = (
            sa.select(
                p.id,
                p.name,
                p.siren,
                p.city,
                p.email,
                sa.func.coalesce(agg.c.n, 0).label("n"),
                outstanding.label("outstanding"),
                overdue.label("overdue"),
            )
            .select_from(t.party.outerjoin(agg, agg.c.cid == p.id))
            .where(self._party_query(company_id, "customer", search))
            .order_by(col.desc() if sort.startswith("-") else col.asc(), p.id)
        )
        if limit is not None:
            q = q.limit(limit).offset(offset)
        return [
            CustomerRow(r.id, r.name, r.siren, r.city, r.email, int(r.n), r.outstanding, r.overdue)
            for r in self.conn.execute(q)
        ]

    def payment_delays(self, company_id: int, customer_id: int) -> list[tuple[date, date]]:
        """(due date, paid on) of the customer's paid invoices, for its payment behaviour."""
        c = t.invoice.c
        rows = self.conn.execute(
            sa.select(c.due_date, c.paid_on).where(
                c.company_id == company_id,
                c.customer_id == customer_id,
                c.status == "paid",
                c.due_date.is_not(None),
                c.paid_on.is_not(None),
            )
        )
        return [(r.due_date, r.paid_on) for r in rows]

    def invoice_ids_of_quote(self, company_id: int, quote_number: str) -> list[int]:
        c = t.invoice.c
        return list(
            self.conn.execute(
                sa.select(c.id)
                .where(c.company_id == company_id, c.quote_number == quote_number)
                .order_by(c.issue_date, c.id)
            ).scalars()
        )

    @staticmethod
    def _token_from(r: Any) -> ApiTokenRecord:
        return ApiTokenRecord(r.id, r.company_id, r.user_id, r.name, r.created_at, r.revoked_at)

    def add_api_token(self, company_id: int, user_id: int, name: str, token_hash: str) -> int:
        return int(
            self.conn.execute(
                t.api_token.insert()
                .values(company_id=company_id, user_id=user_id, name=name, token_hash=token_hash)
                .returning(t.api_token.c.id)
            ).scalar_one()
        )

    def api_token_by_hash(self, token_hash: str) -> ApiTokenRecord | None:
        row = self.conn.execute(
            sa.select(t.api_token).where(
                t.api_token.c.token_hash == token_hash, t.api_token.c.revoked_at.is_(None)
            )
        ).first()
        return self._token_from(row) if row else None

    def list_api_tokens(self, company_id: int) -> list[ApiTokenRecord]:
        rows = self.conn.execute(
            sa.select(t.api_token).where(t.api_token.c.company_id == company_id).order_by(t.api_token.c.id)
        )
        return [self._token_from(r) for r in rows]

    def revoke_api_token(self, company_id: int, token_id: int) -> bool:
        res = self.conn.execute(
            t.api_token.update()
            .where(
                t.api_token.c.id == token_id,
                t.api_token.c.company_id == company_id,
                t.api_token.c.revoked_at.is_(None),
            )
            .values(revoked_at=datetime.now(UTC))
        )
        return bool(res.rowcount)

    def set_membership_role(self, user_id: int, company_id: int, role: str) -> None:
        self.conn.execute(
            t.membership.update()
            .where(t.membership.c.user_id == user_id, t.membership.c.company_id == company_id)
            .values(role=role)
        )

    def remove_membership(self, user_id: int, company_id: int) -> None:
        self.conn.execute(
            t.membership.delete().where(
                t.membership.c.user_id == user_id, t.membership.c.company_id == company_id
            )
        )

    # ---- cash alerts threshold (forecast issue): a company column not mapped on Company ----
    def get_low_balance_threshold(self, company_id: int) -> Decimal | None:
        value = self.conn.execute(
            sa.select(t.company.c.low_balance_threshold).where(t.company.c.id == company_id)
        ).scalar_one_or_none()
        return value if isinstance(value, Decimal) else None

    def set_low_balance_threshold(self, company_id: int, value: Decimal | None) -> None:
        self.conn.execute(
            t.company.update().where(t.company.c.id == company_id).values(low_balance_threshold=value)
        )


class SqlUnitOfWork:
    """``with uow() as repo:`` — one transaction per use case."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def __call__(self) -> Iterator[SqlRepository]:
        with self.engine.begin() as conn:
            repo = SqlRepository(conn)
            yield repo
            repo.flush()

    @contextmanager
    def read(self) -> Iterator[SqlRepository]:
        """A read-only transaction (no write lock on SQLite)."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(encaisse_readonly=True)
            with conn.begin():
                yield SqlRepository(conn)
