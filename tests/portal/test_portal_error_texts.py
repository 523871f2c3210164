"""Domain errors are shown by their code in the reader's language; no code falls back to English."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from babel.messages.pofile import read_po

from ladeportal import i18n
from ladeportal.errors import Conflict, ValidationFailed
from ladeportal.i18n import LOCALES_DIR
from ladeportal.web.portal.error_texts import TEXTS, error_text

SRC = Path(i18n.__file__).resolve().parents[1]
CODE_LITERAL = re.compile(r"""\bcode=["']([a-z_]+\.[a-z_.]+)["']""")


def _codes_raised_in_src() -> set[str]:
    return {code for path in SRC.rglob("*.py") for code in CODE_LITERAL.findall(path.read_text(encoding="utf-8"))}


def test_every_code_raised_in_src_has_a_text_and_a_bokmal_translation() -> None:
    raised = _codes_raised_in_src()
    assert {"member.phone_invalid", "member.already_member", "price.amount_too_large", "login.code_wrong"} <= raised
    assert raised - TEXTS.keys() == set(), "codes without a text in web/portal/error_texts.py"
    with (LOCALES_DIR / "nb" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="nb")
    untranslated = {code for code, msgid in TEXTS.items() if not (catalog.get(msgid) and catalog[msgid].string)}
    assert untranslated == set()
    placeholders = re.compile(r"%\((\w+)\)s")
    for code, msgid in TEXTS.items():
        message = catalog[msgid]
        assert message is not None and not message.fuzzy, code
        assert set(placeholders.findall(str(message.string))) == set(placeholders.findall(msgid)), code


def test_an_error_is_shown_by_its_code_with_its_values_in_the_readers_way() -> None:
    duplicate = Conflict(
        "+4791234567 is already a member.", code="member.already_member", params={"phone": "+4791234567"}
    )
    too_large = ValidationFailed(
        "must be at most 100000",
        code="price.amount_too_large",
        params={"amount": Decimal("250000.5"), "maximum": 100000},
    )
    try:
        i18n.set_language("nb")
        assert error_text(duplicate) == "+4791234567 er allerede medlem av denne organisasjonen."
        assert error_text(too_large) == "250\u00a0000,5 er mer enn det høyeste tillatte beløpet, 100\u00a0000."
        i18n.set_language("en")
        assert error_text(too_large) == "250,000.5 is more than the highest amount allowed, 100,000."
    finally:
        i18n.set_language("nb")


def test_an_error_without_a_known_code_is_shown_by_its_message() -> None:
    i18n.set_language("nb")
    assert error_text(ValidationFailed("No such site.")) == "Anlegget finnes ikke."
    assert error_text(ValidationFailed("Something new.", code="nowhere.unknown")) == "Something new."
