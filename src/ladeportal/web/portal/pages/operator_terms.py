"""Staff write terms versions, publish them and see who accepted them (/portal/operator/terms).
Staff only (`OperatorPage`): anyone else gets 404."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from starlette.responses import Response

from ladeportal.errors import Conflict, NotFound, ValidationFailed
from ladeportal.i18n import N_, gettext
from ladeportal.terms.models import AfterDeadline, TermsKind
from ladeportal.terms.staff_listing import acceptances, versions_with_counts
from ladeportal.terms.versions import TermsInput, create_draft, get_version, publish, update_draft
from ladeportal.web.deps import SessionDep
from ladeportal.web.portal.access import OperatorPage
from ladeportal.web.portal.flash import redirect
from ladeportal.web.portal.forms import field_errors, form_values
from ladeportal.web.portal.templating import render

router = APIRouter()
BASE = "/portal/operator/terms"
PAGE_SIZE = 50
KIND_LABELS = {TermsKind.service: N_("Terms of service"), TermsKind.dpa: N_("Data processing agreement")}
AFTER_LABELS = {
    AfterDeadline.remind: N_("Reminders only"),
    AfterDeadline.read_only: N_("The organisation's portal becomes read-only (charging goes on)"),
}
FIELDS = (
    "kind",
    "label",
    "title_nb",
    "title_en",
    "body_nb",
    "body_en",
    "party_name",
    "party_org_number",
    "effective_on",
    "accept_by",
    "after_deadline",
)


def _input(values: dict[str, str]) -> TermsInput:
    return TermsInput(**{field: values.get(field, "") for field in FIELDS})


def _form(
    request: Request, values: dict[str, str], errors: dict[str, str], version_id: uuid.UUID | None, status: int = 200
) -> Response:
    return render(
        request,
        "portal/operator/terms_form.html",
        {"values": values, "errors": errors, "version_id": version_id, "kinds": KIND_LABELS, "afters": AFTER_LABELS},
        status_code=status,
    )


@router.get(BASE)
async def versions(request: Request, viewer: OperatorPage, session: SessionDep) -> Response:
    rows, counts, orgs = await versions_with_counts(session)
    return render(
        request,
        "portal/operator/terms_list.html",
        {"versions": rows, "counts": counts, "orgs": orgs, "kinds": KIND_LABELS},
    )


@router.get(BASE + "/new")
async def new_form(request: Request, viewer: OperatorPage) -> Response:
    return _form(request, {"kind": "service", "after_deadline": "remind"}, {}, None)


@router.post(BASE + "/new")
async def create(request: Request, viewer: OperatorPage, session: SessionDep) -> Response:
    values = await form_values(request)
    try:
        version = await create_draft(session, viewer.actor, _input(values))
    except (ValidationFailed, Conflict) as exc:
        return _form(request, values, field_errors(exc), None, 422)
    return redirect(request, f"{BASE}/{version.id}", gettext("The draft is saved."))


@router.get(BASE + "/{version_id}")
async def version_page(
    request: Request, version_id: uuid.UUID, viewer: OperatorPage, session: SessionDep, page: int = 1
) -> Response:
    version = await get_version(session, version_id)
    page = max(1, min(page, 10_000))
    rows, total = await acceptances(session, version_id, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    return render(
        request,
        "portal/operator/terms_version.html",
        {
            "v": version,
            "rows": rows,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "kinds": KIND_LABELS,
            "afters": AFTER_LABELS,
        },
    )


@router.get(BASE + "/{version_id}/edit")
async def edit_form(request: Request, version_id: uuid.UUID, viewer: OperatorPage, session: SessionDep) -> Response:
    version = await get_version(session, version_id)
    if version.published_at is not None:
        return redirect(request, f"{BASE}/{version_id}", gettext("A published version cannot be changed."), "warning")
    values = {
        field: str(getattr(version, field).value if field in ("kind", "after_deadline") else getattr(version, field))
        for field in FIELDS
    }
    return _form(request, values, {}, version_id)


@router.post(BASE + "/{version_id}/edit")
async def edit(request: Request, version_id: uuid.UUID, viewer: OperatorPage, session: SessionDep) -> Response:
    values = await form_values(request)
    try:
        await update_draft(session, viewer.actor, version_id, _input(values))
    except (ValidationFailed, Conflict) as exc:
        if exc.code == "terms.published":
            return redirect(
                request, f"{BASE}/{version_id}", gettext("A published version cannot be changed."), "warning"
            )
        return _form(request, values, field_errors(exc), version_id, 422)
    return redirect(request, f"{BASE}/{version_id}", gettext("The draft is saved."))


@router.post(BASE + "/{version_id}/publish")
async def publish_version(
    request: Request, version_id: uuid.UUID, viewer: OperatorPage, session: SessionDep
) -> Response:
    values = await form_values(request)
    if values.get("confirm") != "1":
        return redirect(
            request, f"{BASE}/{version_id}", gettext("Confirm that the version is final before publishing."), "warning"
        )
    try:
        await publish(session, viewer.actor, version_id)
    except (ValidationFailed, Conflict) as exc:
        return redirect(request, f"{BASE}/{version_id}", field_errors(exc).popitem()[1], "danger")
    except NotFound:
        raise
    return redirect(
        request,
        f"{BASE}/{version_id}",
        gettext("Published. Administrators see the terms at their next page and get an e-mail."),
    )
