"""What chargers told us and what we asked them: status history, command log, unknown tags seen,
and firmware/diagnostics/data-transfer notifications. Rows are appended, never rewritten, except the
command row whose state advances queued -> sent -> answered/failed."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ladeportal.db.base import Base, utcnow


class ConnectorStatusEvent(Base):
    __tablename__ = "connector_status_events"
    __table_args__ = (Index("ix_connector_status_events_cp_at", "charge_point_id", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    charge_point_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("charge_points.id"))
    # 0 is the charger as a whole (OCPP 1.6 StatusNotification connectorId 0).
    connector_number: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(24))
    error_code: Mapped[str] = mapped_column(String(40))
    info: Mapped[str | None] = mapped_column(String(50))
    vendor_error_code: Mapped[str | None] = mapped_column(String(50))
    # The charger's own clock when it sent one (queued notifications arrive late), else receipt time.
    reported_at: Mapped[datetime] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class CommandState(enum.StrEnum):
    queued = "queued"  # recorded, waiting for the gateway process that holds the charger's socket
    sent = "sent"  # claimed by a gateway and on the wire
    answered = "answered"  # CALLRESULT received (the payload may still say Rejected)
    failed = "failed"  # CALLERROR, invalid answer
    timeout = "timeout"  # sent, no answer in time
    not_connected = "not_connected"  # no gateway held the charger within the timeout


class ChargerCommand(Base):
    __tablename__ = "charger_commands"
    # The gateways poll for queued rows; the partial scan stays small because rows leave 'queued' fast.
    __table_args__ = (
        Index("ix_charger_commands_state", "state"),
        Index("ix_charger_commands_cp_created", "charge_point_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    charge_point_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("charge_points.id"))
    action: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[CommandState] = mapped_column(
        Enum(CommandState, native_enum=False, length=16), default=CommandState.queued
    )
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error_code: Mapped[str | None] = mapped_column(String(40))
    error_description: Mapped[str | None] = mapped_column(String(255))
    actor_label: Mapped[str] = mapped_column(String(80))
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()


class UnknownTagSighting(Base):
    """A UID that a charger presented and no organisation knows: an admin can claim it later."""

    __tablename__ = "unknown_tag_sightings"
    __table_args__ = (UniqueConstraint("charge_point_id", "uid"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    charge_point_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("charge_points.id"))
    uid: Mapped[str] = mapped_column(String(20))
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    seen_count: Mapped[int] = mapped_column(default=1)


class ChargerNotification(Base):
    """DiagnosticsStatusNotification, FirmwareStatusNotification and DataTransfer, kept as history."""

    __tablename__ = "charger_notifications"
    __table_args__ = (
        Index("ix_charger_notifications_cp_at", "charge_point_id", "received_at"),
        # The charger page reads the latest firmware and diagnostics status: one index step each, however
        # many data-transfer messages the charger has sent since.
        Index("ix_charger_notifications_cp_kind_at", "charge_point_id", "kind", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    charge_point_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("charge_points.id"))
    kind: Mapped[str] = mapped_column(String(24))
    status: Mapped[str | None] = mapped_column(String(40))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
