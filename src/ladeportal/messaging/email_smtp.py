"""SMTP: the one module that talks to a mail server (aiosmtplib, asyncio-native like the worker).

Security is LADEPORTAL_SMTP_SECURITY: `starttls` (port 587, the connection must be upgraded, so a
server or a man in the middle that hides STARTTLS cannot make us send the password in clear), `tls`
(port 465, TLS from the first byte) or `none` (port 25, for a relay on the same host or network).
Certificates are verified against the system's CAs, or LADEPORTAL_SMTP_CA_FILE for an internal relay.

Each e-mail is one connection: the worker sends few e-mails, and a fresh connection cannot be a
half-closed one left over from a quiet hour.
"""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

import aiosmtplib

from ladeportal.db.base import utcnow
from ladeportal.messaging.email import EmailDeferred, EmailRejected, OutgoingEmail
from ladeportal.settings import Settings

DEFAULT_PORTS = {"none": 25, "starttls": 587, "tls": 465}


def compose(message: OutgoingEmail, sender: Address) -> EmailMessage:
    """A multipart/alternative message: the plain text first, the HTML last (the part readers prefer).
    Quoted-printable keeps both parts 7-bit, so they pass relays that do not speak 8BITMIME."""
    mime = EmailMessage()
    mime["From"] = sender
    mime["To"] = message.to
    mime["Subject"] = message.subject
    mime["Date"] = format_datetime(utcnow())
    mime["Message-ID"] = f"<{message.message_key}@{sender.domain}>"
    # RFC 3834: out-of-office replies and other auto-responders must not answer it.
    mime["Auto-Submitted"] = "auto-generated"
    mime.set_content(message.text, cte="quoted-printable")
    mime.add_alternative(message.html, subtype="html", cte="quoted-printable")
    # After the parts: setting the content replaces the message's Content-* headers.
    mime["Content-Language"] = message.language
    return mime


class SmtpProvider:
    name = "smtp"

    def __init__(
        self,
        host: str,
        sender: Address,
        *,
        port: int | None = None,
        security: str = "starttls",
        username: str = "",
        password: str = "",
        ca_file: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        if security not in DEFAULT_PORTS:
            raise ValueError(f"unknown SMTP security {security!r}")
        self.host, self.sender, self.security = host, sender, security
        self.port = port or DEFAULT_PORTS[security]
        self.username, self.password, self.ca_file, self.timeout = username, password, ca_file, timeout

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpProvider:
        return cls(
            settings.smtp_host,
            Address(display_name=settings.email_from_name, addr_spec=settings.email_from_address),
            port=settings.smtp_port,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value(),
            ca_file=settings.smtp_ca_file,
            timeout=settings.smtp_timeout,
        )

    async def send(self, message: OutgoingEmail) -> str:
        try:
            _refused, answer = await aiosmtplib.send(
                compose(message, self.sender),
                sender=self.sender.addr_spec,
                recipients=[message.to],
                hostname=self.host,
                port=self.port,
                use_tls=self.security == "tls",
                start_tls=self.security == "starttls",
                username=self.username or None,
                password=self.password or None,
                cert_bundle=self.ca_file,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refusals = [(r.code, r.message) for r in exc.recipients]
            raise _classified(refusals) from exc
        except aiosmtplib.SMTPAuthenticationError as exc:
            # The server refused our login: that is the configuration, not this e-mail. Retried, so the
            # queued e-mails still go out once the password is fixed.
            raise EmailDeferred(f"login refused: {exc.code} {exc.message}") from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise _classified([(exc.code, exc.message)]) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            # No connection, a timeout, a certificate that does not verify, STARTTLS not offered.
            raise EmailDeferred(f"{type(exc).__name__}: {exc}".rstrip(": ")) from exc
        return answer


def _classified(answers: list[tuple[int, str]]) -> Exception:
    """5xx answers are permanent (no such mailbox, message refused); 4xx ones are worth retrying."""
    reason = "; ".join(f"{code} {text}".strip() for code, text in answers)
    if answers and all(500 <= code < 600 for code, _ in answers):
        return EmailRejected(reason)
    return EmailDeferred(reason)
