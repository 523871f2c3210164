"""The operator area: the organisation list links to each organisation's overview (sites, chargers
online and offline, members, administrators), and staff create an organisation with its first
administrator in one step. Staff only: an organisation's own admin gets 404 on every page and post."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

import ladeportal
from ladeportal.chargers.models import ChargePoint
from ladeportal.db.base import utcnow
from ladeportal.errors import ValidationFailed
from ladeportal.jobs.models import OutboxTask
from ladeportal.members.models import Membership, MembershipState, Role, User
from ladeportal.members.services import make_operator, remove_member
from ladeportal.messaging.sealing import unseal
from ladeportal.orgs.models import Organization
from ladeportal.orgs.services import OrganizationInput
from ladeportal.platform.onboarding import FirstAdmin, onboard_organization
from ladeportal.settings import get_settings
from tests.factories import ACTOR, make_charger, make_member, make_site, mobile_number, valid_no_org_number
from tests.portal.conftest import TwoOrgs, csrf_of, form_post, new_client, sign_in

NEW = "/portal/operator/orgs/new"
# A valid Swedish organisation number (Luhn check digit) and the same with a wrong last digit.
SE_NUMBER, SE_WRONG = "5560360793", "5560360794"


@pytest.fixture
async def staff(app: FastAPI, session: AsyncSession) -> AsyncIterator[httpx.AsyncClient]:
    phone = mobile_number()
    await make_operator(session, ACTOR, phone, "Ola Operatør")
    async with new_client(app) as c:
        assert (await sign_in(c, session, phone)).status_code == 303
        yield c


async def _count(session: AsyncSession, model: type) -> int:
    await session.commit()  # a fresh read of what the app committed
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _sms_to(session: AsyncSession, phone: str) -> list[str]:
    await session.commit()
    payloads = (await session.scalars(select(OutboxTask.payload).where(OutboxTask.kind == "sms.send"))).all()
    secret = get_settings().secret_key.get_secret_value()
    texts = []
    for sealed in payloads:
        payload = sealed if "to" in sealed else unseal(secret, sealed)
        if payload["to"] == phone:
            texts.append(payload["text"])
    return texts


def _form(**changes: str) -> dict[str, str]:
    return {
        "legal_name": "Fjellsiden Borettslag",
        "org_number": valid_no_org_number(),
        "country": "NO",
        "kind": "housing_cooperative",
        "admin_name": "Kari Styreleder",
        "admin_phone": mobile_number(),
        **changes,
    }


async def test_the_list_links_each_organisation_to_its_overview(
    staff: httpx.AsyncClient, two_orgs: TwoOrgs, session: AsyncSession
) -> None:
    site = await make_site(session, two_orgs.org_a, name="Garasje Nord", city="Bergen")
    online, offline = await make_charger(session, site), await make_charger(session, site)
    await make_charger(session, site, active=False)
    await session.execute(
        update(ChargePoint).where(ChargePoint.id == online.charge_point.id).values(last_seen_at=utcnow())
    )
    await session.execute(
        update(ChargePoint)
        .where(ChargePoint.id == offline.charge_point.id)
        .values(last_seen_at=utcnow() - timedelta(hours=2))
    )
    await make_member(session, two_orgs.org_a, name="Per Beboer")
    moved_out = await make_member(session, two_orgs.org_a, name="Flyttet Ut")
    await remove_member(session, ACTOR, two_orgs.org_a.id, moved_out.id)

    listing = await staff.get("/portal/operator/")
    detail_url = f"/portal/operator/orgs/{two_orgs.org_a.id}"
    for org in (two_orgs.org_a, two_orgs.org_b):
        assert f'href="/portal/operator/orgs/{org.id}"' in listing.text
    assert 'href="/portal/operator/orgs/new"' in listing.text
    # The console's row: one charger online, one offline (the one not yet activated is neither);
    # three current members.
    row = re.search(rf'orgs/{two_orgs.org_a.id}".*?</tr>', listing.text, re.S)
    assert row, listing.text
    cells = dict(re.findall(r'data-testid="(online|offline|members)">(\d+)<', row.group(0)))
    assert cells == {"online": "1", "offline": "1", "members": "3"}, row.group(0)

    page = await staff.get(detail_url)
    assert page.status_code == 200
    assert "Alfa Borettslag" in page.text and "Garasje Nord" in page.text and "Beta AS" not in page.text
    assert 'data-testid="online-count">1<' in page.text and 'data-testid="offline-count">1<' in page.text
    # The admin and the finance user of A from the fixture, plus the resident added above.
    assert 'data-testid="members-count">3<' in page.text
    assert page.text.count('data-testid="admin-row"') == 1
    assert "Ladere tilkoblet" in page.text and "Administratorer" in page.text  # Norwegian, the staff's language
    # Staff are not members of the organisation: its portal is offered read-only (terms tests cover it).
    assert f'href="/portal/o/{two_orgs.org_a.id}/" data-testid="staff-view"' in page.text

    assert (await staff.get("/portal/operator/orgs/00000000-0000-0000-0000-000000000000")).status_code == 404


async def test_an_org_admin_who_is_not_staff_gets_404_everywhere(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    c = two_orgs.admin_a.client
    for url in (
        "/portal/operator/",
        NEW,
        f"/portal/operator/orgs/{two_orgs.org_a.id}",
        f"/portal/operator/orgs/{two_orgs.org_b.id}",
    ):
        assert (await c.get(url)).status_code == 404, url
    token = csrf_of((await c.get(f"/portal/o/{two_orgs.org_a.id}/")).text)
    refused = await c.post(NEW, data={**_form(), "csrf_token": token})
    assert refused.status_code == 404
    assert await _count(session, Organization) == 2


async def test_staff_create_an_organisation_and_its_first_admin_is_invited(
    staff: httpx.AsyncClient, session: AsyncSession
) -> None:
    form = _form(legal_name="Fjellsiden Borettslag", admin_phone="912 34 567")
    response = await form_post(staff, NEW, NEW, form)
    assert response.status_code == 303, response.text
    await session.commit()
    org = await session.scalar(select(Organization).where(Organization.legal_name == "Fjellsiden Borettslag"))
    assert org is not None and org.org_number == form["org_number"] and org.country == "NO"
    assert response.headers["location"] == f"/portal/operator/orgs/{org.id}"
    admin = await session.scalar(
        select(Membership).join(User).where(Membership.organization_id == org.id, User.phone == "+4791234567")
    )
    assert admin is not None and admin.role == Role.org_admin and admin.name == "Kari Styreleder"
    assert admin.state == MembershipState.invited and admin.invite_sent_at is not None
    [sms] = await _sms_to(session, "+4791234567")
    assert "Fjellsiden Borettslag" in sms and "/portal/login" in sms  # an admin's invitation links to the portal

    page = await staff.get(response.headers["location"])
    assert "Organisasjonen er opprettet, og administratoren er invitert på SMS." in page.text
    assert "Kari Styreleder" in page.text and "Invitert" in page.text


async def test_a_swedish_organisation_gets_its_number_in_the_usual_form(
    staff: httpx.AsyncClient, session: AsyncSession
) -> None:
    response = await form_post(
        staff,
        NEW,
        NEW,
        _form(
            legal_name="Bostadsrättsföreningen Ekbacken",
            country="SE",
            org_number=SE_NUMBER,
            admin_phone="+46 70 123 45 67",
        ),
    )
    assert response.status_code == 303, response.text
    await session.commit()
    org = await session.scalar(select(Organization).where(Organization.country == "SE"))
    assert org is not None and org.org_number == "556036-0793" and org.currency == "SEK"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"legal_name": ""}, "legal_name", "Skriv organisasjonens juridiske navn"),
        ({"org_number": "12345"}, "org_number", "et norsk har 9 sifre, et svensk 10"),
        ({"org_number": "123456789"}, "org_number", "det siste sifferet er et kontrollsiffer"),
        ({"country": "SE", "org_number": SE_WRONG}, "org_number", "et norsk har 9 sifre, et svensk 10"),
        ({"country": "DK"}, "country", "Velg Norge eller Sverige."),
        ({"kind": "castle"}, "kind", "Velg en type fra listen."),
        ({"admin_phone": ""}, "admin_phone", "Skriv administratorens mobilnummer"),
        ({"admin_phone": "22 33 44 55"}, "admin_phone", "Skriv administratorens mobilnummer"),  # a landline
        ({"admin_name": " "}, "admin_name", "Skriv administratorens navn"),
    ],
)
async def test_bad_input_is_shown_next_to_its_field_and_creates_nothing(
    staff: httpx.AsyncClient, session: AsyncSession, changes: dict[str, str], field: str, message: str
) -> None:
    response = await form_post(staff, NEW, NEW, _form(**changes))
    assert response.status_code == 422
    assert f'id="e-{field}"' in response.text and message in response.text
    assert 'aria-invalid="true"' in response.text
    # What was typed stays in the form.
    assert "Kari Styreleder" in response.text or field == "admin_name"
    assert await _count(session, Organization) == 0
    assert await _count(session, Membership) == 0
    assert await _count(session, OutboxTask) == 1  # the staff member's login code; no invitation


async def test_a_taken_number_is_refused_and_sends_no_invitation(
    staff: httpx.AsyncClient, two_orgs: TwoOrgs, session: AsyncSession
) -> None:
    phone = mobile_number()
    response = await form_post(staff, NEW, NEW, _form(org_number=two_orgs.org_a.org_number, admin_phone=phone))
    assert response.status_code == 422
    assert 'id="e-org_number"' in response.text
    assert "En organisasjon med dette nummeret finnes allerede på plattformen." in response.text
    assert await _count(session, Organization) == 2
    assert await _sms_to(session, phone) == []


async def test_the_form_needs_its_csrf_token(staff: httpx.AsyncClient, session: AsyncSession) -> None:
    await staff.get(NEW)
    response = await staff.post(NEW, data=_form())
    assert response.status_code == 403
    assert await _count(session, Organization) == 0


async def test_onboarding_is_one_transaction(session: AsyncSession) -> None:
    """A refused administrator leaves no organisation behind (and no default group, no audit row)."""
    org = OrganizationInput(legal_name="Nytt Borettslag", org_number=valid_no_org_number())
    with pytest.raises(ValidationFailed) as refused:
        await onboard_organization(session, ACTOR, org, FirstAdmin(phone="not a number", name="Kari"))
    assert refused.value.field == "phone"
    assert await _count(session, Organization) == 0 and await _count(session, User) == 0
    done = await onboard_organization(session, ACTOR, org, FirstAdmin(phone=mobile_number(), name="Kari"))
    assert done.admin.organization_id == done.organization.id and done.admin.role == Role.org_admin


def test_every_text_of_the_operator_area_has_a_norwegian_translation() -> None:
    src = Path(ladeportal.__file__).resolve().parent
    with (src / "i18n" / "locales" / "nb" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="nb")
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    sources: list[tuple[Path, str, dict[str, str]]] = [(src / "web" / "portal" / "pages" / "operator.py", "python", {})]
    sources += [
        (path, "jinja2", {"extensions": "jinja2.ext.i18n"})
        for path in sorted((src / "web" / "templates" / "portal" / "operator").glob("*.html"))
    ]
    found: set[str] = set()
    for path, method, options in sources:
        for _line, message, _comments, _context in extract_from_file(
            method, str(path), keywords=keywords, options=options
        ):
            found.add(message[0] if isinstance(message, tuple) else message)
    assert "First administrator" in found and "Choose Norway or Sweden." in found
    entries = {msgid: catalog.get(msgid) for msgid in found}
    untranslated = sorted(msgid for msgid, entry in entries.items() if entry is None or not entry.string)
    assert untranslated == []
