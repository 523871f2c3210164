"""One session as its detail view shows it: the list row, the stored price breakdown (as it was priced,
never recomputed), the meter summary and the recorded price corrections. Reads only."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.errors import NotFound
from ladeportal.pricing.models import SessionPriceCorrection
from ladeportal.sessions.listing import CS, SessionRow, row_select, to_row
from ladeportal.sessions.models import MeterReading

MAX_CORRECTIONS = 20


@dataclass(frozen=True)
class MeterSummary:
    meter_start_wh: int
    meter_stop_wh: int | None
    meter_last_wh: int
    readings: int
    first_reading_at: datetime | None
    last_reading_at: datetime | None
    stop_reason: str | None


@dataclass(frozen=True)
class Correction:
    corrected_at: datetime
    reason: str
    currency: str
    old_total_minor: int | None
    new_total_minor: int
    corrected_by: str


@dataclass(frozen=True)
class PriceLine:
    """One stored line of the session's price, as it was priced."""

    kind: str
    label: str
    quantity: Decimal
    unit: str
    unit_price: str
    net: int
    vat: int
    gross: int
    period_start: datetime | None
    period_end: datetime | None


def _moment(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _line(data: dict[str, Any]) -> PriceLine:
    return PriceLine(
        kind=str(data.get("kind", "")),
        label=str(data.get("label") or ""),
        quantity=Decimal(str(data.get("quantity", "0"))),
        unit=str(data.get("unit", "")),
        unit_price=str(data.get("unit_price", "")),
        net=int(data.get("net", 0)),
        vat=int(data.get("vat", 0)),
        gross=int(data.get("gross", 0)),
        period_start=_moment(data.get("period_start")),
        period_end=_moment(data.get("period_end")),
    )


@dataclass(frozen=True)
class SessionDetail:
    row: SessionRow
    snapshot: dict[str, Any] | None
    meter: MeterSummary
    corrections: list[Correction]

    @property
    def lines(self) -> list[PriceLine]:
        return [_line(line) for line in (self.snapshot or {}).get("lines") or []]

    @property
    def priced(self) -> bool:
        return self.snapshot is not None and self.snapshot.get("status") == "priced"

    @property
    def plan_name(self) -> str | None:
        plan = (self.snapshot or {}).get("plan")
        return plan.get("name") if isinstance(plan, dict) else None

    @property
    def warnings(self) -> list[dict[str, Any]]:
        return list((self.snapshot or {}).get("warnings") or [])


async def get_session_detail(session: AsyncSession, org_id: uuid.UUID, session_id: int) -> SessionDetail:
    """NotFound for a session of another organisation, exactly as for one that does not exist."""
    found = (await session.execute(row_select(org_id).where(CS.organization_id == org_id, CS.id == session_id))).first()
    if found is None:
        raise NotFound("No such session.", code="session.not_found")
    stored = (
        await session.execute(
            select(
                CS.cost_snapshot,
                CS.meter_start_wh,
                CS.meter_stop_wh,
                CS.meter_last_wh,
                CS.stop_reason,
            ).where(CS.id == session_id)
        )
    ).one()
    count, first, last = (
        await session.execute(
            select(
                func.count(MeterReading.id),
                func.min(MeterReading.taken_at),
                func.max(MeterReading.taken_at),
            ).where(MeterReading.session_id == session_id)
        )
    ).one()
    corrections = (
        await session.scalars(
            select(SessionPriceCorrection)
            .where(SessionPriceCorrection.session_id == session_id, SessionPriceCorrection.organization_id == org_id)
            .order_by(SessionPriceCorrection.corrected_at.desc())
            .limit(MAX_CORRECTIONS)
        )
    ).all()
    return SessionDetail(
        row=to_row(found),
        snapshot=stored.cost_snapshot,
        meter=MeterSummary(
            stored.meter_start_wh,
            stored.meter_stop_wh,
            stored.meter_last_wh,
            int(count or 0),
            first,
            last,
            stored.stop_reason,
        ),
        corrections=[
            Correction(c.corrected_at, c.reason, c.currency, c.old_total_minor, c.new_total_minor, c.corrected_by)
            for c in corrections
        ],
    )
