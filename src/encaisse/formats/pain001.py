"""ISO 20022 pain.001 (CustomerCreditTransferInitiation): SEPA credit-transfer batches to a bank.

Versions ``pain.001.001.03`` (the one French banks take by default) and ``pain.001.001.09``
(the 2019 version of the EPC SCT rulebook), one payment information block (``PmtInf``) per batch,
service level ``SEPA``, charges shared (``SLEV``), the euro only (CHECKLIST SEPA-SCT). Built with lxml
from a :class:`~encaisse.domain.payables.PaymentBatch`, deterministically (no clock, no random id:
both come with the batch), so a file is reproducible and ``parse(export(b)) == b``.

``validate`` runs the ISO XSD (from :func:`schema_dir`, i.e. ``ENCAISSE_PAIN001_XSD_DIR`` or
``../shared/corpora/pain001``; the same schemas shipped by ``sepaxml`` are the fallback) *and* what
the XSD does not check: IBAN check digits (ISO 13616 — the XSD only checks the shape), BIC country
codes, ``NbOfTxs``
and ``CtrlSum`` against the transactions, euro currency, amounts with at most two decimals.

>>> from datetime import date, datetime
>>> from decimal import Decimal
>>> from encaisse.domain.payables import PaymentBatch, PaymentInstruction
>>> batch = PaymentBatch("ENC-1", datetime(2026, 12, 4, 10, 0), date(2026, 12, 7), "ACME SARL",
...     "FR7630006000011234567890189", (PaymentInstruction("1-F42", Decimal("120.00"), "Dupont",
...     "DE89370400440532013000", "Facture F42"),))
>>> data = export(batch)
>>> detect(data), validate(data), parse(data) == batch
(True, [], True)
"""

from __future__ import annotations

import os
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from pathlib import Path

from lxml import etree

from encaisse.domain.errors import FormatError, Problem
from encaisse.domain.money import ZERO, format_amount
from encaisse.domain.parties import compact_digits
from encaisse.domain.payables import (
    MAX_TRANSFER,
    PaymentBatch,
    PaymentInstruction,
    is_valid_bic,
    is_valid_iban,
)
from encaisse.formats.xml_safety import parse_xml

VERSIONS = ("03", "09")
NS_PREFIX = "urn:iso:std:iso:20022:tech:xsd:pain.001.001."
NOT_PROVIDED = "NOTPROVIDED"
_REPO = Path(__file__).resolve().parents[3]


def namespace(version: str) -> str:
    if version not in VERSIONS:
        raise FormatError(f"pain.001 version {version!r} is not supported (03 or 09)", code="PAIN001-VERSION")
    return f"{NS_PREFIX}{version}"


def schema_dir() -> Path:
    """Where the pain.001 XSDs live: ``ENCAISSE_PAIN001_XSD_DIR``, else ``<repo>/../shared/corpora/pain001``."""
    configured = os.environ.get("ENCAISSE_PAIN001_XSD_DIR")
    return Path(configured) if configured else _REPO.parent / "shared" / "corpora" / "pain001"


def _xsd_path(version: str) -> Path | None:
    name = f"pain.001.001.{version}.xsd"
    base = schema_dir()
    for candidate in (base / name, base / "xsd" / name):
        if candidate.is_file():
            return candidate
    try:  # the same ISO schemas, shipped by the installed sepaxml package
        packaged = Path(str(resources.files("sepaxml").joinpath("schemas", name)))
    except ModuleNotFoundError:  # pragma: no cover - sepaxml is a dependency
        return None
    return packaged if packaged.is_file() else None


@lru_cache(maxsize=8)
def _schema(path: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(path)))


# ---- export -----------------------------------------------------------------------------------------
def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrib: str) -> etree._Element:
    el = etree.SubElement(parent, tag, attrib)
    if text is not None:
        el.text = text
    return el


def _agent(parent: etree._Element, tag: str, bic: str, version: str) -> None:
    fin = _sub(_sub(parent, tag), "FinInstnId")
    if bic:
        _sub(fin, "BIC" if version == "03" else "BICFI", bic)
    elif version == "03":  # EPC implementation guidelines: "NOTPROVIDED" when the BIC is not given
        _sub(_sub(fin, "Othr"), "Id", NOT_PROVIDED)


def _transaction(pmt: etree._Element, ins: PaymentInstruction, version: str) -> None:
    tx = _sub(pmt, "CdtTrfTxInf")
    _sub(_sub(tx, "PmtId"), "EndToEndId", ins.end_to_end_id)
    _sub(_sub(tx, "Amt"), "InstdAmt", format_amount(ins.amount), Ccy=ins.currency)
    if ins.creditor_bic:
        _agent(tx, "CdtrAgt", ins.creditor_bic, version)
    _sub(_sub(tx, "Cdtr"), "Nm", ins.creditor_name)
    _sub(_sub(_sub(tx, "CdtrAcct"), "Id"), "IBAN", ins.creditor_iban)
    if ins.remittance:
        _sub(_sub(tx, "RmtInf"), "Ustrd", ins.remittance)


def export(batch: PaymentBatch, *, version: str = "03") -> bytes:
    """The pain.001 XML of ``batch`` (UTF-8). It does not check the batch: call ``validate`` on it."""
    root = etree.Element("Document", nsmap={None: namespace(version)})
    initn = _sub(root, "CstmrCdtTrfInitn")
    header = _sub(initn, "GrpHdr")
    _sub(header, "MsgId", batch.message_id)
    _sub(header, "CreDtTm", batch.created_at.isoformat(timespec="seconds"))
    _sub(header, "NbOfTxs", str(batch.count))
    _sub(header, "CtrlSum", format_amount(batch.total))
    _sub(_sub(header, "InitgPty"), "Nm", batch.debtor_name)
    pmt = _sub(initn, "PmtInf")
    _sub(pmt, "PmtInfId", batch.message_id)
    _sub(pmt, "PmtMtd", "TRF")
    _sub(pmt, "BtchBookg", "true" if batch.batch_booking else "false")
    _sub(pmt, "NbOfTxs", str(batch.count))
    _sub(pmt, "CtrlSum", format_amount(batch.total))
    _sub(_sub(_sub(pmt, "PmtTpInf"), "SvcLvl"), "Cd", "SEPA")
    day = batch.execution_date.isoformat()
    if version == "03":
        _sub(pmt, "ReqdExctnDt", day)
    else:
        _sub(_sub(pmt, "ReqdExctnDt"), "Dt", day)
    _sub(_sub(pmt, "Dbtr"), "Nm", batch.debtor_name)
    _sub(_sub(_sub(pmt, "DbtrAcct"), "Id"), "IBAN", batch.debtor_iban)
    _agent(pmt, "DbtrAgt", batch.debtor_bic, version)
    _sub(pmt, "ChrgBr", "SLEV")
    for ins in batch.instructions:
        _transaction(pmt, ins, version)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


# ---- reading ----------------------------------------------------------------------------------------
def detect(data: bytes) -> bool:
    """True when ``data`` looks like a pain.001 message (namespace in the first bytes)."""
    head = data[:4096]
    return NS_PREFIX.encode() in head and b"CstmrCdtTrfInitn" in data[:8192]


def _version_of(root: etree._Element) -> str:
    ns = etree.QName(root).namespace or ""
    if not ns.startswith(NS_PREFIX) or ns[len(NS_PREFIX) :] not in VERSIONS:
        raise FormatError(
            f"not a supported pain.001 document (namespace {ns or 'none'})", code="PAIN001-UNKNOWN"
        )
    return ns[len(NS_PREFIX) :]


def _text(el: etree._Element, path: str, ns: dict[str, str]) -> str:
    return (el.findtext(path, default="", namespaces=ns) or "").strip()


def _amount(text: str, where: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise FormatError(f"{where}: {text!r} is not an amount", code="PAIN001-AMOUNT") from exc
    if not value.is_finite():
        raise FormatError(f"{where}: {text!r} is not an amount", code="PAIN001-AMOUNT")
    return value


def _bic(el: etree._Element, agent: str, ns: dict[str, str]) -> str:
    return _text(el, f"p:{agent}/p:FinInstnId/p:BIC", ns) or _text(el, f"p:{agent}/p:FinInstnId/p:BICFI", ns)


def parse(data: bytes) -> PaymentBatch:
    """The batch a pain.001 file holds (all its ``PmtInf`` blocks; date and debtor of the first).

    Raises ``FormatError`` (``XML-*``, ``PAIN001-UNKNOWN``, ``PAIN001-MISSING``, ``PAIN001-AMOUNT``).
    """
    root = parse_xml(data)
    version = _version_of(root)
    ns = {"p": namespace(version)}
    initn = root.find("p:CstmrCdtTrfInitn", ns)
    blocks = root.findall("p:CstmrCdtTrfInitn/p:PmtInf", ns)
    if initn is None or not blocks:
        raise FormatError("pain.001 without CstmrCdtTrfInitn/PmtInf", code="PAIN001-MISSING")
    first = blocks[0]
    created = _text(initn, "p:GrpHdr/p:CreDtTm", ns)
    day = _text(first, "p:ReqdExctnDt", ns) if version == "03" else _text(first, "p:ReqdExctnDt/p:Dt", ns)
    try:
        created_at = datetime.fromisoformat(created)
        execution = date.fromisoformat(day[:10])
    except ValueError as exc:
        raise FormatError(
            f"pain.001 dates are unreadable ({created!r}, {day!r})", code="PAIN001-MISSING"
        ) from exc
    instructions: list[PaymentInstruction] = []
    for block in blocks:
        for n, tx in enumerate(block.findall("p:CdtTrfTxInf", ns), start=1):
            amt = tx.find("p:Amt/p:InstdAmt", ns)
            if amt is None:
                raise FormatError(f"transfer {n} has no InstdAmt", code="PAIN001-MISSING")
            instructions.append(
                PaymentInstruction(
                    end_to_end_id=_text(tx, "p:PmtId/p:EndToEndId", ns),
                    amount=_amount(amt.text or "", f"transfer {n}"),
                    creditor_name=_text(tx, "p:Cdtr/p:Nm", ns),
                    creditor_iban=_text(tx, "p:CdtrAcct/p:Id/p:IBAN", ns),
                    remittance=_text(tx, "p:RmtInf/p:Ustrd", ns),
                    creditor_bic=_bic(tx, "CdtrAgt", ns),
                    currency=amt.get("Ccy", ""),
                )
            )
    return PaymentBatch(
        message_id=_text(initn, "p:GrpHdr/p:MsgId", ns),
        created_at=created_at,
        execution_date=execution,
        debtor_name=_text(first, "p:Dbtr/p:Nm", ns),
        debtor_iban=_text(first, "p:DbtrAcct/p:Id/p:IBAN", ns),
        instructions=tuple(instructions),
        debtor_bic=_bic(first, "DbtrAgt", ns),
        batch_booking=_text(first, "p:BtchBookg", ns) != "false",
    )


# ---- validation -------------------------------------------------------------------------------------
def _schema_problems(root: etree._Element, version: str) -> list[Problem]:
    path = _xsd_path(version)
    if path is None:
        return [
            Problem(
                "PAIN001-XSD-UNAVAILABLE",
                f"pain.001.001.{version}.xsd not found in {schema_dir()} (set ENCAISSE_PAIN001_XSD_DIR)",
            )
        ]
    schema = _schema(path)
    if schema.validate(root.getroottree()):
        return []
    return [Problem("PAIN001-XSD", e.message, line=e.line, field=e.path or "") for e in schema.error_log]


def _count_and_sum(
    el: etree._Element, txs: list[etree._Element], where: str, ns: dict[str, str]
) -> list[Problem]:
    problems: list[Problem] = []
    declared_count = _text(el, "p:NbOfTxs", ns)
    if declared_count and declared_count != str(len(txs)):
        problems.append(
            Problem(
                "PAIN001-NBOFTXS",
                f"{where} NbOfTxs says {declared_count}, the file holds {len(txs)} transfers",
                field=f"{where}/NbOfTxs",
            )
        )
    declared_sum = _text(el, "p:CtrlSum", ns)
    if declared_sum:
        total = ZERO
        for tx in txs:
            try:
                total += Decimal(_text(tx, "p:Amt/p:InstdAmt", ns) or "0")
            except InvalidOperation:
                continue
        try:
            matches = Decimal(declared_sum) == total
        except InvalidOperation:
            matches = False
        if not matches:
            problems.append(
                Problem(
                    "PAIN001-CTRLSUM",
                    f"{where} CtrlSum says {declared_sum}, the transfers add up to {total}",
                    field=f"{where}/CtrlSum",
                )
            )
    return problems


def _transaction_problems(tx: etree._Element, n: int, ns: dict[str, str]) -> list[Problem]:
    where = f"CdtTrfTxInf[{n}]"
    problems: list[Problem] = []
    amt = tx.find("p:Amt/p:InstdAmt", ns)
    if amt is not None:
        if amt.get("Ccy") != "EUR":
            problems.append(
                Problem(
                    "PAIN001-CURRENCY",
                    f"{where}: currency {amt.get('Ccy')}, SEPA transfers are in EUR",
                    field=where,
                )
            )
        try:
            value = Decimal((amt.text or "").strip())
            if not ZERO < value <= MAX_TRANSFER or value != value.quantize(Decimal("0.01")):
                problems.append(
                    Problem("PAIN001-AMOUNT", f"{where}: amount {value} is not payable", field=where)
                )
        except InvalidOperation:
            pass  # the XSD reports it
    return problems


def validate(data: bytes) -> list[Problem]:
    """Every problem of a pain.001 file: XSD errors, then IBAN, count, sum, currency and amount checks."""
    try:
        root = parse_xml(data)
        version = _version_of(root)
    except FormatError as exc:
        return [Problem(exc.code, exc.message)]
    ns = {"p": namespace(version)}
    problems = _schema_problems(root, version)
    for iban_el in root.iter(f"{{{ns['p']}}}IBAN"):
        iban = compact_digits(iban_el.text or "")
        if not is_valid_iban(iban):
            problems.append(
                Problem(
                    "PAIN001-IBAN",
                    f"IBAN {iban} fails its ISO 13616 check digits",
                    field=root.getroottree().getpath(iban_el),
                    line=iban_el.sourceline,
                )
            )
    for tag in ("BIC", "BICFI"):
        for bic_el in root.iter(f"{{{ns['p']}}}{tag}"):
            bic = (bic_el.text or "").strip()
            if not is_valid_bic(bic):
                problems.append(
                    Problem(
                        "PAIN001-BIC",
                        f"BIC {bic} is not an ISO 9362 BIC (shape or country code)",
                        field=root.getroottree().getpath(bic_el),
                        line=bic_el.sourceline,
                    )
                )
    initn = root.find("p:CstmrCdtTrfInitn", ns)
    if initn is None:
        return problems
    all_txs = initn.findall("p:PmtInf/p:CdtTrfTxInf", ns)
    header = initn.find("p:GrpHdr", ns)
    if header is not None:
        problems += _count_and_sum(header, all_txs, "GrpHdr", ns)
    for i, block in enumerate(initn.findall("p:PmtInf", ns), start=1):
        problems += _count_and_sum(block, block.findall("p:CdtTrfTxInf", ns), f"PmtInf[{i}]", ns)
    for n, tx in enumerate(all_txs, start=1):
        problems += _transaction_problems(tx, n, ns)
    return problems
