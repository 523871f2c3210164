"""The demo's terms: a published version of the terms of service that the cooperative's
administrator must accept at their next login, and a draft data processing agreement that the
demo's operator can publish from the console (Terms)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal.db.base import utcnow
from ladeportal.platform.audit import Actor
from ladeportal.terms.models import TermsVersion
from ladeportal.terms.versions import TermsInput, create_draft, publish

PARTY = ("Ladeportal Drift AS", "923609016")
SERVICE_NB = """1. Avtalen
Disse vilkårene gjelder borettslagets eller selskapets bruk av Ladeportal. Avtaleparten er Ladeportal Drift AS.

2. Tjenesten
Ladeportal drifter ladeanlegget: ladere, brukere, priser, rapporter og fakturering av beboere.

3. Pris og fakturering
Abonnementet faktureres kvartalsvis forskuddsvis etter prislisten i portalen.

4. Personopplysninger
Behandlingen av personopplysninger er regulert i databehandleravtalen."""
SERVICE_EN = """1. The agreement
These terms govern the cooperative's or company's use of Ladeportal. The contracting party is Ladeportal Drift AS.

2. The service
Ladeportal runs the charging installation: chargers, users, prices, reports and invoicing residents.

3. Price and invoicing
The subscription is invoiced quarterly in advance by the price list shown in the portal.

4. Personal data
The processing of personal data is governed by the data processing agreement."""
DPA_NB = """1. Formål
Ladeportal Drift AS behandler personopplysninger om beboere på vegne av borettslaget, bare for å drifte ladeanlegget.

2. Sikkerhet
Opplysningene lagres kryptert og slettes etter avtalte frister."""
DPA_EN = """1. Purpose
Ladeportal Drift AS processes personal data about residents on the cooperative's behalf,
only to run the charging installation.

2. Security
The data is stored encrypted and deleted after the agreed periods."""


def _input(kind: str, title_nb: str, title_en: str, body_nb: str, body_en: str, days: int) -> TermsInput:
    day = (utcnow() + timedelta(days=days)).date().isoformat()
    return TermsInput(
        kind=kind,
        label="2027-1",
        title_nb=title_nb,
        title_en=title_en,
        body_nb=body_nb,
        body_en=body_en,
        party_name=PARTY[0],
        party_org_number=PARTY[1],
        effective_on=day,
        accept_by=day,
        after_deadline="read_only",
    )


async def load_demo_terms(session: AsyncSession, actor: Actor) -> None:
    if await session.scalar(select(TermsVersion.id).limit(1)) is not None:
        return
    service = await create_draft(
        session,
        actor,
        _input("service", "Vilkår for Ladeportal", "Ladeportal terms of service", SERVICE_NB, SERVICE_EN, 30),
    )
    await publish(session, actor, service.id)
    await create_draft(
        session, actor, _input("dpa", "Databehandleravtale", "Data processing agreement", DPA_NB, DPA_EN, 45)
    )
