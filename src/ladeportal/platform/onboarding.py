"""Onboarding a customer: platform staff create an organisation together with its first administrator,
who is sent the portal invitation by SMS.

One transaction: an organisation that nobody can sign in to could only be run by staff, so a refused
administrator (a number that is not a mobile number) leaves no organisation behind, and a refused
organisation (a taken number) sends no SMS."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.engine import unit_of_work
from ladeportal.errors import ValidationFailed
from ladeportal.members.models import Membership, Role
from ladeportal.members.services import MemberInput, insert_member
from ladeportal.orgs.models import Organization
from ladeportal.orgs.services import OrganizationInput, insert_organization
from ladeportal.platform.audit import Actor


@dataclass(frozen=True)
class FirstAdmin:
    phone: str
    name: str


@dataclass(frozen=True)
class Onboarded:
    organization: Organization
    admin: Membership


async def onboard_organization(
    session: AsyncSession, actor: Actor, organization: OrganizationInput, admin: FirstAdmin
) -> Onboarded:
    # The name is what the organisation's member list and the audit trail show for its first admin.
    if not (admin.name or "").strip():
        raise ValidationFailed(
            "The administrator's name is required.", field="name", code="onboarding.admin_name_required"
        )
    async with unit_of_work(session):
        org = await insert_organization(session, actor, organization)
        membership = await insert_member(
            session, actor, org.id, MemberInput(phone=admin.phone, name=admin.name, role=Role.org_admin)
        )
    return Onboarded(org, membership)
