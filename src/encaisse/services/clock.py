"""The one place adapters read the date (the domain never does): ``ENCAISSE_TODAY`` overrides it."""

from __future__ import annotations

import os
from datetime import date


def today() -> date:
    override = os.environ.get("ENCAISSE_TODAY")
    return date.fromisoformat(override) if override else date.today()
