"""Identifiers as people type them: organisation numbers, mobile numbers, RFID UIDs."""

import pytest

from ladeportal.chargers.credentials import generate_password, hash_password, verify_password
from ladeportal.errors import ValidationFailed
from ladeportal.members.phone import normalise_mobile
from ladeportal.members.rfid import normalise_uid
from ladeportal.orgs.identifiers import normalise_org_number


@pytest.mark.parametrize("raw", ["923609016", "923 609 016", "923-609-016"])
def test_norwegian_org_number_with_valid_check_digit(raw: str) -> None:
    assert normalise_org_number(raw, "NO") == "923609016"


@pytest.mark.parametrize("raw", ["923609017", "12345678", "1234567890", "92360901A", ""])
def test_norwegian_org_number_rejected(raw: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        normalise_org_number(raw, "NO")
    assert err.value.field == "org_number"


def test_norwegian_number_whose_check_digit_would_be_10_is_invalid() -> None:
    weights = (3, 2, 7, 6, 5, 4, 3, 2)
    base = next(
        b
        for b in (f"{n:08d}" for n in range(10000000, 10001000))
        if sum(int(d) * w for d, w in zip(b, weights, strict=True)) % 11 == 1
    )
    for last in "0123456789":
        with pytest.raises(ValidationFailed):
            normalise_org_number(base + last, "NO")


@pytest.mark.parametrize("raw", ["556036-0793", "5560360793", "16556036-0793"])
def test_swedish_org_number_luhn(raw: str) -> None:
    assert normalise_org_number(raw, "SE") == "556036-0793"


@pytest.mark.parametrize("raw", ["556036-0794", "55603607", "abc"])
def test_swedish_org_number_rejected(raw: str) -> None:
    with pytest.raises(ValidationFailed):
        normalise_org_number(raw, "SE")


def test_unknown_country_rejected() -> None:
    with pytest.raises(ValidationFailed) as err:
        normalise_org_number("923609016", "DK")
    assert err.value.field == "country"


@pytest.mark.parametrize("raw", ["912 34 567", "+47 91234567", "0047 912 34 567", "+4791234567", " 91234567 "])
def test_norwegian_mobile_numbers_normalised(raw: str) -> None:
    assert normalise_mobile(raw, "NO") == "+4791234567"


def test_swedish_mobile_with_region_and_with_prefix() -> None:
    assert normalise_mobile("070-123 45 67", "SE") == "+46701234567"
    assert normalise_mobile("+46 70 123 45 67", "NO") == "+46701234567"


@pytest.mark.parametrize(
    "raw,why",
    [
        ("", "required"),
        ("abc", "not a phone number"),
        ("123", "not a valid"),
        ("22 22 22 22", "not a mobile"),
    ],
)
def test_bad_mobile_numbers(raw: str, why: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        normalise_mobile(raw, "NO")
    assert why in err.value.message


@pytest.mark.parametrize(
    "raw,uid",
    [
        ("04a1b2c3", "04A1B2C3"),
        ("04:A1:B2:C3", "04A1B2C3"),
        ("04-a1-b2-c3", "04A1B2C3"),
        ("0x04A1B2C3", "04A1B2C3"),
        ("04 A1 B2 C3 D4 E5 F6", "04A1B2C3D4E5F6"),
        ("0077705923", "04A1B2C3"),
    ],
)
def test_rfid_uids_normalised(raw: str, uid: str) -> None:
    assert normalise_uid(raw) == uid


@pytest.mark.parametrize("raw", ["", "XYZ12345", "04A1B2", "04A1B2C3D", "04A1B2C3D4E5F60718293A4B"])
def test_rfid_uids_rejected(raw: str) -> None:
    with pytest.raises(ValidationFailed):
        normalise_uid(raw)


def test_charger_password_hash_is_salted_and_verifies_in_constant_time_api() -> None:
    password = generate_password()
    assert len(password) == 19
    first, second = hash_password(password), hash_password(password)
    assert first != second  # salted
    assert verify_password(password, first) and verify_password(password, second)
    assert not verify_password(password + "x", first)
    assert not verify_password(password, None)
    assert not verify_password(password, "md5$00$00")
    assert not verify_password(password, "garbage")
