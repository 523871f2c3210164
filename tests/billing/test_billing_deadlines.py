"""Invoicing switch dates: set by platform staff only, audited, refused whole when a date is past or an
organisation unknown; days left counted in the organisation's time zone. The operator overview lists
every organisation's state and switch date, searched, filtered and paged."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.billing.account_status import PaymentsState
from ladeportal.billing.deadlines import invoicing_deadline, set_invoicing_switch_date
from ladeportal.billing.models import InvoicingSwitchDate, StripeAccount
from ladeportal.billing.overview import operator_payments_overview
from ladeportal.db.base import utcnow
from ladeportal.errors import NotFound, PermissionDenied, ValidationFailed
from ladeportal.members.models import Role
from ladeportal.members.services import make_operator
from ladeportal.platform.models import AuditEvent
from tests.billing.conftest import staff_member
from tests.factories import ACTOR, make_org, mobile_number

FUTURE = date(2199, 6, 1)


async def _staff_id(session: AsyncSession) -> uuid.UUID:
    return (await make_operator(session, ACTOR, mobile_number(), "Ola Operatør")).user_id


async def _dates(session: AsyncSession) -> dict[uuid.UUID, date]:
    rows = dict(
        (await session.execute(select(InvoicingSwitchDate.organization_id, InvoicingSwitchDate.switch_date))).all()
    )
    await session.commit()
    return rows


async def test_staff_set_and_clear_switch_dates_with_an_audit_trail(session: AsyncSession) -> None:
    staff = await _staff_id(session)
    a, b = await make_org(session), await make_org(session)
    assert await set_invoicing_switch_date(session, [a.id, b.id, a.id], FUTURE, staff_id=staff) == 2
    assert await _dates(session) == {a.id: FUTURE, b.id: FUTURE}
    assert await set_invoicing_switch_date(session, [a.id, b.id], FUTURE, staff_id=staff) == 0  # unchanged
    assert await set_invoicing_switch_date(session, [a.id], None, staff_id=staff) == 1
    assert await _dates(session) == {b.id: FUTURE}
    audits = list(
        await session.scalars(
            select(AuditEvent).where(AuditEvent.action == "payments.switch_date").order_by(AuditEvent.id)
        )
    )
    assert [(e.organization_id, e.actor_user_id, e.new_values) for e in audits] == [
        (a.id, staff, {"switch_date": FUTURE.isoformat()}),
        (b.id, staff, {"switch_date": FUTURE.isoformat()}),
        (a.id, staff, {"switch_date": None}),
    ]


async def test_only_staff_and_bad_input_is_refused_whole(session: AsyncSession) -> None:
    staff = await _staff_id(session)
    org = await make_org(session)
    admin = await staff_member(session, org, Role.org_admin)
    org_id, admin_id = org.id, admin.user_id  # a refused request rolls back and expires loaded rows
    await set_invoicing_switch_date(session, [org_id], FUTURE, staff_id=staff)

    with pytest.raises(PermissionDenied) as not_staff:
        await set_invoicing_switch_date(session, [org_id], FUTURE + timedelta(days=1), staff_id=admin_id)
    assert not_staff.value.code == "payments.staff_only"
    with pytest.raises(ValidationFailed) as past:
        await set_invoicing_switch_date(session, [org_id], utcnow().date() - timedelta(days=1), staff_id=staff)
    assert past.value.code == "payments.switch_date_past"
    with pytest.raises(NotFound):
        await set_invoicing_switch_date(session, [org_id, uuid.uuid4()], FUTURE + timedelta(days=1), staff_id=staff)
    with pytest.raises(ValidationFailed):
        await set_invoicing_switch_date(session, [org_id], date(9999, 1, 1), staff_id=staff)
    with pytest.raises(ValidationFailed) as none:
        await set_invoicing_switch_date(session, [], FUTURE, staff_id=staff)
    assert none.value.code == "payments.no_orgs"
    assert await _dates(session) == {org_id: FUTURE}
    count = await session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "payments.switch_date")
    )
    assert count == 1


async def test_days_left_count_in_the_organisations_time_zone(session: AsyncSession) -> None:
    staff = await _staff_id(session)
    org = await make_org(session)
    none = await invoicing_deadline(session, org.id)
    assert (none.switch_date, none.days_left) == (None, None)
    await set_invoicing_switch_date(session, [org.id], FUTURE, staff_id=staff)
    assert (await invoicing_deadline(session, org.id, today=FUTURE - timedelta(days=14))).days_left == 14
    assert (await invoicing_deadline(session, org.id, today=FUTURE)).days_left == 0
    with pytest.raises(NotFound):
        await invoicing_deadline(session, uuid.uuid4())


async def test_the_operator_overview_searches_filters_and_pages(session: AsyncSession) -> None:
    staff = await _staff_id(session)
    ready = await make_org(session, legal_name="Alfa Borettslag")
    waiting = await make_org(session, legal_name="Beta Sameie")
    fresh = await make_org(session, legal_name="Gamma AS")
    session.add_all(
        [
            StripeAccount(
                organization_id=ready.id,
                account_id="acct_ready000001",
                country="NO",
                business_type="company",
                details_submitted=True,
                charges_enabled=True,
                payouts_enabled=True,
                state="ready",
            ),
            StripeAccount(
                organization_id=waiting.id,
                account_id="acct_wait0000001",
                country="NO",
                business_type="company",
                currently_due=["external_account", "tos_acceptance.date"],
                state="in_progress",
            ),
        ]
    )
    await session.commit()
    await set_invoicing_switch_date(session, [waiting.id], FUTURE, staff_id=staff)

    page = await operator_payments_overview(session, query=None, state=None, offset=0, limit=10)
    assert page.total == 3
    assert [r.name for r in page.rows] == ["Beta Sameie", "Alfa Borettslag", "Gamma AS"]  # switch date first
    beta = page.rows[0]
    assert (beta.state, beta.switch_date, beta.currently_due) == (PaymentsState.in_progress, FUTURE, 2)
    assert beta.days_left is not None and beta.days_left > 0
    assert page.rows[2].state == PaymentsState.not_started

    only_new = await operator_payments_overview(
        session, query=None, state=PaymentsState.not_started, offset=0, limit=10
    )
    assert [r.org_id for r in only_new.rows] == [fresh.id]
    found = await operator_payments_overview(session, query="alfa", state=None, offset=0, limit=10)
    assert [r.org_id for r in found.rows] == [ready.id]
    by_number = await operator_payments_overview(session, query=fresh.org_number, state=None, offset=0, limit=10)
    assert [r.org_id for r in by_number.rows] == [fresh.id]
    second = await operator_payments_overview(session, query=None, state=None, offset=1, limit=1)
    assert second.total == 3 and [r.name for r in second.rows] == ["Alfa Borettslag"]
    assert (await operator_payments_overview(session, query="%", state=None, offset=0, limit=10)).total == 0
    with pytest.raises(ValidationFailed):
        await operator_payments_overview(session, query=None, state=None, offset=0, limit=0)
