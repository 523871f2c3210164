"""The open alerts of one organisation as pages and messages show them, with the names they need."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.alerts.models import Alert
from ladeportal.chargers.models import ChargePoint
from ladeportal.orgs.models import Site

# Pages name at most this many; the oldest problems first would hide new ones, so newest first.
SHOWN = 20


@dataclass(frozen=True, slots=True)
class AlertView:
    id: int
    kind: str
    opened_at: datetime
    detail: str | None
    charge_point_id: uuid.UUID | None
    connector_number: int | None
    session_id: int | None
    charger_label: str | None
    site_name: str | None
    time_zone: str  # the site's, or the organisation's for alerts without a charger

    @property
    def path(self) -> str:
        """The page that shows the subject, relative to the organisation's portal base."""
        if self.charge_point_id is None:
            return "/"
        return f"/chargers/{self.charge_point_id}" + ("#sessions" if self.session_id is not None else "")


def _query(org_id: uuid.UUID, org_time_zone: str) -> Select[Any]:
    label = func.coalesce(ChargePoint.name, ChargePoint.ocpp_id)
    return cast(
        "Select[Any]",
        (
            select(
                Alert.id,
                Alert.kind,
                Alert.opened_at,
                Alert.detail,
                Alert.charge_point_id,
                Alert.connector_number,
                Alert.session_id,
                label,
                Site.name,
                func.coalesce(Site.time_zone, org_time_zone),
            )
            .outerjoin(ChargePoint, ChargePoint.id == Alert.charge_point_id)
            .outerjoin(Site, Site.id == ChargePoint.site_id)
            .where(Alert.organization_id == org_id, Alert.resolved_at.is_(None))
        ),
    )


async def open_alerts(
    session: AsyncSession, org_id: uuid.UUID, org_time_zone: str, *, limit: int = SHOWN
) -> tuple[int, list[AlertView]]:
    """(how many are open, the newest `limit` of them), in one statement: the window count is taken
    before the LIMIT applies."""
    rows = (
        await session.execute(
            _query(org_id, org_time_zone)
            .add_columns(func.count().over())
            .order_by(Alert.opened_at.desc(), Alert.id.desc())
            .limit(limit)
        )
    ).all()
    count = rows[0][-1] if rows else 0
    return int(count), [AlertView(*row[:-1]) for row in rows]


async def alerts_by_id(
    session: AsyncSession, org_id: uuid.UUID, org_time_zone: str, ids: Sequence[int]
) -> list[AlertView]:
    rows = await session.execute(
        _query(org_id, org_time_zone).where(Alert.id.in_(list(ids))).order_by(Alert.opened_at, Alert.id)
    )
    return [AlertView(*row) for row in rows]
