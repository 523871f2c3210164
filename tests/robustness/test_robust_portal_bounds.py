"""The portal's forms and query parameters refuse out-of-range values next to the field (422), and a
damaged spreadsheet on the import page is a message there, never a 500."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.members.models import User
from ladeportal.orgs.models import Site
from ladeportal.pricing.models import PricePlan
from tests.factories import make_member
from tests.portal.conftest import TwoOrgs, csrf_of, form_post
from tests.robustness.spreadsheets import SHEET, replace_in, rewrite, xlsx


def _field_error(html: str, field: str) -> str:
    match = re.search(rf'id="e-{re.escape(field)}">([^<]+)<', html)
    assert match, f"no error shown next to {field}"
    return match.group(1)


async def test_a_tag_expiry_in_year_9999_is_refused_next_to_the_field(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    org = two_orgs.org_a
    c, new = two_orgs.admin_a.client, f"/portal/o/{org.id}/rfid/new"
    member = await make_member(session, org, name="Kari")
    phone = await session.scalar(select(User.phone).where(User.id == member.user_id))
    response = await form_post(
        c, new, new, {"uid": "04A1B2C3", "owner": "member", "member": phone, "expires_on": "9999-12-31"}
    )
    assert response.status_code == 422
    assert _field_error(response.text, "expires_on")


async def test_text_longer_than_its_column_is_refused_next_to_the_field(
    two_orgs: TwoOrgs, session: AsyncSession
) -> None:
    org = two_orgs.org_a
    c, new = two_orgs.admin_a.client, f"/portal/o/{org.id}/sites/new"
    response = await form_post(c, new, new, {"name": "Garasje", "price_area": "NO1", "street": "Storgata " * 30})
    assert response.status_code == 422
    assert "200" in _field_error(response.text, "street")
    assert await session.scalar(select(Site.id).where(Site.organization_id == org.id, Site.name == "Garasje")) is None


async def test_a_price_beyond_any_tariff_is_refused_and_the_prices_page_still_shows(
    two_orgs: TwoOrgs, session: AsyncSession
) -> None:
    org = two_orgs.org_a
    c, base = two_orgs.admin_a.client, f"/portal/o/{org.id}/prices"
    form = {
        "name": "Dyr",
        "energy_type": "fixed",
        "price_per_kwh": "100000000",
        "prices_include_vat": "incl",
        "spot_factor": "1",
    }
    response = await form_post(c, f"{base}/new", f"{base}/new", form)
    assert response.status_code == 422
    assert _field_error(response.text, "price_per_kwh")
    assert await session.scalar(select(PricePlan.id).where(PricePlan.organization_id == org.id)) is None
    assert (await c.get(base)).status_code == 200


async def test_a_page_number_beyond_the_last_page_shows_a_page(two_orgs: TwoOrgs) -> None:
    c, base = two_orgs.admin_a.client, f"/portal/o/{two_orgs.org_a.id}"
    for path in ("users", "rfid"):
        for page in ("99999999999999999999999", "-5", "9" * 5000):
            assert (await c.get(f"{base}/{path}", params={"page": page})).status_code == 200, (path, page[:30])


async def test_a_damaged_workbook_on_the_import_page_is_a_message_there(two_orgs: TwoOrgs) -> None:
    c, base = two_orgs.admin_a.client, f"/portal/o/{two_orgs.org_a.id}"
    broken = rewrite(
        xlsx([["Mobil", "RFID"], ["91234567", "04A1B2C3"]]), replace_in(SHEET, b"</sheetData>", b"<row><c></sheetData>")
    )
    for area in ("users", "rfid"):
        page = await c.get(f"{base}/{area}/import")
        response = await c.post(
            f"{base}/{area}/import",
            data={"csrf_token": csrf_of(page.text)},
            files={"file": ("members.xlsx", broken, "application/octet-stream")},
        )
        assert response.status_code == 422, (area, response.status_code)
        assert "XLSX" in _field_error(response.text, "file")
