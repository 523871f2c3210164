"""The pricing area's error messages, shown in the reader's language.

Problems that carry a code (amounts: web/portal/error_texts.py) are translated by it. The others are
still English sentences with values in them, recognised here by their shape and rebuilt from a
translated template; one that is not recognised (the domain's wording changed) is shown as it is
rather than not at all. tests/portal/test_portal_prices.py pins the
common ones in bokmål.
"""

from __future__ import annotations

import re
from datetime import datetime

from ladeportal.errors import DomainError
from ladeportal.i18n import N_, gettext
from ladeportal.i18n.formatting import local_datetime
from ladeportal.pricing.validation import PlanProblem
from ladeportal.web.portal.error_texts import coded_text, error_text

# Day abbreviations as pricing.validation writes them in "no band covers Mon 06:00-07:00".
_DAYS = {
    "Mon": N_("Mon"),
    "Tue": N_("Tue"),
    "Wed": N_("Wed"),
    "Thu": N_("Thu"),
    "Fri": N_("Fri"),
    "Sat": N_("Sat"),
    "Sun": N_("Sun"),
}
_DAY_WORD = re.compile(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun)\b")
_ISO = r"\d{4}-\d\d-\d\dT[\d:.]+(?:[+-]\d\d:\d\d|Z)"

_PATTERNS: tuple[tuple[str, str], ...] = (
    (
        r"floor (?P<value>\S+) is above the ceiling (?P<other>\S+)",
        N_("The floor %(value)s is above the ceiling %(other)s."),
    ),
    (r"unknown price area .+", N_("Choose a price area.")),
    (r"must be whole minutes, 0 or more, got .+", N_("Give whole minutes, 0 or more.")),
    (r"must be a whole number, got .+", N_("Give a whole number.")),
    (r"must be a non-empty set of weekdays .+", N_("Tick at least one day.")),
    (r"must be a local time like .+", N_("Give a time like 06:00.")),
    (r"start and end must be whole minutes .+", N_("Give a time like 06:00.")),
    (r"must be a non-empty set of hours from 0 to 23", N_("Give hours like 08-22.")),
    (r"add at least one band", N_("Add at least one band.")),
    (
        r"no band covers (?P<value>.+); bands must cover the whole week",
        N_("No band covers %(value)s; the bands must cover the whole week."),
    ),
    (
        r"bands (?P<other>[\d and]+) overlap on (?P<value>.+); each minute needs exactly one band",
        N_("Bands %(other)s overlap on %(value)s; each minute needs exactly one band."),
    ),
    (r"A price plan named '(?P<value>.+)' already exists\.", N_("A price plan named %(value)s already exists.")),
    (r"The name is longer than (?P<value>\d+) characters\.", N_("At most %(value)s characters.")),
    (
        rf"Another version already takes effect at (?P<when>{_ISO})\.",
        N_("Another version already takes effect at %(when)s."),
    ),
    (
        rf"(?P<value>\d+) finished session\(s\) that started at or after (?P<at>{_ISO}) are already priced with "
        rf"this plan \(the latest started (?P<when>{_ISO})\); .+",
        N_(
            "%(value)s finished session(s) are already priced with this plan from then on (the latest started "
            "%(when)s). Past sessions never change: choose a moment after that."
        ),
    ),
    (
        r"The plan is still assigned (?P<value>\d+) time\(s\); assign another plan first\.",
        N_("The plan is still used %(value)s time(s); give those groups and sites another plan first."),
    ),
    (
        r"(?P<value>\d+) session\(s\) were priced with this version; it cannot be withdrawn\.",
        N_("%(value)s session(s) were priced with this version; it cannot be withdrawn."),
    ),
    (
        rf"No version of this plan is in force at (?P<when>{_ISO}); pick a later start or a version\.",
        N_("The plan has no prices yet at %(when)s; pick a later start."),
    ),
)
_COMPILED = tuple((re.compile(pattern), template) for pattern, template in _PATTERNS)

# Fixed sentences of the pricing domain, listed so that they are in the catalogue.
FIXED = (
    N_("The plan needs a name."),
    N_("The plan is archived; create a new plan instead."),
    N_("The plan is archived."),
    N_("This version is already in force; add a new version to change the prices."),
    N_("The group has no plan there."),
    N_("There is no public plan there."),
    N_("No such price plan."),
    N_("No such version of this price plan."),
    N_("The session ends before it starts."),
    N_("A quote covers at most 31 days."),
    N_("Someone else changed this plan at the same moment; try again."),
)


def _local(iso: str, time_zone: str) -> str:
    return local_datetime(datetime.fromisoformat(iso), time_zone)


def _days(text: str) -> str:
    return _DAY_WORD.sub(lambda m: gettext(_DAYS[m.group(1)]), text)


def translate(message: str, time_zone: str) -> str:
    """`message` in the reader's language; moments in it are shown in `time_zone`."""
    for pattern, template in _COMPILED:
        match = pattern.fullmatch(message)
        if match:
            found = match.groupdict()
            values = {
                "value": _days(found.get("value") or "").strip("'"),
                "other": (found.get("other") or "").replace(" and ", ", "),
                "when": _local(found["when"], time_zone) if found.get("when") else "",
            }
            return gettext(template) % values
    return gettext(message)


def text_of(exc: DomainError, time_zone: str) -> str:
    return error_text(exc, lambda message: translate(message, time_zone))


def problem_text(problem: PlanProblem, time_zone: str) -> str:
    return coded_text(problem.code, problem.params) or translate(problem.message, time_zone)
