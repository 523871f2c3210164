"""What an organisation knows about its member (name, e-mail, notes, parking spot): cleaned and
bounded here, so every entry point (API, portal, import, CLI) stores the same thing and an
over-long value is a field error instead of the database refusing the row."""

from __future__ import annotations

from dataclasses import dataclass

from ladeportal.errors import ValidationFailed

NAME_MAX = 200
EMAIL_MAX = 254
NOTES_MAX = 1000
PARKING_SPOT_MAX = 40


def optional_text(value: object, field: str, limit: int) -> str | None:
    text = str(value or "").strip() or None
    if text is not None and len(text) > limit:
        raise ValidationFailed(
            f"At most {limit} characters.", field=field, code="text.too_long", params={"limit": limit}
        )
    return text


def clean_email(value: str | None) -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    if len(text) > EMAIL_MAX:
        raise ValidationFailed(
            f"At most {EMAIL_MAX} characters.", field="email", code="text.too_long", params={"limit": EMAIL_MAX}
        )
    if "@" not in text or text.startswith("@") or text.endswith("@") or " " in text:
        raise ValidationFailed(
            f"{value!r} is not an e-mail address.", field="email", code="email.invalid", params={"address": text}
        )
    return text


@dataclass(frozen=True)
class MemberProfile:
    """The membership's own fields, cleaned; None means empty."""

    name: str | None = None
    email: str | None = None
    notes: str | None = None
    parking_spot: str | None = None


def clean_profile(
    name: object = None, email: str | None = None, notes: object = None, parking_spot: object = None
) -> MemberProfile:
    return MemberProfile(
        name=optional_text(name, "name", NAME_MAX),
        email=clean_email(email),
        notes=optional_text(notes, "notes", NOTES_MAX),
        parking_spot=optional_text(parking_spot, "parking_spot", PARKING_SPOT_MAX),
    )
