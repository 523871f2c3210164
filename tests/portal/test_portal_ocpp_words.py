"""The charger's OCPP words (answers, statuses, error codes) read in Norwegian on a Norwegian page."""

from __future__ import annotations

import contextvars

from ladeportal import i18n
from ladeportal.web.portal.ocpp_words import OCPP_WORDS, ocpp_word


def _in_norwegian() -> None:
    i18n.set_language("nb")
    assert [word for word in OCPP_WORDS if ocpp_word(word) == OCPP_WORDS[word]] == []
    assert [ocpp_word(w) for w in ("Accepted", "Rejected", "NotSupported", "Scheduled", "GroundFailure")] == [
        "Godtatt",
        "Avvist",
        "Støttes ikke",
        "Planlagt",
        "Jordfeil",
    ]
    assert ocpp_word("VendorSpecificThing") == "VendorSpecificThing"  # a vendor's own word, as sent
    assert ocpp_word(None) == ""


def test_every_ocpp_word_has_a_norwegian_name_and_unknown_words_stay_as_sent() -> None:
    contextvars.copy_context().run(_in_norwegian)
