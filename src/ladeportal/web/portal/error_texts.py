"""Domain errors in the reader's language, by their stable code.

A domain error that a page shows carries a code ("member.phone_invalid") and the values its sentence
needs; TEXTS holds the sentence for each code with named placeholders, translated by the catalogue
and filled with the values, amounts written the reader's way (100 000 in bokmål, 100,000 in
English), moments in the given time zone and spans of the week with the reader's day names. An
error without a known code is shown by its message, through the catalogue.
tests/portal/test_portal_error_texts.py checks that every code raised in src has a sentence here and
its bokmål translation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from ladeportal.errors import DomainError
from ladeportal.i18n import N_, gettext
from ladeportal.i18n.formatting import local_datetime, number
from ladeportal.pricing.validation import WeekSpan, describe_week_span

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
    "tag.group_missing": N_("No group named «%(group)s»."),
    "import.rows_have_errors": N_("%(count)s row(s) have errors; fix them, or import the valid rows only."),
    "import.duplicate_column": N_("Two columns mean the same thing (%(column)s): keep one of them."),
    "import.missing_columns": N_("Missing column(s) %(columns)s. Accepted headers: %(accepted)s."),
    "import.csv_malformed": N_("The CSV file is malformed near line %(line)s: %(problem)s."),
    "import.same_number": N_("The same number as line %(line)s."),
    "import.group_missing": N_("No group named «%(group)s»; create it first."),
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
    "price.area_unknown": N_("Choose a price area."),
    "price.floor_above_ceiling": N_("The floor %(floor)s is above the ceiling %(ceiling)s."),
    "price.grace_minutes_invalid": N_("Give whole minutes, 0 or more."),
    "price.grace_minutes_too_many": N_("At most %(limit)s minutes (a week)."),
    "price.whole_number_required": N_("Give a whole number."),
    "price.hours_invalid": N_("Give hours like 08-22."),
    "price.time_invalid": N_("Give a time like 06:00."),
    "price.weekdays_required": N_("Tick at least one day."),
    "price.bands_required": N_("Add at least one band."),
    "price.bands_too_many": N_("At most %(limit)s bands."),
    "price.bands_gap": N_("No band covers %(span)s; the bands must cover the whole week."),
    "price.bands_overlap": N_("Bands %(bands)s overlap on %(span)s; each minute needs exactly one band."),
    "plan.name_required": N_("The plan needs a name."),
    "plan.name_taken": N_("A price plan named %(name)s already exists."),
    "plan.not_found": N_("No such price plan."),
    "plan.version_not_found": N_("No such version of this price plan."),
    "plan.archived": N_("The plan is archived."),
    "plan.archived_new_version": N_("The plan is archived; create a new plan instead."),
    "plan.still_assigned": N_(
        "The plan is still used %(count)s time(s); give those groups and sites another plan first."
    ),
    "plan.version_in_force": N_("This version is already in force; add a new version to change the prices."),
    "plan.version_used": N_("%(count)s session(s) were priced with this version; it cannot be withdrawn."),
    "plan.version_moment_taken": N_("Another version already takes effect at %(when)s."),
    "plan.sessions_already_priced": N_(
        "%(count)s finished session(s) are already priced with this plan from then on (the latest started "
        "%(latest)s). Past sessions never change: choose a moment after that."
    ),
    "plan.changed_meanwhile": N_("Someone else changed this plan at the same moment; try again."),
    "assignment.group_none": N_("The group has no plan there."),
    "assignment.public_none": N_("There is no public plan there."),
    "quote.no_version_in_force": N_("The plan has no prices yet at %(when)s; pick a later start."),
    "quote.ends_before_start": N_("The session ends before it starts."),
    "quote.too_long": N_("A quote covers at most 31 days."),
}

# Day names from Monday, as a span of the week is written ("man 06:00-07:00").
DAY_NAMES = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
ACROSS_DAYS = N_("%(start)s to %(end)s")


def _shown(value: Any, time_zone: str) -> str:
    if isinstance(value, datetime):
        return local_datetime(value, time_zone)
    if isinstance(value, WeekSpan):
        days = tuple(gettext(day) for day in DAY_NAMES)
        return describe_week_span(value.start, value.end, days, gettext(ACROSS_DAYS))
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            return str(value)
        exponent = value.normalize().as_tuple().exponent
        digits = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        return number(value, digits=min(digits, 6))
    return number(value)


def coded_text(code: str | None, params: Mapping[str, Any], *, time_zone: str = "UTC") -> str | None:
    """The sentence for `code` in the reader's language, or None when the code has none; moments in
    `params` are shown in `time_zone`."""
    template = TEXTS.get(code) if code else None
    if template is None:
        return None
    return gettext(template) % {key: _shown(value, time_zone) for key, value in params.items()}


def error_text(exc: DomainError, fallback: Callable[[str], str] = gettext, *, time_zone: str = "UTC") -> str:
    """What a page shows for `exc`: by its code when known, else its message through `fallback`."""
    return coded_text(exc.code, exc.params, time_zone=time_zone) or fallback(exc.message)
