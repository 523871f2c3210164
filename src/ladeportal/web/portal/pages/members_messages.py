"""The member area's error messages, shown in the reader's language.

The members domain raises English sentences, many with a value in them ("'123' is not a valid phone
number."), which a catalogue lookup cannot match. Until the domain gives its errors codes, each
known sentence is recognised here by its shape and rebuilt from a translated template with the same
values; a sentence that is not recognised (the domain's wording changed) is shown as it is, in
English, rather than not at all. tests/portal/test_portal_members_pages.py pins the common ones.
"""

from __future__ import annotations

import re

from ladeportal.errors import DomainError
from ladeportal.i18n import N_, gettext
from ladeportal.web.portal.forms import GENERAL

_V = r"(?P<value>.+)"
_PATTERNS: tuple[tuple[str, str], ...] = (
    (rf"{_V} is not a phone number\.", N_("%(value)s is not a phone number.")),
    (rf"{_V} is not a valid phone number\.", N_("%(value)s is not a valid phone number.")),
    (
        rf"{_V} is not a mobile number; the login code is sent by SMS\.",
        N_("%(value)s is not a mobile number; the login code is sent by SMS."),
    ),
    (rf"{_V} is not an e-mail address\.", N_("%(value)s is not an e-mail address.")),
    (rf"{_V} is already a member of this organisation\.", N_("%(value)s is already a member of this organisation.")),
    (rf"{_V} is not a member of this organisation\.", N_("%(value)s is not a member of this organisation.")),
    (rf"{_V} is not a member; add the member first\.", N_("%(value)s is not a member; add the member first.")),
    (r"At most (?P<value>\d+) characters\.", N_("At most %(value)s characters.")),
    (
        r"An invitation was sent less than 10 minutes ago; try again in (?P<value>\d+) min\.",
        N_("An invitation was sent less than 10 minutes ago; try again in %(value)s min."),
    ),
    (rf"A group named {_V} already exists\.", N_("A group named %(value)s already exists.")),
    (
        rf"{_V} is not an RFID UID \(8-20 hexadecimal digits, e\.g\. 04A1B2C3\)\.",
        N_("%(value)s is not an RFID UID (8-20 hexadecimal digits, e.g. 04A1B2C3)."),
    ),
    (r"Tag (?P<value>\w+) is already registered\.", N_("Tag %(value)s is already registered.")),
    (
        r"Tag (?P<value>\w+) is registered to another organisation\.",
        N_("Tag %(value)s is registered to another organisation."),
    ),
    (r"Tag (?P<value>\w+) is also on line (?P<line>\d+)\.", N_("Tag %(value)s is also on line %(line)s.")),
    (r"The same number as line (?P<line>\d+)\.", N_("The same number as line %(line)s.")),
    (rf"No group named {_V}; create it first\.", N_("No group named %(value)s; create it first.")),
    (rf"No group named {_V}\.", N_("No group named %(value)s.")),
    (
        rf"{_V} is not a date \(use 2026-12-31 or 31\.12\.2026\)\.",
        N_("%(value)s is not a date (use 2026-12-31 or 31.12.2026)."),
    ),
    (
        r"(?P<value>\d+) row\(s\) have errors; fix them, or import the valid rows only\.",
        N_("%(value)s row(s) have errors; fix them, or import the valid rows only."),
    ),
    (
        r"Two columns mean the same thing \((?P<value>\w+)\): keep one of them\.",
        N_("Two columns mean the same thing (%(value)s): keep one of them."),
    ),
    (
        r"Missing column\(s\) (?P<value>[\w, ]+)\. Accepted headers: (?P<line>.+)\.",
        N_("Missing column(s) %(value)s. Accepted headers: %(line)s."),
    ),
    (
        r"The CSV file is malformed near line (?P<line>\d+): (?P<value>.+)\.",
        N_("The CSV file is malformed near line %(line)s: %(value)s."),
    ),
)
_COMPILED = tuple((re.compile(pattern), template) for pattern, template in _PATTERNS)

# Fixed sentences of the members domain, listed so that they are in the catalogue.
FIXED = (
    N_("The mobile number is required."),
    N_("The member is blocked; unblock them before sending an invitation."),
    N_("The member has already logged in."),
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


def translate(message: str) -> str:
    for pattern, template in _COMPILED:
        match = pattern.fullmatch(message)
        if match:
            values = match.groupdict()
            return gettext(template) % {"value": values.get("value", ""), "line": values.get("line", "")}
    return gettext(message)


def errors_of(exc: DomainError, rename: dict[str, str] | None = None) -> dict[str, str]:
    """{form field: translated message}, like forms.field_errors, with the domain's field names
    mapped onto the form's where they differ (the form asks for a member's number, the domain
    reports membership_id)."""
    field = exc.field or GENERAL
    return {(rename or {}).get(field, field): translate(exc.message)}
