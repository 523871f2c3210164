"""Test data made through the same domain operations the product uses.

Valid organisation numbers are generated with the real check-digit rules, so every test org is
distinct and passes validation.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.chargers.services import NewChargePoint, activate_charge_point, add_charge_point
from ladeportal.members.models import IdTag, Membership, Role
from ladeportal.members.services import MemberInput, add_member
from ladeportal.members.tags import TagInput, add_tag
from ladeportal.orgs.models import Organization, Site
from ladeportal.orgs.services import OrganizationInput, SiteInput, create_organization, create_site
from ladeportal.platform.audit import Actor

ACTOR = Actor.system("test")
_counter = itertools.count(1)
_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)


def valid_no_org_number(seed: int | None = None) -> str:
    """A Norwegian organisation number with a correct mod-11 check digit."""
    n = next(_counter) if seed is None else seed
    while True:
        base = f"9{n:07d}"[-8:]
        remainder = sum(int(d) * w for d, w in zip(base, _WEIGHTS, strict=True)) % 11
        check = 0 if remainder == 0 else 11 - remainder
        if check != 10:
            return base + str(check)
        n += 100000


def mobile_number(seed: int | None = None) -> str:
    """A valid Norwegian mobile number (4xx xx xxx / 9xx xx xxx)."""
    n = next(_counter) if seed is None else seed
    return f"+479{n % 10_000_000:07d}"


async def make_org(session: AsyncSession, **kw: object) -> Organization:
    data = OrganizationInput(
        legal_name=str(kw.pop("legal_name", f"Test Borettslag {uuid.uuid4().hex[:6]}")),
        org_number=str(kw.pop("org_number", valid_no_org_number())),
        **kw,  # type: ignore[arg-type]
    )
    return await create_organization(session, ACTOR, data)


async def make_site(session: AsyncSession, org: Organization, **kw: object) -> Site:
    data = SiteInput(
        name=str(kw.pop("name", f"Garasje {uuid.uuid4().hex[:6]}")),
        price_area=str(kw.pop("price_area", "NO1" if org.country == "NO" else "SE3")),
        **kw,  # type: ignore[arg-type]
    )
    return await create_site(session, ACTOR, org.id, data)


async def make_charger(
    session: AsyncSession, site: Site, ocpp_id: str | None = None, *, active: bool = True, connectors: int = 2
) -> NewChargePoint:
    new = await add_charge_point(
        session,
        ACTOR,
        site.organization_id,
        site.id,
        ocpp_id or f"CP-{uuid.uuid4().hex[:10]}",
        connectors=connectors,
    )
    if active:
        await activate_charge_point(session, ACTOR, site.organization_id, new.charge_point.id)
    return new


async def make_member(
    session: AsyncSession,
    org: Organization,
    phone: str | None = None,
    *,
    role: Role = Role.member,
    name: str | None = "Test Person",
    group_id: uuid.UUID | None = None,
) -> Membership:
    return await add_member(
        session, ACTOR, org.id, MemberInput(phone=phone or mobile_number(), name=name, role=role, group_id=group_id)
    )


async def make_tag(
    session: AsyncSession,
    org: Organization,
    membership: Membership | None = None,
    uid: str | None = None,
    *,
    group_id: uuid.UUID | None = None,
    expires_at: datetime | None = None,
) -> IdTag:
    return await add_tag(
        session,
        ACTOR,
        org.id,
        TagInput(
            uid=uid or uuid.uuid4().hex[:8].upper(),
            membership_id=membership.id if membership else None,
            group_id=group_id,
            expires_at=expires_at,
        ),
    )
