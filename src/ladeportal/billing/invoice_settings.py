"""An organisation's invoicing settings: read (the defaults when none are stored), changed by its
administrator or finance contact, and the platform's fee, which only platform staff set.

Also the one access check of the invoicing operations (`require_billing_staff`): a signed-in user must
be the organisation's administrator or finance contact, otherwise the organisation is "not found",
exactly as one that does not exist.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.invoice_models import BillingSettings, LineMode
from ladeportal.db.engine import unit_of_work
from ladeportal.errors import NotFound, PermissionDenied, ValidationFailed
from ladeportal.members.models import Membership, MembershipState, Role
from ladeportal.orgs.models import Organization
from ladeportal.platform.audit import Actor, record
from ladeportal.platform.models import OperatorAccount
from ladeportal.settings import Settings

STAFF_ROLES = (Role.org_admin, Role.finance)
MAX_TEXT = 500
MAX_DAYS_UNTIL_DUE = 90
MAX_REMINDER_DAY = 365
MAX_REMINDERS = 5
MAX_MINIMUM_MINOR = 100_000_00
EDITABLE = (
    "invoice_day",
    "days_until_due",
    "invoice_text",
    "footer",
    "line_mode",
    "minimum_amount_minor",
    "auto_approve",
    "reminder_days",
    "block_after_days",
)


def defaults(org_id: uuid.UUID) -> BillingSettings:
    """The settings of an organisation that stored none (a transient row, never added to a session)."""
    return BillingSettings(
        organization_id=org_id,
        invoice_day=1,
        days_until_due=14,
        invoice_text=None,
        footer=None,
        line_mode=LineMode.per_site_month,
        minimum_amount_minor=0,
        platform_fee_bp=None,
        auto_approve=False,
        reminder_days=[3, 10],
        block_after_days=None,
    )


async def billing_settings(session: AsyncSession, org_id: uuid.UUID) -> BillingSettings:
    row = await session.get(BillingSettings, org_id)
    return row if row is not None else defaults(org_id)


async def require_billing_staff(session: AsyncSession, actor: Actor, org_id: uuid.UUID) -> Organization:
    """The organisation, when `actor` may run its invoicing: its administrator or finance contact, platform
    staff, or the system (a job, the CLI: no user). Anyone else gets the same 404 as for a missing one."""
    org = await session.get(Organization, org_id)
    if org is None:
        raise NotFound("No such organisation.", code="org.not_found")
    if actor.user_id is None or actor.is_operator:
        return org
    role = await session.scalar(
        select(Membership.role).where(
            Membership.organization_id == org_id,
            Membership.user_id == actor.user_id,
            Membership.removed_at.is_(None),
            Membership.state != MembershipState.blocked,
        )
    )
    if role not in STAFF_ROLES:
        raise NotFound("No such organisation.", code="org.not_found")
    return org


def _whole(values: dict[str, Any], key: str, low: int, high: int, code: str) -> None:
    if key not in values:
        return
    value = values[key]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationFailed(
            f"{key} must be a whole number from {low} to {high}.",
            field=key,
            code=code,
            params={"min": low, "max": high},
        )


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(values) - set(EDITABLE))
    if unknown:
        raise ValidationFailed(f"Unknown setting {unknown[0]}.", field=unknown[0], code="invoicing.setting_unknown")
    clean = dict(values)
    _whole(clean, "invoice_day", 1, 28, "invoicing.invoice_day")
    _whole(clean, "days_until_due", 1, MAX_DAYS_UNTIL_DUE, "invoicing.days_until_due")
    _whole(clean, "minimum_amount_minor", 0, MAX_MINIMUM_MINOR, "invoicing.minimum_amount")
    if clean.get("block_after_days") is not None:
        _whole(clean, "block_after_days", 1, MAX_REMINDER_DAY, "invoicing.block_after_days")
    for key in ("invoice_text", "footer"):
        if key in clean:
            text = (clean[key] or "").strip()
            if len(text) > MAX_TEXT:
                raise ValidationFailed(
                    f"At most {MAX_TEXT} characters.",
                    field=key,
                    code="invoicing.text_too_long",
                    params={"limit": MAX_TEXT},
                )
            clean[key] = text or None
    if "line_mode" in clean:
        try:
            clean["line_mode"] = LineMode(clean["line_mode"])
        except ValueError:
            raise ValidationFailed(
                "line_mode must be per_session or per_site_month.", field="line_mode", code="invoicing.line_mode"
            ) from None
    if "auto_approve" in clean:
        clean["auto_approve"] = bool(clean["auto_approve"])
    if "reminder_days" in clean:
        days = clean["reminder_days"]
        if (
            not isinstance(days, list | tuple)
            or len(days) > MAX_REMINDERS
            or any(isinstance(d, bool) or not isinstance(d, int) or not 1 <= d <= MAX_REMINDER_DAY for d in days)
        ):
            raise ValidationFailed(
                f"Reminder days: up to {MAX_REMINDERS} whole numbers from 1 to {MAX_REMINDER_DAY}.",
                field="reminder_days",
                code="invoicing.reminder_days",
                params={"count": MAX_REMINDERS, "max": MAX_REMINDER_DAY},
            )
        clean["reminder_days"] = sorted(set(days))
    return clean


def _shown(row: BillingSettings, keys: tuple[str, ...] | list[str]) -> dict[str, Any]:
    return {k: (v.value if isinstance(v := getattr(row, k), LineMode) else v) for k in keys}


async def _stored_row(session: AsyncSession, org_id: uuid.UUID) -> BillingSettings:
    row = await session.get(BillingSettings, org_id, with_for_update=True)
    if row is None:
        row = defaults(org_id)
        session.add(row)
    return row


async def update_billing_settings(
    session: AsyncSession, actor: Actor, org_id: uuid.UUID, **values: Any
) -> BillingSettings:
    """Change the given settings (validated first: nothing changes when one is wrong); audited."""
    async with unit_of_work(session):
        await require_billing_staff(session, actor, org_id)
        clean = _clean(values)
        row = await _stored_row(session, org_id)
        keys = sorted(clean)
        old = _shown(row, keys)
        for key, value in clean.items():
            setattr(row, key, value)
        row.updated_by = actor.user_id
        record(
            session,
            actor,
            "invoicing.settings",
            "organization",
            org_id,
            organization_id=org_id,
            old=old,
            new=_shown(row, keys),
        )
    return row


async def set_platform_fee(
    session: AsyncSession, actor: Actor, org_id: uuid.UUID, fee_bp: int | None
) -> BillingSettings:
    """The platform's fee for this organisation in basis points (None: the platform's default). Staff only."""
    async with unit_of_work(session):
        staff = None
        if actor.user_id is not None and actor.is_operator:
            staff = await session.scalar(
                select(OperatorAccount.id).where(
                    OperatorAccount.user_id == actor.user_id, OperatorAccount.active.is_(True)
                )
            )
        if staff is None:
            raise PermissionDenied("Only platform staff set the platform fee.", code="invoicing.staff_only")
        if fee_bp is not None and (isinstance(fee_bp, bool) or not isinstance(fee_bp, int) or not 0 <= fee_bp <= 10000):
            raise ValidationFailed(
                "The fee is basis points from 0 to 10000 (100 = 1 %).",
                field="platform_fee_bp",
                code="invoicing.platform_fee",
            )
        if await session.get(Organization, org_id) is None:
            raise NotFound("No such organisation.", code="org.not_found")
        row = await _stored_row(session, org_id)
        old = row.platform_fee_bp
        row.platform_fee_bp = fee_bp
        row.updated_by = actor.user_id
        record(
            session,
            actor,
            "invoicing.platform_fee",
            "organization",
            org_id,
            organization_id=org_id,
            old={"platform_fee_bp": old},
            new={"platform_fee_bp": fee_bp},
        )
    return row


def platform_fee_minor(settings_row: BillingSettings, app_settings: Settings, total_minor: int) -> int:
    """The platform's fee on an invoice of `total_minor`: basis points of the total, rounded half up to
    whole øre, never negative and never more than the total (a credit invoice pays no fee)."""
    bp = (
        settings_row.platform_fee_bp
        if settings_row.platform_fee_bp is not None
        else app_settings.invoice_platform_fee_bp
    )
    if total_minor <= 0 or bp <= 0:
        return 0
    return min(total_minor, (total_minor * bp + 5000) // 10000)
