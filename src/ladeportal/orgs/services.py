"""Creating and changing organisations and sites: one function per state change."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.engine import unit_of_work
from ladeportal.errors import Conflict, NotFound, ValidationFailed
from ladeportal.limits import clean_text
from ladeportal.orgs.identifiers import normalise_org_number
from ladeportal.orgs.models import PRICE_AREAS, Organization, OrgKind, Site
from ladeportal.platform.audit import Actor, record, snapshot

COUNTRY_DEFAULTS = {
    "NO": {"currency": "NOK", "time_zone": "Europe/Oslo", "vat_rate_bp": 2500},
    "SE": {"currency": "SEK", "time_zone": "Europe/Stockholm", "vat_rate_bp": 2500},
}
ORG_FIELDS = (
    "kind",
    "legal_name",
    "org_number",
    "country",
    "currency",
    "vat_rate_bp",
    "time_zone",
    "contact_name",
    "contact_email",
    "contact_phone",
)
SITE_FIELDS = ("name", "street", "postal_code", "city", "time_zone", "price_area", "grid_limit_amps", "grid_phases")


def check_time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(
            f"Unknown time zone {value!r} (use e.g. Europe/Oslo).",
            field="time_zone",
            code="site.time_zone_unknown",
            params={"time_zone": value},
        ) from None
    return value


def check_price_area(value: str) -> str:
    area = (value or "").strip().upper()
    if area not in PRICE_AREAS:
        raise ValidationFailed(
            f"Unknown price area {value!r}; use one of {', '.join(PRICE_AREAS)}.",
            field="price_area",
            code="site.price_area_unknown",
            params={"area": value, "areas": ", ".join(PRICE_AREAS)},
        )
    return area


@dataclass
class OrganizationInput:
    legal_name: str
    org_number: str
    country: str = "NO"
    kind: OrgKind | str = OrgKind.housing_cooperative
    currency: str | None = None
    vat_rate_bp: int | None = None
    time_zone: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None


def _validated_org_values(data: OrganizationInput) -> dict[str, object]:
    country = (data.country or "").strip().upper()
    if country not in COUNTRY_DEFAULTS:
        raise ValidationFailed(
            f"Unsupported country {data.country!r}; use NO or SE.",
            field="country",
            code="org.country_unsupported",
            params={"country": data.country},
        )
    defaults = COUNTRY_DEFAULTS[country]
    name = (data.legal_name or "").strip()
    if not name:
        raise ValidationFailed("The legal name is required.", field="legal_name", code="org.legal_name_required")
    clean_text(name, 200, "legal_name")
    try:
        kind = OrgKind(data.kind)
    except ValueError:
        raise ValidationFailed(
            f"Unknown kind {data.kind!r}; use one of {', '.join(k.value for k in OrgKind)}.",
            field="kind",
            code="org.kind_unknown",
            params={"kind": data.kind, "kinds": ", ".join(k.value for k in OrgKind)},
        ) from None
    vat = defaults["vat_rate_bp"] if data.vat_rate_bp is None else data.vat_rate_bp
    if not isinstance(vat, int) or not 0 <= vat <= 10000:
        raise ValidationFailed(
            "The VAT rate must be between 0 and 100 %.", field="vat_rate_bp", code="org.vat_rate_range"
        )
    currency = (data.currency or str(defaults["currency"])).upper()
    if currency not in {"NOK", "SEK", "EUR"}:
        raise ValidationFailed(
            f"Unsupported currency {currency!r}.",
            field="currency",
            code="org.currency_unsupported",
            params={"currency": currency},
        )
    return {
        "kind": kind,
        "legal_name": name,
        "org_number": normalise_org_number(data.org_number, country),
        "country": country,
        "currency": currency,
        "vat_rate_bp": vat,
        "time_zone": check_time_zone(data.time_zone or str(defaults["time_zone"])),
        "contact_name": clean_text(data.contact_name, 200, "contact_name"),
        "contact_email": clean_text(data.contact_email, 254, "contact_email"),
        "contact_phone": clean_text(data.contact_phone, 20, "contact_phone"),
    }


async def create_organization(session: AsyncSession, actor: Actor, data: OrganizationInput) -> Organization:
    async with unit_of_work(session):
        org = await insert_organization(session, actor, data)
    return org


async def insert_organization(session: AsyncSession, actor: Actor, data: OrganizationInput) -> Organization:
    """Validate and insert an organisation inside the caller's transaction, so an operation that creates
    more with it (its first administrator) commits or fails as a whole."""
    values = _validated_org_values(data)
    existing = await session.scalar(
        select(Organization).where(
            Organization.country == values["country"], Organization.org_number == values["org_number"]
        )
    )
    if existing is not None:
        raise Conflict(
            f"An organisation with number {values['org_number']} already exists.",
            field="org_number",
            code="org.number_taken",
            params={"number": values["org_number"]},
        )
    org = Organization(id=uuid.uuid4(), **values)
    session.add(org)
    await session.flush()
    # Every organisation starts with a default group so a new member always has one.
    from ladeportal.members.groups import create_default_group

    await create_default_group(session, org)
    record(
        session,
        actor,
        "organization.create",
        "organization",
        org.id,
        organization_id=org.id,
        new=snapshot(org, ORG_FIELDS),
    )
    return org


async def update_organization(
    session: AsyncSession, actor: Actor, org_id: uuid.UUID, data: OrganizationInput
) -> Organization:
    values = _validated_org_values(data)
    async with unit_of_work(session):
        org = await get_organization(session, org_id)
        old = snapshot(org, ORG_FIELDS)
        clash = await session.scalar(
            select(Organization.id).where(
                Organization.country == values["country"],
                Organization.org_number == values["org_number"],
                Organization.id != org_id,
            )
        )
        if clash is not None:
            raise Conflict(
                f"An organisation with number {values['org_number']} already exists.",
                field="org_number",
                code="org.number_taken",
                params={"number": values["org_number"]},
            )
        for key, value in values.items():
            setattr(org, key, value)
        record(
            session,
            actor,
            "organization.update",
            "organization",
            org.id,
            organization_id=org.id,
            old=old,
            new=snapshot(org, ORG_FIELDS),
        )
    return org


async def get_organization(session: AsyncSession, org_id: uuid.UUID) -> Organization:
    org = await session.get(Organization, org_id)
    if org is None:
        raise NotFound("No such organisation.", code="org.not_found")
    return org


async def find_organization(session: AsyncSession, ref: str) -> Organization:
    """Look an organisation up by id or organisation number (for the CLI)."""
    digits = ref.replace(" ", "")
    try:
        return await get_organization(session, uuid.UUID(ref))
    except ValueError:
        pass
    org = await session.scalar(
        select(Organization).where(Organization.org_number.in_([digits, f"{digits[:6]}-{digits[6:]}"]))
    )
    if org is None:
        raise NotFound(f"No organisation with id or number {ref!r}.", code="org.ref_not_found", params={"ref": ref})
    return org


@dataclass
class SiteInput:
    name: str
    price_area: str
    time_zone: str | None = None
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    grid_limit_amps: int | None = None
    grid_phases: int = 3


def _validated_site_values(org: Organization, data: SiteInput) -> dict[str, object]:
    name = (data.name or "").strip()
    if not name:
        raise ValidationFailed("The site name is required.", field="name", code="site.name_required")
    if len(name) > 120:
        raise ValidationFailed("The site name is at most 120 characters.", field="name", code="site.name_too_long")
    if data.grid_limit_amps is not None and not 1 <= data.grid_limit_amps <= 10000:
        raise ValidationFailed(
            "The grid limit must be between 1 and 10000 A.", field="grid_limit_amps", code="site.grid_limit_range"
        )
    if data.grid_phases not in (1, 3):
        raise ValidationFailed("The grid connection has 1 or 3 phases.", field="grid_phases", code="site.grid_phases")
    area = check_price_area(data.price_area)
    if not area.startswith(org.country):
        raise ValidationFailed(
            f"Price area {area} is not in {org.country}.",
            field="price_area",
            code="site.price_area_elsewhere",
            params={"area": area, "country": org.country},
        )
    return {
        "name": name,
        "price_area": area,
        "time_zone": check_time_zone(data.time_zone or org.time_zone),
        "street": clean_text(data.street, 200, "street"),
        "postal_code": clean_text(data.postal_code, 12, "postal_code"),
        "city": clean_text(data.city, 100, "city"),
        "grid_limit_amps": data.grid_limit_amps,
        "grid_phases": data.grid_phases,
    }


async def _ensure_unique_site_name(
    session: AsyncSession, org_id: uuid.UUID, name: object, exclude: uuid.UUID | None = None
) -> None:
    query = select(Site.id).where(Site.organization_id == org_id, Site.name == name)
    if exclude is not None:
        query = query.where(Site.id != exclude)
    if await session.scalar(query) is not None:
        raise Conflict(
            f"A site named {name!r} already exists.", field="name", code="site.name_taken", params={"name": name}
        )


async def create_site(session: AsyncSession, actor: Actor, org_id: uuid.UUID, data: SiteInput) -> Site:
    async with unit_of_work(session):
        org = await get_organization(session, org_id)
        values = _validated_site_values(org, data)
        await _ensure_unique_site_name(session, org.id, values["name"])
        site = Site(id=uuid.uuid4(), organization_id=org.id, **values)
        session.add(site)
        await session.flush()
        record(session, actor, "site.create", "site", site.id, organization_id=org.id, new=snapshot(site, SITE_FIELDS))
    return site


async def update_site(
    session: AsyncSession, actor: Actor, org_id: uuid.UUID, site_id: uuid.UUID, data: SiteInput
) -> Site:
    async with unit_of_work(session):
        org = await get_organization(session, org_id)
        site = await get_site(session, org_id, site_id)
        values = _validated_site_values(org, data)
        await _ensure_unique_site_name(session, org.id, values["name"], exclude=site.id)
        old = snapshot(site, SITE_FIELDS)
        for key, value in values.items():
            setattr(site, key, value)
        record(
            session,
            actor,
            "site.update",
            "site",
            site.id,
            organization_id=org.id,
            old=old,
            new=snapshot(site, SITE_FIELDS),
        )
    return site


async def get_site(session: AsyncSession, org_id: uuid.UUID, site_id: uuid.UUID) -> Site:
    """The site, only if it belongs to the organisation: other tenants' ids look like missing ones."""
    site = await session.scalar(select(Site).where(Site.id == site_id, Site.organization_id == org_id))
    if site is None:
        raise NotFound("No such site.", code="site.not_found")
    return site


async def list_sites(session: AsyncSession, org_id: uuid.UUID) -> list[Site]:
    return list((await session.scalars(select(Site).where(Site.organization_id == org_id).order_by(Site.name))).all())


async def find_site(session: AsyncSession, org_id: uuid.UUID, ref: str) -> Site:
    try:
        return await get_site(session, org_id, uuid.UUID(ref))
    except ValueError:
        pass
    site = await session.scalar(select(Site).where(Site.organization_id == org_id, Site.name == ref))
    if site is None:
        raise NotFound(f"No site {ref!r} in this organisation.", code="site.ref_not_found", params={"ref": ref})
    return site
