"""The platform operator's area: every organisation on the platform (more tools come later)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import func, select
from starlette.responses import Response

from ladeportal.chargers.models import ChargePoint
from ladeportal.members.models import Membership
from ladeportal.orgs.models import Organization, Site
from ladeportal.web.deps import SessionDep
from ladeportal.web.portal.access import OperatorPage
from ladeportal.web.portal.templating import render

router = APIRouter()


@router.get("/portal/operator/")
async def organisations(request: Request, viewer: OperatorPage, session: SessionDep) -> Response:
    def count_of(column: Any, model: type) -> Any:
        return select(func.count()).select_from(model).where(column == Organization.id).scalar_subquery()

    rows = (await session.execute(
        select(
            Organization,
            count_of(Site.organization_id, Site).label("sites"),
            count_of(ChargePoint.organization_id, ChargePoint).label("chargers"),
            count_of(Membership.organization_id, Membership).label("members"),
        ).order_by(Organization.legal_name)
    )).all()
    return render(request, "portal/operator/organizations.html", {"rows": rows})
