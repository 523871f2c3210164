"""Administration from the shell: organisations, sites, chargers, users, tags, demo data."""

from __future__ import annotations

from datetime import datetime

import typer

from ladeportal.chargers import services as chargers
from ladeportal.cli.output import command_session, emit, run
from ladeportal.db.engine import Database
from ladeportal.errors import ValidationFailed
from ladeportal.members import groups, persons, tags
from ladeportal.members import services as members
from ladeportal.members.phone import display_mobile
from ladeportal.orgs import services as orgs
from ladeportal.platform.audit import Actor
from ladeportal.settings import get_settings

ACTOR = Actor.system("cli")
JSON = typer.Option(False, "--json", help="Print the result as JSON.")
ORG = typer.Option(..., "--org", help="Organisation id or organisation number.")


def _db() -> Database:
    return Database(get_settings().database_url)


org_app = typer.Typer(no_args_is_help=True, help="Organisations (installation owners).")
site_app = typer.Typer(no_args_is_help=True, help="Sites (installations) of an organisation.")
charger_app = typer.Typer(no_args_is_help=True, help="Charge points.")
user_app = typer.Typer(no_args_is_help=True, help="Members of organisations, and platform staff.")
tag_app = typer.Typer(no_args_is_help=True, help="RFID tags.")


@org_app.command("create")
def org_create(
    name: str = typer.Option(..., "--name", help="Legal name."),
    number: str = typer.Option(..., "--number", help="Organisation number (NO: 9 digits, SE: 10 digits)."),
    country: str = typer.Option("NO", help="NO or SE."),
    kind: str = typer.Option("housing_cooperative", help="housing_cooperative, company or other."),
    contact_email: str | None = typer.Option(None),
    as_json: bool = JSON,
) -> None:
    """Create an organisation (with its default user group)."""

    async def body() -> None:
        async with command_session() as s:
            org = await orgs.create_organization(
                s,
                ACTOR,
                orgs.OrganizationInput(
                    legal_name=name, org_number=number, country=country, kind=kind, contact_email=contact_email
                ),
            )
            emit(
                as_json,
                {
                    "id": org.id,
                    "legal_name": org.legal_name,
                    "org_number": org.org_number,
                    "country": org.country,
                    "currency": org.currency,
                    "time_zone": org.time_zone,
                },
                f"created organisation {org.legal_name} ({org.org_number}) id={org.id}",
            )

    run(body)


@org_app.command("list")
def org_list(as_json: bool = JSON) -> None:
    """List organisations."""
    from sqlalchemy import select

    from ladeportal.orgs.models import Organization

    async def body() -> None:
        async with command_session() as s:
            rows = (await s.scalars(select(Organization).order_by(Organization.legal_name))).all()
            data = [{"id": o.id, "legal_name": o.legal_name, "org_number": o.org_number} for o in rows]
            emit(
                as_json,
                {"organizations": data},
                "\n".join(f"{o.id}  {o.org_number:>11}  {o.legal_name}" for o in rows) or "no organisations",
            )

    run(body)


@site_app.command("create")
def site_create(
    org: str = ORG,
    name: str = typer.Option(..., "--name"),
    price_area: str = typer.Option(..., "--price-area", help="NO1-NO5 or SE1-SE4."),
    street: str | None = typer.Option(None),
    postal_code: str | None = typer.Option(None),
    city: str | None = typer.Option(None),
    grid_limit_amps: int | None = typer.Option(None, help="Main fuse in amperes."),
    phases: int = typer.Option(3, help="1 or 3."),
    as_json: bool = JSON,
) -> None:
    """Create a site (an installation) of an organisation."""

    async def body() -> None:
        async with command_session() as s:
            o = await orgs.find_organization(s, org)
            site = await orgs.create_site(
                s,
                ACTOR,
                o.id,
                orgs.SiteInput(
                    name=name,
                    price_area=price_area,
                    street=street,
                    postal_code=postal_code,
                    city=city,
                    grid_limit_amps=grid_limit_amps,
                    grid_phases=phases,
                ),
            )
            emit(
                as_json,
                {"id": site.id, "name": site.name, "price_area": site.price_area, "time_zone": site.time_zone},
                f"created site {site.name} id={site.id}",
            )

    run(body)


@charger_app.command("add")
def charger_add(
    org: str = ORG,
    site: str = typer.Option(..., "--site", help="Site id or name."),
    ocpp_id: str = typer.Option(..., "--id", help="The charger's OCPP identity (chargePointId)."),
    name: str | None = typer.Option(None),
    connectors: int = typer.Option(2, min=1, max=10),
    activate: bool = typer.Option(False, "--activate", help="Activate at once instead of waiting for approval."),
    as_json: bool = JSON,
) -> None:
    """Add a charger; prints its OCPP URL and generated password ONCE."""

    async def body() -> None:
        async with command_session() as s:
            o = await orgs.find_organization(s, org)
            st = await orgs.find_site(s, o.id, site)
            new = await chargers.add_charge_point(s, ACTOR, o.id, st.id, ocpp_id, name=name, connectors=connectors)
            if activate:
                await chargers.activate_charge_point(s, ACTOR, o.id, new.charge_point.id)
            url = chargers.ocpp_url(get_settings().public_url, new.charge_point.ocpp_id)
            emit(
                as_json,
                {
                    "id": new.charge_point.id,
                    "ocpp_id": new.charge_point.ocpp_id,
                    "ocpp_url": url,
                    "password": new.password,
                    "state": "active" if activate else "pending",
                },
                f"added charger {new.charge_point.ocpp_id} id={new.charge_point.id}\n"
                f"  OCPP URL:  {url}\n  user name: {new.charge_point.ocpp_id}\n"
                f"  password:  {new.password}   (shown once; store it in the charger now)",
            )

    run(body)


@charger_app.command("activate")
def charger_activate(org: str = ORG, charger: str = typer.Argument(..., help="Charger id or OCPP identity.")) -> None:
    """Activate a pending charger so its BootNotification is accepted."""

    async def body() -> None:
        async with command_session() as s:
            o = await orgs.find_organization(s, org)
            cp = await chargers.find_charge_point(s, o.id, charger)
            await chargers.activate_charge_point(s, ACTOR, o.id, cp.id)
            typer.echo(f"charger {cp.ocpp_id} is active")

    run(body)


@charger_app.command("set-fallback-subprotocol")
def charger_set_fallback_subprotocol(
    org: str = ORG,
    charger: str = typer.Argument(..., help="Charger id or OCPP identity."),
    subprotocol: str = typer.Argument(..., help="ocpp1.6, or 'none' to close connections without one."),
) -> None:
    """Speak SUBPROTOCOL with this charger when it offers none (older chargers); 'none' restores OCPP-J."""

    async def body() -> None:
        async with command_session() as s:
            o = await orgs.find_organization(s, org)
            cp = await chargers.find_charge_point(s, o.id, charger)
            value = None if subprotocol.strip().lower() == "none" else subprotocol
            cp = await chargers.set_fallback_subprotocol(s, ACTOR, o.id, cp.id, value)
            typer.echo(f"charger {cp.ocpp_id}: fallback subprotocol {cp.fallback_subprotocol or 'none'}")

    run(body)


@user_app.command("add")
def user_add(
    org: str = ORG,
    phone: str = typer.Option(..., "--phone", help="Mobile number, e.g. '912 34 567' or +4791234567."),
    name: str | None = typer.Option(None),
    email: str | None = typer.Option(None),
    role: str = typer.Option("member", help="org_admin, finance or member."),
    group: str | None = typer.Option(None, help="Group name or id (default group when omitted)."),
    as_json: bool = JSON,
) -> None:
    """Add a person to an organisation by mobile number."""

    async def body() -> None:
        async with command_session() as s:
            o = await orgs.find_organization(s, org)
            group_id = (await groups.find_group(s, o.id, group)).id if group else None
            m = await members.add_member(
                s,
                ACTOR,
                o.id,
                members.MemberInput(phone=phone, name=name, email=email, role=role, group_id=group_id),
            )
            m = await members.get_membership(s, o.id, m.id)
            emit(
                as_json,
                {
                    "membership_id": m.id,
                    "user_id": m.user_id,
                    "phone": m.user.phone,
                    "role": m.role.value,
                    "state": m.state.value,
                },
                f"added {display_mobile(m.user.phone)} as {m.role.value} membership={m.id}",
            )

    run(body)


@user_app.command("operator")
def user_operator(
    phone: str = typer.Option(..., "--phone"), name: str | None = typer.Option(None), as_json: bool = JSON
) -> None:
    """Make a person platform operator staff (they log in like everyone else)."""

    async def body() -> None:
        async with command_session() as s:
            account = await members.make_operator(s, ACTOR, phone, name)
            emit(as_json, {"operator_id": account.id, "user_id": account.user_id}, f"operator account {account.id}")

    run(body)


@user_app.command("anonymise")
def user_anonymise(
    person: str = typer.Argument(..., help="The person's mobile number or user id."),
    yes: bool = typer.Option(False, "--yes", help="Confirm: this cannot be undone."),
    as_json: bool = JSON,
) -> None:
    """Platform staff: erase a person's identity (number, names, e-mails, notes) for good.

    Refused while the person is a member of any organisation, is platform staff or has open billing."""

    async def body() -> None:
        if not yes:
            raise ValidationFailed(
                "Anonymising cannot be undone; add --yes to confirm.", field="yes", code="person.anonymise_needs_yes"
            )
        async with command_session() as s:
            user = await persons.find_person(s, person)
            await persons.anonymise_person(s, ACTOR, user.id)
            emit(as_json, {"user_id": user.id, "anonymised": True}, f"person {user.id} is anonymised")

    run(body)


@tag_app.command("add")
def tag_add(
    org: str = ORG,
    uid: str = typer.Option(..., "--uid", help="RFID UID as the reader prints it."),
    member: str | None = typer.Option(None, "--member", help="Member's mobile number or membership id."),
    group: str | None = typer.Option(None, "--group", help="For a visitor key: the group it belongs to."),
    label: str | None = typer.Option(None),
    expires: str | None = typer.Option(None, help="Expiry, ISO 8601 with offset (2027-01-01T00:00:00+01:00)."),
    as_json: bool = JSON,
) -> None:
    """Register an RFID tag for a member, or a visitor key for a group."""

    async def body() -> None:
        expires_at = None
        if expires:
            try:
                expires_at = datetime.fromisoformat(expires)
            except ValueError:
                raise ValidationFailed(
                    f"{expires!r} is not an ISO 8601 time.",
                    field="expires",
                    code="cli.moment_invalid",
                    params={"value": expires},
                ) from None
        async with command_session() as s:
            o = await orgs.find_organization(s, org)
            membership_id = (await members.find_membership(s, o.id, member)).id if member else None
            group_id = (await groups.find_group(s, o.id, group)).id if group else None
            tag = await tags.add_tag(
                s,
                ACTOR,
                o.id,
                tags.TagInput(
                    uid=uid, membership_id=membership_id, group_id=group_id, label=label, expires_at=expires_at
                ),
            )
            emit(
                as_json,
                {"id": tag.id, "uid": tag.uid, "state": tag.state.value},
                f"registered tag {tag.uid} id={tag.id}",
            )

    run(body)


def register(app: typer.Typer) -> None:
    app.add_typer(org_app, name="org")
    app.add_typer(site_app, name="site")
    app.add_typer(charger_app, name="charger")
    app.add_typer(user_app, name="user")
    app.add_typer(tag_app, name="tag")

    @app.command()
    def demo(
        credentials_file: str = typer.Option("var/demo-chargers.json", help="Where to write the chargers' passwords."),
        as_json: bool = JSON,
    ) -> None:
        """Load the demo: a housing cooperative with two sites, chargers, members in groups, RFID tags."""
        from ladeportal.demo import load_demo

        async def body() -> None:
            db = _db()
            try:
                result = await load_demo(db, credentials_file)
                emit(as_json, result.as_dict(), result.describe())
            finally:
                await db.dispose()

        run(body)
