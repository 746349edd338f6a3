"""SQLAlchemy 2 Core tables. Migrations (Alembic) own the truth; every table carries company_id."""

from __future__ import annotations

import sqlalchemy as sa

from encaisse.adapters.store.types import Money, Quantity

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer, primary_key=True, autoincrement=True)


def _company() -> sa.Column[int]:
    return sa.Column("company_id", sa.Integer, sa.ForeignKey("company.id"), nullable=False, index=True)


def _address(prefix: str, *, nullable: bool = False) -> list[sa.Column[str]]:
    return [
        sa.Column(
            f"{prefix}line1", sa.String(200), nullable=nullable, server_default=None if nullable else ""
        ),
        sa.Column(
            f"{prefix}line2", sa.String(200), nullable=nullable, server_default=None if nullable else ""
        ),
        sa.Column(
            f"{prefix}postcode", sa.String(20), nullable=nullable, server_default=None if nullable else ""
        ),
        sa.Column(
            f"{prefix}city", sa.String(100), nullable=nullable, server_default=None if nullable else ""
        ),
        sa.Column(
            f"{prefix}country", sa.String(2), nullable=nullable, server_default=None if nullable else "FR"
        ),
    ]


company = sa.Table(
    "company",
    metadata,
    _id(),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("siren", sa.String(9), nullable=False, unique=True),
    sa.Column("legal_form", sa.String(40), nullable=False, server_default="SARL"),
    sa.Column("share_capital", Money(), nullable=True),
    sa.Column("capital_variable", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("rcs_city", sa.String(100), nullable=False, server_default=""),
    sa.Column("rm_mention", sa.String(200), nullable=False, server_default=""),
    sa.Column("vat_number", sa.String(20), nullable=False, server_default=""),
    *_address(""),
    sa.Column("email", sa.String(200), nullable=False, server_default=""),
    sa.Column("phone", sa.String(40), nullable=False, server_default=""),
    sa.Column("iban", sa.String(40), nullable=False, server_default=""),
    sa.Column("bic", sa.String(11), nullable=False, server_default=""),
    sa.Column("account_holder", sa.String(140), nullable=False, server_default=""),
    sa.Column("vat_regime", sa.String(20), nullable=False, server_default="debits"),
    sa.Column("vat_filing", sa.String(20), nullable=False, server_default="monthly"),
    sa.Column("size_category", sa.String(10), nullable=False, server_default="micro"),
    sa.Column("default_payment_days", sa.Integer, nullable=False, server_default="30"),
    sa.Column("penalty_rate", Quantity(), nullable=False),
    sa.Column("early_payment_discount", sa.String(300), nullable=False, server_default=""),
    sa.Column("invoice_pattern", sa.String(60), nullable=False, server_default="F{YYYY}-{seq:05d}"),
    sa.Column("credit_note_pattern", sa.String(60), nullable=False, server_default="AV{YYYY}-{seq:05d}"),
    sa.Column("quote_pattern", sa.String(60), nullable=False, server_default="D{YYYY}-{seq:05d}"),
    sa.Column("insurance_mention", sa.Text, nullable=False, server_default=""),
    sa.Column("requires_insurance_mention", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("oga_member", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("fiscal_year_end_month", sa.Integer, nullable=False, server_default="12"),
    sa.Column("logo", sa.LargeBinary, nullable=True),
    sa.Column("low_balance_threshold", Money(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

user = sa.Table(
    "app_user",
    metadata,
    _id(),
    sa.Column("email", sa.String(200), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False, server_default=""),
    sa.Column("password_hash", sa.String(300), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

membership = sa.Table(
    "membership",
    metadata,
    sa.Column("user_id", sa.Integer, sa.ForeignKey("app_user.id"), primary_key=True),
    sa.Column("company_id", sa.Integer, sa.ForeignKey("company.id"), primary_key=True),
    sa.Column("role", sa.String(20), nullable=False),  # owner | staff | accountant
)

api_token = sa.Table(
    "api_token",
    metadata,
    _id(),
    _company(),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("app_user.id"), nullable=False),
    sa.Column("name", sa.String(100), nullable=False, server_default=""),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
)

party = sa.Table(
    "party",
    metadata,
    _id(),
    _company(),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("legal_form", sa.String(40), nullable=False, server_default=""),
    sa.Column("siren", sa.String(9), nullable=False, server_default=""),
    sa.Column("siret", sa.String(14), nullable=False, server_default=""),
    sa.Column("vat_number", sa.String(20), nullable=False, server_default=""),
    sa.Column("is_business", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("is_public_body", sa.Boolean, nullable=False, server_default=sa.false()),
    *_address(""),
    *_address("delivery_", nullable=True),
    sa.Column("email", sa.String(200), nullable=False, server_default=""),
    sa.Column("phone", sa.String(40), nullable=False, server_default=""),
    sa.Column("iban", sa.String(40), nullable=False, server_default=""),
    sa.Column("bic", sa.String(11), nullable=False, server_default=""),
    sa.Column("payment_terms_days", sa.Integer, nullable=True),
    sa.Column("reference", sa.String(40), nullable=False, server_default=""),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Index("ix_party_company_siren", "company_id", "siren"),
    sa.Index("ix_party_company_name", "company_id", "name"),
)

item = sa.Table(
    "item",
    metadata,
    _id(),
    _company(),
    sa.Column("code", sa.String(40), nullable=False, server_default=""),
    sa.Column("description", sa.String(500), nullable=False),
    sa.Column("unit", sa.String(10), nullable=False, server_default="C62"),
    sa.Column("unit_price", Quantity(), nullable=False),
    sa.Column("vat_rate", Quantity(), nullable=False),
    sa.Column("nature", sa.String(10), nullable=False, server_default="services"),
)

quote = sa.Table(
    "quote",
    metadata,
    _id(),
    _company(),
    sa.Column("number", sa.String(40), nullable=False),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("party.id"), nullable=False),
    sa.Column("issue_date", sa.Date, nullable=False),
    sa.Column("validity_date", sa.Date, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("document_discount_percent", Quantity(), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False, server_default="EUR"),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("accepted_on", sa.Date, nullable=True),
    sa.Column("total_excl_tax", Money(), nullable=False),
    sa.Column("total_incl_tax", Money(), nullable=False),
    # The random nonce of the quote's online-acceptance link (services/quote_links.py); NULL: no link.
    sa.Column("link_nonce", sa.String(64), nullable=True),
    sa.UniqueConstraint("company_id", "number", name="uq_quote_company_number"),
    sa.Index("uq_quote_link_nonce", "link_nonce", unique=True),
)

invoice = sa.Table(
    "invoice",
    metadata,
    _id(),
    _company(),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("number", sa.String(40), nullable=True),
    sa.Column("series", sa.String(80), nullable=False, server_default=""),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("party.id"), nullable=True),
    sa.Column("customer_snapshot", sa.JSON, nullable=False),
    sa.Column("issue_date", sa.Date, nullable=False),
    sa.Column("supply_date", sa.Date, nullable=True),
    sa.Column("due_date", sa.Date, nullable=True),
    sa.Column("currency", sa.String(3), nullable=False, server_default="EUR"),
    sa.Column("eur_rate", Quantity(), nullable=False),
    sa.Column("document_discount_percent", Quantity(), nullable=False),
    sa.Column("discount_reason", sa.String(200), nullable=False, server_default="Remise"),
    # Invoice.deposit_deduction_discounted (migration 0004)
    sa.Column("deposit_deduction_discounted", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("purchase_order", sa.String(100), nullable=False, server_default=""),
    sa.Column("delivery_address", sa.JSON, nullable=True),
    sa.Column("corrects_id", sa.Integer, sa.ForeignKey("invoice.id"), nullable=True),
    sa.Column("corrects_number", sa.String(40), nullable=False, server_default=""),
    sa.Column("corrects_date", sa.Date, nullable=True),
    sa.Column("quote_id", sa.Integer, sa.ForeignKey("quote.id"), nullable=True),
    sa.Column("quote_number", sa.String(40), nullable=False, server_default=""),
    sa.Column("deposit_numbers", sa.JSON, nullable=False),
    sa.Column("penalty_rate", Quantity(), nullable=True),
    sa.Column("recovery_indemnity", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("payment_terms_text", sa.Text, nullable=False, server_default=""),
    sa.Column("early_payment_discount", sa.String(300), nullable=False, server_default=""),
    sa.Column("vat_on_debits", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("amount_paid", Money(), nullable=False),
    sa.Column("amount_credited", Money(), nullable=False),
    sa.Column("total_excl_tax", Money(), nullable=False),
    sa.Column("total_vat", Money(), nullable=False),
    sa.Column("total_incl_tax", Money(), nullable=False),
    sa.Column("imported", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("payment_reference", sa.String(40), nullable=False, server_default=""),
    sa.Column("disputed", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("end_of_month_terms", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("periodic", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("delivery_failed", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("in_payment_plan", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("last_step_sent", sa.String(40), nullable=True),
    sa.Column("last_step_sent_on", sa.Date, nullable=True),
    sa.Column("indemnity_claimed", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("paid_on", sa.Date, nullable=True),
    sa.Column("einvoice_status", sa.String(10), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
    sa.Index(
        "uq_invoice_company_number",
        "company_id",
        "number",
        unique=True,
        sqlite_where=sa.text("number IS NOT NULL"),
        postgresql_where=sa.text("number IS NOT NULL"),
    ),
    sa.Index("ix_invoice_company_status_due", "company_id", "status", "due_date"),
    sa.Index("ix_invoice_company_issue", "company_id", "issue_date"),
    sa.Index("ix_invoice_customer", "customer_id"),
)

invoice_line = sa.Table(
    "invoice_line",
    metadata,
    _id(),
    _company(),
    sa.Column(
        "invoice_id", sa.Integer, sa.ForeignKey("invoice.id", ondelete="CASCADE"), nullable=True, index=True
    ),
    sa.Column(
        "quote_id", sa.Integer, sa.ForeignKey("quote.id", ondelete="CASCADE"), nullable=True, index=True
    ),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("quantity", Quantity(), nullable=False),
    sa.Column("unit", sa.String(10), nullable=False, server_default="C62"),
    sa.Column("unit_price", Quantity(), nullable=False),
    sa.Column("vat_rate", Quantity(), nullable=False),
    sa.Column("exemption", sa.String(20), nullable=True),
    sa.Column("discount_percent", Quantity(), nullable=False),
    sa.Column("nature", sa.String(10), nullable=False, server_default="services"),
    sa.Column("item_code", sa.String(40), nullable=False, server_default=""),
    sa.Column("deposit_invoice_number", sa.String(40), nullable=False, server_default=""),
)

vat_line = sa.Table(
    "vat_line",
    metadata,
    _id(),
    _company(),
    sa.Column(
        "invoice_id", sa.Integer, sa.ForeignKey("invoice.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    sa.Column("category", sa.String(3), nullable=False),
    sa.Column("rate", Quantity(), nullable=False),
    sa.Column("taxable_amount", Money(), nullable=False),
    sa.Column("tax_amount", Money(), nullable=False),
)

number_sequence = sa.Table(
    "number_sequence",
    metadata,
    sa.Column("company_id", sa.Integer, sa.ForeignKey("company.id"), primary_key=True),
    sa.Column("series", sa.String(80), primary_key=True),
    sa.Column("fiscal_year", sa.Integer, primary_key=True),
    sa.Column("last_value", sa.Integer, nullable=False),
)

payment = sa.Table(
    "payment",
    metadata,
    _id(),
    _company(),
    sa.Column("invoice_id", sa.Integer, sa.ForeignKey("invoice.id"), nullable=False, index=True),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("amount", Money(), nullable=False),
    sa.Column("method", sa.String(20), nullable=False, server_default="transfer"),
    sa.Column("allocation_id", sa.Integer, sa.ForeignKey("allocation.id"), nullable=True),
    sa.Column("online_payment_id", sa.Integer, nullable=True),
    sa.Column("note", sa.String(300), nullable=False, server_default=""),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

bank_account = sa.Table(
    "bank_account",
    metadata,
    _id(),
    _company(),
    sa.Column("iban", sa.String(40), nullable=False),
    sa.Column("bic", sa.String(11), nullable=False, server_default=""),
    sa.Column("name", sa.String(100), nullable=False, server_default=""),
    sa.Column("currency", sa.String(3), nullable=False, server_default="EUR"),
    sa.Column("balance", Money(), nullable=True),
    sa.Column("balance_date", sa.Date, nullable=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
    sa.UniqueConstraint("company_id", "iban", name="uq_bank_account_company_iban"),
)

# A bank account read through a PSD2 aggregator (services/bank_sync.py): pending until the owner
# consents at the bank, then active until the consent expires.
bank_connection = sa.Table(
    "bank_connection",
    metadata,
    _id(),
    _company(),
    sa.Column("provider", sa.String(30), nullable=False),
    sa.Column("requisition_id", sa.String(100), nullable=False),
    sa.Column("reference", sa.String(100), nullable=False),  # ours, echoed by the bank's redirect
    sa.Column("institution_id", sa.String(100), nullable=False, server_default=""),
    sa.Column("account_ref", sa.String(100), nullable=False, server_default=""),
    sa.Column("iban", sa.String(40), nullable=False, server_default=""),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_sync_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("last_new", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error_code", sa.String(40), nullable=False, server_default=""),
    sa.Column("last_error", sa.String(300), nullable=False, server_default=""),
    sa.UniqueConstraint(
        "company_id", "provider", "requisition_id", "account_ref", name="uq_bank_connection_account"
    ),
)

statement_file = sa.Table(
    "statement_file",
    metadata,
    _id(),
    _company(),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("filename", sa.String(300), nullable=False, server_default=""),
    sa.Column("format", sa.String(20), nullable=False),
    sa.Column("new_transactions", sa.Integer, nullable=False),
    sa.Column("duplicates", sa.Integer, nullable=False),
    sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

bank_transaction = sa.Table(
    "bank_transaction",
    metadata,
    _id(),
    _company(),
    sa.Column("account_id", sa.Integer, sa.ForeignKey("bank_account.id"), nullable=False),
    sa.Column("booking_date", sa.Date, nullable=False),
    sa.Column("value_date", sa.Date, nullable=True),
    sa.Column("amount", Money(), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False, server_default="EUR"),
    sa.Column("counterparty_name", sa.String(200), nullable=False, server_default=""),
    sa.Column("counterparty_iban", sa.String(40), nullable=False, server_default=""),
    sa.Column("remittance", sa.Text, nullable=False, server_default=""),
    sa.Column("structured_reference", sa.String(40), nullable=False, server_default=""),
    sa.Column("end_to_end_id", sa.String(60), nullable=False, server_default=""),
    sa.Column("bank_ref", sa.String(120), nullable=False, server_default=""),
    sa.Column("bank_code", sa.String(40), nullable=False, server_default=""),
    sa.Column("transaction_id", sa.String(120), nullable=False),  # the contract's transaction_id
    sa.Column("dedupe_key", sa.String(200), nullable=False),
    sa.Column("statement_file_id", sa.Integer, sa.ForeignKey("statement_file.id"), nullable=True),
    sa.Column("category", sa.String(40), nullable=True),
    sa.Column("amount_allocated", Money(), nullable=False),
    sa.UniqueConstraint("company_id", "account_id", "dedupe_key", name="uq_bank_transaction_dedupe"),
    sa.Index("ix_bank_transaction_company_date", "company_id", "booking_date"),
)

allocation = sa.Table(
    "allocation",
    metadata,
    _id(),
    _company(),
    sa.Column("transaction_id", sa.Integer, sa.ForeignKey("bank_transaction.id"), nullable=False, index=True),
    sa.Column("invoice_id", sa.Integer, sa.ForeignKey("invoice.id"), nullable=False, index=True),
    sa.Column("amount", Money(), nullable=False),
    sa.Column("how", sa.String(10), nullable=False),  # auto | manual
    sa.Column("score", sa.Float, nullable=True),
    sa.Column("explanation", sa.Text, nullable=False, server_default=""),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

proposal = sa.Table(
    "match_proposal",
    metadata,
    _id(),
    _company(),
    sa.Column("transaction_id", sa.Integer, sa.ForeignKey("bank_transaction.id"), nullable=False, index=True),
    sa.Column("allocations", sa.JSON, nullable=False),  # [{"invoice_id", "number", "amount"}]
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("explanation", sa.Text, nullable=False, server_default=""),
    sa.Column("status", sa.String(10), nullable=False, server_default="pending"),  # pending|accepted|rejected
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

learned_alias = sa.Table(
    "learned_alias",
    metadata,
    _id(),
    _company(),
    sa.Column("text", sa.String(200), nullable=False),
    sa.Column("party_id", sa.Integer, sa.ForeignKey("party.id"), nullable=False),
    sa.UniqueConstraint("company_id", "text", name="uq_learned_alias_company_text"),
)

category_rule = sa.Table(
    "category_rule",
    metadata,
    _id(),
    _company(),
    sa.Column("category", sa.String(40), nullable=False),
    sa.Column("definition", sa.JSON, nullable=False),
)

received_invoice = sa.Table(
    "received_invoice",
    metadata,
    _id(),
    _company(),
    sa.Column("supplier_id", sa.Integer, sa.ForeignKey("party.id"), nullable=False),
    sa.Column("number", sa.String(60), nullable=False),
    sa.Column("type_code", sa.String(3), nullable=False, server_default="380"),
    sa.Column("issue_date", sa.Date, nullable=False),
    sa.Column("due_date", sa.Date, nullable=True),
    sa.Column("currency", sa.String(3), nullable=False, server_default="EUR"),
    sa.Column("total_excl_tax", Money(), nullable=False),
    sa.Column("total_vat", Money(), nullable=False),
    sa.Column("total_incl_tax", Money(), nullable=False),
    sa.Column("amount_due", Money(), nullable=False),
    sa.Column("amount_paid", Money(), nullable=False),
    sa.Column("iban", sa.String(40), nullable=False, server_default=""),
    sa.Column("payment_reference", sa.String(60), nullable=False, server_default=""),
    sa.Column("syntax", sa.String(10), nullable=False),
    sa.Column("filename", sa.String(300), nullable=False, server_default=""),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("original", sa.LargeBinary, nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("status", sa.String(20), nullable=False, server_default="received"),
    sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),  # migration 0002
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.UniqueConstraint("company_id", "supplier_id", "number", name="uq_received_invoice_supplier_number"),
)

einvoice_status_event = sa.Table(
    "einvoice_status_event",
    metadata,
    _id(),
    _company(),
    sa.Column("invoice_id", sa.Integer, sa.ForeignKey("invoice.id"), nullable=True, index=True),
    sa.Column("received_invoice_id", sa.Integer, sa.ForeignKey("received_invoice.id"), nullable=True),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
)

payment_link = sa.Table(
    "payment_link",
    metadata,
    _id(),
    _company(),
    sa.Column("invoice_id", sa.Integer, sa.ForeignKey("invoice.id"), nullable=False, index=True),
    sa.Column("nonce", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
)

online_payment = sa.Table(
    "online_payment",
    metadata,
    _id(),
    _company(),
    sa.Column("invoice_id", sa.Integer, sa.ForeignKey("invoice.id"), nullable=False),
    sa.Column("provider", sa.String(20), nullable=False),
    sa.Column("session_id", sa.String(200), nullable=False, unique=True),
    sa.Column("amount", Money(), nullable=False),
    sa.Column("status", sa.String(20), nullable=False, server_default="pending"),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
)

provider_event = sa.Table(
    "provider_event",
    metadata,
    _id(),
    sa.Column("provider", sa.String(20), nullable=False),
    sa.Column("event_id", sa.String(200), nullable=False),
    sa.Column("type", sa.String(100), nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.UniqueConstraint("provider", "event_id", name="uq_provider_event_id"),
)

reminder = sa.Table(
    "reminder",
    metadata,
    _id(),
    _company(),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("party.id"), nullable=False),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("step", sa.String(40), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("channel", sa.String(10), nullable=False),
    sa.Column("invoice_numbers", sa.JSON, nullable=False),
    sa.Column("total_due", Money(), nullable=False),
    sa.Column("email_id", sa.Integer, sa.ForeignKey("email_message.id"), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.UniqueConstraint("company_id", "customer_id", "date", "step", name="uq_reminder_once"),
)

email_message = sa.Table(
    "email_message",
    metadata,
    _id(),
    _company(),
    sa.Column("to_addr", sa.String(300), nullable=False),
    sa.Column("subject", sa.String(300), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("kind", sa.String(30), nullable=False),
    sa.Column("invoice_ids", sa.JSON, nullable=False),
    sa.Column("attachments", sa.JSON, nullable=False),  # [{"kind": "invoice_pdf", "invoice_id": 1}]
    sa.Column("status", sa.String(20), nullable=False, server_default="queued"),  # queued|sent|failed|bounced
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text, nullable=False, server_default=""),
    sa.Column("message_id", sa.String(300), nullable=False, server_default=""),
    sa.Column("dedupe_key", sa.String(200), nullable=True, unique=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
)

audit_event = sa.Table(
    "audit_event",
    metadata,
    _id(),
    _company(),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False, server_default=""),
    sa.Column("action", sa.String(60), nullable=False),
    sa.Column("object_type", sa.String(40), nullable=False),
    sa.Column("object_id", sa.String(60), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.UniqueConstraint("company_id", "seq", name="uq_audit_event_company_seq"),
)

recurring_flow = sa.Table(
    "recurring_flow",
    metadata,
    _id(),
    _company(),
    sa.Column("label", sa.String(200), nullable=False),
    sa.Column("amount", Money(), nullable=False),
    sa.Column("period", sa.String(20), nullable=False),
    sa.Column("next_date", sa.Date, nullable=False),
    sa.Column("confirmed", sa.Boolean, nullable=False, server_default=sa.false()),
)
