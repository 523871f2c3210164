"""Errors of the charger, organisation, member and plan areas carry a stable code, so pages show them in
the reader's language and the API returns the code; no page keeps a list of English sentences to
recognise."""

from __future__ import annotations

import ast
import base64
import importlib.util
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ladeportal import i18n
from ladeportal.chargers import maintenance, remote
from ladeportal.chargers.models import ChargePoint, CommissioningState
from ladeportal.chargers.services import (
    add_charge_point,
    check_ocpp_id,
    get_charge_point,
    retire_charge_point,
    rotate_credential,
    set_fallback_subprotocol,
)
from ladeportal.errors import DomainError
from ladeportal.jobs.models import OutboxTask
from ladeportal.members import tabular
from ladeportal.members.groups import create_group
from ladeportal.members.member_import import MEMBER_COLUMNS, dry_run_member_import
from ladeportal.members.models import Membership
from ladeportal.orgs.identifiers import normalise_org_number
from ladeportal.orgs.services import OrganizationInput, SiteInput, create_organization, create_site, get_organization
from ladeportal.pricing.plan_codec import plan_from_json
from ladeportal.pricing.validation import InvalidPlan
from ladeportal.web.portal.error_texts import TEXTS, coded_text, error_text
from ladeportal.web.portal.pages import members_messages
from ladeportal.web.portal.pages.members_messages import row_text
from tests.factories import ACTOR, make_member, make_org, make_site, valid_no_org_number
from tests.portal.conftest import TwoOrgs, csrf_of, form_post

SRC = Path(i18n.__file__).resolve().parents[1]
ERRORS = {"ValidationFailed", "NotFound", "Conflict", "PermissionDenied", "ChargerNotConnected", "CommandTimedOut"}
ERRORS |= {"CommandFailed", "RateLimited", "NumberHeldBack", "LoginFailed", "InviteLimited", "PaymentsUnavailable"}
# The Stripe stand-in answers in Stripe's own error format, not with domain errors a page shows.
OWN_FORMAT = "stripe_standin"
# Payments: every error carries a code, as everywhere else.
PAYMENTS_UNCODED: dict[str, int] = {}


@pytest.fixture(autouse=True)
def bokmal() -> Iterator[None]:
    i18n.set_language("nb")
    yield
    i18n.set_language("nb")


def _uncoded(path: Path, source: str | None = None) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8") if source is None else source)):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        plan_check = path.name in ("plan_codec.py", "validation.py") and path.parent.name == "pricing"
        raises = name in ERRORS or (name == "problem" and plan_check and bool(node.args))
        if raises and not any(k.arg == "code" for k in node.keywords):
            found.append(f"{path.relative_to(SRC)}:{node.lineno}")
    return found


def test_every_error_raised_in_src_has_a_code() -> None:
    uncoded = [where for path in sorted(SRC.rglob("*.py")) if OWN_FORMAT not in path.parts for where in _uncoded(path)]
    per_file: dict[str, int] = {}
    for where in uncoded:
        per_file[where.split(":")[0]] = per_file.get(where.split(":")[0], 0) + 1
    assert {f: n for f, n in per_file.items() if f not in PAYMENTS_UNCODED} == {}, uncoded
    assert all(per_file.get(f, 0) <= n for f, n in PAYMENTS_UNCODED.items()), uncoded


def test_the_scan_finds_an_error_or_a_plan_problem_without_a_code() -> None:
    limits = SRC / "limits.py"
    source = limits.read_text(encoding="utf-8")
    assert _uncoded(limits) == []
    assert len(_uncoded(limits, source.replace(', code="date.out_of_range"', ""))) == 1
    validation = SRC / "pricing" / "validation.py"
    source = validation.read_text(encoding="utf-8")
    assert len(_uncoded(validation, source.replace(', code="price.amount_too_precise", decimals=6', ""))) == 1


def test_no_page_keeps_english_sentences_to_recognise() -> None:
    assert importlib.util.find_spec("ladeportal.web.portal.messages") is None
    assert not hasattr(members_messages, "FIXED")


def _shown(exc: DomainError) -> str:
    assert exc.code in TEXTS, exc.code
    text = error_text(exc)
    assert text != exc.message and text == coded_text(exc.code, exc.params)
    return text


async def _raises(awaitable: Any) -> DomainError:
    with pytest.raises(DomainError) as caught:
        await awaitable
    return caught.value


async def test_charger_errors_are_shown_in_bokmal(session: AsyncSession) -> None:
    org = await make_org(session)
    site = await make_site(session, org)
    org_id, site_id = org.id, site.id  # a refused operation rolls back and expires the loaded rows
    with pytest.raises(DomainError) as caught:
        check_ocpp_id("ikke gyldig!")
    assert _shown(caught.value) == (
        "ikke gyldig! er ikke en gyldig laderidentitet: 1–48 bokstaver, sifre, «.», «_» eller «-»."
    )
    cp_id = (await add_charge_point(session, ACTOR, org_id, site_id, "LADER-1")).charge_point.id
    taken = await _raises(add_charge_point(session, ACTOR, org_id, site_id, "LADER-1"))
    assert _shown(taken) == "En lader med identiteten LADER-1 finnes allerede."
    too_many = await _raises(add_charge_point(session, ACTOR, org_id, site_id, "LADER-2", connectors=11))
    assert _shown(too_many) == "En lader har mellom 1 og 10 kontakter."
    unknown = await _raises(set_fallback_subprotocol(session, ACTOR, org_id, cp_id, "ocpp9.9"))
    assert _shown(unknown).startswith("Ukjent underprotokoll ocpp9.9; bruk en av ocpp1.6")
    address = await _raises(_sync(lambda: maintenance.check_location("nettside", "location", ("http", "https"))))
    assert _shown(address).startswith("Skriv en fullstendig adresse")
    inactive = await _raises(remote.remote_start(session, ACTOR, org_id, cp_id, 1, uuid.uuid4()))
    assert (inactive.code, _shown(inactive)) == ("charger.not_active", "Laderen er ikke aktiv.")
    await retire_charge_point(session, ACTOR, org_id, cp_id)
    retired = await _raises(rotate_credential(session, ACTOR, org_id, cp_id))
    assert _shown(retired) == "En utfaset lader kan ikke endre tilstand; legg den til på nytt."
    missing = await _raises(get_charge_point(session, org_id, uuid.uuid4()))
    assert _shown(missing) == "Laderen finnes ikke."
    no_session = await _raises(remote.running_session(session, org_id, cp_id, 424242))
    assert _shown(no_session) == "Ladeøkten finnes ikke."
    await session.commit()
    count = await session.scalar(
        select(func.count()).select_from(ChargePoint).where(ChargePoint.organization_id == org_id)
    )
    assert count == 1


async def _sync(call: Any) -> Any:
    return call()


async def test_organisation_and_site_errors_are_shown_in_bokmal(session: AsyncSession) -> None:
    with pytest.raises(DomainError) as caught:
        normalise_org_number("123", "NO")
    assert _shown(caught.value) == "Et norsk organisasjonsnummer har 9 sifre."
    with pytest.raises(DomainError) as caught:
        normalise_org_number("923609017", "NO")
    assert _shown(caught.value) == "923609017 er ikke et gyldig norsk organisasjonsnummer (kontrollsiffer)."
    number = valid_no_org_number()
    org_id = (await create_organization(session, ACTOR, OrganizationInput(legal_name="Sol", org_number=number))).id
    taken = await _raises(create_organization(session, ACTOR, OrganizationInput(legal_name="X", org_number=number)))
    assert _shown(taken) == f"En organisasjon med nummer {number} finnes allerede."
    vat = await _raises(
        create_organization(
            session, ACTOR, OrganizationInput(legal_name="X", org_number=valid_no_org_number(), vat_rate_bp=20000)
        )
    )
    assert _shown(vat) == "MVA-satsen må være mellom 0 og 100 %."
    zone = await _raises(
        create_site(session, ACTOR, org_id, SiteInput(name="Garasje", price_area="NO1", time_zone="Mars/Base"))
    )
    assert _shown(zone) == "Ukjent tidssone Mars/Base (bruk f.eks. Europe/Oslo)."
    assert _shown(await _raises(get_organization(session, uuid.uuid4()))) == "Organisasjonen finnes ikke."


PLAN = {
    "prices_include_vat": True,
    "vat_rate_bp": 2500,
    "currency": "NOK",
    "energy": {"type": "fixed", "price_per_kwh": "2.50"},
}


@pytest.mark.parametrize(
    ("change", "code", "bokmal"),
    [
        (
            {"currency": "GBP"},
            "plan.currency_unsupported",
            "GBP er ikke en støttet valuta; bruk en av DKK, EUR, NOK, SEK.",
        ),
        ({"currency": 7}, "plan.currency_unsupported", "7 er ikke en støttet valuta; bruk en av DKK, EUR, NOK, SEK."),
        (
            {"vat_rate_bp": 12000},
            "plan.vat_rate_range",
            "MVA-satsen 12\u00a0000 er ikke mellom 0 og 10000 basispunkter (2500 = 25 %).",
        ),
        (
            {"prices_include_vat": "ja"},
            "plan.vat_included_required",
            "Oppgi om prisene er inkludert MVA (true eller false).",
        ),
        (
            {"energy": {"type": "gratis"}},
            "plan.energy_type_unknown",
            "gratis er ikke en type energipris; bruk en av fixed, time_of_day, spot, free.",
        ),
        ({"energy": []}, "plan.object_required", "energy må være et objekt med navngitte felt."),
        ({"energy": {"type": "time_of_day", "bands": {}}}, "plan.bands_list_required", "Båndene må være en liste."),
        (
            {"energy": {"type": "fixed", "price_per_kwh": 2.5}},
            "plan.amount_not_text",
            'Skriv beløpet som tekst, som "2.50", ikke 2.5.',
        ),
        (
            {
                "energy": {
                    "type": "time_of_day",
                    "bands": [{"weekdays": "alle", "start": "00:00", "end": "00:00", "price_per_kwh": "1"}],
                }
            },
            "plan.whole_numbers_required",
            "Oppgi en liste med hele tall.",
        ),
    ],
)
def test_plan_problems_have_codes_and_bokmal_sentences(change: dict[str, Any], code: str, bokmal: str) -> None:
    with pytest.raises(InvalidPlan) as caught:
        plan_from_json({**PLAN, **change})
    problems = [(p.code, coded_text(p.code, p.params)) for p in caught.value.problems]
    assert (code, bokmal) in problems
    assert all(problem_code is not None for problem_code, _ in problems)


def test_a_good_plan_still_decodes() -> None:
    assert plan_from_json(PLAN).plan.energy.price_per_kwh == Decimal("2.50")  # type: ignore[union-attr]


async def test_member_area_errors_are_shown_in_bokmal(session: AsyncSession) -> None:
    org = await make_org(session)
    empty_name = await _raises(create_group(session, ACTOR, org.id, " "))
    assert _shown(empty_name) == "Gruppenavnet må fylles ut."
    with pytest.raises(DomainError) as caught:
        tabular.read_table(b"", "m.csv", MEMBER_COLUMNS, ("phone",))
    assert _shown(caught.value) == "Filen er tom."
    with pytest.raises(DomainError) as caught:
        tabular.read_table(b"x" * 10, "m.ods", MEMBER_COLUMNS, ("phone",))
    assert _shown(caught.value) == "Lagre arket som CSV eller XLSX (Excel-arbeidsbok) og last det opp på nytt."
    report = await dry_run_member_import(session, org.id, b"Mobil;Navn\n41234567;Kari;ekstra\n", "m.csv")
    [row] = report.rows
    assert (row.code, row_text(row)) == ("import.row_too_wide", "flere verdier enn kolonner i overskriften")


async def test_a_duplicate_charger_is_refused_in_bokmal_on_the_page(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    org, c = two_orgs.org_a, two_orgs.admin_a.client
    site = await make_site(session, org)
    await add_charge_point(session, ACTOR, org.id, site.id, "EVB-1")
    base = f"/portal/o/{org.id}"
    data = {"site_id": str(site.id), "ocpp_id": "EVB-1", "name": "Plass 2", "connectors": "2", "max_power_kw": "11"}
    response = await form_post(c, f"{base}/chargers/new", f"{base}/chargers/new", data)
    assert response.status_code == 422
    assert "En lader med identiteten EVB-1 finnes allerede." in response.text
    await session.commit()
    names = (await session.scalars(select(ChargePoint.name).where(ChargePoint.organization_id == org.id))).all()
    assert names == [None]  # the first charger, unnamed; "Plass 2" was not stored
    assert (
        await session.scalar(select(ChargePoint.commissioning_state).where(ChargePoint.ocpp_id == "EVB-1"))
        == CommissioningState.pending
    )


FILE = b"Mobil;Navn;E-post\n41000011;Kari;kari@sol.no\n41000012;Ola;\n"


async def _run_import(c: Any, base: str, channel: str) -> str:
    page = await c.get(f"{base}/users/import")
    data = {
        "csrf_token": csrf_of(page.text),
        "content": base64.urlsafe_b64encode(FILE).decode("ascii"),
        "filename": "m.csv",
        "send_invites": "1",
        "invite_channel": channel,
    }
    response = await c.post(f"{base}/users/import/run", data=data)
    assert response.status_code == 200
    return response.text


async def test_the_import_page_invites_by_the_chosen_channel(
    two_orgs: TwoOrgs, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ladeportal.settings import get_settings

    monkeypatch.setenv("LADEPORTAL_EMAIL_PROVIDER", "console")
    get_settings.cache_clear()
    try:
        org, c = two_orgs.org_a, two_orgs.admin_a.client
        base = f"/portal/o/{org.id}"
        members = select(func.count()).select_from(Membership).where(Membership.organization_id == org.id)
        await session.commit()
        before = await session.scalar(members)
        refused = await _run_import(c, base, "brev")
        assert "Velg SMS, e-post eller begge." in refused
        await session.commit()
        assert await session.scalar(members) == before
        # An outsider's import goes nowhere.
        outsider = two_orgs.admin_b.client
        page = await outsider.get(f"/portal/o/{two_orgs.org_b.id}/users/import")
        sneaky = await outsider.post(
            f"{base}/users/import/run",
            data={
                "csrf_token": csrf_of(page.text),
                "content": base64.urlsafe_b64encode(FILE).decode(),
                "filename": "m.csv",
            },
        )
        assert sneaky.status_code == 404
        await session.commit()
        assert await session.scalar(members) == before

        done = await _run_import(c, base, "email")
        assert 'data-testid="count-added">2<' in done
        await session.commit()
        tasks = (await session.scalars(select(OutboxTask))).all()
        sms = {t.payload["to"] for t in tasks if t.kind == "sms.send" and t.payload.get("purpose") == "invite"}
        assert "+4741000012" in sms and "+4741000011" not in sms
        assert any(t.kind == "email.send" for t in tasks)
    finally:
        get_settings.cache_clear()


async def test_the_import_form_offers_the_channels_when_email_is_on(
    two_orgs: TwoOrgs, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ladeportal.settings import get_settings

    org, c = two_orgs.org_a, two_orgs.admin_a.client
    base = f"/portal/o/{org.id}"
    page = await c.get(f"{base}/users/import")
    files = {"file": ("m.csv", FILE, "text/csv")}
    for provider, offered in (("console", True), ("none", False)):
        monkeypatch.setenv("LADEPORTAL_EMAIL_PROVIDER", provider)
        get_settings.cache_clear()
        response = await c.post(f"{base}/users/import", data={"csrf_token": csrf_of(page.text)}, files=files)
        assert response.status_code == 200
        assert ('name="invite_channel"' in response.text) is offered
        if offered:
            assert "E-post der raden har en adresse, ellers SMS" in response.text
    get_settings.cache_clear()


async def test_a_member_of_another_organisation_is_not_found(two_orgs: TwoOrgs, session: AsyncSession) -> None:
    other = await make_member(session, two_orgs.org_b, name="Beta")
    missing = await _raises(remote.remote_start(session, ACTOR, two_orgs.org_a.id, uuid.uuid4(), 1, other.id))
    assert missing.kind == "not_found" and _shown(missing) == "Laderen finnes ikke."
