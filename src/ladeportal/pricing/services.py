"""Price plans and their versions: one function per state change, each committing once.

VAT: the rate is the organisation's (`Organization.vat_rate_bp`), copied into each version when it is
saved, so a later change of rate is a new version like any price change. Whether the amounts were
typed including or excluding VAT is a choice per version (`prices_include_vat`, default true, the way
Norwegian and Swedish consumer prices are quoted); breakdowns always show both.

Versions are never edited. A new version takes effect from `effective_from` (default: now) and is
refused if any session that started at or after that moment was already priced with the plan: a
finished (and possibly invoiced) session keeps the price it was given.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.base import utcnow
from ladeportal.db.engine import unit_of_work
from ladeportal.errors import Conflict, NotFound, ValidationFailed
from ladeportal.limits import check_date
from ladeportal.orgs.services import get_organization
from ladeportal.platform.audit import Actor, record
from ladeportal.pricing.models import GroupPricePlan, PricePlan, PricePlanVersion, PublicPricePlan, SessionPricing
from ladeportal.pricing.plan_codec import PlanDefinition, plan_from_json, plan_to_json

NAME_MAX = 120


def _clean_name(name: str) -> str:
    cleaned = (name or "").strip()
    if not cleaned:
        raise ValidationFailed("The plan needs a name.", field="name", code="plan.name_required")
    if len(cleaned) > NAME_MAX:
        raise ValidationFailed(
            f"The name is longer than {NAME_MAX} characters.",
            field="name",
            code="text.too_long",
            params={"limit": NAME_MAX},
        )
    return cleaned


async def get_plan(session: AsyncSession, org_id: uuid.UUID, plan_id: uuid.UUID) -> PricePlan:
    plan = await session.scalar(select(PricePlan).where(PricePlan.id == plan_id, PricePlan.organization_id == org_id))
    if plan is None:
        raise NotFound("No such price plan.", code="plan.not_found")
    return plan


async def list_plans(session: AsyncSession, org_id: uuid.UUID, *, include_archived: bool = False) -> list[PricePlan]:
    query = select(PricePlan).where(PricePlan.organization_id == org_id)
    if not include_archived:
        query = query.where(PricePlan.archived_at.is_(None))
    return list((await session.scalars(query.order_by(PricePlan.name))).all())


async def list_versions(session: AsyncSession, org_id: uuid.UUID, plan_id: uuid.UUID) -> list[PricePlanVersion]:
    """Every version of the plan, oldest first (the version history)."""
    await get_plan(session, org_id, plan_id)
    return list(
        (
            await session.scalars(
                select(PricePlanVersion).where(PricePlanVersion.plan_id == plan_id).order_by(PricePlanVersion.number)
            )
        ).all()
    )


async def get_version(
    session: AsyncSession, org_id: uuid.UUID, plan_id: uuid.UUID, version_id: uuid.UUID
) -> PricePlanVersion:
    await get_plan(session, org_id, plan_id)
    version = await session.scalar(
        select(PricePlanVersion).where(PricePlanVersion.id == version_id, PricePlanVersion.plan_id == plan_id)
    )
    if version is None:
        raise NotFound("No such version of this price plan.", code="plan.version_not_found")
    return version


async def version_in_force(session: AsyncSession, plan_id: uuid.UUID, at: datetime) -> PricePlanVersion | None:
    return await session.scalar(
        select(PricePlanVersion)
        .where(PricePlanVersion.plan_id == plan_id, PricePlanVersion.effective_from <= at)
        .order_by(PricePlanVersion.effective_from.desc())
        .limit(1)
    )


def definition_of(version: PricePlanVersion) -> PlanDefinition:
    return _decoded(version.id, _freeze(version.definition))


@lru_cache(maxsize=512)
def _decoded(version_id: uuid.UUID, frozen: str) -> PlanDefinition:
    # Keyed by id and content: stored versions never change, so decoding once per process is enough.
    return plan_from_json(json.loads(frozen))


def _freeze(definition: Mapping[str, Any]) -> str:
    return json.dumps(definition, sort_keys=True)


async def create_plan(
    session: AsyncSession,
    actor: Actor,
    org_id: uuid.UUID,
    name: str,
    definition: Mapping[str, Any],
    *,
    description: str | None = None,
    effective_from: datetime | None = None,
    now: datetime | None = None,
) -> PricePlan:
    """A new plan with its first version (see `add_version` for `definition` and `effective_from`)."""
    async with unit_of_work(session):
        org = await get_organization(session, org_id)
        name = _clean_name(name)
        await _ensure_unique_name(session, org_id, name, None)
        plan = PricePlan(id=uuid.uuid4(), organization_id=org_id, name=name, description=description)
        session.add(plan)
        await session.flush()
        version = await _new_version(
            session, actor, org.vat_rate_bp, org.currency, plan, definition, effective_from, now or utcnow()
        )
        record(
            session,
            actor,
            "price_plan.create",
            "price_plan",
            plan.id,
            organization_id=org_id,
            new={"name": name, "version": version.number},
        )
    return plan


async def update_plan(
    session: AsyncSession,
    actor: Actor,
    org_id: uuid.UUID,
    plan_id: uuid.UUID,
    *,
    name: str | None = None,
    description: str | None = None,
) -> PricePlan:
    """Rename or re-describe a plan; prices change only through a new version."""
    async with unit_of_work(session):
        plan = await get_plan(session, org_id, plan_id)
        old = {"name": plan.name, "description": plan.description}
        if name is not None:
            plan.name = _clean_name(name)
            await _ensure_unique_name(session, org_id, plan.name, plan.id)
        if description is not None:
            plan.description = description.strip() or None
        record(
            session,
            actor,
            "price_plan.update",
            "price_plan",
            plan.id,
            organization_id=org_id,
            old=old,
            new={"name": plan.name, "description": plan.description},
        )
    return plan


async def archive_plan(session: AsyncSession, actor: Actor, org_id: uuid.UUID, plan_id: uuid.UUID) -> PricePlan:
    """Hide a plan no group or site uses any more; its versions stay for the sessions they priced."""
    async with unit_of_work(session):
        plan = await get_plan(session, org_id, plan_id)
        in_use = (
            await session.scalar(
                select(func.count()).select_from(GroupPricePlan).where(GroupPricePlan.plan_id == plan_id)
            )
            or 0
        )
        in_use += (
            await session.scalar(
                select(func.count()).select_from(PublicPricePlan).where(PublicPricePlan.plan_id == plan_id)
            )
            or 0
        )
        if in_use:
            raise Conflict(
                f"The plan is still assigned {in_use} time(s); assign another plan first.",
                code="plan.still_assigned",
                params={"count": in_use},
            )
        plan.archived_at = plan.archived_at or utcnow()
        record(session, actor, "price_plan.archive", "price_plan", plan.id, organization_id=org_id)
    return plan


async def add_version(
    session: AsyncSession,
    actor: Actor,
    org_id: uuid.UUID,
    plan_id: uuid.UUID,
    definition: Mapping[str, Any],
    *,
    effective_from: datetime | None = None,
    now: datetime | None = None,
) -> PricePlanVersion:
    """A price change: `definition` is the plan JSON of `plan_codec` (its `vat_rate_bp` and `currency`
    are taken from the organisation); it takes effect from `effective_from` (UTC, default now)."""
    async with unit_of_work(session):
        org = await get_organization(session, org_id)
        plan = await get_plan(session, org_id, plan_id)
        if plan.archived_at is not None:
            raise Conflict("The plan is archived; create a new plan instead.", code="plan.archived_new_version")
        version = await _new_version(
            session, actor, org.vat_rate_bp, org.currency, plan, definition, effective_from, now or utcnow()
        )
    return version


async def delete_version(
    session: AsyncSession,
    actor: Actor,
    org_id: uuid.UUID,
    plan_id: uuid.UUID,
    version_id: uuid.UUID,
    *,
    now: datetime | None = None,
) -> None:
    """Withdraw a scheduled version before it takes effect; a version in force is history and stays."""
    async with unit_of_work(session):
        version = await get_version(session, org_id, plan_id, version_id)
        if version.effective_from <= (now or utcnow()):
            raise Conflict(
                "This version is already in force; add a new version to change the prices.",
                code="plan.version_in_force",
            )
        used = (
            await session.scalar(
                select(func.count()).select_from(SessionPricing).where(SessionPricing.plan_version_id == version_id)
            )
            or 0
        )
        if used:
            raise Conflict(
                f"{used} session(s) were priced with this version; it cannot be withdrawn.",
                code="plan.version_used",
                params={"count": used},
            )
        record(
            session,
            actor,
            "price_plan_version.delete",
            "price_plan",
            plan_id,
            organization_id=org_id,
            old={"version": version.number, "effective_from": version.effective_from.isoformat()},
        )
        await session.delete(version)


async def _ensure_unique_name(session: AsyncSession, org_id: uuid.UUID, name: str, plan_id: uuid.UUID | None) -> None:
    clash = await session.scalar(
        select(PricePlan.id).where(PricePlan.organization_id == org_id, func.lower(PricePlan.name) == name.lower())
    )
    if clash is not None and clash != plan_id:
        raise Conflict(
            f"A price plan named {name!r} already exists.", field="name", code="plan.name_taken", params={"name": name}
        )


def prepare_definition(definition: Mapping[str, Any], *, vat_rate_bp: int, currency: str) -> PlanDefinition:
    """The organisation's VAT rate and currency over whatever the caller sent, then decode and validate."""
    if not isinstance(definition, Mapping):
        raise ValidationFailed(
            "The plan must be a JSON object.",
            field="definition",
            code="plan.object_required",
            params={"name": "definition"},
        )
    data = {"prices_include_vat": True, **definition, "vat_rate_bp": vat_rate_bp, "currency": currency}
    return plan_from_json(data)


async def _new_version(
    session: AsyncSession,
    actor: Actor,
    vat_rate_bp: int,
    currency: str,
    plan: PricePlan,
    definition: Mapping[str, Any],
    effective_from: datetime | None,
    now: datetime,
) -> PricePlanVersion:
    decoded = prepare_definition(definition, vat_rate_bp=vat_rate_bp, currency=currency)
    moment = effective_from or now
    if moment.tzinfo is None:
        raise ValidationFailed(
            "effective_from needs a time zone (e.g. 2026-05-01T00:00:00+02:00).",
            field="effective_from",
            code="time.zone_required",
            params={"name": "effective_from"},
        )
    check_date(moment, "effective_from")
    await _refuse_rewriting_priced_sessions(session, plan.id, moment)
    if (
        await session.scalar(
            select(PricePlanVersion.id).where(
                PricePlanVersion.plan_id == plan.id, PricePlanVersion.effective_from == moment
            )
        )
        is not None
    ):
        raise Conflict(
            f"Another version already takes effect at {moment.isoformat()}.",
            field="effective_from",
            code="plan.version_moment_taken",
            params={"when": moment},
        )
    number = (
        await session.scalar(select(func.max(PricePlanVersion.number)).where(PricePlanVersion.plan_id == plan.id)) or 0
    ) + 1
    version = PricePlanVersion(
        id=uuid.uuid4(),
        plan_id=plan.id,
        number=number,
        effective_from=moment,
        definition=plan_to_json(decoded),
        created_by=actor.label[:120],
    )
    session.add(version)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(
            "Someone else changed this plan at the same moment; try again.", code="plan.changed_meanwhile"
        ) from None
    record(
        session,
        actor,
        "price_plan_version.create",
        "price_plan",
        plan.id,
        organization_id=plan.organization_id,
        new={"version": number, "effective_from": moment.isoformat(), "definition": version.definition},
    )
    return version


async def _refuse_rewriting_priced_sessions(session: AsyncSession, plan_id: uuid.UUID, moment: datetime) -> None:
    count, latest = (
        await session.execute(
            select(func.count(), func.max(SessionPricing.started_at)).where(
                SessionPricing.plan_id == plan_id, SessionPricing.started_at >= moment
            )
        )
    ).one()
    if count:
        raise ValidationFailed(
            f"{count} finished session(s) that started at or after {moment.isoformat()} are already priced with "
            f"this plan (the latest started {latest.isoformat()}); past sessions never change, so the new "
            f"version must take effect after {latest.isoformat()}.",
            field="effective_from",
            code="plan.sessions_already_priced",
            params={"count": count, "latest": latest},
        )
