"""Who is looking at a portal page, and in which organisation with which role.

Every organisation page takes `org_id` from its path and one of the dependencies below; they load the
caller's membership in that organisation and answer 404 when there is none, it is blocked, or its
role is not allowed, so another tenant's ids look exactly like ids that do not exist. Objects inside
the organisation are then loaded only through services that filter by the organisation's id.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.auth.models import PortalSession
from ladeportal.auth.sessions import SessionPolicy, resolve_session
from ladeportal.members.models import Membership, MembershipState, Role, User
from ladeportal.orgs.models import Organization
from ladeportal.platform.audit import Actor
from ladeportal.platform.models import OperatorAccount
from ladeportal.platform.read_only import ReadOnly
from ladeportal.web.deps import SessionDep
from ladeportal.web.portal.nav import STAFF
from ladeportal.web.portal.org_guard import guard
from ladeportal.web.portal.security import session_token, settings_of

# Requests that the page makes by itself (live status polling) carry this header and do not count
# as activity for the idle timeout.
BACKGROUND_HEADER = "x-background"


class LoginRequired(Exception):
    """Raised for a page that needs a signed-in person; answered with a redirect to the login page."""


@dataclass(frozen=True)
class Viewer:
    user: User
    portal_session: PortalSession
    # Organisations where the person has a portal role, by name.
    organizations: list[tuple[Organization, Role]]
    is_operator: bool

    @property
    def actor(self) -> Actor:
        return Actor(label=f"user:{self.user.phone}", user_id=self.user.id, is_operator=self.is_operator)


@dataclass(frozen=True)
class OrgContext:
    viewer: Viewer
    org: Organization
    role: Role
    # Platform staff looking at an organisation they are not a member of (read only, audited).
    staff_view: bool = False
    # Why changes are refused on this page (platform.read_only), None when they are not.
    read_only: ReadOnly | None = None

    @property
    def actor(self) -> Actor:
        return self.viewer.actor

    @property
    def is_admin(self) -> bool:
        return self.role == Role.org_admin

    @property
    def base(self) -> str:
        return f"/portal/o/{self.org.id}"


def policy_of(request: Request) -> SessionPolicy:
    settings = settings_of(request)
    return SessionPolicy(
        idle=timedelta(minutes=settings.session_idle_minutes), absolute=timedelta(hours=settings.session_absolute_hours)
    )


async def load_viewer(request: Request, session: AsyncSession) -> Viewer | None:
    if hasattr(request.state, "viewer"):
        cached: Viewer | None = request.state.viewer
        return cached
    background = request.headers.get(BACKGROUND_HEADER) == "1"
    row = await resolve_session(session, session_token(request), policy_of(request), touch=not background)
    viewer = None
    if row is not None:
        user = await session.get(User, row.user_id)
        if user is not None and user.anonymised_at is None:
            memberships = (
                await session.execute(
                    select(Organization, Membership.role)
                    .join(Membership, Membership.organization_id == Organization.id)
                    .where(
                        Membership.user_id == user.id,
                        Membership.role.in_(STAFF),
                        Membership.removed_at.is_(None),
                        Membership.state != MembershipState.blocked,
                        Organization.archived_at.is_(None),
                    )
                    .order_by(Organization.legal_name)
                )
            ).all()
            operator = await session.scalar(
                select(OperatorAccount.id).where(OperatorAccount.user_id == user.id, OperatorAccount.active.is_(True))
            )
            viewer = Viewer(user, row, [(org, role) for org, role in memberships], operator is not None)
            # Detached, the viewer's objects keep their values when a failed domain operation rolls
            # the request's session back (which would expire them and break the error page).
            for obj in (row, user, *(org for org, _ in memberships)):
                session.expunge(obj)
    request.state.viewer = viewer
    return viewer


async def optional_viewer(request: Request, session: SessionDep) -> Viewer | None:
    return await load_viewer(request, session)


async def require_viewer(request: Request, session: SessionDep) -> Viewer:
    viewer = await load_viewer(request, session)
    if viewer is None:
        raise LoginRequired()
    return viewer


async def _staff_context(session: AsyncSession, viewer: Viewer, org_id: uuid.UUID) -> OrgContext | None:
    org = await session.scalar(
        select(Organization).where(Organization.id == org_id, Organization.archived_at.is_(None))
    )
    if org is None:
        return None
    session.expunge(org)
    return OrgContext(viewer, org, Role.org_admin, staff_view=True)


def org_page(*roles: Role, terms_page: bool = False) -> object:
    allowed = frozenset(roles)

    async def dependency(
        org_id: uuid.UUID,
        request: Request,
        viewer: Annotated[Viewer, Depends(require_viewer)],
        session: SessionDep,
    ) -> OrgContext:
        context = None
        memberships = {org.id: (org, role) for org, role in viewer.organizations}
        if org_id in memberships:
            org, role = memberships[org_id]
            if role in allowed:
                context = OrgContext(viewer, org, role)
        elif viewer.is_operator:
            context = await _staff_context(session, viewer, org_id)
        if context is None:
            raise HTTPException(status_code=404)
        request.state.org_context = context
        read_only = await guard(
            request,
            session,
            context.org,
            viewer.actor,
            is_admin=context.is_admin,
            staff_view=context.staff_view,
            terms_page=terms_page,
        )
        if read_only is not None:
            context = replace(context, read_only=read_only)
            request.state.org_context = context
        return context

    return dependency


async def require_operator(viewer: Annotated[Viewer, Depends(require_viewer)]) -> Viewer:
    if not viewer.is_operator:
        raise HTTPException(status_code=404)
    return viewer


OptionalViewer = Annotated[Viewer | None, Depends(optional_viewer)]
SignedInViewer = Annotated[Viewer, Depends(require_viewer)]
StaffPage = Annotated[OrgContext, Depends(org_page(Role.org_admin, Role.finance))]
AdminPage = Annotated[OrgContext, Depends(org_page(Role.org_admin))]
# The terms page: reachable before the terms are accepted, and its form is the way out of a lock.
TermsPage = Annotated[OrgContext, Depends(org_page(Role.org_admin, Role.finance, terms_page=True))]
OperatorPage = Annotated[Viewer, Depends(require_operator)]
