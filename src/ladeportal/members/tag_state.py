"""A tag's state as chargers treat it. The tag's own switch (active/blocked) is not the whole answer:
an expired tag and the tags of a blocked or removed member are refused too. The rule is the access
decision's own (`access.tag_refusal`), so what the portal shows cannot disagree with a charger."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_

from ladeportal.members.access import MemberFacts, TagRefusal, tag_refusal
from ladeportal.members.models import IdTag, Membership, MembershipState, TagState


def refusal_of(
    tag: IdTag, member_state: MembershipState | None, member_removed: bool, at: datetime
) -> TagRefusal | None:
    """None when the tag works (where its group may charge); otherwise why it is refused everywhere.

    `member_state` is None for a visitor key, or for a member's tag whose membership is gone (refused
    as removed, as the access decision does)."""
    if tag.membership_id is None:
        member = None
    elif member_state is None:
        member = MemberFacts(MembershipState.active, removed=True)
    else:
        member = MemberFacts(member_state, member_removed)
    refused = tag_refusal(tag.state, tag.expires_at, member, at)
    return None if refused is None else refused[1]


def works_condition(at: datetime) -> ColumnElement[bool]:
    """`refusal_of(...) is None` as SQL, to filter a list of tags outer-joined to their memberships
    (a page of tags cannot be filtered in Python). The tests hold the two to the same answers."""
    member_ok = or_(
        IdTag.membership_id.is_(None),
        and_(Membership.id.is_not(None), Membership.removed_at.is_(None), Membership.state != MembershipState.blocked),
    )
    return and_(IdTag.state == TagState.active, or_(IdTag.expires_at.is_(None), IdTag.expires_at > at), member_ok)
