"""Removing a price assignment asks first and says what the group (or guests) pays afterwards at each
site it concerns, as `pricing.group_prices` computes it with the resolution that prices sessions.
Used by the group page and by the Prices assignments page."""

from __future__ import annotations

import uuid

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from ladeportal.i18n import gettext
from ladeportal.members.models import UserGroup
from ladeportal.orgs.models import Site
from ladeportal.pricing.group_prices import SitePrice, assigned_plan, prices_after_removal
from ladeportal.web.portal.access import OrgContext
from ladeportal.web.portal.flash import redirect
from ladeportal.web.portal.pages.prices_view import describe_locale
from ladeportal.web.portal.templating import render


def afterwards(after: list[SitePrice], group: UserGroup | None) -> list[str]:
    """One sentence per site: the plan that prices its sessions once the assignment is gone."""
    lines = []
    for price in after:
        values = {
            "who": group.name if group else "",
            "site": price.site.name if price.site else gettext("every site"),
            "plan": price.plan.name if price.plan else "",
            "price": price.description or "",
        }
        if price.resolved is None:
            template = (
                gettext(
                    "Afterwards %(who)s has no price at %(site)s: sessions are not priced and are flagged for review."
                )
                if group
                else gettext(
                    "Afterwards guests have no price at %(site)s: their sessions are not priced and "
                    "are flagged for review."
                )
            )
        elif group:
            template = gettext("Afterwards %(who)s pays by «%(plan)s» at %(site)s: %(price)s.")
        else:
            template = gettext("Afterwards guests pay by «%(plan)s» at %(site)s: %(price)s.")
        lines.append(template % values)
    return lines


async def confirm_removal(
    request: Request,
    here: OrgContext,
    session: AsyncSession,
    *,
    group: UserGroup | None,
    site: Site | None,
    action: str,
    back: str,
) -> Response:
    """The confirmation page, or back to `back` when there is nothing to remove (e.g. another tab did)."""
    plan = await assigned_plan(session, here.org.id, group.id if group else None, site.id if site else None)
    if plan is None:
        message = gettext("The group has no plan there.") if group else gettext("There is no public plan there.")
        return redirect(request, back, message, "warning")
    after = await prices_after_removal(
        session, here.org.id, group.id if group else None, site.id if site else None, locale=describe_locale()
    )
    return render(
        request,
        "portal/prices/remove.html",
        {
            "group": group,
            "site": site,
            "plan": plan,
            "lines": afterwards(after, group),
            "action": action,
            "back": back,
            "group_id": str(group.id) if group else "",
            "site_id": str(site.id) if site else "",
        },
    )


def optional_id(raw: str | None) -> uuid.UUID | None:
    """An id from a form or query; a malformed one is None here and 404 at the lookup that follows."""
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None
