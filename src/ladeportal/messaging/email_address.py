"""Which e-mail addresses the platform sends to: one plain address (no display name, no comments),
with a domain that has a dot. Anything looser would either bounce or let a crafted value add headers
or recipients. A domain with letters such as æøå is kept in its ASCII (IDNA) form, which every mail
server accepts."""

from __future__ import annotations

from email.errors import MessageError
from email.headerregistry import Address

from ladeportal.errors import ValidationFailed

ADDRESS_MAX = 254  # RFC 5321's limit on a forward path


def parsed_address(text: str) -> Address | None:
    """The address, or None when `text` is not exactly one sendable address."""
    if not text or len(text) > ADDRESS_MAX or any(ch.isspace() or ord(ch) < 32 for ch in text):
        return None
    try:
        address = Address(addr_spec=text)
    except (ValueError, IndexError, MessageError):
        return None
    domain = address.domain
    # The round trip refuses what the parser quietly drops (comments such as "ola(x)@...").
    if address.addr_spec != text or "." not in domain or domain.startswith(("[", ".")) or domain.endswith("."):
        return None
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            return None
        address = Address(username=address.username, domain=domain)
    return address


def valid_address(value: str | None, *, field: str = "to") -> str:
    address = parsed_address((value or "").strip())
    if address is None:
        raise ValidationFailed(
            f"{value!r} is not an e-mail address.", field=field, code="email.invalid", params={"address": value}
        )
    return address.addr_spec
