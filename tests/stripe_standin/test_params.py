"""Stripe's nested form encoding, decoded."""

from __future__ import annotations

import pytest

from ladeportal.stripe_standin.errors import StripeApiError
from ladeportal.stripe_standin.params import parse_params


def test_hashes_indexed_and_appended_arrays() -> None:
    parsed = parse_params(
        [
            ("company[address][city]", "Oslo"),
            ("company[name]", "Solsiden"),
            ("items[0][price]", "p1"),
            ("items[1][price]", "p2"),
            ("expand[]", "a"),
            ("expand[]", "b"),
            ("metadata[org]", ""),
        ]
    )
    assert parsed == {
        "company": {"address": {"city": "Oslo"}, "name": "Solsiden"},
        "items": [{"price": "p1"}, {"price": "p2"}],
        "expand": ["a", "b"],
        "metadata": {"org": ""},
    }


def test_indexed_arrays_keep_their_order_and_gaps_stay_hashes() -> None:
    assert parse_params([("a[1]", "y"), ("a[0]", "x")]) == {"a": ["x", "y"]}
    assert parse_params([("a[0]", "x"), ("a[2]", "z")]) == {"a": {"0": "x", "2": "z"}}


@pytest.mark.parametrize(
    "pairs", [[("a", "1"), ("a[b]", "2")], [("a[b]", "2"), ("a", "1")], [("a[b", "1")], [("[x]", "1")]]
)
def test_malformed_or_conflicting_names_are_refused(pairs: list[tuple[str, str]]) -> None:
    with pytest.raises(StripeApiError) as caught:
        parse_params(pairs)
    assert caught.value.status == 400
