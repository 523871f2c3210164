"""Parsing what people type: mobile numbers and RFID UIDs."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ladeportal.errors import ValidationFailed
from ladeportal.members.phone import normalise_mobile
from ladeportal.members.rfid import normalise_uid


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("912 34 567", "NO", "+4791234567"),
        ("91234567", "NO", "+4791234567"),
        ("+47 91234567", "NO", "+4791234567"),
        ("0047 912 34 567", "NO", "+4791234567"),
        ("(+47) 912.34.567", "NO", "+4791234567"),
        ("4791234567", "NO", "+4791234567"),  # Excel dropped the "+"
        ("070-123 45 67", "SE", "+46701234567"),
        ("+46 70 123 45 67", "NO", "+46701234567"),
        ("0046 70 123 45 67", "NO", "+46701234567"),
        ("412 34 567", "NO", "+4741234567"),
    ],
)
def test_common_ways_of_writing_a_mobile_number(raw: str, region: str, expected: str) -> None:
    assert normalise_mobile(raw, region) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "required"),
        ("   ", "required"),
        ("abc", "not a phone number"),
        ("912 34 56a", "not a phone number"),
        ("12345", "not a valid phone number"),
        ("+47 912345678", "not a valid phone number"),
        ("22 33 44 55", "not a mobile number"),  # an Oslo landline
        ("+46 8 123 456 78", "not a mobile number"),  # a Stockholm landline
    ],
)
def test_bad_numbers_are_rejected_with_a_clear_message(raw: str, message: str) -> None:
    with pytest.raises(ValidationFailed, match=message) as info:
        normalise_mobile(raw, "NO")
    assert info.value.field == "phone"


def test_a_swedish_number_without_prefix_needs_the_swedish_region() -> None:
    with pytest.raises(ValidationFailed):
        normalise_mobile("070-123 45 67", "NO")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("04a1b2c3", "04A1B2C3"),
        ("04:A1:B2:C3", "04A1B2C3"),
        ("04-a1-b2-c3-d4-e5-f6", "04A1B2C3D4E5F6"),
        ("04 A1 B2 C3", "04A1B2C3"),
        ("0x04A1B2C3", "04A1B2C3"),
        ("3735928559", "DEADBEEF"),  # 10-digit decimal from a desktop reader
        ("0004436675", "0043B2C3"),
        ("04123456", "04123456"),  # 8 digits are hex
    ],
)
def test_common_reader_outputs_are_normalised(raw: str, expected: str) -> None:
    assert normalise_uid(raw) == expected


@pytest.mark.parametrize("raw", ["", "xyz", "04A1B2C", "04A1B2", "04A1B2C3D4E5F6A7B8C9D0E1", "04A1-B2G3"])
def test_what_cannot_be_a_uid_is_rejected(raw: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        normalise_uid(raw)
    assert info.value.field == "uid"


@given(st.binary(min_size=4, max_size=10).filter(lambda b: len(b) != 5))
def test_normalising_is_idempotent_for_real_uids(uid: bytes) -> None:
    once = normalise_uid(":".join(f"{b:02x}" for b in uid))
    assert once == uid.hex().upper()
    assert normalise_uid(once) == once
