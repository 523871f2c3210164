"""ChargePoint and Connector tables."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ladeportal.db.base import Base, TimestampMixin, utcnow


class CommissioningState(enum.StrEnum):
    pending = "pending"
    active = "active"
    retired = "retired"


class ChargePoint(TimestampMixin, Base):
    __tablename__ = "charge_points"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id"), index=True)
    # The identity the charger puts in its URL; unique across the platform, never shown publicly.
    ocpp_id: Mapped[str] = mapped_column(String(48), unique=True)
    name: Mapped[str | None] = mapped_column(String(120))
    # "sha256$<salt hex>$<digest hex>": generated credentials are long random strings, so a fast
    # salted hash suffices and keeps a 10k-charger reconnect storm cheap (see chargers/credentials.py).
    credential_hash: Mapped[str | None] = mapped_column(String(200))
    ocpp_protocol: Mapped[str | None] = mapped_column(String(16))
    # OCPP-J closes a connection that offers no subprotocol; some older 1.6 chargers never offer one.
    # Set (to "ocpp1.6") for such a charger, its connections are accepted and spoken to in that version.
    fallback_subprotocol: Mapped[str | None] = mapped_column(String(16))
    vendor: Mapped[str | None] = mapped_column(String(50))
    model: Mapped[str | None] = mapped_column(String(50))
    serial_number: Mapped[str | None] = mapped_column(String(50))
    firmware_version: Mapped[str | None] = mapped_column(String(50))
    commissioning_state: Mapped[CommissioningState] = mapped_column(
        Enum(CommissioningState, native_enum=False, length=16), default=CommissioningState.pending
    )
    last_seen_at: Mapped[datetime | None] = mapped_column()
    last_boot_at: Mapped[datetime | None] = mapped_column()

    connectors: Mapped[list[Connector]] = relationship(
        back_populates="charge_point", order_by="Connector.number", cascade="all, delete-orphan"
    )


class Connector(TimestampMixin, Base):
    __tablename__ = "connectors"
    __table_args__ = (UniqueConstraint("charge_point_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    charge_point_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("charge_points.id"), index=True)
    number: Mapped[int] = mapped_column()
    # OCPP 1.6 ChargePointStatus values ("Available", "Charging", "Faulted", ...); "Unknown" until told.
    status: Mapped[str] = mapped_column(String(24), default="Unknown")
    error_code: Mapped[str | None] = mapped_column(String(40))
    status_changed_at: Mapped[datetime | None] = mapped_column()
    max_power_w: Mapped[int | None] = mapped_column()
    parking_spot: Mapped[str | None] = mapped_column(String(40))

    charge_point: Mapped[ChargePoint] = relationship(back_populates="connectors")


class ChargerLocalList(Base):
    """The local authorisation list a charger has accepted (SendLocalList), as it stands on the charger.

    Knowing it lets the next change go out as a Differential update with only what changed, and lets
    chargers that were offline during a change be found and brought up to date when they are back.
    """

    __tablename__ = "charger_local_lists"

    charge_point_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("charge_points.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column()
    # idTag -> idTagInfo exactly as sent ({"status": ..., "expiryDate": ...}).
    entries: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
