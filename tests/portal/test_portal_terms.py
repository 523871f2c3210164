"""Terms: staff write and publish versions (immutable once published); an organisation's
administrators are sent to the terms before any other page, accept them (who, when, which version,
from where is kept) or choose "later" until the date; after the date a read-only version makes the
organisation's portal and API refuse every change except accepting, while chargers keep charging."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.base import utcnow
from ladeportal.errors import Conflict, ValidationFailed
from ladeportal.members.access import AccessStatus
from ladeportal.members.models import Membership, Role
from ladeportal.members.services import make_operator
from ladeportal.orgs.models import Site
from ladeportal.platform.api_tokens import create_api_token
from ladeportal.platform.audit import Actor
from ladeportal.platform.models import AuditEvent
from ladeportal.sessions.services import ChargerRef, start_session
from ladeportal.terms.acceptance import accept_terms, extend_deadline
from ladeportal.terms.models import TermsAcceptance, TermsVersion
from ladeportal.terms.versions import update_draft
from tests.factories import ACTOR, make_charger, make_member, make_site, make_tag, mobile_number
from tests.portal.conftest import TwoOrgs, csrf_of, form_post, last_code, new_client, request_code, sign_in
from tests.terms.support import published, published_overdue, terms_input


@pytest.fixture
async def staff(app: FastAPI, session: AsyncSession) -> httpx.AsyncClient:
    phone = mobile_number()
    await make_operator(session, ACTOR, phone, "Ola Operatør")
    c = new_client(app)
    assert (await sign_in(c, session, phone)).status_code == 303
    return c


def _form(**changes: str) -> dict[str, str]:
    data = terms_input(**changes)
    return dict(data.__dict__)


async def _count(session: AsyncSession, model: type, *where: object) -> int:
    await session.commit()
    return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


async def test_staff_write_a_draft_and_publish_it_and_a_published_version_never_changes(
    staff: httpx.AsyncClient, session: AsyncSession
) -> None:
    new = "/portal/operator/terms/new"
    refused = await form_post(staff, new, new, _form(party_org_number="12", accept_by="2027-13-01"))
    assert refused.status_code == 422 and "9 eller 10 sifre" in refused.text
    response = await form_post(staff, new, new, _form())
    assert response.status_code == 303
    url = response.headers["location"]
    version_id = uuid.UUID(url.rsplit("/", 1)[1])
    page = await staff.get(url)
    assert "Utkast" in page.text and 'data-testid="publish"' in page.text
    # The text is shown as text: markup in it is escaped.
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text

    edited = await form_post(staff, f"{url}/edit", f"{url}/edit", _form(label="2027-2"))
    assert edited.status_code == 303
    not_confirmed = await staff.post(f"{url}/publish", data={"csrf_token": csrf_of(page.text)})
    assert (
        not_confirmed.status_code == 303
        and await _count(session, TermsVersion, TermsVersion.published_at.is_not(None)) == 0
    )
    page = await staff.get(url)
    done = await staff.post(f"{url}/publish", data={"confirm": "1", "csrf_token": csrf_of(page.text)})
    assert done.status_code == 303
    assert await _count(session, TermsVersion, TermsVersion.published_at.is_not(None)) == 1

    with pytest.raises(Conflict):
        await update_draft(session, ACTOR, version_id, terms_input(label="2027-3"))
    after = await form_post(staff, url, f"{url}/edit", _form(label="2027-9"))
    assert after.status_code == 303
    version = await session.get(TermsVersion, version_id)
    await session.refresh(version)  # type: ignore[arg-type]
    assert version is not None and version.label == "2027-2"
    assert await _count(session, AuditEvent, AuditEvent.action == "terms.published") == 1
    listing = await staff.get("/portal/operator/terms")
    assert "2027-2" in listing.text and "0 / 0" in listing.text


async def test_an_admin_is_sent_to_the_terms_accepts_them_and_staff_see_who_and_from_where(
    two_orgs: TwoOrgs, staff: httpx.AsyncClient, session: AsyncSession
) -> None:
    version = await published(session)
    admin, finance = two_orgs.admin_a.client, two_orgs.finance_a.client
    home = f"/portal/o/{two_orgs.org_a.id}/sites"
    sent = await admin.get(home)
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/portal/o/{two_orgs.org_a.id}/terms?next={home}"
    # Finance users read the terms but are not stopped by them; only an administrator accepts.
    assert (await finance.get(home)).status_code == 200
    finance_page = await finance.get(f"/portal/o/{two_orgs.org_a.id}/terms")
    assert 'data-testid="terms-accept"' not in finance_page.text

    page = await admin.get(sent.headers["location"])
    assert page.status_code == 200 and "Vilkår for bruk av Ladeportal" in page.text and "Ladeportal AS" in page.text
    token = csrf_of(page.text)
    accept = f"/portal/o/{two_orgs.org_a.id}/terms/accept"
    unconfirmed = await admin.post(accept, data={"version_id": str(version.id), "csrf_token": token})
    assert unconfirmed.status_code == 422 and await _count(session, TermsAcceptance) == 0
    done = await admin.post(
        accept, data={"version_id": str(version.id), "confirm": "1", "next": home, "csrf_token": token}
    )
    assert done.status_code == 303 and done.headers["location"] == home
    assert (await admin.get(home)).status_code == 200
    row = (await session.scalars(select(TermsAcceptance))).one()
    assert row.organization_id == two_orgs.org_a.id and row.ip_address == "127.0.0.1"
    audit = (await session.scalars(select(AuditEvent).where(AuditEvent.action == "terms.accepted"))).one()
    assert audit.organization_id == two_orgs.org_a.id and audit.new_values["ip_address"] == "127.0.0.1"
    # B has not accepted: its admin is still sent to the terms.
    assert (await two_orgs.admin_b.client.get(f"/portal/o/{two_orgs.org_b.id}/")).status_code == 303

    staff_page = await staff.get(f"/portal/operator/terms/{version.id}")
    assert staff_page.text.count('data-testid="acceptance-row"') == 1 and "127.0.0.1" in staff_page.text
    org_page = await staff.get(f"/portal/operator/orgs/{two_orgs.org_a.id}")
    assert "terms.accepted" in org_page.text and "127.0.0.1" in org_page.text


async def test_later_lets_the_admin_in_until_the_date_and_not_after(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    await published(session)
    admin = two_orgs.admin_a.client
    base = f"/portal/o/{two_orgs.org_a.id}"
    page = await admin.get(f"{base}/terms")
    later = await admin.post(f"{base}/terms/later", data={"next": f"{base}/sites", "csrf_token": csrf_of(page.text)})
    assert later.status_code == 303
    assert (await admin.get(f"{base}/sites")).status_code == 200
    # Another browser session of the same person is asked again.
    other = new_client(admin._transport.app)  # type: ignore[attr-defined]
    assert (await sign_in(other, session, two_orgs.admin_a.phone)).status_code == 303
    assert (await other.get(f"{base}/sites")).status_code == 303
    await other.aclose()

    version = (await session.scalars(select(TermsVersion))).one()
    version.accept_by = date.today() - timedelta(days=2)
    await session.commit()
    assert (await admin.get(f"{base}/sites")).status_code == 303  # "later" ends with the date
    page = await admin.get(f"{base}/terms")
    assert 'data-testid="terms-later"' not in page.text
    refused = await admin.post(f"{base}/terms/later", data={"csrf_token": csrf_of(page.text)})
    assert refused.status_code == 422


async def _site_form_post(client: httpx.AsyncClient, base: str, token: str) -> httpx.Response:
    return await client.post(f"{base}/sites/new", data={"name": "Garasje Ny", "price_area": "NO1", "csrf_token": token})


async def test_after_the_date_a_read_only_version_refuses_every_write_but_accepting_and_charging_goes_on(
    app: FastAPI, two_orgs: TwoOrgs, session: AsyncSession
) -> None:
    site = await make_site(session, two_orgs.org_a)
    charger = await make_charger(session, site)
    tag = await make_tag(session, two_orgs.org_a, await make_member(session, two_orgs.org_a))
    token = await create_api_token(session, ACTOR, two_orgs.org_a.id, "erp", ["read", "write"])
    version = await published_overdue(session)
    base = f"/portal/o/{two_orgs.org_a.id}"
    finance = two_orgs.finance_a.client
    page = await finance.get(f"{base}/sites")
    assert page.status_code == 200 and 'data-testid="terms-lock-banner"' in page.text
    admin = two_orgs.admin_a.client
    refused = await _site_form_post(admin, base, csrf_of((await admin.get(f"{base}/terms")).text))
    assert refused.status_code == 403 and 'data-reason="terms_overdue"' in refused.text
    assert "skrivebeskyttet til en administrator godtar" in refused.text
    admin_csrf = csrf_of((await admin.get(f"{base}/terms")).text)
    htmx = await admin.post(f"{base}/sites/new", data={"csrf_token": admin_csrf}, headers={"hx-request": "true"})
    assert htmx.status_code == 403
    assert await _count(session, Site, Site.organization_id == two_orgs.org_a.id) == 1

    api = f"/api/v1/orgs/{two_orgs.org_a.id}/sites"
    bearer = {"Authorization": f"Bearer {token.secret}"}
    assert (await finance.get(api, headers=bearer)).status_code == 200
    write = await finance.post(api, headers=bearer, json={"name": "Via API", "price_area": "NO1"})
    assert write.status_code == 409 and write.json()["code"] == "org.read_only_terms"
    # Organisation B accepted in time: its portal is writable.
    b_admin = (await session.scalars(select(Membership).where(Membership.organization_id == two_orgs.org_b.id))).first()
    assert b_admin is not None
    await accept_terms(session, Actor("user:b", user_id=b_admin.user_id), two_orgs.org_b.id, [version.id], "10.0.0.2")
    b_page = await two_orgs.admin_b.client.get(f"/portal/o/{two_orgs.org_b.id}/terms")
    assert (
        await _site_form_post(two_orgs.admin_b.client, f"/portal/o/{two_orgs.org_b.id}", csrf_of(b_page.text))
    ).status_code != 403

    # Charging is never stopped: the access decision does not ask.
    ref = ChargerRef(charger.charge_point.id, two_orgs.org_a.id, site.id)
    started = await start_session(session, ref, connector=1, id_tag=tag.uid, meter_start_wh=0, started_at=utcnow())
    assert started.decision.status == AccessStatus.accepted and started.transaction_id > 0

    # Accepting is the way out, and logging out still works.
    terms_page = await admin.get(f"{base}/terms")
    accepted = await admin.post(
        f"{base}/terms/accept",
        data={"version_id": str(version.id), "confirm": "1", "csrf_token": csrf_of(terms_page.text)},
    )
    assert accepted.status_code == 303
    again = await _site_form_post(admin, base, csrf_of((await admin.get(f"{base}/sites")).text))
    assert again.status_code == 303
    assert (
        await admin.post("/portal/logout", data={"csrf_token": csrf_of((await admin.get(f"{base}/sites")).text)})
    ).status_code == 303


async def test_after_the_date_a_reminders_only_version_keeps_the_portal_writable(
    two_orgs: TwoOrgs, session: AsyncSession
) -> None:
    await published_overdue(session, after="remind")
    base = f"/portal/o/{two_orgs.org_a.id}"
    admin = two_orgs.admin_a.client
    assert (await admin.get(f"{base}/sites")).status_code == 303  # still asked to accept at every page
    page = await admin.get(f"{base}/terms")
    assert 'data-testid="terms-lock-banner"' not in page.text and 'data-testid="terms-later"' not in page.text
    assert (await _site_form_post(admin, base, csrf_of(page.text))).status_code == 303


async def test_staff_extend_one_organisations_date_with_a_reason_which_lifts_the_lock(
    two_orgs: TwoOrgs, staff: httpx.AsyncClient, session: AsyncSession
) -> None:
    version = await published_overdue(session)
    url = f"/portal/operator/orgs/{two_orgs.org_a.id}"
    action = f"{url}/terms/{version.id}/extend"
    later = (date.today() + timedelta(days=14)).isoformat()
    no_reason = await form_post(staff, url, action, {"accept_by": later, "reason": " "})
    assert (
        no_reason.status_code == 303
        and await _count(session, AuditEvent, AuditEvent.action == "terms.deadline_extended") == 0
    )
    done = await form_post(staff, url, action, {"accept_by": later, "reason": "Styret møtes neste uke"})
    assert done.status_code == 303
    event = (await session.scalars(select(AuditEvent).where(AuditEvent.action == "terms.deadline_extended"))).one()
    assert event.organization_id == two_orgs.org_a.id and event.new_values["reason"] == "Styret møtes neste uke"
    base = f"/portal/o/{two_orgs.org_a.id}"
    page = await two_orgs.admin_a.client.get(f"{base}/terms")
    assert (await _site_form_post(two_orgs.admin_a.client, base, csrf_of(page.text))).status_code == 303
    # B keeps the version's own date.
    b = f"/portal/o/{two_orgs.org_b.id}"
    b_page = await two_orgs.admin_b.client.get(f"{b}/terms")
    assert (await _site_form_post(two_orgs.admin_b.client, b, csrf_of(b_page.text))).status_code == 403
    with pytest.raises(ValidationFailed):
        await extend_deadline(session, ACTOR, two_orgs.org_a.id, version.id, version.accept_by, "x")


async def test_staff_view_an_organisations_portal_read_only_and_every_view_is_audited(
    two_orgs: TwoOrgs, staff: httpx.AsyncClient, session: AsyncSession
) -> None:
    await published(session)
    base = f"/portal/o/{two_orgs.org_a.id}"
    for path in ("/", "/sites", "/users", "/terms"):
        page = await staff.get(base + path)
        assert page.status_code == 200, path
        assert 'data-testid="staff-view-banner"' in page.text and "skrivebeskyttet" in page.text.lower()
    assert 'data-testid="terms-accept"' not in page.text
    views = await _count(session, AuditEvent, AuditEvent.action == "staff.viewed_portal")
    assert views == 4
    token = csrf_of(page.text)
    refused = await _site_form_post(staff, base, token)
    assert refused.status_code == 403 and 'data-reason="staff_view"' in refused.text
    version = (await session.scalars(select(TermsVersion))).one()
    accept = await staff.post(
        f"{base}/terms/accept", data={"version_id": str(version.id), "confirm": "1", "csrf_token": token}
    )
    assert accept.status_code == 403 and await _count(session, TermsAcceptance) == 0
    # Staff's own JSON API access is unchanged: not a member, so 404.
    assert (await staff.get(f"/api/v1/orgs/{two_orgs.org_a.id}/sites")).status_code == 404
    assert (await staff.get(f"/portal/o/{uuid.uuid4()}/")).status_code == 404


async def test_owners_never_see_the_console_the_terms_admin_or_another_organisation(
    app: FastAPI, two_orgs: TwoOrgs, session: AsyncSession
) -> None:
    version = await published(session)
    # A plain member has no portal at all (no login code is sent), so no console either.
    member_phone = mobile_number()
    await make_member(session, two_orgs.org_a, member_phone, role=Role.member)
    member = new_client(app)
    assert (await request_code(member, member_phone)).status_code == 303
    assert await last_code(session, member_phone) is None
    org = two_orgs.org_a.id
    pages = [
        "/portal/operator/",
        "/portal/operator/?q=Alfa",
        f"/portal/operator/orgs/{org}",
        "/portal/operator/terms",
        "/portal/operator/terms/new",
        f"/portal/operator/terms/{version.id}",
        f"/portal/operator/terms/{version.id}/edit",
    ]
    posts = [
        "/portal/operator/terms/new",
        f"/portal/operator/terms/{version.id}/edit",
        f"/portal/operator/terms/{version.id}/publish",
        f"/portal/operator/orgs/{org}/terms/{version.id}/extend",
    ]
    for client in (two_orgs.admin_a.client, two_orgs.finance_a.client, two_orgs.admin_b.client):
        for url in pages:
            assert (await client.get(url)).status_code == 404, url
        own = org if client is not two_orgs.admin_b.client else two_orgs.org_b.id
        token = csrf_of((await client.get(f"/portal/o/{own}/terms")).text)
        for url in posts:
            answer = await client.post(
                url, data={"confirm": "1", "accept_by": "2030-01-01", "reason": "x", "csrf_token": token}
            )
            assert answer.status_code in (403, 404), url
    # The outsider cannot reach A's terms page or accept for A.
    b = two_orgs.admin_b.client
    assert (await b.get(f"/portal/o/{org}/terms")).status_code == 404
    b_token = csrf_of((await b.get(f"/portal/o/{two_orgs.org_b.id}/terms")).text)
    answer = await b.post(
        f"/portal/o/{org}/terms/accept", data={"version_id": str(version.id), "confirm": "1", "csrf_token": b_token}
    )
    assert answer.status_code == 404
    assert await _count(session, TermsAcceptance) == 0
    await member.aclose()
    page = await two_orgs.admin_b.client.get(f"/portal/o/{two_orgs.org_b.id}/terms")
    assert "Alfa Borettslag" not in page.text
    assert re.search(r"Beta AS", page.text)


STAFF_VIEW_PAGES = (
    "/",
    "/sites",
    "/chargers",
    "/users",
    "/groups",
    "/rfid",
    "/prices",
    "/sessions",
    "/reports",
    "/invoicing",
    "/settings",
    "/payments",
)


async def test_staff_view_every_main_page_of_an_organisation(
    two_orgs: TwoOrgs, staff: httpx.AsyncClient, session: AsyncSession
) -> None:
    site = await make_site(session, two_orgs.org_a)
    await make_charger(session, site)
    base = f"/portal/o/{two_orgs.org_a.id}"
    for path in STAFF_VIEW_PAGES:
        page = await staff.get(base + path)
        assert page.status_code == 200, (path, page.status_code)
        assert 'data-testid="staff-view-banner"' in page.text, path
