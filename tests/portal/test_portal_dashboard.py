"""The dashboard's numbers, from rows in the OCPP tables: chargers by state, sessions today (in the
organisation's time zone), energy this month (running sessions with what they delivered so far), and
the problems, each named once: the open alerts (offline and faulted chargers, unmatched transaction
messages, flagged meter values). Another organisation's rows never count."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.alerts.detection import detect_alerts
from ladeportal.db.base import utcnow
from ladeportal.web.portal import dashboard_model
from tests.factories import make_site
from tests.portal.conftest import TwoOrgs, csrf_of
from tests.portal.ocpp_rows import all_by_testid, by_testid, charger, charging_session, orphan

ALERT = re.compile(r'<a [^>]*data-testid="alert"[^>]*>(.*?)</a>', re.S)


def alert_texts(html: str) -> list[str]:
    """Each open alert the dashboard names, as text."""
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in ALERT.findall(html)]


# 13:00 in Oslo (CET); local midnight is 2026-03-14 23:00 UTC.
NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> datetime:
    monkeypatch.setattr(dashboard_model, "utcnow", lambda: NOW)
    return NOW


async def test_the_dashboard_counts_what_the_chargers_reported(
    two_orgs: TwoOrgs, session: AsyncSession, fixed_now: datetime
) -> None:
    org_a, org_b = two_orgs.org_a, two_orgs.org_b
    assert org_a.time_zone == "Europe/Oslo"
    site = await make_site(session, org_a, name="Garasje Nord")
    seen = fixed_now - timedelta(seconds=30)
    await charger(session, site, "A-AVAIL", seen=seen)
    charging = await charger(session, site, "A-CHARGING", seen=seen, statuses=("Charging", "Available"))
    await charger(session, site, "A-SUSPENDED", seen=seen, statuses=("SuspendedEV", "Available"))
    faulted = await charger(session, site, "A-FAULT", seen=seen, statuses=("Faulted", "Charging"), name="Plass 3")
    lost = await charger(session, site, "A-LOST", seen=fixed_now - timedelta(hours=1), name="Plass 4")
    await charger(session, site, "A-NEVER", seen=None, statuses=("Unknown", "Unknown"))
    await charger(session, site, "A-PENDING", seen=seen, active=False)
    other_site = await make_site(session, org_b)
    other = await charger(session, other_site, "B-FAULT", seen=seen, statuses=("Faulted",))

    today_local_0030 = datetime(2026, 3, 14, 23, 30, tzinfo=UTC)  # 00:30 in Oslo: today
    yesterday_local_2330 = datetime(2026, 3, 14, 22, 30, tzinfo=UTC)  # 23:30 in Oslo: yesterday
    await charging_session(session, site, charging, datetime(2026, 3, 15, 8, 0, tzinfo=UTC), energy_wh=5000)
    await charging_session(
        session, site, charging, datetime(2026, 3, 15, 11, 0, tzinfo=UTC), running_wh=3000, connector=2
    )
    await charging_session(session, site, faulted, today_local_0030, energy_wh=1000)
    await charging_session(session, site, faulted, yesterday_local_2330, energy_wh=500)
    await charging_session(
        session, site, lost, datetime(2026, 3, 5, 9, 0, tzinfo=UTC), energy_wh=7000, anomalies=["meter_reset"]
    )
    await charging_session(
        session,
        site,
        lost,
        datetime(2026, 2, 5, 9, 0, tzinfo=UTC),
        energy_wh=9999,
        anomalies=["meter_stop_below_start"],
    )  # last month and older than 30 days
    await charging_session(
        session, other_site, other, datetime(2026, 3, 15, 9, 0, tzinfo=UTC), energy_wh=40000, anomalies=["meter_reset"]
    )
    await orphan(session, charging)
    await orphan(session, lost)
    await orphan(session, lost, resolved=fixed_now)
    await orphan(session, other)

    page = (await two_orgs.admin_a.client.get(f"/portal/o/{org_a.id}/")).text
    counts = {s: by_testid(page, f"count-{s}") for s in ("available", "charging", "faulted", "offline", "pending")}
    assert counts == {"available": "1", "charging": "2", "faulted": "1", "offline": "2", "pending": "1"}
    assert by_testid(page, "sessions-today") == "3"
    assert by_testid(page, "energy-month") == "16,5 kWh"  # 5 + 3 (running) + 1 + 0.5 + 7
    assert all_by_testid(page, "alert") == [] and "Alt er i orden" in page  # no alert is open yet

    for org in (org_a, org_b):
        await detect_alerts(session, org.id, fixed_now)
    page = (await two_orgs.admin_a.client.get(f"/portal/o/{org_a.id}/")).text
    alerts = alert_texts(page)
    # Plass 3 faulted; Plass 4 offline (A-NEVER is younger than the clock here, so still in its grace
    # period); orphans on two chargers; one session flagged.
    assert len(alerts) == 5 and by_testid(page, "alerts-open") == "5" and "B-FAULT" not in page
    assert sum("Plass 3" in a for a in alerts) == 1 and sum("Plass 4" in a and "frakoblet" in a for a in alerts) == 1
    assert sum("Transaksjonsmelding" in a for a in alerts) == 2
    [flagged] = [a for a in alerts if "Måleren ble nullstilt under økten" in a]
    assert "A-LOST" in flagged or "Plass 4" in flagged
    assert "problem-charger" not in page and 'data-testid="orphans"' not in page

    english = await two_orgs.admin_a.client.post(
        "/portal/language",
        data={"language": "en", "next": f"/portal/o/{org_a.id}/", "csrf_token": csrf_of(page)},
        follow_redirects=True,
    )
    assert by_testid(english.text, "energy-month") == "16.5 kWh"
    assert "The meter was reset during the session" in english.text
    assert "Transaction message not matched" in english.text

    other_page = (await two_orgs.admin_b.client.get(f"/portal/o/{org_b.id}/")).text
    assert by_testid(other_page, "count-faulted") == "1" and by_testid(other_page, "energy-month") == "40,0 kWh"
    assert by_testid(other_page, "sessions-today") == "1" and len(all_by_testid(other_page, "alert")) == 3


async def test_a_quiet_organisation_is_all_well(two_orgs: TwoOrgs, session: AsyncSession, fixed_now: datetime) -> None:
    site = await make_site(session, two_orgs.org_a)
    await charger(session, site, "QUIET-1", seen=fixed_now)
    page = (await two_orgs.admin_a.client.get(f"/portal/o/{two_orgs.org_a.id}/")).text
    assert by_testid(page, "count-available") == "1" and by_testid(page, "sessions-today") == "0"
    assert by_testid(page, "energy-month") == "0,0 kWh"
    assert "Alt er i orden" in page and "count-pending" not in page


async def test_many_offline_chargers_are_counted_and_each_named_once(
    two_orgs: TwoOrgs, session: AsyncSession, fixed_now: datetime
) -> None:
    site = await make_site(session, two_orgs.org_a)
    for n in range(11):
        await charger(session, site, f"OFF-{n:02d}", seen=None)
    await detect_alerts(session, two_orgs.org_a.id, utcnow() + timedelta(days=1))
    base = f"/portal/o/{two_orgs.org_a.id}"
    page = (await two_orgs.admin_a.client.get(f"{base}/")).text
    assert by_testid(page, "count-offline") == "11" and f'href="{base}/chargers?state=offline"' in page
    alerts = alert_texts(page)
    assert len(alerts) == 11 and by_testid(page, "alerts-open") == "11"
    assert all(sum(f"OFF-{n:02d}" in a for a in alerts) == 1 for n in range(11))
    assert page.count("OFF-03") == 1  # named in the one list only
