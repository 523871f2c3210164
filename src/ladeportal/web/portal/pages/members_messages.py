"""The member area's errors, shown in the reader's language.

Every error the member pages show carries a code and is translated by it (web/portal/error_texts.py),
with the values its sentence needs; so are the problems of an import's rows.
"""

from __future__ import annotations

from ladeportal.errors import DomainError
from ladeportal.members.import_plan import RowResult
from ladeportal.web.portal.error_texts import coded_text, error_text, uncoded_text
from ladeportal.web.portal.forms import GENERAL


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
    return coded_text(row.code, row.params) or uncoded_text(row.message, row.code)
