"""AppSession, AppTag and AppStartRequest tables."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ladeportal.db.base import Base, utcnow


class AppSession(Base):
    """A phone signed in to the app. Lives for weeks (idle and absolute ends from the settings); the
    person revokes it in the app, an organisation's admin in the portal. Only the token's sha256 is
    stored."""

    __tablename__ = "app_sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    # Who ended it: "user" or "admin:<membership id>", so the person can see why a phone was logged out.
    revoked_by: Mapped[str | None] = mapped_column(String(60))
    user_agent: Mapped[str | None] = mapped_column(String(200))


class AppTag(Base):
    """Marks an id tag as a member's app identity: the idTag sent in RemoteStartTransaction from the
    app. It is an ordinary tag for the access decision and the local lists, but no card exists, so the
    app hides it from "my cards" and its label says so in the portal."""

    __tablename__ = "app_tags"
    __table_args__ = (UniqueConstraint("membership_id"),)

    tag_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("id_tags.id", ondelete="CASCADE"), primary_key=True)
    membership_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("memberships.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AppStartRequest(Base):
    """One start from the app. The request id comes from the page (one per tap of the start form), so a
    double tap or a retried post finds the first row instead of sending a second command; a connector
    has at most one start pending at a time."""

    __tablename__ = "app_start_requests"
    __table_args__ = (
        UniqueConstraint("request_key"),
        Index("ix_app_start_requests_connector", "charge_point_id", "connector_number", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    request_key: Mapped[str] = mapped_column(String(64))
    membership_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("memberships.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    charge_point_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("charge_points.id", ondelete="CASCADE"))
    connector_number: Mapped[int] = mapped_column()
    id_tag: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # pending -> accepted / rejected / offline / no_answer / started / no_car
    outcome: Mapped[str] = mapped_column(String(16), default="pending")
    session_id: Mapped[int | None] = mapped_column(ForeignKey("charging_sessions.id", ondelete="SET NULL"))
