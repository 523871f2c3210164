"""Request and response bodies of the JSON API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ladeportal.limits import MAX_IDS_PER_REQUEST


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class OrganizationOut(Out):
    id: uuid.UUID
    kind: str
    legal_name: str
    org_number: str
    country: str
    currency: str
    vat_rate_bp: int
    time_zone: str
    contact_name: str | None
    contact_email: str | None
    contact_phone: str | None


class OrganizationIn(BaseModel):
    legal_name: str = Field(max_length=200)
    org_number: str = Field(max_length=20)
    country: str = Field(default="NO", max_length=2)
    kind: str = "housing_cooperative"
    currency: str | None = None
    vat_rate_bp: int | None = Field(default=None, ge=0, le=10000)
    time_zone: str | None = None
    contact_name: str | None = Field(default=None, max_length=200)
    contact_email: str | None = Field(default=None, max_length=254)
    contact_phone: str | None = Field(default=None, max_length=20)


class SiteIn(BaseModel):
    name: str = Field(max_length=120)
    price_area: str = Field(max_length=3)
    time_zone: str | None = None
    street: str | None = Field(default=None, max_length=200)
    postal_code: str | None = Field(default=None, max_length=12)
    city: str | None = Field(default=None, max_length=100)
    grid_limit_amps: int | None = None
    grid_phases: int = 3


class SiteOut(Out):
    id: uuid.UUID
    organization_id: uuid.UUID
    name: str
    street: str | None
    postal_code: str | None
    city: str | None
    time_zone: str
    price_area: str
    grid_limit_amps: int | None
    grid_phases: int


class ConnectorOut(Out):
    number: int
    status: str
    error_code: str | None
    max_power_w: int | None
    parking_spot: str | None


class ChargePointOut(Out):
    id: uuid.UUID
    site_id: uuid.UUID
    ocpp_id: str
    name: str | None
    vendor: str | None
    model: str | None
    serial_number: str | None
    firmware_version: str | None
    commissioning_state: str
    last_seen_at: datetime | None
    fallback_subprotocol: str | None = None
    connectors: list[ConnectorOut]


class ChargePointSettingsIn(BaseModel):
    # The protocol for connections that offer no subprotocol (older chargers); null closes them.
    fallback_subprotocol: str | None = Field(default=None, max_length=16)
    # Each field changes only when it is in the body: the name (null clears it), the site (same organisation).
    name: str | None = Field(default=None, max_length=120)
    site_id: uuid.UUID | None = None


class ChargePointIn(BaseModel):
    site_id: uuid.UUID
    ocpp_id: str = Field(max_length=48)
    name: str | None = Field(default=None, max_length=120)
    connectors: int = Field(default=2, ge=1, le=10)
    max_power_w: int | None = Field(default=22000)


class NewChargePointOut(BaseModel):
    charge_point: ChargePointOut
    ocpp_url: str
    password: str = Field(description="Shown once; only a salted hash is stored.")


class MemberIn(BaseModel):
    """Name, e-mail, notes and parking spot are this organisation's own record of the member."""

    phone: str = Field(max_length=40)
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    notes: str | None = Field(default=None, max_length=1000)
    role: str = "member"
    group_id: uuid.UUID | None = None
    language: str | None = Field(default=None, description="Only for a number new to the platform.")
    parking_spot: str | None = Field(default=None, max_length=40)


class MemberOut(BaseModel):
    """What this organisation knows about its member; nothing from the person's other memberships."""

    id: uuid.UUID
    user_id: uuid.UUID
    phone: str | None
    name: str | None
    email: str | None
    notes: str | None
    role: str
    state: str
    group_id: uuid.UUID | None
    parking_spot: str | None
    activated_at: datetime | None = Field(description="First sign-in while a member of this organisation.")


class GroupIn(BaseModel):
    name: str = Field(max_length=80)
    description: str | None = Field(default=None, max_length=500)
    site_ids: list[uuid.UUID] | None = Field(default=None, max_length=MAX_IDS_PER_REQUEST)
    charge_point_ids: list[uuid.UUID] | None = Field(default=None, max_length=MAX_IDS_PER_REQUEST)


class GroupOut(Out):
    id: uuid.UUID
    name: str
    description: str | None
    is_default: bool
    all_sites: bool


class TagIn(BaseModel):
    uid: str = Field(max_length=40)
    membership_id: uuid.UUID | None = None
    group_id: uuid.UUID | None = None
    label: str | None = Field(default=None, max_length=80)
    expires_at: datetime | None = None


class TagOut(Out):
    id: uuid.UUID
    uid: str
    membership_id: uuid.UUID | None
    group_id: uuid.UUID | None
    label: str | None
    state: str
    expires_at: datetime | None


class MemberPatch(BaseModel):
    """Only the fields present in the request change; null or "" clears name, e-mail, notes, parking
    spot. The person's own settings (number, language) are theirs to change, so they are refused here."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    notes: str | None = Field(default=None, max_length=1000)
    role: str | None = None
    group_id: uuid.UUID | None = None
    parking_spot: str | None = Field(default=None, max_length=40)


class MemberRowOut(MemberOut):
    tags: list[str]
    invited_at: datetime | None
    invite_count: int


class MemberPageOut(BaseModel):
    items: list[MemberRowOut]
    total: int
    page: int
    page_size: int
    pages: int


class ImportRowOut(BaseModel):
    line: int
    status: str
    phone: str | None
    message: str
    changes: list[str]
    code: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)


class ImportReportOut(BaseModel):
    committed: bool
    counts: dict[str, int]
    ignored_columns: list[str]
    rows: list[ImportRowOut]


class InviteIn(BaseModel):
    """How a resent invitation goes: "sms", "email" or "both" (e-mail only when the member has an
    address and e-mail is on)."""

    model_config = ConfigDict(extra="forbid")

    channel: str = Field(default="both", max_length=20)


class MoveMembersIn(BaseModel):
    membership_ids: list[uuid.UUID] = Field(max_length=10000)
    group_id: uuid.UUID | None = None


class GroupUpdateIn(BaseModel):
    name: str = Field(max_length=80)
    description: str | None = Field(default=None, max_length=500)
    site_ids: list[uuid.UUID] | None = Field(default=None, max_length=MAX_IDS_PER_REQUEST)
    charge_point_ids: list[uuid.UUID] | None = Field(default=None, max_length=MAX_IDS_PER_REQUEST)


class TagUpdateIn(BaseModel):
    membership_id: uuid.UUID | None = None
    group_id: uuid.UUID | None = None
    label: str | None = Field(default=None, max_length=80)
    expires_at: datetime | None = None
