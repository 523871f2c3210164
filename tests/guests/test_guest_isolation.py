"""Guests see only their own charge, from the phone that began it; a wrong SMS code is limited like the
portal's; the portal's public charging pages are for the organisation's administrator and finance
contact (opening and closing for the administrator), 404 for everyone else; a refused capture is an
alert for the owner."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.alerts import kinds
from ladeportal.alerts.detection import detect_alerts
from ladeportal.alerts.models import Alert
from ladeportal.billing.stripe_gateway import gateway
from ladeportal.db.base import utcnow
from ladeportal.db.engine import Database
from ladeportal.guests.models import ChargeState, GuestOpening
from ladeportal.guests.settle import observe_charges, settle_charge
from ladeportal.members.access import AccessStatus, decide_access
from ladeportal.members.models import Role
from ladeportal.settings import get_settings
from ladeportal.stripe_standin.server import StandinServer
from tests.factories import make_charger, make_member, make_org, make_site, mobile_number
from tests.guests.conftest import GuestWorld, guest_client
from tests.guests.flow_helpers import charge_row, charger_starts, charger_stops, confirm_number, pay, run_start
from tests.portal.conftest import TwoOrgs, csrf_of, form_post, last_code, new_client, sign_in

pytestmark = pytest.mark.asyncio


async def test_another_phone_cannot_see_or_stop_a_guests_charge(
    app: FastAPI, client, session: AsyncSession, world: GuestWorld
) -> None:
    charge_id, phone = await confirm_number(client, session, world)
    own = await client.get(f"/app/guest/{charge_id}")
    assert own.status_code == 200 and phone not in own.text
    async with guest_client(app) as other:
        assert (await other.get(f"/app/guest/{charge_id}")).status_code == 404
        assert (await other.get(f"/app/guest/{charge_id}/status")).status_code == 404
        page = await other.get(f"/app/c/{world.code}")
        stop = await other.post(f"/app/guest/{charge_id}/stop", data={"csrf_token": csrf_of(page.text)})
        assert stop.status_code == 404
        pay_other = await other.get(f"/app/guest/{charge_id}/checkout")
        assert pay_other.status_code == 404
        assert (await other.post(f"/app/guest/{charge_id}/stop")).status_code == 403  # no CSRF token


async def test_a_guest_tag_is_accepted_only_at_its_charger_while_the_hold_is_on(
    client, db: Database, session: AsyncSession, world: GuestWorld, standin: StandinServer
) -> None:
    visit = await pay(client, session, world, standin)
    row = await charge_row(session, visit.charge_id)
    here = await decide_access(session, world.org.id, world.site.id, row.id_tag, utcnow(), charge_point_id=world.cp_id)
    assert here.status == AccessStatus.accepted and here.group_id is None and here.membership_id is None
    other_cp = (await make_charger(session, world.site)).charge_point
    there = await decide_access(session, world.org.id, world.site.id, row.id_tag, utcnow(), charge_point_id=other_cp.id)
    assert there.status == AccessStatus.invalid
    elsewhere = await make_org(session)
    foreign = await decide_access(session, elsewhere.id, world.site.id, row.id_tag, utcnow())
    assert foreign.status == AccessStatus.invalid


async def test_wrong_codes_are_limited_like_the_portals(client, session: AsyncSession, world: GuestWorld) -> None:
    page = await client.get(f"/app/c/{world.code}")
    phone = mobile_number()
    asked = await client.post(f"/app/c/{world.code}/code", data={"phone": phone, "csrf_token": csrf_of(page.text)})
    right = await last_code(session, phone)
    assert right is not None
    token = csrf_of(asked.text)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        answer = await client.post(
            f"/app/c/{world.code}/verify", data={"phone": phone, "answer": wrong, "csrf_token": token}
        )
        assert answer.status_code == 422
    late = await client.post(f"/app/c/{world.code}/verify", data={"phone": phone, "answer": right, "csrf_token": token})
    assert late.status_code == 422  # five wrong answers spend the code
    for _ in range(2):
        await client.post(f"/app/c/{world.code}/code", data={"phone": phone, "csrf_token": token})
    held = await client.post(f"/app/c/{world.code}/code", data={"phone": phone, "csrf_token": token})
    assert held.status_code == 429


async def test_a_refused_capture_is_an_alert_and_shown_in_the_payments_list(
    client, db: Database, session: AsyncSession, world: GuestWorld, standin: StandinServer
) -> None:
    visit = await pay(client, session, world, standin)
    await run_start(db, visit.charge_id)
    row = await charge_row(session, visit.charge_id)
    started = utcnow() - timedelta(hours=1)
    tx = await charger_starts(session, world, row.id_tag, started)
    await charger_stops(session, world, tx, 10_000, started + timedelta(minutes=30))
    await observe_charges(db)
    assert row.payment_intent_id is not None
    await gateway().cancel_payment(row.payment_intent_id, idempotency_key="test:cancel-behind-our-back")
    assert await settle_charge(db, gateway(), get_settings(), visit.charge_id) == ChargeState.capture_failed
    await detect_alerts(session, world.org.id, utcnow())
    alerts = (await session.scalars(select(Alert).where(Alert.organization_id == world.org.id))).all()
    assert [a.kind for a in alerts if a.resolved_at is None] == [kinds.GUEST_CAPTURE_FAILED]


async def test_public_charging_pages_are_for_the_organisations_staff_only(
    session: AsyncSession, two_orgs: TwoOrgs
) -> None:
    org_a = two_orgs.org_a
    site = await make_site(session, org_a, name="Gjesteplasser")
    cp = (await make_charger(session, site, connectors=2)).charge_point
    await session.commit()
    base = f"/portal/o/{org_a.id}/public-charging"
    for path in (base, f"{base}/stickers"):
        assert (await two_orgs.admin_b.client.get(path)).status_code == 404
        assert (await two_orgs.finance_a.client.get(path)).status_code == 200
    # The finance contact sees but does not open chargers; an outsider gets 404.
    opened = await form_post(two_orgs.finance_a.client, base, f"{base}/chargers/{cp.id}/open", {})
    assert opened.status_code == 404
    outsider = await form_post(
        two_orgs.admin_b.client, f"/portal/o/{two_orgs.org_b.id}/public-charging", f"{base}/chargers/{cp.id}/open", {}
    )
    assert outsider.status_code == 404
    # Without a public price plan (or a Stripe account) the charger cannot be opened.
    refused = await form_post(two_orgs.admin_a.client, base, f"{base}/chargers/{cp.id}/open", {})
    assert refused.status_code == 303
    assert await session.scalar(select(GuestOpening.id).where(GuestOpening.charge_point_id == cp.id)) is None
    page = await two_orgs.admin_a.client.get(base)
    assert "public price plan" in page.text or "offentlig" in page.text


async def test_stickers_show_a_qr_code_and_a_short_code_per_connector_never_the_ocpp_identity(
    app: FastAPI, session: AsyncSession, world: GuestWorld
) -> None:
    phone = mobile_number()
    await make_member(session, world.org, phone, role=Role.org_admin)
    async with new_client(app) as admin:
        assert (await sign_in(admin, session, phone)).status_code == 303
        page = await admin.get(f"/portal/o/{world.org.id}/public-charging/stickers")
        listing = await admin.get(f"/portal/o/{world.org.id}/public-charging")
    assert page.status_code == 200
    assert page.text.count('data-testid="sticker"') == 1
    assert world.code in page.text and "<svg" in page.text and f"/app/c/{world.code}" in page.text
    assert world.ocpp_id not in page.text
    assert listing.status_code == 200
