"""Bank accounts, statement files, transactions, allocations, proposals, aliases (mixin of SqlRepository)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from encaisse.adapters.store import tables as t
from encaisse.domain.bank import BankTransaction
from encaisse.domain.errors import NotFoundError
from encaisse.domain.money import round_money
from encaisse.services.ports import AccountRecord, AllocationRecord, ProposalRecord, StoredTransaction


def _cents(amount: Decimal) -> int:
    """BIGINT cents of ``types.ScaledDecimal`` (a bank amount with more decimals is rounded once, half up)."""
    return int(round_money(amount) * 100)


def _tx_from(r: Any, iban: str) -> StoredTransaction:
    tx = BankTransaction(
        id=r.id,
        booking_date=r.booking_date,
        value_date=r.value_date,
        amount=r.amount,
        currency=r.currency,
        counterparty_name=r.counterparty_name,
        counterparty_iban=r.counterparty_iban,
        remittance=r.remittance,
        structured_reference=r.structured_reference,
        end_to_end_id=r.end_to_end_id,
        bank_ref=r.bank_ref,
        bank_code=r.bank_code,
        account_iban=iban,
    )
    return StoredTransaction(
        tx=tx,
        id=r.id,
        account_id=r.account_id,
        account_iban=iban,
        transaction_id=r.transaction_id,
        amount_allocated=r.amount_allocated,
        category=r.category,
    )


class BankRepositoryMixin:
    conn: Connection

    # ---- accounts ------------------------------------------------------------------------
    def get_or_create_account(
        self, company_id: int, iban: str, *, bic: str = "", name: str = "", currency: str = "EUR"
    ) -> int:
        row = self.conn.execute(
            sa.select(t.bank_account.c.id).where(
                t.bank_account.c.company_id == company_id, t.bank_account.c.iban == iban
            )
        ).first()
        if row:
            return int(row.id)
        return int(
            self.conn.execute(
                t.bank_account.insert()
                .values(
                    company_id=company_id,
                    iban=iban,
                    bic=bic,
                    name=name or f"Compte {iban[-4:]}",
                    currency=currency,
                )
                .returning(t.bank_account.c.id)
            ).scalar_one()
        )

    def list_accounts(self, company_id: int) -> list[AccountRecord]:
        rows = self.conn.execute(
            sa.select(t.bank_account)
            .where(t.bank_account.c.company_id == company_id)
            .order_by(t.bank_account.c.id)
        )
        return [
            AccountRecord(r.id, r.iban, r.bic, r.name, r.currency, r.balance, r.balance_date) for r in rows
        ]

    def set_account_balance(self, company_id: int, account_id: int, balance: Decimal, day: date) -> None:
        self.conn.execute(
            t.bank_account.update()
            .where(
                t.bank_account.c.id == account_id,
                t.bank_account.c.company_id == company_id,
                sa.or_(t.bank_account.c.balance_date.is_(None), t.bank_account.c.balance_date <= day),
            )
            .values(balance=balance, balance_date=day, updated_at=sa.func.now())
        )

    # ---- transactions --------------------------------------------------------------------
    def existing_dedupe_keys(self, company_id: int, account_id: int, keys: Sequence[str]) -> set[str]:
        """The ``keys`` already stored for the account (driver-level queries of 900 keys each)."""
        found: set[str] = set()
        first = self.conn.exec_driver_sql(
            self._driver_sql(
                "SELECT 1 FROM bank_transaction WHERE company_id = ? AND account_id = ? LIMIT 1"
            ),
            (company_id, account_id),
        ).first()
        if first is None:  # the account's first statement: nothing to compare with
            return found
        for i in range(0, len(keys), 900):
            chunk = list(keys[i : i + 900])
            marks = ", ".join(["?"] * len(chunk))
            sql = f"SELECT dedupe_key FROM bank_transaction WHERE company_id = ? AND account_id = ? AND dedupe_key IN ({marks})"
            found.update(
                row[0]
                for row in self.conn.exec_driver_sql(self._driver_sql(sql), (company_id, account_id, *chunk))
            )
        return found

    def add_statement_file(
        self, company_id: int, *, sha256: str, filename: str, fmt: str, new: int, duplicates: int
    ) -> int:
        return int(
            self.conn.execute(
                t.statement_file.insert()
                .values(
                    company_id=company_id,
                    sha256=sha256,
                    filename=filename,
                    format=fmt,
                    new_transactions=new,
                    duplicates=duplicates,
                )
                .returning(t.statement_file.c.id)
            ).scalar_one()
        )

    def add_transactions(
        self,
        company_id: int,
        account_id: int,
        rows: Sequence[tuple[BankTransaction, str, str]],
        statement_file_id: int | None,
    ) -> None:
        """Insert (transaction, transaction_id, dedupe_key) triples: one driver-level executemany."""
        self._raw_many(
            "INSERT INTO bank_transaction (company_id, account_id, booking_date, value_date, amount, currency, "
            "counterparty_name, counterparty_iban, remittance, structured_reference, end_to_end_id, bank_ref, "
            "bank_code, transaction_id, dedupe_key, statement_file_id, amount_allocated) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
            [
                (
                    company_id,
                    account_id,
                    tx.booking_date,
                    tx.value_date,
                    _cents(tx.amount),
                    tx.currency,
                    tx.counterparty_name[:200],
                    tx.counterparty_iban[:40],
                    tx.remittance,
                    tx.structured_reference[:40],
                    tx.end_to_end_id[:60],
                    tx.bank_ref[:120],
                    tx.bank_code[:40],
                    tid[:120],
                    key,
                    statement_file_id,
                )
                for tx, tid, key in rows
            ],
        )

    def list_transactions(
        self,
        company_id: int,
        *,
        account_iban: str | None = None,
        unmatched_only: bool = False,
        credits_only: bool = False,
        limit: int | None = None,
        offset: int = 0,
        ids: Sequence[int] | None = None,
    ) -> list[StoredTransaction]:
        bt, ba = t.bank_transaction, t.bank_account
        q = sa.select(bt, ba.c.iban).join(ba, ba.c.id == bt.c.account_id).where(bt.c.company_id == company_id)
        if account_iban:
            q = q.where(ba.c.iban == account_iban)
        if unmatched_only:
            q = q.where(bt.c.category.is_(None), sa.func.abs(bt.c.amount) > bt.c.amount_allocated)
        if credits_only:
            q = q.where(bt.c.amount > 0)
        if ids is not None:
            q = q.where(bt.c.id.in_(list(ids)))
        q = q.order_by(bt.c.booking_date, bt.c.id)
        if limit is not None:
            q = q.limit(limit).offset(offset)
        return [_tx_from(r, r.iban) for r in self.conn.execute(q)]

    def count_transactions(self, company_id: int, *, unmatched_only: bool = False) -> int:
        bt = t.bank_transaction
        q = sa.select(sa.func.count()).select_from(bt).where(bt.c.company_id == company_id)
        if unmatched_only:
            q = q.where(bt.c.category.is_(None), sa.func.abs(bt.c.amount) > bt.c.amount_allocated)
        return int(self.conn.execute(q).scalar_one())

    def get_transaction(self, company_id: int, tx_id: int) -> StoredTransaction:
        found = self.list_transactions(company_id, ids=[tx_id])
        if not found:
            raise NotFoundError("transaction not found", code="BANK-TX-NOT-FOUND")
        return found[0]

    def set_categories(self, company_id: int, categories: Sequence[tuple[int, str | None]]) -> None:
        """Set the category of many transactions (one executemany)."""
        if not categories:
            return
        bt = t.bank_transaction
        self.conn.execute(
            bt.update()
            .where(bt.c.id == sa.bindparam("b_id"), bt.c.company_id == company_id)
            .values(category=sa.bindparam("b_cat")),
            [{"b_id": i, "b_cat": c} for i, c in categories],
        )

    def set_transaction_category(self, company_id: int, tx_id: int, category: str | None) -> None:
        self.conn.execute(
            t.bank_transaction.update()
            .where(t.bank_transaction.c.id == tx_id, t.bank_transaction.c.company_id == company_id)
            .values(category=category)
        )

    # ---- allocations ---------------------------------------------------------------------
    def add_allocation(
        self,
        company_id: int,
        tx_id: int,
        invoice_id: int,
        amount: Decimal,
        *,
        how: str,
        score: float | None,
        explanation: str,
    ) -> int:
        alloc_id = int(
            self.conn.execute(
                t.allocation.insert()
                .values(
                    company_id=company_id,
                    transaction_id=tx_id,
                    invoice_id=invoice_id,
                    amount=amount,
                    how=how,
                    score=score,
                    explanation=explanation,
                )
                .returning(t.allocation.c.id)
            ).scalar_one()
        )
        self.conn.execute(
            t.bank_transaction.update()
            .where(t.bank_transaction.c.id == tx_id, t.bank_transaction.c.company_id == company_id)
            .values(amount_allocated=t.bank_transaction.c.amount_allocated + amount)
        )
        return alloc_id

    def bulk_apply(
        self,
        company_id: int,
        allocations: Sequence[dict[str, Any]],
        payments: Sequence[dict[str, Any]],
        invoices: Sequence[dict[str, Any]],
        transactions: Sequence[dict[str, Any]],
    ) -> None:
        """Apply many matches at once (auto-reconciliation of large statements).

        ``payments[i]["alloc_index"]`` points into ``allocations`` (or is None for write-offs).
        """
        ids: list[int] = []
        if allocations:
            rows = [{"company_id": company_id, **a} for a in allocations]
            if self.conn.dialect.name == "sqlite":
                ids = self._insert_rows_ids(t.allocation, rows)
            else:
                result = self.conn.execute(
                    t.allocation.insert().returning(t.allocation.c.id, sort_by_parameter_order=True), rows
                )
                ids = [int(r.id) for r in result]
        if payments:
            self._insert_rows(
                t.payment,
                [
                    {
                        "company_id": company_id,
                        "invoice_id": p["invoice_id"],
                        "date": p["date"],
                        "amount": p["amount"],
                        "method": p["method"],
                        "note": "",
                        "allocation_id": ids[p["alloc_index"]] if p["alloc_index"] is not None else None,
                    }
                    for p in payments
                ],
            )
        if invoices:
            self._raw_many(
                "UPDATE invoice SET amount_paid = ?, status = ?, paid_on = ? WHERE id = ? AND company_id = ?",
                [
                    (_cents(i["amount_paid"]), i["status"], i["paid_on"], i["id"], company_id)
                    for i in invoices
                ],
            )
        if transactions:
            self._raw_many(
                "UPDATE bank_transaction SET amount_allocated = ? WHERE id = ? AND company_id = ?",
                [(_cents(x["amount_allocated"]), x["id"], company_id) for x in transactions],
            )

    def _insert_rows(self, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert many rows with the same keys: SQLAlchemy's own value conversions (money to cents,
        JSON, dates), then one driver-level executemany per 10 000 rows (no per-row statement work)."""
        if not rows:
            return
        dialect = self.conn.dialect
        columns = list(rows[0])
        converters = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns]
        convert = [(i, f) for i, f in enumerate(converters) if f is not None]
        pick = itemgetter(*columns)
        values: list[tuple[Any, ...]] = []
        for row in rows:
            picked = list(pick(row))
            for i, f in convert:
                if picked[i] is not None:
                    picked[i] = f(picked[i])
            values.append(tuple(picked))
        self._raw_many(
            f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join(['?'] * len(columns))})",
            values,
        )

    def _insert_rows_ids(self, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> list[int]:
        """SQLite only: :meth:`_insert_rows`, then the new ids in the order of ``rows``.

        The write transaction holds SQLite's single write lock (``BEGIN IMMEDIATE``) and an
        ``INTEGER PRIMARY KEY`` takes ``max(id) + 1``, so the rows get increasing ids after the
        largest id seen before the insert, in the order they were sent.
        """
        before = self.conn.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {table.name}").scalar_one()
        self._insert_rows(table, rows)
        ids = [
            int(r[0])
            for r in self.conn.exec_driver_sql(
                f"SELECT id FROM {table.name} WHERE id > ? ORDER BY id", (before,)
            )
        ]
        if len(ids) != len(rows):  # pragma: no cover - another writer inside our transaction
            raise RuntimeError(f"{table.name}: {len(ids)} new ids for {len(rows)} rows")
        return ids

    def _raw_many(self, sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """executemany straight on the driver: large updates without per-row statement building.

        Money columns are BIGINT cents (``types.ScaledDecimal``); callers pass them through ``_cents``.
        """
        sql = self._driver_sql(sql)
        for i in range(0, len(rows), 10_000):
            self.conn.exec_driver_sql(sql, list(rows[i : i + 10_000]))

    def _driver_sql(self, sql: str) -> str:
        """``sql`` written with ``?`` placeholders, in the driver's own style (psycopg: ``%s``)."""
        return sql.replace("?", "%s") if self.conn.dialect.name == "postgresql" else sql

    def delete_allocation(self, company_id: int, allocation_id: int) -> AllocationRecord:
        rec = self.get_allocation(company_id, allocation_id)
        self.conn.execute(
            t.payment.delete().where(
                t.payment.c.company_id == company_id, t.payment.c.allocation_id == allocation_id
            )
        )
        self.conn.execute(t.allocation.delete().where(t.allocation.c.id == allocation_id))
        self.conn.execute(
            t.bank_transaction.update()
            .where(t.bank_transaction.c.id == rec.transaction_db_id)
            .values(amount_allocated=t.bank_transaction.c.amount_allocated - rec.amount)
        )
        return rec

    def _allocations(self, where: Any) -> list[AllocationRecord]:
        a, bt, inv = t.allocation, t.bank_transaction, t.invoice
        q = (
            sa.select(a, bt.c.transaction_id.label("bank_tid"), inv.c.number)
            .join(bt, bt.c.id == a.c.transaction_id)
            .join(inv, inv.c.id == a.c.invoice_id)
            .where(where)
            .order_by(a.c.id)
        )
        return [
            AllocationRecord(
                r.id,
                r.transaction_id,
                r.bank_tid,
                r.invoice_id,
                r.number or "",
                r.amount,
                r.how,
                r.score,
                r.explanation,
            )
            for r in self.conn.execute(q)
        ]

    def get_allocation(self, company_id: int, allocation_id: int) -> AllocationRecord:
        found = self._allocations(
            sa.and_(t.allocation.c.company_id == company_id, t.allocation.c.id == allocation_id)
        )
        if not found:
            raise NotFoundError("allocation not found", code="ALLOCATION-NOT-FOUND")
        return found[0]

    def list_allocations(
        self, company_id: int, *, transaction_id: int | None = None, invoice_id: int | None = None
    ) -> list[AllocationRecord]:
        cond = [t.allocation.c.company_id == company_id]
        if transaction_id is not None:
            cond.append(t.allocation.c.transaction_id == transaction_id)
        if invoice_id is not None:
            cond.append(t.allocation.c.invoice_id == invoice_id)
        return self._allocations(sa.and_(*cond))

    # ---- proposals, aliases, rules -------------------------------------------------------
    def replace_proposals(self, company_id: int, proposals: Sequence[ProposalRecord]) -> None:
        self.conn.execute(
            t.proposal.delete().where(t.proposal.c.company_id == company_id, t.proposal.c.status == "pending")
        )
        for i in range(0, len(proposals), 5000):
            self.conn.execute(
                t.proposal.insert(),
                [
                    {
                        "company_id": company_id,
                        "transaction_id": p.transaction_id,
                        "allocations": p.allocations,
                        "score": p.score,
                        "explanation": p.explanation,
                        "status": "pending",
                    }
                    for p in proposals[i : i + 5000]
                ],
            )

    def list_proposals(self, company_id: int, *, status: str = "pending") -> list[ProposalRecord]:
        rows = self.conn.execute(
            sa.select(t.proposal)
            .where(t.proposal.c.company_id == company_id, t.proposal.c.status == status)
            .order_by(t.proposal.c.score.desc(), t.proposal.c.id)
        )
        return [ProposalRecord(r.transaction_id, r.allocations, r.score, r.explanation, r.id) for r in rows]

    def set_proposal_status(self, company_id: int, proposal_id: int, status: str) -> ProposalRecord:
        row = self.conn.execute(
            sa.select(t.proposal).where(t.proposal.c.company_id == company_id, t.proposal.c.id == proposal_id)
        ).first()
        if row is None:
            raise NotFoundError("proposal not found", code="PROPOSAL-NOT-FOUND")
        self.conn.execute(t.proposal.update().where(t.proposal.c.id == proposal_id).values(status=status))
        return ProposalRecord(row.transaction_id, row.allocations, row.score, row.explanation, row.id)

    def list_aliases(self, company_id: int) -> list[tuple[str, int]]:
        rows = self.conn.execute(
            sa.select(t.learned_alias.c.text, t.learned_alias.c.party_id).where(
                t.learned_alias.c.company_id == company_id
            )
        )
        return [(r.text, r.party_id) for r in rows]

    def add_alias(self, company_id: int, text: str, party_id: int) -> None:
        exists = self.conn.execute(
            sa.select(t.learned_alias.c.id).where(
                t.learned_alias.c.company_id == company_id, t.learned_alias.c.text == text
            )
        ).first()
        if exists:
            self.conn.execute(
                t.learned_alias.update().where(t.learned_alias.c.id == exists.id).values(party_id=party_id)
            )
        else:
            self.conn.execute(
                t.learned_alias.insert().values(company_id=company_id, text=text, party_id=party_id)
            )

    def list_rules(self, company_id: int) -> list[tuple[int, str, dict[str, Any]]]:
        rows = self.conn.execute(
            sa.select(t.category_rule)
            .where(t.category_rule.c.company_id == company_id)
            .order_by(t.category_rule.c.id)
        )
        return [(r.id, r.category, r.definition) for r in rows]

    def add_rule(self, company_id: int, category: str, definition: dict[str, Any]) -> int:
        return int(
            self.conn.execute(
                t.category_rule.insert()
                .values(company_id=company_id, category=category, definition=definition)
                .returning(t.category_rule.c.id)
            ).scalar_one()
        )

    def party_ibans(self, company_id: int) -> list[tuple[str, int]]:
        """IBANs seen for customers (party records and past matched transactions)."""
        rows = self.conn.execute(
            sa.select(t.party.c.iban, t.party.c.id).where(
                t.party.c.company_id == company_id, t.party.c.iban != ""
            )
        ).all()
        out = [(r.iban, r.id) for r in rows]
        seen = self.conn.execute(
            sa.select(t.bank_transaction.c.counterparty_iban, t.invoice.c.customer_id)
            .distinct()
            .join(t.allocation, t.allocation.c.transaction_id == t.bank_transaction.c.id)
            .join(t.invoice, t.invoice.c.id == t.allocation.c.invoice_id)
            .where(
                t.allocation.c.company_id == company_id,
                t.bank_transaction.c.counterparty_iban != "",
                t.invoice.c.customer_id.is_not(None),
            )
        ).all()
        out.extend((r.counterparty_iban, r.customer_id) for r in seen)
        return out

    def open_items_rows(self, company_id: int) -> Iterable[Any]:
        inv = t.invoice
        return self.conn.execute(
            sa.select(
                inv.c.id,
                inv.c.number,
                inv.c.kind,
                inv.c.customer_id,
                inv.c.customer_snapshot,
                inv.c.total_incl_tax,
                inv.c.amount_paid,
                inv.c.amount_credited,
                inv.c.issue_date,
                inv.c.due_date,
                inv.c.payment_reference,
                inv.c.currency,
            )
            .where(inv.c.company_id == company_id, inv.c.status.in_(("issued", "partially_paid")))
            .order_by(inv.c.id)
        ).all()

    # ---- inbox ---------------------------------------------------------------------------
    def find_received(self, company_id: int, supplier_id: int, number: str) -> int | None:
        row = self.conn.execute(
            sa.select(t.received_invoice.c.id).where(
                t.received_invoice.c.company_id == company_id,
                t.received_invoice.c.supplier_id == supplier_id,
                t.received_invoice.c.number == number,
            )
        ).first()
        return int(row.id) if row else None

    def add_received(self, company_id: int, values: dict[str, Any]) -> int:
        return int(
            self.conn.execute(
                t.received_invoice.insert()
                .values(company_id=company_id, **values)
                .returning(t.received_invoice.c.id)
            ).scalar_one()
        )

    def list_received(self, company_id: int, *, open_only: bool = False) -> list[dict[str, Any]]:
        ri, p = t.received_invoice, t.party
        q = (
            sa.select(
                ri.c.id,
                ri.c.number,
                ri.c.issue_date,
                ri.c.due_date,
                ri.c.currency,
                ri.c.total_excl_tax,
                ri.c.total_vat,
                ri.c.total_incl_tax,
                ri.c.amount_due,
                ri.c.amount_paid,
                ri.c.status,
                ri.c.iban,
                ri.c.syntax,
                ri.c.sha256,
                p.c.name.label("supplier_name"),
                p.c.id.label("supplier_id"),
            )
            .join(p, p.c.id == ri.c.supplier_id)
            .where(ri.c.company_id == company_id)
            .order_by(ri.c.due_date, ri.c.id)
        )
        if open_only:
            q = q.where(ri.c.amount_paid < ri.c.amount_due)
        return [dict(r._mapping) for r in self.conn.execute(q)]

    def get_received_original(self, company_id: int, received_id: int) -> tuple[str, bytes] | None:
        """(file name, original bytes, stored untouched — RET-E-ORIGINAL) of a received invoice."""
        ri = t.received_invoice
        where = sa.and_(ri.c.company_id == company_id, ri.c.id == received_id)
        row = self.conn.execute(sa.select(ri.c.filename, ri.c.original).where(where)).first()
        return (str(row.filename), bytes(row.original)) if row else None
