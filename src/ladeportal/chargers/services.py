"""Commissioning charge points: add with a generated credential, activate, retire, rotate credentials."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from ladeportal.chargers.credentials import generate_password, hash_password
from ladeportal.chargers.models import ChargePoint, CommissioningState, Connector
from ladeportal.db.base import utcnow
from ladeportal.db.engine import unit_of_work
from ladeportal.errors import Conflict, NotFound, ValidationFailed
from ladeportal.limits import clean_text
from ladeportal.orgs.services import get_site
from ladeportal.platform.audit import Actor, record

# The identity travels in the URL path and as the Basic-auth user name: no ':' and nothing that
# needs escaping. OCPP 1.6 limits chargeBoxIdentity to 48 characters.
_OCPP_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,47}$")


def check_ocpp_id(value: str) -> str:
    text = (value or "").strip()
    if not _OCPP_ID.match(text):
        raise ValidationFailed(
            f"{value!r} is not a valid charger identity: 1-48 letters, digits, '.', '_' or '-'.",
            field="ocpp_id",
            code="charger.identity_invalid",
            params={"identity": value},
        )
    return text


@dataclass
class NewChargePoint:
    charge_point: ChargePoint
    password: str  # shown once; only the hash is stored


async def add_charge_point(
    session: AsyncSession,
    actor: Actor,
    org_id: uuid.UUID,
    site_id: uuid.UUID,
    ocpp_id: str,
    *,
    name: str | None = None,
    connectors: int = 2,
    max_power_w: int | None = 22000,
) -> NewChargePoint:
    identity = check_ocpp_id(ocpp_id)
    label = clean_text(name, 120, "name")
    if not 1 <= connectors <= 10:
        raise ValidationFailed(
            "A charger has between 1 and 10 connectors.", field="connectors", code="charger.connectors_range"
        )
    if max_power_w is not None and not 1000 <= max_power_w <= 400000:
        raise ValidationFailed(
            "Max power must be between 1 and 400 kW.", field="max_power_w", code="charger.max_power_range"
        )
    async with unit_of_work(session):
        site = await get_site(session, org_id, site_id)
        # Case-insensitive: chargers and installers are careless with case; two ids that differ only
        # in case would be confusing and some chargers upper-case their id.
        if await session.scalar(select(ChargePoint.id).where(func.lower(ChargePoint.ocpp_id) == identity.lower())):
            raise Conflict(
                f"A charger with identity {identity!r} already exists.",
                field="ocpp_id",
                code="charger.identity_taken",
                params={"identity": identity},
            )
        password = generate_password()
        cp = ChargePoint(
            id=uuid.uuid4(),
            organization_id=org_id,
            site_id=site.id,
            ocpp_id=identity,
            name=label,
            credential_hash=hash_password(password),
            commissioning_state=CommissioningState.pending,
        )
        cp.connectors = [
            Connector(id=uuid.uuid4(), number=n, max_power_w=max_power_w) for n in range(1, connectors + 1)
        ]
        session.add(cp)
        await session.flush()
        record(
            session,
            actor,
            "charger.create",
            "charge_point",
            cp.id,
            organization_id=org_id,
            new={"ocpp_id": identity, "site_id": str(site.id), "connectors": connectors},
        )
    return NewChargePoint(cp, password)


async def get_charge_point(session: AsyncSession, org_id: uuid.UUID, cp_id: uuid.UUID) -> ChargePoint:
    cp = await session.scalar(
        select(ChargePoint)
        .options(selectinload(ChargePoint.connectors))
        .where(ChargePoint.id == cp_id, ChargePoint.organization_id == org_id)
    )
    if cp is None:
        raise NotFound("No such charger.", code="charger.not_found")
    return cp


async def find_charge_point(session: AsyncSession, org_id: uuid.UUID, ref: str) -> ChargePoint:
    try:
        return await get_charge_point(session, org_id, uuid.UUID(ref))
    except ValueError:
        pass
    cp = await session.scalar(
        select(ChargePoint)
        .options(selectinload(ChargePoint.connectors))
        .where(ChargePoint.ocpp_id == ref, ChargePoint.organization_id == org_id)
    )
    if cp is None:
        raise NotFound(f"No charger {ref!r} in this organisation.", code="charger.ref_not_found", params={"ref": ref})
    return cp


async def list_charge_points(
    session: AsyncSession, org_id: uuid.UUID, site_id: uuid.UUID | None = None
) -> list[ChargePoint]:
    query = (
        select(ChargePoint)
        .options(selectinload(ChargePoint.connectors))
        .where(ChargePoint.organization_id == org_id)
        .order_by(ChargePoint.ocpp_id)
    )
    if site_id is not None:
        query = query.where(ChargePoint.site_id == site_id)
    return list((await session.scalars(query)).all())


async def set_commissioning_state(
    session: AsyncSession, actor: Actor, org_id: uuid.UUID, cp_id: uuid.UUID, state: CommissioningState
) -> ChargePoint:
    async with unit_of_work(session):
        cp = await get_charge_point(session, org_id, cp_id)
        if cp.commissioning_state == CommissioningState.retired:
            raise Conflict("A retired charger cannot change state; add it again.", code="charger.retired")
        old = cp.commissioning_state.value
        cp.commissioning_state = state
        record(
            session,
            actor,
            f"charger.{state.value}",
            "charge_point",
            cp.id,
            organization_id=org_id,
            old={"commissioning_state": old},
            new={"commissioning_state": state.value},
        )
    return cp


async def activate_charge_point(
    session: AsyncSession, actor: Actor, org_id: uuid.UUID, cp_id: uuid.UUID
) -> ChargePoint:
    return await set_commissioning_state(session, actor, org_id, cp_id, CommissioningState.active)


async def retire_charge_point(session: AsyncSession, actor: Actor, org_id: uuid.UUID, cp_id: uuid.UUID) -> ChargePoint:
    """Retire a charger: the handshake refuses it from now on (ocpp/auth.py), and a session still running
    on it is ended at its last meter reading, because the StopTransaction that would end it can no
    longer arrive. It is flagged NoStopReceived, like any transaction whose Stop was lost."""
    from ladeportal.sessions.services import end_without_stop  # sessions depend on chargers, not back

    async with unit_of_work(session):
        cp = await get_charge_point(session, org_id, cp_id)
        if cp.commissioning_state == CommissioningState.retired:
            raise Conflict("A retired charger cannot change state; add it again.", code="charger.retired")
        old = cp.commissioning_state.value
        cp.commissioning_state = CommissioningState.retired
        closed = await end_without_stop(session, cp.id, utcnow(), "Other")
        record(
            session,
            actor,
            "charger.retired",
            "charge_point",
            cp.id,
            organization_id=org_id,
            old={"commissioning_state": old},
            new={"commissioning_state": CommissioningState.retired.value, "closed_sessions": closed},
        )
    _disconnect(cp.id, "Charge point retired")
    return cp


async def rotate_credential(session: AsyncSession, actor: Actor, org_id: uuid.UUID, cp_id: uuid.UUID) -> str:
    """A new password, returned once; only its hash is kept, so the old one fails the next handshake."""
    async with unit_of_work(session):
        cp = await get_charge_point(session, org_id, cp_id)
        if cp.commissioning_state == CommissioningState.retired:
            raise Conflict("A retired charger cannot change state; add it again.", code="charger.retired")
        password = generate_password()
        cp.credential_hash = hash_password(password)
        record(session, actor, "charger.rotate_credential", "charge_point", cp.id, organization_id=org_id)
    _disconnect(cp.id, "Credential changed")
    return password


def _disconnect(cp_id: uuid.UUID, reason: str) -> None:
    """After the commit: an open socket must not outlive the access it was opened with."""
    from ladeportal.chargers.commands import disconnect_here  # commands build on these services

    disconnect_here(cp_id, reason)


async def rename_charge_point(
    session: AsyncSession, actor: Actor, org_id: uuid.UUID, cp_id: uuid.UUID, name: str | None
) -> ChargePoint:
    label = clean_text(name, 120, "name")
    async with unit_of_work(session):
        cp = await get_charge_point(session, org_id, cp_id)
        old = cp.name
        cp.name = label
        record(
            session,
            actor,
            "charger.rename",
            "charge_point",
            cp.id,
            organization_id=org_id,
            old={"name": old},
            new={"name": label},
        )
    return cp


async def move_charge_point(
    session: AsyncSession, actor: Actor, org_id: uuid.UUID, cp_id: uuid.UUID, site_id: uuid.UUID
) -> ChargePoint:
    """Move a charger to another site of the same organisation (another organisation's site is NotFound).
    Sessions keep the site they ran at: prices and reports of the past do not change."""
    async with unit_of_work(session):
        cp = await get_charge_point(session, org_id, cp_id)
        site = await get_site(session, org_id, site_id)
        old = cp.site_id
        cp.site_id = site.id
        record(
            session,
            actor,
            "charger.move",
            "charge_point",
            cp.id,
            organization_id=org_id,
            old={"site_id": str(old)},
            new={"site_id": str(site.id)},
        )
    return cp


async def set_fallback_subprotocol(
    session: AsyncSession, actor: Actor, org_id: uuid.UUID, cp_id: uuid.UUID, subprotocol: str | None
) -> ChargePoint:
    """Choose the protocol for connections of this charger that offer no subprotocol (None: close
    them, as OCPP-J says). Takes effect at the charger's next connection."""
    from ladeportal.ocpp.versions import supported_subprotocols  # the registry lives with the protocol

    value = (subprotocol or "").strip() or None
    if value is not None and value not in supported_subprotocols():
        raise ValidationFailed(
            f"Unknown subprotocol {value!r}; use one of {', '.join(supported_subprotocols())}.",
            field="fallback_subprotocol",
            code="charger.subprotocol_unknown",
            params={"subprotocol": value, "supported": ", ".join(supported_subprotocols())},
        )
    async with unit_of_work(session):
        cp = await get_charge_point(session, org_id, cp_id)
        old = cp.fallback_subprotocol
        cp.fallback_subprotocol = value
        record(
            session,
            actor,
            "charger.fallback_subprotocol",
            "charge_point",
            cp.id,
            organization_id=org_id,
            old={"fallback_subprotocol": old},
            new={"fallback_subprotocol": value},
        )
    return cp


def ocpp_url(public_url: str, ocpp_id: str) -> str:
    base = public_url.rstrip("/")
    if base.startswith("https://"):
        base = "wss://" + base[len("https://") :]
    elif base.startswith("http://"):
        base = "ws://" + base[len("http://") :]
    return f"{base}/ocpp/{ocpp_id}"
