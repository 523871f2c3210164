"""A real SMTP server on loopback for the e-mail tests (aiosmtpd), plain, STARTTLS or implicit TLS,
with a self-signed certificate made here; it records what arrived and answers RCPT as told."""

from __future__ import annotations

import ipaddress
import socket
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

FROM_ADDRESS = "noreply@solbakken.example"


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


def make_certificate(folder: Path) -> Certificate:
    """A self-signed certificate for 127.0.0.1 and localhost, which is also its own CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ladeportal test smtp")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    paths = Certificate(folder / "smtp-cert.pem", folder / "smtp-key.pem")
    paths.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths.key.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return paths


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    tls: bool
    login: str | None

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    def raw_header(self, name: str) -> str:
        """The header as it travelled (RFC 2047 encoded words and all), unfolded."""
        head = self.raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
        for line in head.replace("\r\n ", " ").replace("\r\n\t", " ").split("\r\n"):
            key, _, value = line.partition(":")
            if key.lower() == name.lower():
                return value.strip()
        raise KeyError(name)


@dataclass
class RecordingHandler:
    received: list[Received] = field(default_factory=list)
    # Recipient -> the answers to its next RCPT commands ("451 ..."); when none are left it is accepted.
    rcpt_answers: dict[str, list[str]] = field(default_factory=dict)
    logins: dict[str, str] = field(default_factory=dict)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        answers = self.rcpt_answers.get(address)
        if answers:
            return answers.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        self.received.append(
            Received(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                bytes(envelope.original_content),
                tls=server.transport.get_extra_info("ssl_object") is not None,
                login=login,
            )
        )
        return "250 2.0.0 Ok: queued as TEST1"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and self.logins.get(data.login.decode()) == data.password.decode()
        return AuthResult(success=ok, handled=False, auth_data=data)


@dataclass
class SmtpServer:
    handler: RecordingHandler
    port: int
    security: str
    controller: Controller

    @property
    def received(self) -> list[Received]:
        return self.handler.received


def start_server(security: str, certificate: Certificate) -> SmtpServer:
    handler = RecordingHandler()
    port = free_port()
    kwargs: dict[str, Any] = {}
    if security == "starttls":
        # STARTTLS is required and logging in is allowed only after it, as on a real submission port.
        kwargs = {
            "tls_context": certificate.server_context(),
            "require_starttls": True,
            "authenticator": handler.authenticate,
            "auth_require_tls": True,
        }
    elif security == "tls":
        kwargs = {"ssl_context": certificate.server_context()}
    controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    return SmtpServer(handler, port, security, controller)
