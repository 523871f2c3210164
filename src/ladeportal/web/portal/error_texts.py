"""Domain errors in the reader's language, by their stable code.

A domain error that a page shows carries a code ("member.phone_invalid") and the values its sentence
needs; TEXTS holds the sentence for each code with named placeholders, translated by the catalogue
and filled with the values, amounts written the reader's way (100 000 in bokmål, 100,000 in
English). An error without a known code is shown by its message, through the catalogue.
tests/portal/test_portal_error_texts.py checks that every code raised in src has a sentence here and
its bokmål translation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from ladeportal.errors import DomainError
from ladeportal.i18n import N_, gettext
from ladeportal.i18n.formatting import number

TEXTS: dict[str, str] = {
    "login.code_wrong": N_("The code is wrong or has expired. Check the SMS or ask for a new code."),
    "login.number_held_back": N_("Too many codes were requested for this number. Wait a while and try again."),
    "login.network_held_back": N_("Too many codes were requested from your network. Wait a while and try again."),
    "member.phone_required": N_("The mobile number is required."),
    "member.phone_malformed": N_("%(phone)s is not a phone number."),
    "member.phone_invalid": N_("%(phone)s is not a valid phone number."),
    "member.phone_not_mobile": N_("%(phone)s is not a mobile number; the login code is sent by SMS."),
    "member.already_member": N_("%(phone)s is already a member of this organisation."),
    "member.not_member": N_("%(phone)s is not a member of this organisation."),
    "member.invite_too_soon": N_("An invitation was sent less than 10 minutes ago; try again in %(minutes)s min."),
    "email.invalid": N_("%(address)s is not an e-mail address."),
    "text.too_long": N_("At most %(limit)s characters."),
    "group.name_taken": N_("A group named %(name)s already exists."),
    "tag.uid_invalid": N_("%(uid)s is not an RFID UID (8-20 hexadecimal digits, e.g. 04A1B2C3)."),
    "tag.already_registered": N_("Tag %(uid)s is already registered."),
    "tag.registered_elsewhere": N_("Tag %(uid)s is registered to another organisation."),
    "tag.group_missing": N_("No group named %(group)s."),
    "import.rows_have_errors": N_("%(count)s row(s) have errors; fix them, or import the valid rows only."),
    "import.duplicate_column": N_("Two columns mean the same thing (%(column)s): keep one of them."),
    "import.missing_columns": N_("Missing column(s) %(columns)s. Accepted headers: %(accepted)s."),
    "import.csv_malformed": N_("The CSV file is malformed near line %(line)s: %(problem)s."),
    "import.same_number": N_("The same number as line %(line)s."),
    "import.group_missing": N_("No group named %(group)s; create it first."),
    "import.tag_repeated": N_("Tag %(uid)s is also on line %(line)s."),
    "import.not_a_member": N_("%(phone)s is not a member; add the member first."),
    "import.date_invalid": N_("%(value)s is not a date (use 2026-12-31 or 31.12.2026)."),
    "price.required": N_("Required."),
    "price.not_an_amount": N_("%(value)s is not an amount; write it like 2,50."),
    "price.amount_negative": N_("Must not be negative."),
    "price.amount_too_large": N_("%(amount)s is more than the highest amount allowed, %(maximum)s."),
    "price.amount_fraction": N_("At most two decimals (whole øre)."),
    "price.minimum_above_maximum": N_("The minimum %(minimum)s is above the maximum %(maximum)s."),
    "site.name_required": N_("The site name is required."),
    "site.name_too_long": N_("The site name is at most 120 characters."),
    "site.name_taken": N_("A site named %(name)s already exists."),
    "site.grid_limit_range": N_("The grid limit must be between 1 and 10000 A."),
    "site.grid_phases": N_("The grid connection has 1 or 3 phases."),
    "site.price_area_unknown": N_("%(area)s is not a price area; use one of %(areas)s."),
    "site.price_area_elsewhere": N_("Price area %(area)s is not in %(country)s."),
    "site.not_found": N_("No such site."),
}


def _shown(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            return str(value)
        exponent = value.normalize().as_tuple().exponent
        digits = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        return number(value, digits=min(digits, 6))
    return number(value)


def coded_text(code: str | None, params: Mapping[str, Any]) -> str | None:
    """The sentence for `code` in the reader's language, or None when the code has none."""
    template = TEXTS.get(code) if code else None
    if template is None:
        return None
    return gettext(template) % {key: _shown(value) for key, value in params.items()}


def error_text(exc: DomainError, fallback: Callable[[str], str] = gettext) -> str:
    """What a page shows for `exc`: by its code when known, else its message through `fallback`."""
    return coded_text(exc.code, exc.params) or fallback(exc.message)
