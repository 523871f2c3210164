from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.base import utcnow
from ladeportal.members.access import AccessStatus, decide_access
from tests.factories import make_charger, make_member, make_org, make_site, make_tag


async def test_a_members_tag_is_accepted_at_its_organisations_site(session: AsyncSession) -> None:
    org = await make_org(session)
    site = await make_site(session, org)
    new = await make_charger(session, site)
    member = await make_member(session, org)
    tag = await make_tag(session, org, member)
    decision = await decide_access(session, org.id, site.id, tag.uid.lower(), utcnow())
    assert decision.status == AccessStatus.accepted
    assert new.charge_point.ocpp_id.startswith("CP-")
    assert len(new.password) == 19
