"""Every text of the group page, the confirmation before a price assignment is removed and the tag
states has its Norwegian translation: no English words on a Norwegian page."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

import ladeportal

SRC = Path(ladeportal.__file__).resolve().parent
PO = SRC / "i18n" / "locales" / "nb" / "LC_MESSAGES" / "messages.po"
PAGES = SRC / "web" / "portal" / "pages"
TEMPLATES = SRC / "web" / "templates" / "portal"
PYTHON = [PAGES / "group_price.py", PAGES / "price_removal.py"]
JINJA = [TEMPLATES / "groups" / "detail.html", TEMPLATES / "prices" / "remove.html", TEMPLATES / "rfid" / "_state.html"]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def test_every_text_has_a_norwegian_translation() -> None:
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="nb")
    found: set[str] = set()
    sources = [(p, "python", {}) for p in PYTHON] + [(p, "jinja2", {"extensions": "jinja2.ext.i18n"}) for p in JINJA]
    for path, method, options in sources:
        for _line, message, _comments, _context in extract_from_file(
            method, str(path), keywords=KEYWORDS, options=options
        ):
            found.add(message[0] if isinstance(message, tuple) else message)
    assert "What the group pays" in found and "Blocked (the member is blocked)" in found
    missing = []
    for msgid in sorted(found):
        entry = catalog.get(msgid)
        text = entry.string if entry is not None else ""
        if not (text[0] if isinstance(text, tuple) else text):
            missing.append(msgid)
    assert missing == []
