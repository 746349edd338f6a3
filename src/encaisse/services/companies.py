"""Companies (tenants), their users and customers/suppliers."""

from __future__ import annotations

from dataclasses import replace

from encaisse.domain.errors import NotFoundError, Problem, ValidationError
from encaisse.domain.parties import (
    Company,
    Party,
    compact_digits,
    french_vat_number,
    is_valid_iban,
    is_valid_siren,
    is_valid_siret,
    is_valid_vat_number,
)
from encaisse.services import audit
from encaisse.services.ports import Repository, UnitOfWork

MAX_NAME = 200


def company_problems(company: Company) -> list[Problem]:
    problems: list[Problem] = []
    if not company.name.strip():
        problems.append(Problem("COMPANY-NAME", "company name is required", field="name"))
    elif len(company.name) > MAX_NAME:
        problems.append(
            Problem("COMPANY-NAME", f"company name is longer than {MAX_NAME} characters", field="name")
        )
    if not is_valid_siren(company.siren):
        problems.append(
            Problem("SIREN-INVALID", f"invalid SIREN {company.siren!r} (9 digits, Luhn)", field="siren")
        )
    if company.vat_number and not is_valid_vat_number(company.vat_number):
        problems.append(
            Problem("VAT-INVALID", f"invalid VAT number {company.vat_number!r}", field="vat_number")
        )
    if company.iban and not is_valid_iban(company.iban):
        problems.append(Problem("IBAN-INVALID", f"invalid IBAN {company.iban!r}", field="iban"))
    return problems


def normalize_company(company: Company) -> Company:
    siren = compact_digits(company.siren)
    vat = compact_digits(company.vat_number) if company.vat_number else ""
    if not vat and is_valid_siren(siren):
        vat = french_vat_number(siren)
    return replace(
        company,
        siren=siren,
        vat_number=vat,
        iban=compact_digits(company.iban),
        name=company.name.strip(),
        account_holder=company.account_holder or company.name.strip(),
    )


def checked_company(company: Company) -> Company:
    """The company normalized (SIREN, VAT number derived, IBAN compacted), or every problem raised."""
    company = normalize_company(company)
    problems = company_problems(company)
    if problems:
        raise ValidationError(
            "invalid company: " + "; ".join(p.describe() for p in problems),
            code=problems[0].code,
            problems=problems,
        )
    return company


def create_company(uow: UnitOfWork, company: Company, *, actor: str = "") -> Company:
    company = checked_company(company)
    with uow() as repo:
        return add_company_in(repo, company, actor=actor)


def add_company_in(repo: Repository, company: Company, *, actor: str = "") -> Company:
    """Store a checked company inside an open transaction (refused when its SIREN is registered)."""
    if repo.company_by_siren(company.siren):
        raise ValidationError(
            f"a company with SIREN {company.siren} already exists",
            code="COMPANY-EXISTS",
            problems=[Problem("COMPANY-EXISTS", "SIREN already registered", field="siren")],
        )
    stored = repo.add_company(company)
    audit.record(
        repo,
        stored.id or 0,
        "company.created",
        "company",
        stored.id,
        {"name": stored.name, "siren": stored.siren},
        actor=actor,
    )
    return stored


def update_company(uow: UnitOfWork, company: Company, *, actor: str = "") -> Company:
    company = normalize_company(company)
    problems = company_problems(company)
    if problems:
        raise ValidationError("invalid company", code=problems[0].code, problems=problems)
    with uow() as repo:
        stored = repo.update_company(company)
        audit.record(
            repo,
            company.id or 0,
            "company.updated",
            "company",
            company.id,
            {"name": company.name},
            actor=actor,
        )
        return stored


def resolve_company(repo: Repository, siren: str | None) -> Company:
    """The company a command works on: ``--company SIREN``, or the only one in the database."""
    if siren:
        found = repo.company_by_siren(compact_digits(siren))
        if found is None:
            raise NotFoundError(f"no company with SIREN {siren}", code="COMPANY-NOT-FOUND")
        return found
    companies = repo.list_companies()
    if not companies:
        raise NotFoundError(
            "no company yet: run `encaisse company create` or `encaisse demo`", code="COMPANY-NOT-FOUND"
        )
    if len(companies) > 1:
        raise ValidationError(
            "several companies in this database: pass --company SIREN", code="COMPANY-AMBIGUOUS"
        )
    return companies[0]


def party_problems(party: Party) -> list[Problem]:
    problems: list[Problem] = []
    if not party.name.strip():
        problems.append(Problem("PARTY-NAME", "name is required", field="name"))
    elif len(party.name) > MAX_NAME:
        problems.append(Problem("PARTY-NAME", f"name is longer than {MAX_NAME} characters", field="name"))
    if party.siren and not is_valid_siren(party.siren):
        problems.append(
            Problem("SIREN-INVALID", f"invalid SIREN {party.siren!r} (9 digits, Luhn)", field="siren")
        )
    if party.siret and not is_valid_siret(party.siret):
        problems.append(Problem("SIRET-INVALID", f"invalid SIRET {party.siret!r}", field="siret"))
    if (
        party.siret
        and party.siren
        and not compact_digits(party.siret).startswith(compact_digits(party.siren))
    ):
        problems.append(Problem("SIRET-INVALID", "SIRET does not start with the SIREN", field="siret"))
    if party.vat_number and not is_valid_vat_number(party.vat_number):
        problems.append(
            Problem("VAT-INVALID", f"invalid VAT number {party.vat_number!r}", field="vat_number")
        )
    if party.iban and not is_valid_iban(party.iban):
        problems.append(Problem("IBAN-INVALID", f"invalid IBAN {party.iban!r}", field="iban"))
    if party.email and ("@" not in party.email or len(party.email) > 200):
        problems.append(Problem("EMAIL-INVALID", f"invalid email {party.email!r}", field="email"))
    return problems


def normalize_party(party: Party) -> Party:
    siren = compact_digits(party.siren)
    siret = compact_digits(party.siret)
    if not siren and len(siret) == 14:
        siren = siret[:9]
    return replace(
        party,
        name=party.name.strip(),
        siren=siren,
        siret=siret,
        vat_number=compact_digits(party.vat_number),
        iban=compact_digits(party.iban),
        email=party.email.strip(),
    )


def save_party(uow: UnitOfWork, company_id: int, party: Party, *, actor: str = "") -> Party:
    party = normalize_party(party)
    problems = party_problems(party)
    if problems:
        raise ValidationError(
            "invalid party: " + "; ".join(p.describe() for p in problems),
            code=problems[0].code,
            problems=problems,
        )
    with uow() as repo:
        if party.id is None:
            stored = repo.add_party(company_id, party)
            audit.record(
                repo, company_id, "party.created", "party", stored.id, {"name": party.name}, actor=actor
            )
            return stored
        return repo.update_party(company_id, party)
