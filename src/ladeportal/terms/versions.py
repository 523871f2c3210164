"""Staff write terms versions: a draft is edited freely, publishing fixes it for good.

Publishing makes the version the one each organisation must accept (the newest published version of
its kind); the notices to the organisations' administrators are sent by the notices job, so
publishing for 5,000 organisations is one quick transaction.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.base import utcnow
from ladeportal.db.engine import unit_of_work
from ladeportal.errors import Conflict, NotFound, ValidationFailed
from ladeportal.platform.audit import Actor, record
from ladeportal.terms.models import AfterDeadline, TermsKind, TermsVersion

MAX_BODY = 100_000
TEXT_LIMITS = {"label": 40, "title_nb": 200, "title_en": 200, "party_name": 200}
ORG_NUMBER = re.compile(r"^\d{9,10}$")
AUDITED = ("kind", "label", "party_name", "party_org_number", "effective_on", "accept_by", "after_deadline")


@dataclass(frozen=True)
class TermsInput:
    kind: str
    label: str
    title_nb: str
    title_en: str
    body_nb: str
    body_en: str
    party_name: str
    party_org_number: str
    effective_on: str
    accept_by: str
    after_deadline: str


@dataclass(frozen=True)
class CleanTerms:
    kind: TermsKind
    label: str
    title_nb: str
    title_en: str
    body_nb: str
    body_en: str
    party_name: str
    party_org_number: str
    effective_on: date
    accept_by: date
    after_deadline: AfterDeadline


def _required(field: str, value: str, limit: int) -> str:
    value = value.strip()
    if not value:
        raise ValidationFailed(f"{field} is required.", field=field, code="terms.required")
    if len(value) > limit:
        raise ValidationFailed(
            f"At most {limit} characters.", field=field, code="text.too_long", params={"limit": limit}
        )
    return value


def _date(field: str, raw: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise ValidationFailed(f"{field} is not a date.", field=field, code="terms.date_invalid") from None


def clean(data: TermsInput) -> CleanTerms:
    try:
        kind = TermsKind(data.kind)
    except ValueError:
        raise ValidationFailed("Choose the kind of terms.", field="kind", code="terms.kind_invalid") from None
    try:
        after = AfterDeadline(data.after_deadline)
    except ValueError:
        raise ValidationFailed(
            "Choose what happens after the date.", field="after_deadline", code="terms.after_invalid"
        ) from None
    texts = {field: _required(field, getattr(data, field), limit) for field, limit in TEXT_LIMITS.items()}
    bodies = {field: _required(field, getattr(data, field), MAX_BODY) for field in ("body_nb", "body_en")}
    number = re.sub(r"[\s-]", "", data.party_org_number)
    if not ORG_NUMBER.match(number):
        raise ValidationFailed(
            "The organisation number has 9 or 10 digits.", field="party_org_number", code="terms.org_number_invalid"
        )
    effective_on, accept_by = _date("effective_on", data.effective_on), _date("accept_by", data.accept_by)
    if accept_by > effective_on:
        # Acceptance is due by the day the terms take effect, never after it.
        raise ValidationFailed(
            "The accept-by date is on or before the effective date.",
            field="accept_by",
            code="terms.accept_after_effect",
        )
    return CleanTerms(
        kind=kind,
        party_org_number=number,
        effective_on=effective_on,
        accept_by=accept_by,
        after_deadline=after,
        **texts,
        **bodies,
    )


async def get_version(session: AsyncSession, version_id: uuid.UUID) -> TermsVersion:
    version = await session.get(TermsVersion, version_id)
    if version is None:
        raise NotFound("No such terms version.", code="terms.not_found")
    return version


async def _label_free(session: AsyncSession, kind: TermsKind, label: str, own: uuid.UUID | None) -> None:
    taken = await session.scalar(
        select(TermsVersion.id).where(TermsVersion.kind == kind, TermsVersion.label == label, TermsVersion.id != own)
        if own
        else select(TermsVersion.id).where(TermsVersion.kind == kind, TermsVersion.label == label)
    )
    if taken is not None:
        raise Conflict(
            f"Version {label} exists already.", field="label", code="terms.label_taken", params={"label": label}
        )


async def create_draft(session: AsyncSession, actor: Actor, data: TermsInput) -> TermsVersion:
    values = clean(data)
    async with unit_of_work(session):
        await _label_free(session, values.kind, values.label, None)
        version = TermsVersion(**values.__dict__, created_by_user_id=actor.user_id)
        session.add(version)
        await session.flush()
        record(session, actor, "terms.draft_created", "terms_version", version.id, new=_audit(version))
    return version


def _audit(version: TermsVersion) -> dict[str, object]:
    from ladeportal.platform.audit import snapshot

    return snapshot(version, AUDITED)


async def update_draft(session: AsyncSession, actor: Actor, version_id: uuid.UUID, data: TermsInput) -> TermsVersion:
    values = clean(data)
    async with unit_of_work(session):
        version = await get_version(session, version_id)
        _still_draft(version)
        await _label_free(session, values.kind, values.label, version.id)
        old = _audit(version)
        for key, value in values.__dict__.items():
            setattr(version, key, value)
        record(session, actor, "terms.draft_changed", "terms_version", version.id, old=old, new=_audit(version))
    return version


def _still_draft(version: TermsVersion) -> None:
    if version.published_at is not None:
        raise Conflict("A published version cannot be changed.", code="terms.published")


async def publish(
    session: AsyncSession, actor: Actor, version_id: uuid.UUID, *, today: date | None = None
) -> TermsVersion:
    async with unit_of_work(session):
        version = await get_version(session, version_id)
        _still_draft(version)
        if version.accept_by < (today or utcnow().date()):
            raise ValidationFailed(
                "The accept-by date has passed; change it before publishing.",
                field="accept_by",
                code="terms.accept_by_past",
            )
        version.published_at = utcnow()
        record(session, actor, "terms.published", "terms_version", version.id, new=_audit(version))
    return version


async def list_versions(session: AsyncSession) -> list[TermsVersion]:
    rows = await session.scalars(
        select(TermsVersion).order_by(TermsVersion.published_at.is_(None).desc(), TermsVersion.created_at.desc())
    )
    return list(rows)
