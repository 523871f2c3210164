"""The dashboard lists an organisation's open alerts (and only its own) with when they started in the
site's time zone and a link to the charger; the Settings page lets an admin set the offline threshold
and their own channel: CSRF-checked, 404 for other organisations and other roles, bad values refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.alerts.detection import detect_alerts
from ladeportal.alerts.models import AlertPreference, AlertSettings, Channel
from ladeportal.chargers.models import ChargePoint, Connector
from ladeportal.db.base import utcnow
from ladeportal.members.models import Membership
from tests.factories import make_site
from tests.portal.conftest import TwoOrgs, csrf_of
from tests.portal.ocpp_rows import all_by_testid, by_testid, charger


async def test_the_dashboard_shows_open_alerts_of_its_own_organisation_only(
    two_orgs: TwoOrgs,
    session: AsyncSession,
) -> None:
    org_a, org_b = two_orgs.org_a, two_orgs.org_b
    base = f"/portal/o/{org_a.id}"
    empty = (await two_orgs.admin_a.client.get(f"{base}/")).text
    assert "Alt er i orden" in empty and all_by_testid(empty, "alert") == []

    seen = datetime(2026, 3, 15, 11, 0, tzinfo=UTC)  # 12:00 in Oslo
    site = await make_site(session, org_a, name="Garasje Nord")
    cp = await charger(session, site, "ALERT-A", seen=seen, name="Plass 9")
    faulted = await charger(session, site, "FAULT-A", seen=utcnow(), statuses=("Available", "Faulted"), name="Plass 2")
    await session.execute(
        update(Connector)
        .where(Connector.charge_point_id == faulted, Connector.number == 2)
        .values(error_code="GroundFailure", status_changed_at=seen)
    )
    await session.commit()
    other = await charger(session, await make_site(session, org_b), "ALERT-B", seen=seen, name="Beta-lader")
    now = utcnow()
    for org in (org_a, org_b):
        await detect_alerts(session, org.id, now)

    page = (await two_orgs.admin_a.client.get(f"{base}/")).text
    assert len(all_by_testid(page, "alert")) == 2
    assert by_testid(page, "alerts-open") == "2"
    assert (
        f'href="{base}/chargers/{faulted}"' in page
        and "kontakt 2" in page
        and "· Jordfeil" in page
        and "GroundFailure" not in page
    )
    assert f'href="{base}/chargers/{cp}"' in page and "Plass 9" in page and "Lader frakoblet" in page
    assert "siden 15.03.2026, 12:00" in page
    assert "Beta-lader" not in page and str(other) not in page

    # Once it reconnects, the alert is gone from the dashboard.
    await session.execute(update(ChargePoint).where(ChargePoint.id == cp).values(last_seen_at=now))
    await session.commit()
    await detect_alerts(session, org_a.id, now + timedelta(minutes=1))
    after = (await two_orgs.admin_a.client.get(f"{base}/")).text
    assert len(all_by_testid(after, "alert")) == 1 and "Plass 9" not in after


async def test_an_admin_chooses_how_to_be_told_and_sets_the_threshold(
    two_orgs: TwoOrgs,
    session: AsyncSession,
) -> None:
    org_a = two_orgs.org_a
    c, base = two_orgs.admin_a.client, f"/portal/o/{org_a.id}"
    page = await c.get(f"{base}/settings")
    assert page.status_code == 200 and 'data-testid="alert-settings"' in page.text
    assert 'name="offline_minutes" type="number" value="15"' in page.text
    token = csrf_of(page.text)

    saved = await c.post(f"{base}/settings/alerts/me", data={"channel": "sms", "csrf_token": token})
    assert saved.status_code == 303
    membership = await session.scalar(select(AlertPreference).where(AlertPreference.organization_id == org_a.id))
    await session.commit()
    assert membership is not None and membership.channel == Channel.sms

    refused = await c.post(f"{base}/settings/alerts/me", data={"channel": "email", "csrf_token": token})
    assert refused.status_code == 422
    assert "Varsler på e-post krever en e-postadresse" in by_testid(refused.text, "channel-error")
    bad = await c.post(f"{base}/settings/alerts/me", data={"channel": "pigeon", "csrf_token": token})
    assert bad.status_code == 422 and "Velg av, SMS eller e-post." in bad.text

    await session.execute(
        update(Membership).where(Membership.id == membership.membership_id).values(email="styret@alfa.no")
    )
    await session.commit()
    email = await c.post(f"{base}/settings/alerts/me", data={"channel": "email", "csrf_token": token})
    assert email.status_code == 303

    threshold = await c.post(f"{base}/settings/alerts/threshold", data={"offline_minutes": "30", "csrf_token": token})
    assert threshold.status_code == 303
    assert (
        await session.scalar(select(AlertSettings.offline_minutes).where(AlertSettings.organization_id == org_a.id))
        == 30
    )
    await session.commit()
    for bad_value in ("2", "abc", "100000", ""):
        response = await c.post(
            f"{base}/settings/alerts/threshold", data={"offline_minutes": bad_value, "csrf_token": token}
        )
        assert response.status_code == 422 and "mellom 5 og 1440 minutter" in response.text


async def test_the_alert_forms_are_closed_to_outsiders_other_roles_and_forged_posts(
    two_orgs: TwoOrgs,
    session: AsyncSession,
) -> None:
    base = f"/portal/o/{two_orgs.org_a.id}"
    own = await two_orgs.admin_b.client.get(f"/portal/o/{two_orgs.org_b.id}/settings")
    token = csrf_of(own.text)
    for path, data in (
        ("/settings/alerts/me", {"channel": "sms"}),
        ("/settings/alerts/threshold", {"offline_minutes": "20"}),
    ):
        outsider = await two_orgs.admin_b.client.post(f"{base}{path}", data={**data, "csrf_token": token})
        assert outsider.status_code == 404
        finance_page = await two_orgs.finance_a.client.get(f"{base}/settings")
        assert 'data-testid="alert-settings"' not in finance_page.text
        finance = await two_orgs.finance_a.client.post(
            f"{base}{path}", data={**data, "csrf_token": csrf_of(finance_page.text)}
        )
        assert finance.status_code == 404
        forged = await two_orgs.admin_a.client.post(f"{base}{path}", data=data)
        assert forged.status_code == 403
    assert await session.scalar(select(AlertPreference.membership_id)) is None
    assert await session.scalar(select(AlertSettings.organization_id)) is None
    await session.commit()
