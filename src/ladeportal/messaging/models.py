"""OrgSmsSend: the SMS that an organisation's staff caused, for the limits in org_limits.py."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ladeportal.db.base import Base, utcnow


class OrgSmsSend(Base):
    """One SMS sent on an organisation's behalf. The recipient is a keyed hash of organisation and
    number, not the number: the row must outlive the membership (remove and re-add must not reset the
    limit) without keeping a readable number. Rows older than a day are deleted (messaging/retention.py)."""

    __tablename__ = "org_sms_sends"
    __table_args__ = (Index("ix_org_sms_sends_org_sent", "organization_id", "sent_at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    recipient_key: Mapped[str] = mapped_column(String(64), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
