"""The quarter's price of a plan: graduated tiers, the minimum, proration, VAT per line as Stripe adds it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ladeportal.errors import ValidationFailed
from ladeportal.subscriptions.plans import PlanInput, validated
from ladeportal.subscriptions.pricing import Added, Tier, quarter_quote, vat_of
from ladeportal.subscriptions.quarters import Quarter

TIERS = (Tier(10, 10000), Tier(50, 8000), Tier(None, 6000))


def quote(quantity: int, minimum: int = 0, added: tuple[Added, ...] = ()):  # type: ignore[no-untyped-def]
    return quarter_quote(TIERS, quantity, minimum_quarter_minor=minimum, currency="NOK", vat_rate_bp=2500, added=added)


def test_graduated_tiers_price_each_unit_at_its_own_tier() -> None:
    result = quote(60)
    assert [(line.units, line.first_unit, line.last_unit) for line in result.lines] == [
        (10, 1, 10),
        (40, 11, 50),
        (10, 51, 60),
    ]
    assert result.net_minor == 3 * (10 * 10000 + 40 * 8000 + 10 * 6000)
    assert result.vat_minor == result.net_minor // 4
    assert result.total_minor == result.net_minor + result.vat_minor


def test_the_minimum_tops_up_the_base_charge_only_when_below_it() -> None:
    small = quote(2, minimum=100000)
    assert [line.kind for line in small.lines] == ["tier", "minimum"]
    assert small.net_minor == 100000
    assert [line.kind for line in quote(5, minimum=100000).lines] == ["tier"]  # 5 x 100 kr x 3 = 1500 kr
    assert quote(0, minimum=50000).net_minor == 50000
    assert quote(0).lines == ()


def test_a_charger_added_mid_quarter_pays_its_days_at_the_marginal_tier_price() -> None:
    # 12 chargers now: the 12th is in the second tier (80 kr); 2 were there 45 of 91 days.
    result = quote(12, added=(Added(2, 45, 91),))
    prorate = [line for line in result.lines if line.kind == "prorate"]
    assert len(prorate) == 1
    assert prorate[0].unit_price_minor == 8000
    assert prorate[0].net_minor == round(2 * 8000 * 3 * 45 / 91)
    assert prorate[0].vat_minor == vat_of(prorate[0].net_minor, 2500)


def test_vat_rounds_half_up_per_line() -> None:
    assert vat_of(2, 2500) == 1  # 0.5 øre rounds up
    assert vat_of(1, 2500) == 0


@given(
    quantity=st.integers(0, 500),
    minimum=st.integers(0, 10_000_000),
    days=st.integers(1, 92),
    units=st.integers(0, 20),
)
def test_lines_reconcile_to_totals_and_never_undercut_the_minimum(
    quantity: int, minimum: int, days: int, units: int
) -> None:
    result = quote(quantity, minimum, (Added(units, days, 92),))
    assert result.total_minor == sum(line.net_minor + line.vat_minor for line in result.lines)
    base = sum(line.net_minor for line in result.lines if line.kind != "prorate")
    assert base == max(minimum, base) >= minimum
    assert sum(line.units for line in result.lines if line.kind == "tier") == quantity
    # One more unit never costs less.
    assert quote(quantity + 1, minimum).net_minor >= quote(quantity, minimum).net_minor


def test_quarters() -> None:
    q = Quarter.parse("2027-q1")
    assert str(q) == "2027-Q1" and q.days == 90 and str(q.previous()) == "2026-Q4" and str(q.next()) == "2027-Q2"
    with pytest.raises(ValidationFailed):
        Quarter.parse("2027-5")


@pytest.mark.parametrize(
    ("tiers", "code"),
    [
        ([(10, 100), (5, 50), (None, 10)], "subscriptions.tier_order"),
        ([(10, 100)], "subscriptions.tier_last_open"),
        ([(None, -1)], "subscriptions.tier_price"),
        ([], "subscriptions.tiers_count"),
    ],
)
def test_bad_tiers_are_refused(tiers: list[tuple[int | None, int]], code: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        validated(PlanInput("P", "charger", "NOK", tiers, 0, "prorate"))
    assert caught.value.code == code
