"""LoginCode, SendLimitKey, TrustedDevice and PortalSession tables."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ladeportal.db.base import Base, utcnow


class LoginCode(Base):
    """One request for a login code. A row is written for unknown numbers too (without a code), so
    the send limits count every request and the answer cannot tell known numbers from unknown ones."""

    __tablename__ = "login_codes"
    __table_args__ = (
        # The send limits count recent rows per number and per source address.
        Index("ix_login_codes_phone_created", "phone", "created_at"),
        Index("ix_login_codes_source_created", "source_address", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    phone: Mapped[str] = mapped_column(String(16))
    source_address: Mapped[str] = mapped_column(String(45))
    # NULL when no code was sent (unknown number, or nobody with portal access).
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # HMAC of the code with the server secret: a leaked table does not reveal codes that are still valid.
    code_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    failed_attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None] = mapped_column()
    # sha256 of the requesting browser's device cookie, and whether that browser had signed in with
    # this number before: such requests have their own allowance (see auth/limits.py).
    device_key: Mapped[str | None] = mapped_column(String(64))
    trusted_device: Mapped[bool] = mapped_column(default=False)


class SendLimitKey(Base):
    """One row per mobile number and per source address that asked for a code recently. A request
    locks its two rows before it counts and records, so parallel requests for the same number or from
    the same address take turns and a limit holds exactly (see auth/limits.py)."""

    __tablename__ = "login_send_keys"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # "phone:<E.164>" or "address:<ip>"
    touched_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When staff were last told that requests for this number are being held back (at most hourly).
    alerted_at: Mapped[datetime | None] = mapped_column()


class TrustedDevice(Base):
    """A browser (by the sha256 of its device cookie) that has signed in as this user. Its requests for
    a login code are counted apart from everyone else's, so a stranger asking for codes for the
    person's number cannot use up the allowance of the person's own browser."""

    __tablename__ = "login_trusted_devices"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    device_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(default=utcnow)


class PortalSession(Base):
    """A signed-in browser. The cookie holds a random token; only its sha256 is stored."""

    __tablename__ = "portal_sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The absolute end, fixed at sign-in; the idle end moves with last_seen_at.
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    user_agent: Mapped[str | None] = mapped_column(String(200))
