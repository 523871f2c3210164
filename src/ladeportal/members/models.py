"""User, Membership, UserGroup and IdTag tables."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ladeportal.db.base import Base, TimestampMixin


class Role(enum.StrEnum):
    org_admin = "org_admin"
    finance = "finance"
    member = "member"


class MembershipState(enum.StrEnum):
    invited = "invited"
    active = "active"
    blocked = "blocked"


class TagState(enum.StrEnum):
    active = "active"
    blocked = "blocked"


class User(TimestampMixin, Base):
    """The person: one mobile number, shared by every organisation they belong to. Only the person
    themself and platform staff change this row; what an organisation knows about the person
    (the name and e-mail it uses, notes, parking spot) is on the Membership."""

    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # E.164; NULL once the person is anonymised, so the number can be reused.
    phone: Mapped[str | None] = mapped_column(String(16), unique=True)
    # The person's own name and e-mail; never shown to an organisation.
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(8), default="nb")
    last_login_at: Mapped[datetime | None] = mapped_column()
    anonymised_at: Mapped[datetime | None] = mapped_column()

    memberships: Mapped[list[Membership]] = relationship(back_populates="user")


class UserGroup(TimestampMixin, Base):
    __tablename__ = "user_groups"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str | None] = mapped_column(String(500))
    # Members without a group fall into the organisation's default group.
    is_default: Mapped[bool] = mapped_column(default=False)
    # All sites unless restricted through group_sites.
    all_sites: Mapped[bool] = mapped_column(default=True)
    # Deleted groups stay (renamed) because past charging sessions and prices refer to them.
    deleted_at: Mapped[datetime | None] = mapped_column()


class GroupSite(Base):
    """A site that a group with all_sites = False may use."""

    __tablename__ = "group_sites"

    group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_groups.id", ondelete="CASCADE"), primary_key=True)
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True)


class GroupChargePoint(Base):
    """A single charger a group may use in addition to its sites (e.g. a guest charger)."""

    __tablename__ = "group_charge_points"

    group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_groups.id", ondelete="CASCADE"), primary_key=True)
    charge_point_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("charge_points.id", ondelete="CASCADE"), primary_key=True
    )


class LocalListVersion(Base):
    """The version of an organisation's OCPP local authorization list; bumped by every change that
    can alter a tag's status, in the same transaction as the change."""

    __tablename__ = "local_list_versions"

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), primary_key=True)
    version: Mapped[int] = mapped_column()


class Membership(TimestampMixin, Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("organization_id", "user_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=16), default=Role.member)
    state: Mapped[MembershipState] = mapped_column(
        Enum(MembershipState, native_enum=False, length=16), default=MembershipState.invited
    )
    group_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_groups.id"), index=True)
    # What this organisation knows about the person; another organisation never sees it.
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    notes: Mapped[str | None] = mapped_column(String(1000))
    parking_spot: Mapped[str | None] = mapped_column(String(40))
    # The first sign-in while this membership exists: "has logged in" as far as this organisation
    # may know (the person's global last login would reveal their activity elsewhere).
    activated_at: Mapped[datetime | None] = mapped_column()
    removed_at: Mapped[datetime | None] = mapped_column()
    # The SMS invitation: when it was first and last sent and how often (resends are rate limited).
    invited_at: Mapped[datetime | None] = mapped_column()
    invite_sent_at: Mapped[datetime | None] = mapped_column()
    invite_count: Mapped[int] = mapped_column(default=0, server_default="0")

    user: Mapped[User] = relationship(back_populates="memberships")
    group: Mapped[UserGroup | None] = relationship()


class IdTag(TimestampMixin, Base):
    __tablename__ = "id_tags"
    __table_args__ = (
        # A physical card belongs to one organisation at a time.
        UniqueConstraint("uid"),
        Index("ix_id_tags_org_state", "organization_id", "state"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    # Upper-case hex, no separators; OCPP 1.6 idToken is at most 20 characters.
    uid: Mapped[str] = mapped_column(String(20))
    # A member's tag, or an organisation-level visitor key that belongs to a group.
    membership_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("memberships.id"), index=True)
    group_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_groups.id"))
    label: Mapped[str | None] = mapped_column(String(80))
    state: Mapped[TagState] = mapped_column(Enum(TagState, native_enum=False, length=16), default=TagState.active)
    expires_at: Mapped[datetime | None] = mapped_column()

    membership: Mapped[Membership | None] = relationship()
