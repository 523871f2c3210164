"""Languages of the portal: message catalogues (Babel/gettext) and the current request's language.

Catalogues live in locales/<lang>/LC_MESSAGES/messages.po; `pybabel compile` turns them into .mo at
build time. A checkout that has not been built yet still works: a missing .mo is compiled from the
.po in memory, so tests and `make run` never show untranslated pages by accident.
"""

from __future__ import annotations

import gettext as gettext_module
import io
import logging
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

log = logging.getLogger(__name__)

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
DOMAIN = "messages"
# Bokmål first (the product's main market). The portal speaks these; the end-user app (/app) also
# Swedish, whose catalogue holds the app's strings.
LANGUAGES: dict[str, str] = {"nb": "Norsk bokmål", "en": "English"}
APP_LANGUAGES: dict[str, str] = {**LANGUAGES, "sv": "Svenska"}
DEFAULT_LANGUAGE = "nb"
# Babel locales for number and date formats: British English keeps the 24-hour clock and day-month
# order that Nordic users expect even in English.
BABEL_LOCALES = {"nb": "nb_NO", "en": "en_GB", "sv": "sv_SE"}

_current: ContextVar[str] = ContextVar("ladeportal_language", default=DEFAULT_LANGUAGE)


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet (nav labels, module constants)."""
    return message


@lru_cache(maxsize=8)
def translations(language: str) -> gettext_module.NullTranslations:
    if language not in APP_LANGUAGES or language == "en":
        # English is the source language: msgids are the English text.
        return gettext_module.NullTranslations()
    folder = LOCALES_DIR / language / "LC_MESSAGES"
    mo_path, po_path = folder / f"{DOMAIN}.mo", folder / f"{DOMAIN}.po"
    if mo_path.exists() and (not po_path.exists() or mo_path.stat().st_mtime >= po_path.stat().st_mtime):
        with mo_path.open("rb") as fh:
            return gettext_module.GNUTranslations(fh)
    if po_path.exists():
        log.info("compiling %s in memory (run `pybabel compile` at build time)", po_path.name)
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=language)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        return gettext_module.GNUTranslations(buffer)
    return gettext_module.NullTranslations()


def pick_language(*candidates: str | None, allowed: dict[str, str] = LANGUAGES) -> str:
    """The first supported language (of `allowed`) among cookie, profile and Accept-Language values."""
    for candidate in candidates:
        for part in (candidate or "").split(","):
            code = part.split(";")[0].strip().lower()
            code = {"no": "nb", "nn": "nb"}.get(code[:2], code[:2])
            if code in allowed:
                return code
    return DEFAULT_LANGUAGE


def set_language(language: str) -> None:
    _current.set(language if language in APP_LANGUAGES else DEFAULT_LANGUAGE)


def current_language() -> str:
    return _current.get()


def gettext(message: str) -> str:
    return translations(current_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_language()).ngettext(singular, plural, n)


_ = gettext
