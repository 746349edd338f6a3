"""Send one message through SMTP (smtplib), with STARTTLS or implicit TLS, login and timeouts.

Failures are classified for the queue (:mod:`encaisse.services.mail_queue`):

- transient (retry later): 4xx replies (RFC 5321 §4.2.1 "transient negative completion"),
  timeouts, refused or dropped connections;
- permanent (the message fails): 5xx replies for the sender, the recipient or the data;
- configuration (:class:`MailConfigError`, nothing is tried further): authentication refused,
  STARTTLS/AUTH not offered, TLS handshake or certificate errors.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid

from encaisse.services.mail_queue import MailConfigError, MailError
from encaisse.settings import SmtpSettings


def _from_code(code: int, text: str) -> MailError:
    transient = 400 <= code < 500
    return MailError(f"SMTP {code} {text}".strip(), transient=transient, code=f"MAIL-SMTP-{code}")


def _reply_text(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


class SmtpSender:
    """``SmtpSender(settings.smtp).send(message) -> Message-ID``."""

    def __init__(self, settings: SmtpSettings, *, ssl_context: ssl.SSLContext | None = None) -> None:
        if not settings.configured:
            raise MailConfigError("SMTP is not configured (ENCAISSE_SMTP_HOST)")
        self.settings = settings
        self._ssl_context = ssl_context

    @property
    def from_address(self) -> str:
        return self.settings.sender

    def _context(self) -> ssl.SSLContext:
        return self._ssl_context or ssl.create_default_context()

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.ssl:
            return smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=self._context())
        client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        if s.starttls:
            client.starttls(context=self._context())
        return client

    def send(self, message: EmailMessage) -> str:
        if message["Message-ID"] is None:
            message["Message-ID"] = make_msgid(domain=self.from_address.rpartition("@")[2] or None)
        message_id = str(message["Message-ID"])
        try:
            with self._connect() as client:
                if self.settings.username:
                    client.login(self.settings.username, self.settings.password)
                refused = client.send_message(message, from_addr=self.from_address)
        except smtplib.SMTPAuthenticationError as exc:
            raise MailConfigError(f"SMTP authentication refused ({exc.smtp_code})") from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise MailConfigError(f"SMTP server does not support what is configured: {exc}") from exc
        except ssl.SSLError as exc:
            raise MailConfigError(f"TLS with the SMTP server failed: {exc.reason}") from exc
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            worst = max(codes) if codes else 550
            first = next(iter(exc.recipients.values()), (550, b""))
            raise _from_code(
                min(codes) if any(c < 500 for c in codes) else worst, _reply_text(first[1])
            ) from exc
        except smtplib.SMTPResponseException as exc:  # sender refused, data refused, 4xx/5xx replies
            raise _from_code(exc.smtp_code, _reply_text(exc.smtp_error)) from exc
        except (smtplib.SMTPException, OSError) as exc:  # disconnects, timeouts, connection refused
            raise MailError(
                f"SMTP connection failed: {exc.__class__.__name__}: {exc}", transient=True
            ) from exc
        if refused:
            code, text = next(iter(refused.values()))
            raise _from_code(code, _reply_text(text))
        return message_id
