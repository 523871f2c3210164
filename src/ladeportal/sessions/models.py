"""ChargingSession (one OCPP transaction), MeterReading and OrphanMessage tables."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Enum, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ladeportal.db.base import Base, TimestampMixin, utcnow

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL needs 64 bits for the sample table.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class SessionState(enum.StrEnum):
    active = "active"
    stopped = "stopped"


class ChargingSession(TimestampMixin, Base):
    __tablename__ = "charging_sessions"
    __table_args__ = (
        # A retried StartTransaction carries a new message id but the same content: the database
        # refuses to start the same transaction twice.
        UniqueConstraint(
            "charge_point_id",
            "connector_number",
            "started_at",
            "meter_start_wh",
            "id_tag",
            name="uq_charging_sessions_start_content",
        ),
        Index("ix_charging_sessions_cp_connector_state", "charge_point_id", "connector_number", "state"),
        Index("ix_charging_sessions_org_started", "organization_id", "started_at"),
        # A charger's page lists its latest sessions; constant time however long its history is.
        Index("ix_charging_sessions_cp_started", "charge_point_id", "started_at"),
        # The sessions page filters by site or group within a period, newest first.
        Index("ix_charging_sessions_site_started", "site_id", "started_at"),
        Index("ix_charging_sessions_group_started", "group_id", "started_at"),
    )

    # The id is the OCPP transactionId the charger gets back.
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id"))
    charge_point_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("charge_points.id"))
    connector_number: Mapped[int] = mapped_column()
    id_tag: Mapped[str] = mapped_column(String(20))
    tag_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("id_tags.id"), index=True)
    membership_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("memberships.id"), index=True)
    group_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_groups.id"))
    # idTagInfo status given at start: a session is recorded even when the tag was not accepted,
    # because a charger that authorised offline has already delivered the energy.
    auth_status: Mapped[str] = mapped_column(String(16))
    reservation_id: Mapped[int | None] = mapped_column()
    state: Mapped[SessionState] = mapped_column(
        Enum(SessionState, native_enum=False, length=16), default=SessionState.active
    )
    started_at: Mapped[datetime] = mapped_column()
    stopped_at: Mapped[datetime | None] = mapped_column()
    stop_reason: Mapped[str | None] = mapped_column(String(32))
    stop_id_tag: Mapped[str | None] = mapped_column(String(20))
    # Meter registers in Wh as the charger reported them (after unit conversion).
    meter_start_wh: Mapped[int] = mapped_column(BigInteger)
    meter_stop_wh: Mapped[int | None] = mapped_column(BigInteger)
    meter_last_wh: Mapped[int] = mapped_column(BigInteger)
    # Energy accounting that survives meter resets: energy = carried + (last - segment start).
    segment_start_wh: Mapped[int] = mapped_column(BigInteger)
    energy_carried_wh: Mapped[int] = mapped_column(BigInteger, default=0)
    energy_wh: Mapped[int | None] = mapped_column(BigInteger)
    # Anomaly codes (see sessions/anomalies.py); a non-empty list puts the session on the review list.
    anomalies: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Filled by the pricing area through sessions/pricing_hook.py.
    cost_snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    cost_total_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))


class MeterReading(Base):
    """One meterValue element: a timestamp and its sampled values, packed.

    Samples are stored as one compact JSON array per timestamp (codes from sessions/meter.py) instead
    of one row per sampled value: nine values per message would mean nine index updates per message
    on the hottest write path. The energy register, the one value billing reads, gets its own column.
    """

    __tablename__ = "meter_readings"
    __table_args__ = (Index("ix_meter_readings_session_taken", "session_id", "taken_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    charge_point_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("charge_points.id"), index=True)
    connector_number: Mapped[int] = mapped_column()
    session_id: Mapped[int | None] = mapped_column(ForeignKey("charging_sessions.id"))
    taken_at: Mapped[datetime] = mapped_column()
    energy_wh: Mapped[int | None] = mapped_column(BigInteger)
    samples: Mapped[list[Any]] = mapped_column(JSON)


class OrphanMessage(Base):
    """A transaction message we acknowledged but could not attach: parked for the operator."""

    __tablename__ = "orphan_messages"
    __table_args__ = (Index("ix_orphan_messages_unresolved", "resolved_at", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    charge_point_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("charge_points.id"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    transaction_id: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(80))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column()


class SessionReview(Base):
    """An administrator looked at a session's flagged meter values and found them explained. The codes
    reviewed are kept: a flag the charger adds later (a running session) makes the session flagged again."""

    __tablename__ = "session_reviews"

    session_id: Mapped[int] = mapped_column(ForeignKey("charging_sessions.id", ondelete="CASCADE"), primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    anomalies: Mapped[list[str]] = mapped_column(JSON)
    reviewed_at: Mapped[datetime] = mapped_column()
    reviewed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
