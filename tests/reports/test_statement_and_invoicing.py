"""A member's own monthly statement (API and domain function) shows their sessions only; the report's
revenue by price plan and the invoices of its months (invoiced, paid, outstanding) per organisation."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.invoice_models import Invoice, InvoiceState
from ladeportal.errors import NotFound
from ladeportal.members.models import Role
from ladeportal.pricing.models import PricePlan
from ladeportal.reports.aggregates import refresh
from ladeportal.reports.statement import member_statement
from tests.factories import make_member, make_org, make_site, mobile_number
from tests.portal.conftest import TwoOrgs, new_client, sign_in
from tests.portal.ocpp_rows import charger
from tests.reports.world import add_session


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def test_a_member_sees_only_their_own_statement(app: FastAPI, two_orgs: TwoOrgs, session: AsyncSession) -> None:
    org = two_orgs.org_a
    site = await make_site(session, org, name="Garasje Nord")
    other_site = await make_site(session, org, name="Garasje Sør")
    cp = await charger(session, site, f"R-{uuid.uuid4().hex[:8]}", seen=None, name="Plass 7")
    cp2 = await charger(session, other_site, f"R-{uuid.uuid4().hex[:8]}", seen=None, name="Plass 9")
    people = {}
    for name in ("Kari", "Ola"):
        phone = mobile_number()
        membership = await make_member(session, org, phone, role=Role.member, name=name)
        # A plain member signs in to the portal through a role elsewhere (their own garage).
        await make_member(
            session, await make_org(session, legal_name=f"{name} sin garasje"), phone, role=Role.org_admin
        )
        people[name] = (phone, membership.id)
    kari, ola = people["Kari"][1], people["Ola"][1]
    await add_session(
        session, site, cp, at(2026, 3, 2, 17), at(2026, 3, 2, 19), 12_000, net=4_000, vat=1_000, membership_id=kari
    )
    await add_session(
        session, other_site, cp2, at(2026, 3, 9, 6), at(2026, 3, 9, 7), 3_000, net=800, vat=200, membership_id=kari
    )
    # 31 March 22:30 UTC is 1 April in Oslo: April's statement.
    await add_session(
        session, site, cp, at(2026, 3, 31, 22, 30), at(2026, 3, 31, 23), 1_000, net=80, vat=20, membership_id=kari
    )
    await add_session(session, site, cp, at(2026, 3, 3, 17), at(2026, 3, 3, 19), 9_999, net=999, membership_id=ola)

    march = await member_statement(session, org.id, kari, date(2026, 3, 14))
    assert (len(march.sessions), march.energy_wh, march.cost_minor) == (2, 15_000, 6_000)
    assert [(s.name, s.sessions, s.energy_wh, s.cost_minor) for s in march.by_site] == [
        ("Garasje Nord", 1, 12_000, 5_000),
        ("Garasje Sør", 1, 3_000, 1_000),
    ]
    april = await member_statement(session, org.id, kari, date(2026, 4, 1))
    assert [s.energy_wh for s in april.sessions] == [1_000]
    # Another organisation's id with this membership: as if it did not exist.
    with pytest.raises(NotFound):
        await member_statement(session, two_orgs.org_b.id, kari, date(2026, 3, 1))

    url = f"/api/v1/orgs/{org.id}/me/statement"
    clients = {}
    try:
        for name, (phone, _) in people.items():
            clients[name] = new_client(app)
            assert (await sign_in(clients[name], session, phone)).status_code == 303
        mine = await clients["Kari"].get(url, params={"month": "2026-03"})
        assert mine.status_code == 200, mine.text
        body = mine.json()
        assert body["energy_wh"] == 15_000 and body["cost_minor"] == 6_000 and body["sessions"] == 2
        assert {i["charger"] for i in body["items"]} == {"Plass 7", "Plass 9"}
        theirs = (await clients["Ola"].get(url, params={"month": "2026-03"})).json()
        assert theirs["energy_wh"] == 9_999 and [i["energy_wh"] for i in theirs["items"]] == [9_999]
        bad = await clients["Kari"].get(url, params={"month": "mars"})
        assert bad.status_code == 422 and bad.json()["code"] == "reports.month_invalid"
        page = await clients["Kari"].get(f"/portal/o/{org.id}/statement", params={"month": "2026-03"})
        assert page.status_code == 200 and "Mine ladinger" in page.text
        assert "Plass 7" in page.text and "Plass 9" in page.text and "Garasje Sør" in page.text
        totals = page.text.split('data-testid="statement-totals"')[1][:900]
        assert "15,0" in totals and "60,00" in totals, totals
        other = await clients["Ola"].get(f"/portal/o/{org.id}/statement", params={"month": "2026-03"})
        assert "Plass 9" not in other.text and "Plass 7" in other.text
        empty = await clients["Ola"].get(f"/portal/o/{org.id}/statement", params={"month": "2025-01"})
        assert 'data-testid="statement-empty"' in empty.text
        wrong = await clients["Kari"].get(f"/portal/o/{org.id}/statement", params={"month": "mars"})
        assert wrong.status_code == 422 and "ÅÅÅÅ-MM" in wrong.text
        # The reports themselves stay closed to a plain member.
        assert (await clients["Kari"].get(f"/api/v1/orgs/{org.id}/reports")).status_code == 404
    finally:
        for c in clients.values():
            await c.aclose()
    assert (await two_orgs.admin_b.client.get(url)).status_code == 404
    assert (await two_orgs.admin_b.client.get(f"/portal/o/{org.id}/statement")).status_code == 404


async def test_revenue_by_plan_and_the_months_invoices(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    org = two_orgs.org_a
    site = await make_site(session, org, name="Garasje Nord")
    cp = await charger(session, site, f"R-{uuid.uuid4().hex[:8]}", seen=None)
    kari = (await make_member(session, org, name="Kari")).id
    plan = PricePlan(organization_id=org.id, name="Beboere")
    session.add(plan)
    await session.flush()
    await add_session(
        session,
        site,
        cp,
        at(2026, 3, 2, 17),
        at(2026, 3, 2, 19),
        12_000,
        net=4_000,
        vat=1_000,
        plan_id=plan.id,
        membership_id=kari,
    )
    await add_session(session, site, cp, at(2026, 3, 4, 17), at(2026, 3, 4, 19), 2_000, connector=2)
    outsider = (await make_member(session, two_orgs.org_b)).id
    for org_id, member, state, total, paid in (
        (org.id, kari, InvoiceState.paid, 5_000, 5_000),
        (org.id, kari, InvoiceState.open, 3_000, 1_000),
        (org.id, kari, InvoiceState.void, 9_000, 0),
        (two_orgs.org_b.id, outsider, InvoiceState.open, 7_777, 0),
    ):
        session.add(
            Invoice(
                organization_id=org_id,
                membership_id=member,
                period_month=date(2026, 3, 1),
                state=state,
                currency="NOK",
                total_minor=total,
                amount_paid_minor=paid,
            )
        )
    await session.commit()
    await refresh(session)

    api = two_orgs.admin_a.client
    body = (await api.get(f"/api/v1/orgs/{org.id}/reports", params={"date": "2026-03-10"})).json()
    plans = {line["name"]: line["revenue"][0]["gross_minor"] if line["revenue"] else 0 for line in body["by_plan"]}
    assert plans == {"Beboere": 5_000, "": 0}
    assert body["invoicing"] == {
        "currency": "NOK",
        "invoices": 2,
        "invoiced_minor": 8_000,
        "paid_minor": 6_000,
        "credited_minor": 0,
        "outstanding_minor": 2_000,
        "months": {"first": "2026-03-01", "last": "2026-03-01"},
    }
    by_site = (
        await api.get(f"/api/v1/orgs/{org.id}/reports", params={"date": "2026-03-10", "site": str(site.id)})
    ).json()
    assert by_site["invoicing"] is None
    page = await api.get(f"/portal/o/{org.id}/reports", params={"date": "2026-03-10"})
    assert 'data-testid="table-plans"' in page.text and "Beboere" in page.text
    assert 'data-testid="outstanding">kr\xa020,00' in page.text or "20,00" in page.text
    csv_page = await api.get(
        f"/portal/o/{org.id}/reports/export.csv", params={"date": "2026-03-10", "table": "invoicing"}
    )
    assert csv_page.status_code == 200 and "Utestående" in csv_page.content.decode("utf-8-sig")
