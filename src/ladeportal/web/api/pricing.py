"""Price plans, their versions, who pays by which, quotes and running estimates.

Static paths (/price-plans/assignments..., /price-plans/session-estimates/...) are declared before
/price-plans/{plan_id}, because routes match in order. Reads need staff (admin or finance), writes
an admin; anyone else gets 404 for the organisation and everything in it.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Response
from sqlalchemy import select

from ladeportal.db.base import utcnow
from ladeportal.errors import NotFound
from ladeportal.limits import MAX_INT32
from ladeportal.pricing import assignments, services
from ladeportal.pricing.describe import describe_plan
from ladeportal.pricing.overview import PlanOverview, VersionView, plan_overview, version_views
from ladeportal.pricing.quotes import QuoteRequest, quote
from ladeportal.pricing.snapshot import breakdown_json
from ladeportal.sessions.models import ChargingSession
from ladeportal.sessions.pricing_hook import running_estimate
from ladeportal.web.api.pricing_schemas import (
    AssignmentIn,
    AssignmentOut,
    BreakdownOut,
    EstimateOut,
    PlanIn,
    PlanOut,
    PlanPatch,
    QuoteIn,
    QuoteOut,
    UsedByOut,
    VersionIn,
    VersionOut,
)
from ladeportal.web.deps import OrgAdmin, OrgStaff, SessionDep

router = APIRouter(tags=["pricing"])
Locale = Literal["nb", "en"]
_BASE = "/orgs/{org_id}/price-plans"


def _version_out(view: VersionView) -> VersionOut:
    v = view.version
    return VersionOut(
        id=v.id,
        number=v.number,
        effective_from=v.effective_from,
        status=view.status,
        description=view.description,
        definition=v.definition,
        created_at=v.created_at,
        created_by=v.created_by,
    )


def _plan_out(item: PlanOverview) -> PlanOut:
    return PlanOut(
        id=item.plan.id,
        name=item.plan.name,
        description=item.plan.description,
        archived=item.plan.archived_at is not None,
        current_version=_version_out(item.current) if item.current else None,
        versions=[_version_out(v) for v in item.versions],
        used_by=[
            UsedByOut(
                audience=u.audience,
                group_id=u.group_id,
                group_name=u.group_name,
                site_id=u.site_id,
                site_name=u.site_name,
            )
            for u in item.used_by
        ],
    )


def _breakdown_out(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "total_excl_vat": data["net"], "total_incl_vat": data["total"]}


async def _one_plan(session: SessionDep, org_id: uuid.UUID, plan_id: uuid.UUID, locale: Locale) -> PlanOut:
    await services.get_plan(session, org_id, plan_id)
    found = [
        p for p in await plan_overview(session, org_id, locale=locale, include_archived=True) if p.plan.id == plan_id
    ]
    return _plan_out(found[0])


@router.get(_BASE, response_model=list[PlanOut])
async def list_plans(
    org_id: uuid.UUID, session: SessionDep, who: OrgStaff, locale: Locale = "nb", include_archived: bool = False
) -> list[PlanOut]:
    items = await plan_overview(session, who.organization_id, locale=locale, include_archived=include_archived)
    return [_plan_out(p) for p in items]


@router.post(_BASE, response_model=PlanOut, status_code=201)
async def create_plan(org_id: uuid.UUID, body: PlanIn, session: SessionDep, who: OrgAdmin) -> PlanOut:
    plan = await services.create_plan(
        session,
        who.actor,
        who.organization_id,
        body.name,
        body.definition.as_definition(),
        description=body.description,
        effective_from=body.effective_from,
    )
    return await _one_plan(session, who.organization_id, plan.id, "nb")


@router.get(f"{_BASE}/assignments", response_model=list[AssignmentOut])
async def list_assignments(org_id: uuid.UUID, session: SessionDep, who: OrgStaff) -> list[AssignmentOut]:
    groups = await assignments.group_assignments(session, who.organization_id)
    public = await assignments.public_assignments(session, who.organization_id)
    return [
        AssignmentOut(audience="private", plan_id=g.plan_id, group_id=g.group_id, site_id=g.site_id) for g in groups
    ] + [AssignmentOut(audience="public", plan_id=p.plan_id, group_id=None, site_id=p.site_id) for p in public]


@router.put(f"{_BASE}/assignments/groups/{{group_id}}", response_model=AssignmentOut)
async def assign_group(
    org_id: uuid.UUID, group_id: uuid.UUID, body: AssignmentIn, session: SessionDep, who: OrgAdmin
) -> AssignmentOut:
    row = await assignments.assign_group_plan(
        session, who.actor, who.organization_id, group_id, body.plan_id, site_id=body.site_id
    )
    return AssignmentOut(audience="private", plan_id=row.plan_id, group_id=row.group_id, site_id=row.site_id)


@router.delete(f"{_BASE}/assignments/groups/{{group_id}}", status_code=204)
async def unassign_group(
    org_id: uuid.UUID, group_id: uuid.UUID, session: SessionDep, who: OrgAdmin, site_id: uuid.UUID | None = None
) -> Response:
    await assignments.unassign_group_plan(session, who.actor, who.organization_id, group_id, site_id=site_id)
    return Response(status_code=204)


@router.put(f"{_BASE}/assignments/public", response_model=AssignmentOut)
async def assign_public(org_id: uuid.UUID, body: AssignmentIn, session: SessionDep, who: OrgAdmin) -> AssignmentOut:
    row = await assignments.assign_public_plan(
        session, who.actor, who.organization_id, body.plan_id, site_id=body.site_id
    )
    return AssignmentOut(audience="public", plan_id=row.plan_id, group_id=None, site_id=row.site_id)


@router.delete(f"{_BASE}/assignments/public", status_code=204)
async def unassign_public(
    org_id: uuid.UUID, session: SessionDep, who: OrgAdmin, site_id: uuid.UUID | None = None
) -> Response:
    await assignments.unassign_public_plan(session, who.actor, who.organization_id, site_id=site_id)
    return Response(status_code=204)


@router.get(f"{_BASE}/session-estimates/{{session_id}}", response_model=EstimateOut)
async def session_estimate(
    org_id: uuid.UUID, session_id: Annotated[int, Path(ge=1, le=MAX_INT32)], session: SessionDep, who: OrgStaff
) -> EstimateOut:
    """What a session costs so far (active) or was recomputed to cost (stopped; the snapshot is the bill)."""
    cs = await session.scalar(
        select(ChargingSession).where(
            ChargingSession.id == session_id, ChargingSession.organization_id == who.organization_id
        )
    )
    if cs is None:
        raise NotFound("No such charging session.", code="session.not_found")
    price = await running_estimate(session, cs, utcnow())
    breakdown = None if price.breakdown is None else BreakdownOut(**_breakdown_out(breakdown_json(price.breakdown)))
    return EstimateOut(
        session_id=cs.id,
        state=cs.state.value,
        status="priced" if price.resolved else "no_price_plan",
        plan_id=price.resolved.plan.id if price.resolved else None,
        version=price.resolved.version.number if price.resolved else None,
        breakdown=breakdown,
    )


@router.get(f"{_BASE}/{{plan_id}}", response_model=PlanOut)
async def get_plan(
    org_id: uuid.UUID, plan_id: uuid.UUID, session: SessionDep, who: OrgStaff, locale: Locale = "nb"
) -> PlanOut:
    return await _one_plan(session, who.organization_id, plan_id, locale)


@router.patch(f"{_BASE}/{{plan_id}}", response_model=PlanOut)
async def update_plan(
    org_id: uuid.UUID, plan_id: uuid.UUID, body: PlanPatch, session: SessionDep, who: OrgAdmin
) -> PlanOut:
    await services.update_plan(
        session, who.actor, who.organization_id, plan_id, name=body.name, description=body.description
    )
    return await _one_plan(session, who.organization_id, plan_id, "nb")


@router.delete(f"{_BASE}/{{plan_id}}", status_code=204)
async def archive_plan(org_id: uuid.UUID, plan_id: uuid.UUID, session: SessionDep, who: OrgAdmin) -> Response:
    await services.archive_plan(session, who.actor, who.organization_id, plan_id)
    return Response(status_code=204)


@router.get(f"{_BASE}/{{plan_id}}/versions", response_model=list[VersionOut])
async def list_versions(
    org_id: uuid.UUID, plan_id: uuid.UUID, session: SessionDep, who: OrgStaff, locale: Locale = "nb"
) -> list[VersionOut]:
    versions = await services.list_versions(session, who.organization_id, plan_id)
    return [_version_out(v) for v in version_views(versions, locale=locale, now=utcnow())]


@router.post(f"{_BASE}/{{plan_id}}/versions", response_model=VersionOut, status_code=201)
async def add_version(
    org_id: uuid.UUID, plan_id: uuid.UUID, body: VersionIn, session: SessionDep, who: OrgAdmin
) -> VersionOut:
    version = await services.add_version(
        session,
        who.actor,
        who.organization_id,
        plan_id,
        body.definition.as_definition(),
        effective_from=body.effective_from,
    )
    versions = await services.list_versions(session, who.organization_id, plan_id)
    return next(
        _version_out(v) for v in version_views(versions, locale="nb", now=utcnow()) if v.version.id == version.id
    )


@router.get(f"{_BASE}/{{plan_id}}/versions/{{version_id}}", response_model=VersionOut)
async def get_version(
    org_id: uuid.UUID,
    plan_id: uuid.UUID,
    version_id: uuid.UUID,
    session: SessionDep,
    who: OrgStaff,
    locale: Locale = "nb",
) -> VersionOut:
    await services.get_version(session, who.organization_id, plan_id, version_id)
    versions = await services.list_versions(session, who.organization_id, plan_id)
    return next(
        _version_out(v) for v in version_views(versions, locale=locale, now=utcnow()) if v.version.id == version_id
    )


@router.delete(f"{_BASE}/{{plan_id}}/versions/{{version_id}}", status_code=204)
async def withdraw_version(
    org_id: uuid.UUID, plan_id: uuid.UUID, version_id: uuid.UUID, session: SessionDep, who: OrgAdmin
) -> Response:
    await services.delete_version(session, who.actor, who.organization_id, plan_id, version_id)
    return Response(status_code=204)


@router.post(f"{_BASE}/{{plan_id}}/quote", response_model=QuoteOut)
async def quote_session(
    org_id: uuid.UUID, plan_id: uuid.UUID, body: QuoteIn, session: SessionDep, who: OrgStaff, locale: Locale = "nb"
) -> QuoteOut:
    request = QuoteRequest(
        start=body.start,
        end=body.end,
        energy_wh=body.energy_wh,
        meter_samples=[(s.at, s.register_wh) for s in body.meter_samples],
        site_id=body.site_id,
        version_id=body.version_id,
    )
    result = await quote(session, who.organization_id, plan_id, request)
    return QuoteOut(
        **_breakdown_out(breakdown_json(result.breakdown)),
        plan_id=result.plan.id,
        version_id=result.version.id,
        version=result.version.number,
        time_zone=result.time_zone,
        description=describe_plan(services.definition_of(result.version).plan, locale),
    )
