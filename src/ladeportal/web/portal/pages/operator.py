"""The platform operator's area: an overview of each organisation (the list is the console,
operator_console.py), creating
an organisation with its first administrator (platform.onboarding), and anonymising a person (the
only place besides the staff CLI that may; members.persons refuses while anything keeps the person).

Staff only (`OperatorPage`): anyone else gets 404, as for a page that does not exist."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from starlette.responses import Response

from ladeportal.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from ladeportal.i18n import N_, gettext
from ladeportal.members.persons import anonymise_person, find_person
from ladeportal.orgs.models import OrgKind
from ladeportal.orgs.services import OrganizationInput
from ladeportal.platform.onboarding import FirstAdmin, onboard_organization
from ladeportal.web.deps import SessionDep
from ladeportal.web.portal.access import OperatorPage
from ladeportal.web.portal.error_texts import error_text
from ladeportal.web.portal.flash import redirect
from ladeportal.web.portal.forms import GENERAL, form_values
from ladeportal.web.portal.operator_model import organisation_overview
from ladeportal.web.portal.pages.operator_console import organisation_extras
from ladeportal.web.portal.security import settings_of
from ladeportal.web.portal.templating import render

router = APIRouter()

COUNTRIES = {"NO": N_("Norway"), "SE": N_("Sweden")}
KINDS = {
    OrgKind.housing_cooperative: N_("Housing cooperative"),
    OrgKind.company: N_("Company"),
    OrgKind.other: N_("Other"),
}
# What each field of the new-organisation form needs. The domain's sentences for these fields carry
# the values typed (numbers, limits), so the form explains the field instead of repeating them.
FIELD_HELP = {
    "legal_name": N_("Enter the organisation's legal name (at most 200 characters)."),
    "org_number": N_(
        "Check the organisation number: a Norwegian one has 9 digits, a Swedish one 10, "
        "and the last digit is a check digit."
    ),
    "country": N_("Choose Norway or Sweden."),
    "kind": N_("Choose a type from the list."),
    "admin_phone": N_("Enter the administrator's mobile number; the invitation is sent to it by SMS."),
    "admin_name": N_("Enter the administrator's name (at most 200 characters)."),
}
NUMBER_TAKEN = N_("An organisation with this number is already on the platform.")
# The member fields of the domain, as the form names them (the form also has the organisation's name).
ADMIN_FIELDS = {"phone": "admin_phone", "name": "admin_name"}


def onboarding_errors(exc: DomainError) -> dict[str, str]:
    field = ADMIN_FIELDS.get(exc.field or "", exc.field or GENERAL)
    if isinstance(exc, Conflict) and field == "org_number":
        return {field: gettext(NUMBER_TAKEN)}
    if field in FIELD_HELP:
        return {field: gettext(FIELD_HELP[field])}
    return {GENERAL: error_text(exc)}


def _new_org_form(request: Request, values: dict[str, str], errors: dict[str, str], status_code: int = 200) -> Response:
    return render(
        request,
        "portal/operator/new_organization.html",
        {"values": values, "errors": errors, "countries": COUNTRIES, "kinds": KINDS},
        status_code=status_code,
    )


@router.get("/portal/operator/orgs/new")
async def new_organisation_form(request: Request, viewer: OperatorPage) -> Response:
    return _new_org_form(request, {"country": "NO", "kind": OrgKind.housing_cooperative.value}, {})


@router.post("/portal/operator/orgs/new")
async def create_organisation(request: Request, viewer: OperatorPage, session: SessionDep) -> Response:
    values = await form_values(request)
    try:
        done = await onboard_organization(
            session,
            viewer.actor,
            OrganizationInput(
                legal_name=values.get("legal_name", ""),
                org_number=values.get("org_number", ""),
                country=values.get("country", ""),
                kind=values.get("kind", ""),
            ),
            FirstAdmin(phone=values.get("admin_phone", ""), name=values.get("admin_name", "")),
        )
    except (ValidationFailed, Conflict) as exc:
        return _new_org_form(request, values, onboarding_errors(exc), status_code=422)
    message = (
        N_("The organisation is created and its administrator is invited by SMS.")
        if done.admin.invite_sent_at is not None
        else N_("The organisation is created; the invitation SMS could not be sent now.")
    )
    return redirect(request, f"/portal/operator/orgs/{done.organization.id}", gettext(message))


@router.get("/portal/operator/orgs/{org_id}")
async def organisation(
    request: Request, org_id: uuid.UUID, viewer: OperatorPage, session: SessionDep, page: int = 1
) -> Response:
    overview = await organisation_overview(session, org_id, settings_of(request).ocpp_heartbeat_interval)
    member_of = any(org.id == org_id for org, _ in viewer.organizations)
    return render(
        request,
        "portal/operator/organization.html",
        {
            "o": overview,
            "countries": COUNTRIES,
            "kinds": KINDS,
            "member_of": member_of,
            **await organisation_extras(session, org_id, overview.org.time_zone, page),
        },
    )


@router.get("/portal/operator/anonymise")
async def anonymise_form(request: Request, viewer: OperatorPage) -> Response:
    return render(request, "portal/operator/anonymise.html", {"values": {}, "errors": {}})


@router.post("/portal/operator/anonymise")
async def anonymise(request: Request, viewer: OperatorPage, session: SessionDep) -> Response:
    values = await form_values(request)
    try:
        if values.get("confirm") != "1":
            raise ValidationFailed(
                N_("Confirm that this cannot be undone."), field="confirm", code="person.confirm_required"
            )
        person = await find_person(session, values.get("person", "").strip())
        await anonymise_person(session, viewer.actor, person.id)
    except (ValidationFailed, NotFound, Conflict, PermissionDenied) as exc:
        await session.rollback()
        # Staff see the domain's reasons as they are (which memberships, staff role, billing).
        errors = {"confirm" if exc.field == "confirm" else "person": error_text(exc)}
        return render(request, "portal/operator/anonymise.html", {"values": values, "errors": errors}, status_code=422)
    return redirect(request, "/portal/operator/anonymise", gettext("The person is anonymised."))
