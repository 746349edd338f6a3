"""All configuration from environment variables (``ENCAISSE_*``), typed and validated at start.

Secrets come from the environment and are never logged. In the embedded mode a random secret key
is generated once under ``./var/secret.key`` so signed links survive restarts.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from encaisse.domain.errors import EncaisseError

DEFAULT_DATABASE_URL = "sqlite:///./var/encaisse.db"


@dataclass(frozen=True)
class SmtpSettings:
    host: str = ""
    port: int = 25
    username: str = ""
    password: str = field(default="", repr=False)
    starttls: bool = False
    ssl: bool = False
    sender: str = "factures@encaisse.local"
    timeout: float = 10.0

    @property
    def configured(self) -> bool:
        return bool(self.host)


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = field(default="", repr=False)
    base_url: str = "http://127.0.0.1:8000"
    var_dir: Path = Path("var")
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    stripe_secret_key: str = field(default="", repr=False)
    stripe_webhook_secret: str = field(default="", repr=False)
    stripe_api_base: str = "https://api.stripe.com"
    payment_provider: str = "fake"
    fake_provider_url: str = ""
    auto_reconcile_threshold: float = 0.9
    bank_feed: str = "gocardless"  # or "sandbox": a local demo bank, no credentials
    gocardless_secret_id: str = field(default="", repr=False)
    gocardless_secret_key: str = field(default="", repr=False)
    gocardless_api_base: str = "https://bankaccountdata.gocardless.com"
    login_rate_limit: int = 10  # failed logins per 10 minutes per email+address

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise EncaisseError(f"{name} must be an integer, got {raw!r}", code="SETTINGS-INVALID") from exc


def _env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name, "")
    if raw == "":
        return default
    return raw.lower() in {"1", "true", "yes", "on"}


def _secret_key(var_dir: Path) -> str:
    key = os.environ.get("ENCAISSE_SECRET_KEY", "")
    if key:
        return key
    path = var_dir / "secret.key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def load_settings() -> Settings:
    var_dir = Path(os.environ.get("ENCAISSE_VAR_DIR", "var"))
    smtp = SmtpSettings(
        host=os.environ.get("ENCAISSE_SMTP_HOST", ""),
        port=_env_int("ENCAISSE_SMTP_PORT", 25),
        username=os.environ.get("ENCAISSE_SMTP_USERNAME", ""),
        password=os.environ.get("ENCAISSE_SMTP_PASSWORD", ""),
        starttls=_env_bool("ENCAISSE_SMTP_STARTTLS"),
        ssl=_env_bool("ENCAISSE_SMTP_SSL"),
        sender=os.environ.get("ENCAISSE_SMTP_SENDER", "factures@encaisse.local"),
    )
    return Settings(
        database_url=os.environ.get("ENCAISSE_DATABASE_URL", DEFAULT_DATABASE_URL),
        secret_key=_secret_key(var_dir),
        base_url=os.environ.get("ENCAISSE_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
        var_dir=var_dir,
        smtp=smtp,
        stripe_secret_key=os.environ.get("ENCAISSE_STRIPE_SECRET_KEY", ""),
        stripe_webhook_secret=os.environ.get("ENCAISSE_STRIPE_WEBHOOK_SECRET", ""),
        stripe_api_base=os.environ.get("ENCAISSE_STRIPE_API_BASE", "https://api.stripe.com"),
        payment_provider=os.environ.get("ENCAISSE_PAYMENT_PROVIDER", "fake"),
        fake_provider_url=os.environ.get("ENCAISSE_FAKE_PROVIDER_URL", ""),
        auto_reconcile_threshold=float(os.environ.get("ENCAISSE_AUTO_RECONCILE_THRESHOLD", "0.9")),
        bank_feed=os.environ.get("ENCAISSE_BANK_FEED", "gocardless"),
        gocardless_secret_id=os.environ.get("ENCAISSE_GOCARDLESS_SECRET_ID", ""),
        gocardless_secret_key=os.environ.get("ENCAISSE_GOCARDLESS_SECRET_KEY", ""),
        gocardless_api_base=os.environ.get(
            "ENCAISSE_GOCARDLESS_API_BASE", "https://bankaccountdata.gocardless.com"
        ),
    )
