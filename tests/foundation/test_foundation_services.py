"""Domain operations: clear errors on bad input, nothing changed when they fail, audit trail."""

import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.chargers.models import ChargePoint, CommissioningState
from ladeportal.chargers.services import add_charge_point, retire_charge_point, set_commissioning_state
from ladeportal.errors import Conflict, NotFound, ValidationFailed
from ladeportal.members.models import IdTag, Membership, TagState, User
from ladeportal.members.services import MemberInput, add_member, get_membership, remove_member
from ladeportal.members.tags import TagInput, add_tag
from ladeportal.orgs.models import Organization, Site
from ladeportal.orgs.services import OrganizationInput, SiteInput, create_organization, create_site, update_site
from ladeportal.platform.models import AuditEvent
from tests.factories import ACTOR, make_member, make_org, make_site, make_tag, valid_no_org_number


async def _count(session: AsyncSession, model: type) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_organisation_gets_country_defaults_a_default_group_and_an_audit_event(session: AsyncSession) -> None:
    org = await create_organization(
        session, ACTOR, OrganizationInput(legal_name=" Solbakken BRL ", org_number="923 609 016")
    )
    assert (org.legal_name, org.org_number, org.currency, org.time_zone, org.vat_rate_bp) == (
        "Solbakken BRL",
        "923609016",
        "NOK",
        "Europe/Oslo",
        2500,
    )
    events = (await session.scalars(select(AuditEvent).where(AuditEvent.entity_id == str(org.id)))).all()
    assert [e.action for e in events] == ["organization.create"]
    assert events[0].new_values is not None and events[0].new_values["org_number"] == "923609016"
    swedish = await create_organization(
        session, ACTOR, OrganizationInput(legal_name="BRF Solen", org_number="5560360793", country="SE")
    )
    assert (swedish.org_number, swedish.currency, swedish.time_zone) == ("556036-0793", "SEK", "Europe/Stockholm")


@pytest.mark.parametrize(
    "data,field",
    [
        ({"legal_name": "", "org_number": "923609016"}, "legal_name"),
        ({"legal_name": "X", "org_number": "923609017"}, "org_number"),
        ({"legal_name": "X", "org_number": "923609016", "country": "DK"}, "country"),
        ({"legal_name": "X", "org_number": "923609016", "kind": "castle"}, "kind"),
        ({"legal_name": "X", "org_number": "923609016", "vat_rate_bp": 20000}, "vat_rate_bp"),
        ({"legal_name": "X", "org_number": "923609016", "time_zone": "Mars/Olympus"}, "time_zone"),
    ],
)
async def test_bad_organisation_input_is_rejected_and_nothing_stored(
    session: AsyncSession, data: dict, field: str
) -> None:
    with pytest.raises(ValidationFailed) as err:
        await create_organization(session, ACTOR, OrganizationInput(**data))
    assert err.value.field == field
    assert await _count(session, Organization) == 0


async def test_duplicate_organisation_number_is_a_conflict(session: AsyncSession) -> None:
    number = valid_no_org_number()
    await make_org(session, org_number=number)
    with pytest.raises(Conflict):
        await make_org(session, org_number=number)
    assert await _count(session, Organization) == 1


async def test_site_validation_and_isolation(session: AsyncSession) -> None:
    # A failed operation rolls back, which expires loaded objects: keep plain ids.
    org_id = (await make_org(session)).id
    other_id = (await make_org(session)).id
    site_id = (await make_site(session, await session.get_one(Organization, org_id), name="Garasje A")).id
    with pytest.raises(ValidationFailed, match="price area"):
        await create_site(session, ACTOR, org_id, SiteInput(name="B", price_area="NO9"))
    with pytest.raises(ValidationFailed, match="not in NO"):
        await create_site(session, ACTOR, org_id, SiteInput(name="B", price_area="SE3"))
    with pytest.raises(ValidationFailed):
        await create_site(session, ACTOR, org_id, SiteInput(name="B", price_area="NO1", grid_phases=2))
    with pytest.raises(Conflict):
        await create_site(session, ACTOR, org_id, SiteInput(name="Garasje A", price_area="NO2"))
    # Another organisation's admin cannot edit it, and nothing changes.
    with pytest.raises(NotFound):
        await update_site(session, ACTOR, other_id, site_id, SiteInput(name="Hijacked", price_area="NO1"))
    site = await session.get_one(Site, site_id)
    assert site.name == "Garasje A"
    assert await _count(session, Site) == 1


async def test_charger_identity_is_unique_case_insensitively_and_site_must_be_own(session: AsyncSession) -> None:
    org = await make_org(session)
    org_id, other_id = org.id, (await make_org(session)).id
    site_id = (await make_site(session, org)).id
    new = await add_charge_point(session, ACTOR, org_id, site_id, "Garage-01")
    cp_id = new.charge_point.id
    assert new.charge_point.commissioning_state == CommissioningState.pending
    assert [c.number for c in new.charge_point.connectors] == [1, 2]
    assert new.password not in (new.charge_point.credential_hash or "")
    with pytest.raises(Conflict):
        await add_charge_point(session, ACTOR, org_id, site_id, "GARAGE-01")
    with pytest.raises(ValidationFailed):
        await add_charge_point(session, ACTOR, org_id, site_id, "bad id:with colon")
    with pytest.raises(NotFound):
        await add_charge_point(session, ACTOR, other_id, site_id, "Other-01")
    assert await _count(session, ChargePoint) == 1
    await retire_charge_point(session, ACTOR, org_id, cp_id)
    with pytest.raises(Conflict):
        await set_commissioning_state(session, ACTOR, org_id, cp_id, CommissioningState.active)


async def test_existing_person_joins_a_second_organisation_instead_of_being_duplicated(session: AsyncSession) -> None:
    a = await make_org(session)
    b = await make_org(session)
    first = await add_member(session, ACTOR, a.id, MemberInput(phone="912 34 567", name="Kari"))
    second = await add_member(session, ACTOR, b.id, MemberInput(phone="+47 91234567"))
    assert first.user_id == second.user_id
    assert await _count(session, User) == 1
    with pytest.raises(Conflict):
        await add_member(session, ACTOR, a.id, MemberInput(phone="0047 912 34 567"))
    assert await _count(session, Membership) == 2


async def test_bad_member_input_changes_nothing(session: AsyncSession) -> None:
    org = await make_org(session)
    for data in (
        MemberInput(phone="22 22 22 22"),
        MemberInput(phone="912 34 567", email="not-an-email"),
        MemberInput(phone="912 34 567", role="owner"),
        MemberInput(phone="912 34 567", group_id=uuid.uuid4()),
    ):
        with pytest.raises((ValidationFailed, NotFound)):
            await add_member(session, ACTOR, org.id, data)
    assert await _count(session, User) == 0


async def test_removing_a_member_ends_the_membership_and_keeps_the_records(session: AsyncSession) -> None:
    org = await make_org(session)
    member = await make_member(session, org, "+4791234567", name="Kari Nordmann")
    tag = await make_tag(session, org, member)
    await remove_member(session, ACTOR, org.id, member.id)
    # The person is not anonymised by an organisation (members.persons.anonymise_person does that).
    user = await session.get(User, member.user_id)
    assert user is not None and user.phone == "+4791234567" and user.anonymised_at is None
    await session.refresh(tag)
    assert tag.state == TagState.blocked
    assert await _count(session, IdTag) == 1 and await _count(session, Membership) == 1
    with pytest.raises(NotFound):
        await get_membership(session, org.id, member.id)
    # The number can join again: the same person, a fresh membership.
    again = await make_member(session, org, "+4791234567")
    assert again.user_id == member.user_id and again.removed_at is None


async def test_a_tag_cannot_be_registered_twice_or_by_another_organisation(session: AsyncSession) -> None:
    a = await make_org(session)
    b = await make_org(session)
    a_id, b_id = a.id, b.id
    member_a = (await make_member(session, a)).id
    member_b = (await make_member(session, b)).id

    async def tag(org_id: uuid.UUID, membership_id: uuid.UUID, uid: str) -> None:
        await add_tag(session, ACTOR, org_id, TagInput(uid=uid, membership_id=membership_id))

    await tag(a_id, member_a, "04:a1:b2:c3")
    with pytest.raises(Conflict, match="already registered"):
        await tag(a_id, member_a, "04A1B2C3")
    with pytest.raises(Conflict, match="another organisation"):
        await tag(b_id, member_b, "04a1b2c3")
    with pytest.raises(NotFound):
        await tag(b_id, member_a, "0A0B0C0D")  # a member of another organisation
    assert await _count(session, IdTag) == 1
