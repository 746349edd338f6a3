"""``encaisse`` — the command-line interface (contract in shared/DESIGN.md).

Errors print ``error[CODE]: message`` (plus one line per problem) on stderr and exit 1; usage
errors exit 2.
"""

from __future__ import annotations

import sys

import typer

from encaisse.adapters.cli import (
    commands_accounting,
    commands_bank,
    commands_collections,
    commands_core,
    commands_documents,
    commands_financing,
    commands_more,
)
from encaisse.domain.errors import EncaisseError

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Encaisse: invoices, collections, bank, cash.",
)
commands_core.register(app)
commands_documents.register(app)
commands_bank.register(app)
commands_more.register(app)
commands_collections.register(app)
commands_accounting.register(app)
commands_financing.register(app)


def main() -> None:
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from encaisse.adapters.cli.context import fail

    try:
        app()
    except EncaisseError as exc:
        fail(exc)
        sys.exit(1)
    except (OperationalError, ProgrammingError) as exc:
        hint = (
            " (run `encaisse db upgrade` first)"
            if "no such table" in str(exc) or "does not exist" in str(exc)
            else ""
        )
        fail(EncaisseError(f"database error: {str(exc.orig).splitlines()[0]}{hint}", code="DB-ERROR"))
        sys.exit(1)


if __name__ == "__main__":
    main()
