"""Errors of every area carry a code, shown in the reader's language; an error without a known code is
still shown by its English message, and the log names it so the missing code is noticed."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import date

import pytest

from ladeportal import i18n
from ladeportal.errors import DomainError, ValidationFailed
from ladeportal.limits import check_date
from ladeportal.members.import_plan import RowResult, RowStatus
from ladeportal.pricing.spot_ranges import checked_area, checked_range
from ladeportal.sessions.filters import parse_filter
from ladeportal.web.portal.error_texts import TEXTS, error_text
from ladeportal.web.portal.pages.members_messages import row_text


@pytest.fixture(autouse=True)
def bokmal() -> Iterator[None]:
    i18n.set_language("nb")
    yield
    i18n.set_language("nb")


def _shown(call: Callable[[], object]) -> tuple[str | None, str]:
    with pytest.raises(DomainError) as caught:
        call()
    assert caught.value.code in TEXTS
    return caught.value.code, error_text(caught.value)


def test_errors_outside_the_first_areas_are_shown_by_code(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="ladeportal.web.portal.error_texts"):
        assert _shown(lambda: check_date(date(1900, 1, 1), "since")) == (
            "date.out_of_range",
            "Oppgi en dato mellom 1970 og 2199.",
        )
        assert _shown(lambda: parse_filter(since="2026-03-31", until="2026-03-01")) == (
            "sessions.dates_reversed",
            "Sluttdatoen er før startdatoen.",
        )
        assert _shown(lambda: parse_filter(state="glemt")) == ("form.choice_invalid", "Velg en verdi fra listen.")
        assert _shown(lambda: checked_area("NO9")) == (
            "site.price_area_unknown",
            "NO9 er ikke et prisområde; bruk et av NO1, NO2, NO3, NO4, NO5, SE1, SE2, SE3, SE4.",
        )
        assert _shown(lambda: checked_range("NO1", date(2026, 3, 2), date(2026, 3, 1)))[1] == (
            "Perioden slutter (2026-03-01) før den begynner (2026-03-02)."
        )
    assert caplog.records == []


def test_an_error_without_a_known_code_is_shown_in_english_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="ladeportal.web.portal.error_texts"):
        assert error_text(ValidationFailed("Something brand new.")) == "Something brand new."
        assert error_text(ValidationFailed("Another new thing.", code="nowhere.unknown")) == "Another new thing."
        row = RowResult(line=2, status=RowStatus.error, message="A row problem nobody named.")
        assert row_text(row) == "A row problem nobody named."
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 3
    assert "Something brand new." in warnings[0]
    assert "'nowhere.unknown'" in warnings[1] and "Another new thing." in warnings[1]
    assert "A row problem nobody named." in warnings[2]
