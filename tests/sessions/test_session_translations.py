"""Every text of the sessions page, its detail view, its filters' messages, flags and export has its
Norwegian translation: no English words on a Norwegian page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

import ladeportal

SRC = Path(ladeportal.__file__).resolve().parent
PO = SRC / "i18n" / "locales" / "nb" / "LC_MESSAGES" / "messages.po"
PYTHON = [SRC / "sessions" / name for name in ("filters.py", "labels.py", "export.py")] + [
    SRC / "web" / "portal" / "pages" / "sessions.py"
]
TEMPLATES = sorted((SRC / "web" / "templates" / "portal" / "sessions").glob("*.html"))
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def _msgids() -> set[str]:
    found: set[str] = set()
    sources: list[tuple[Path, str, dict[str, str]]] = [(p, "python", {}) for p in PYTHON] + [
        (p, "jinja2", {"extensions": "jinja2.ext.i18n"}) for p in TEMPLATES
    ]
    for path, method, options in sources:
        for _line, message, _comments, _context in extract_from_file(
            method, str(path), keywords=KEYWORDS, options=options
        ):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_sessions_text_has_a_norwegian_translation() -> None:
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="nb")
    msgids = _msgids()
    assert "Only sessions with remarks" in msgids and "Ended without a stop" in msgids
    assert sorted(m for m in msgids if not _translated(catalog.get(m))) == []


def _translated(entry: Any) -> bool:
    if entry is None:
        return False
    strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
    return all(strings)
