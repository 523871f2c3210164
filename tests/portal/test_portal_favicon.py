"""The portal's icon: an SVG in the portal's static files, linked from every page (signed in or not)
and served as image/svg+xml, so browsers show it in the tab and bookmarks."""

from __future__ import annotations

import re

import httpx

from tests.portal.conftest import TwoOrgs

ICON_LINK = re.compile(r'<link rel="icon" type="image/svg\+xml" href="([^"]+)">')


async def test_every_page_links_the_svg_icon_and_it_is_served_as_svg(
    client: httpx.AsyncClient, two_orgs: TwoOrgs
) -> None:
    login = await client.get("/portal/login")
    dashboard = await two_orgs.admin_a.client.get(f"/portal/o/{two_orgs.org_a.id}/")
    hrefs = set()
    for page in (login, dashboard):
        found = ICON_LINK.search(page.text)
        assert found, page.text[:500]
        hrefs.add(found.group(1))
    [href] = hrefs
    assert href.startswith("/static/portal/favicon.svg")
    icon = await client.get(href)
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.text.lstrip().startswith("<svg") and 'viewBox="0 0 32 32"' in icon.text
