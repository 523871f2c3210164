"""EmailDelivery: what became of one e-mail, kept after its outbox task (and its text) is deleted."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ladeportal.db.base import Base, utcnow


class DeliveryState(enum.StrEnum):
    queued = "queued"  # waiting for the worker, or for a retry after a temporary failure
    sent = "sent"  # the mail server accepted it
    failed = "failed"  # refused for good, or out of attempts


class EmailDelivery(Base):
    """One e-mail to one recipient. `error` holds the last failure as the mail server put it (a retry
    that succeeds clears it), so the portal can say why an invitation never arrived."""

    __tablename__ = "email_deliveries"
    __table_args__ = (Index("ix_email_deliveries_org_created", "organization_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    # None for the platform's own e-mails (an operator's test message).
    organization_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    recipient: Mapped[str] = mapped_column(String(254))
    template: Mapped[str] = mapped_column(String(60))
    language: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(300))
    state: Mapped[DeliveryState] = mapped_column(
        Enum(DeliveryState, native_enum=False, length=16), default=DeliveryState.queued
    )
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    # Queueing twice with the same key is a no-op: a retried request cannot send two e-mails.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
