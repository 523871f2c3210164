"""The CLI end to end in a subprocess: real exit codes, --json output, clear errors."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from ladeportal.db.engine import Database
from ladeportal.pricing.models import PricePlan, PublicPricePlan


def _cli(url: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LADEPORTAL_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "ladeportal.cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
async def test_cli_creates_org_site_charger_user_and_tag_and_rejects_bad_input(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    def ok(*args: str) -> dict:
        result = _cli(database_url, *args, "--json", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    org = ok("org", "create", "--name", "Solbakken Borettslag", "--number", "923 609 016")
    assert org["org_number"] == "923609016" and org["currency"] == "NOK"
    site = ok("site", "create", "--org", "923609016", "--name", "Garasje A", "--price-area", "no1")
    assert site["price_area"] == "NO1"
    charger = ok("charger", "add", "--org", org["id"], "--site", "Garasje A", "--id", "CP-1", "--activate")
    assert charger["ocpp_url"].endswith("/ocpp/CP-1") and len(charger["password"]) == 19
    user = ok("user", "add", "--org", "923609016", "--phone", "912 34 567", "--name", "Kari")
    assert user["phone"] == "+4791234567"
    tag = ok("tag", "add", "--org", "923609016", "--uid", "04:a1:b2:c3", "--member", "91234567")
    assert tag["uid"] == "04A1B2C3"

    for args, message in [
        (("org", "create", "--name", "X", "--number", "923609017"), "check digit"),
        (("org", "create", "--name", "Dup", "--number", "923609016"), "already exists"),
        (("site", "create", "--org", "999999999", "--name", "S", "--price-area", "NO1"), "No organisation"),
        (("site", "create", "--org", "923609016", "--name", "S", "--price-area", "NO9"), "price area"),
        (("charger", "add", "--org", "923609016", "--site", "Nowhere", "--id", "CP-2"), "No site"),
        (("charger", "add", "--org", "923609016", "--site", "Garasje A", "--id", "cp-1"), "already exists"),
        (("user", "add", "--org", "923609016", "--phone", "22 22 22 22"), "not a mobile number"),
        (("tag", "add", "--org", "923609016", "--uid", "XYZ", "--member", "91234567"), "not an RFID UID"),
        (("tag", "add", "--org", "923609016", "--uid", "04A1B2C3", "--member", "91234567"), "already registered"),
        (("tag", "add", "--org", "923609016", "--uid", "0A0B0C0D", "--member", "+4791111111"), "not a member"),
    ]:
        result = _cli(database_url, *args, cwd=tmp_path)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        assert message in result.stderr, (args, result.stderr)
    listing = ok("org", "list")
    assert [o["legal_name"] for o in listing["organizations"]] == ["Solbakken Borettslag"]


@pytest.mark.slow
async def test_demo_loads_once_and_is_idempotent(db: Database, database_url: str, tmp_path: Path) -> None:
    first = _cli(database_url, "demo", "--json", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    data = json.loads(first.stdout)
    assert data["created"] is True and len(data["chargers"]) == 5
    creds = json.loads((tmp_path / "var" / "demo-chargers.json").read_text())
    assert set(creds) == set(data["chargers"])
    assert "04A1B2C3" in (tmp_path / "var" / "demo-chargers.tags").read_text()
    async with db.session() as s:
        plans = {p.name: p for p in (await s.scalars(select(PricePlan))).all()}
        assert set(plans) == {"Beboere", "Gjester"}
        public = (await s.scalars(select(PublicPricePlan))).all()
        assert [p.plan_id for p in public] == [plans["Gjester"].id]
    second = json.loads(_cli(database_url, "demo", "--json", cwd=tmp_path).stdout)
    assert second["created"] is False
    assert json.loads((tmp_path / "var" / "demo-chargers.json").read_text()) == creds
    # Without the passwords file the chargers get new passwords, so the simulator can connect again.
    (tmp_path / "var" / "demo-chargers.json").unlink()
    third = _cli(database_url, "demo", "--json", cwd=tmp_path)
    assert third.returncode == 0
    fresh = json.loads((tmp_path / "var" / "demo-chargers.json").read_text())
    assert set(fresh) == set(creds) and fresh != creds


def test_every_command_has_help(tmp_path: Path) -> None:
    for args in (
        ["--help"],
        ["org", "create", "--help"],
        ["site", "create", "--help"],
        ["charger", "add", "--help"],
        ["user", "add", "--help"],
        ["tag", "add", "--help"],
        ["db", "upgrade", "--help"],
        ["demo", "--help"],
    ):
        result = _cli("sqlite+aiosqlite:///unused.db", *args, cwd=tmp_path)
        assert result.returncode == 0 and "Usage" in result.stdout, args


def test_a_bad_configuration_exits_with_a_clear_message(tmp_path: Path) -> None:
    result = _cli("mysql://nope", "org", "list", cwd=tmp_path)
    assert result.returncode == 2 and "LADEPORTAL_DATABASE_URL" in result.stderr
