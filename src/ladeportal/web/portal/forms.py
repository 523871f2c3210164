"""Form helpers for portal pages: reading fields, parsing numbers, and turning domain errors into
messages next to the field they concern.

Pattern for a form page:

    values = await form_values(request)
    try:
        await services.create_site(session, here.actor, here.org.id, SiteInput(...parse(values)...))
    except ValidationFailed as exc:   # or Conflict
        return render(request, "portal/sites/form.html", {"values": values, "errors": field_errors(exc)},
                      status_code=422)
    return redirect(request, f"{here.base}/sites", _("Site saved."))
"""

from __future__ import annotations

from fastapi import Request

from ladeportal.errors import DomainError, ValidationFailed
from ladeportal.web.portal.error_texts import error_text

GENERAL = "__all__"


async def form_values(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value.strip() for key, value in form.items() if isinstance(value, str)}


def field_errors(exc: DomainError) -> dict[str, str]:
    """{field: translated message}; errors without a field go under GENERAL. An error with a code is
    translated by it (error_texts.py); an error without a code is shown by its message."""
    return {exc.field or GENERAL: error_text(exc)}


def optional_int(raw: str | None, field: str, message: str, *, code: str) -> int | None:
    text = (raw or "").replace(" ", "").replace("\u00a0", "")
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise ValidationFailed(message, field=field, code=code) from None


def required_int(raw: str | None, field: str, message: str, *, code: str) -> int:
    value = optional_int(raw, field, message, code=code)
    if value is None:
        raise ValidationFailed(message, field=field, code=code)
    return value


def safe_next(raw: str | None, default: str = "/portal/") -> str:
    """Only paths inside the portal: an open redirect after sign-in would make phishing easy."""
    if raw and raw.startswith("/portal/") and not raw.startswith("//") and "\\" not in raw:
        return raw
    return default
