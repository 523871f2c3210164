"""An administrator marks a flagged session as reviewed: from the session page, through a confirmation,
with the CSRF check; audited; the session's alert is resolved by detection, and opens again when the
charger adds a new flag. Other roles and other organisations reach nothing and change nothing."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.alerts import kinds
from ladeportal.alerts.detection import detect_alerts
from ladeportal.alerts.models import Alert
from ladeportal.db.base import utcnow
from ladeportal.errors import Conflict
from ladeportal.platform.models import AuditEvent
from ladeportal.sessions.models import ChargingSession, SessionReview
from ladeportal.sessions.review import mark_reviewed
from tests.factories import ACTOR, make_site
from tests.portal.conftest import TwoOrgs, csrf_of
from tests.portal.ocpp_rows import charger, charging_session


async def _flagged(session: AsyncSession, two_orgs: TwoOrgs) -> int:
    site = await make_site(session, two_orgs.org_a)
    cp = await charger(session, site, "REVIEW-1", seen=utcnow(), name="Plass 7")
    return await charging_session(
        session, site, cp, utcnow() - timedelta(days=2), energy_wh=4000, anomalies=["meter_reset"]
    )


async def _open_session_alerts(session: AsyncSession, sid: int) -> int:
    await session.commit()
    query = select(func.count()).select_from(Alert)
    return int(
        await session.scalar(
            query.where(Alert.kind == kinds.SESSION_FLAGGED, Alert.session_id == sid, Alert.resolved_at.is_(None))
        )
        or 0
    )


async def _reviews(session: AsyncSession) -> int:
    await session.commit()
    return int(await session.scalar(select(func.count()).select_from(SessionReview)) or 0)


async def _confirm_and_post(client: httpx.AsyncClient, base: str, sid: int) -> httpx.Response:
    confirm = await client.get(f"{base}/sessions/{sid}/review")
    assert confirm.status_code == 200 and 'data-testid="review-confirm"' in confirm.text
    return await client.post(f"{base}/sessions/{sid}/review", data={"csrf_token": csrf_of(confirm.text)})


async def test_an_admin_marks_a_flagged_session_as_reviewed_and_its_alert_closes(
    two_orgs: TwoOrgs, session: AsyncSession
) -> None:
    sid = await _flagged(session, two_orgs)
    org_id = two_orgs.org_a.id
    base, c = f"/portal/o/{org_id}", two_orgs.admin_a.client
    await detect_alerts(session, org_id, utcnow())
    assert await _open_session_alerts(session, sid) == 1

    page = (await c.get(f"{base}/sessions/{sid}")).text
    assert f'href="{base}/sessions/{sid}/review"' in page and "Merk som gjennomgått" in page
    response = await _confirm_and_post(c, base, sid)
    assert response.status_code == 303 and response.headers["location"].endswith(f"/sessions/{sid}")
    assert await _reviews(session) == 1
    audit = (await session.scalars(select(AuditEvent).where(AuditEvent.action == "session.reviewed"))).all()
    assert [(a.entity_id, a.organization_id) for a in audit] == [(str(sid), org_id)]

    page = (await c.get(f"{base}/sessions/{sid}")).text
    assert 'data-testid="session-reviewed"' in page and 'data-testid="review-session"' not in page
    await detect_alerts(session, org_id, utcnow())
    assert await _open_session_alerts(session, sid) == 0
    dashboard = (await c.get(f"{base}/")).text
    assert "Plass 7" not in dashboard and 'data-testid="alert"' not in dashboard

    # Reviewing again changes nothing and says why.
    again = await _confirm_and_post(c, base, sid)
    assert again.status_code == 303
    assert await _reviews(session) == 1

    # A flag the charger adds later puts the session back on the list.
    await session.execute(
        update(ChargingSession).where(ChargingSession.id == sid).values(anomalies=["meter_reset", "meter_backwards"])
    )
    await session.commit()
    await detect_alerts(session, org_id, utcnow())
    assert await _open_session_alerts(session, sid) == 1
    assert 'data-testid="review-session"' in (await c.get(f"{base}/sessions/{sid}")).text


async def test_outsiders_other_roles_and_forged_posts_change_nothing(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    sid = await _flagged(session, two_orgs)
    base = f"/portal/o/{two_orgs.org_a.id}"
    outsider, finance = two_orgs.admin_b.client, two_orgs.finance_a.client
    own = (await outsider.get(f"/portal/o/{two_orgs.org_b.id}/")).text
    for client, token in ((outsider, csrf_of(own)), (finance, csrf_of((await finance.get(f"{base}/")).text))):
        assert (await client.get(f"{base}/sessions/{sid}/review")).status_code == 404
        refused = await client.post(f"{base}/sessions/{sid}/review", data={"csrf_token": token})
        assert refused.status_code == 404
    # The outsider's own organisation does not hold the session either.
    other = await outsider.post(
        f"/portal/o/{two_orgs.org_b.id}/sessions/{sid}/review", data={"csrf_token": csrf_of(own)}
    )
    assert other.status_code == 404
    finance_page = (await finance.get(f"{base}/sessions/{sid}")).text
    assert 'data-testid="review-session"' not in finance_page
    forged = await two_orgs.admin_a.client.post(f"{base}/sessions/{sid}/review", data={"csrf_token": "forged"})
    assert forged.status_code == 403
    assert await _reviews(session) == 0
    assert (
        await session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "session.reviewed")
        )
    ) == 0


async def test_a_session_without_flags_has_nothing_to_review(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    site = await make_site(session, two_orgs.org_a)
    cp = await charger(session, site, "CLEAN-1", seen=utcnow())
    sid = await charging_session(session, site, cp, utcnow() - timedelta(days=1), energy_wh=1000)
    org_id = two_orgs.org_a.id
    with pytest.raises(Conflict) as refused:
        await mark_reviewed(session, ACTOR, org_id, sid)
    assert refused.value.code == "session.not_flagged"
    assert await _reviews(session) == 0
    page = (await two_orgs.admin_a.client.get(f"/portal/o/{org_id}/sessions/{sid}")).text
    assert 'data-testid="review-session"' not in page
