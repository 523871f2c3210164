"""The portal's navigation, built from sections that areas register.

A section appears only once its pages exist (no dead links): each page module registers its own
section when it is imported, e.g.

    register_section(NavSection("groups", N_("Groups"), "/groups", order=40,
                                roles=frozenset({Role.org_admin, Role.finance})))

`path` is relative to the organisation (/portal/o/<org id>); roles say who sees the link.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ladeportal.members.models import Role

STAFF = frozenset({Role.org_admin, Role.finance})
ADMIN = frozenset({Role.org_admin})


@dataclass(frozen=True)
class NavSection:
    key: str
    label: str  # an English msgid, marked with N_() and translated when rendered
    path: str
    order: int
    roles: frozenset[Role] = field(default=STAFF)
    # Optional icon name from the portal's small inline icon set (templates/portal/_icons.html).
    icon: str = "dot"


# The order the issue lists them in; sections take these slots when they register.
ORDER = {
    "dashboard": 10,
    "sites": 15,
    "chargers": 20,
    "users": 30,
    "groups": 40,
    "rfid": 50,
    "prices": 60,
    "sessions": 70,
    "reports": 80,
    "invoicing": 90,
    "payouts": 100,
    "subscription": 110,
    "settings": 120,
}

_SECTIONS: dict[str, NavSection] = {}


def register_section(section: NavSection) -> None:
    _SECTIONS[section.key] = section


def sections_for(role: Role) -> list[NavSection]:
    return sorted((s for s in _SECTIONS.values() if role in s.roles), key=lambda s: (s.order, s.key))


def registered_keys() -> list[str]:
    return sorted(_SECTIONS)
