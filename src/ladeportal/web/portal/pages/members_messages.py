"""The member area's errors, shown in the reader's language.

Errors with values in them carry a code and are translated by it (web/portal/error_texts.py); the
fixed sentences below are listed so that they are in the catalogue and shown translated.
"""

from __future__ import annotations

from ladeportal.errors import DomainError
from ladeportal.i18n import N_, gettext
from ladeportal.members.import_plan import RowResult
from ladeportal.web.portal.error_texts import coded_text, error_text
from ladeportal.web.portal.forms import GENERAL

# Fixed sentences of the members domain, listed so that they are in the catalogue.
FIXED = (
    N_("The member is blocked; unblock them before sending an invitation."),
    N_("The member has already logged in."),
    N_("Choose SMS, e-mail or both."),
    N_("The invitation cannot go by e-mail: the member has no e-mail address or e-mail is off."),
    N_("The member is not blocked."),
    N_("The group name is required."),
    N_("The group name is at most 80 characters."),
    N_("The description is at most 500 characters."),
    N_("The default group cannot be deleted; members without a group belong to it."),
    N_("One or more sites do not exist in this organisation."),
    N_("One or more chargers do not exist in this organisation."),
    N_("One or more members do not exist in this organisation."),
    N_("The RFID UID is required."),
    N_("A tag belongs to a member, or is a visitor key of a group."),
    N_("A member's tag follows the member's group; give a member or a group."),
    N_("The label is at most 80 characters."),
    N_("Give either a member's mobile number or a group (for a visitor key)."),
    N_("The name is longer than 200 characters."),
    N_("The parking spot is longer than 40 characters."),
    N_("more values than columns in the header"),
    N_("The file is larger than 20 MB."),
    N_("The file is empty."),
    N_("Save the sheet as CSV or XLSX (Excel workbook) and upload it again."),
    N_("The file has no header row."),
    N_("This is not a text (CSV) file; upload CSV or XLSX."),
    N_("The file is not a valid XLSX workbook."),
    N_("Members changed while the file was imported; run the import again."),
    N_("Tags changed while the file was imported; run the import again."),
    N_("No such member."),
    N_("No such group."),
    N_("No such tag."),
    N_("The organisation needs at least one administrator: make someone else an administrator first."),
)


def errors_of(exc: DomainError, rename: dict[str, str] | None = None) -> dict[str, str]:
    """{form field: translated message}, like forms.field_errors, with the domain's field names
    mapped onto the form's where they differ (the form asks for a member's number, the domain
    reports membership_id)."""
    field = exc.field or GENERAL
    return {(rename or {}).get(field, field): text_of(exc)}


def text_of(exc: DomainError) -> str:
    return error_text(exc)


def row_text(row: RowResult) -> str:
    """An import report row's problem in the reader's language."""
    return coded_text(row.code, row.params) or gettext(row.message)
