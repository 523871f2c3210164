"""Stripe's list objects: newest first, `limit` (1-100, default 10), `starting_after` / `ending_before`
cursors (ids of the list's own objects) and `has_more`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ladeportal.stripe_standin.errors import StripeApiError, resource_missing
from ladeportal.stripe_standin.params import as_int, as_string

LIST_PARAMS = ("limit", "starting_after", "ending_before", "expand")


def list_object(
    items_newest_first: Sequence[dict[str, Any]], params: dict[str, Any], *, url: str, kind: str
) -> dict[str, Any]:
    limit = as_int(params, "limit", low=1, high=100) or 10
    starting_after = as_string(params, "starting_after")
    ending_before = as_string(params, "ending_before")
    if starting_after and ending_before:
        raise StripeApiError(
            400, "You may only specify one of these parameters: ending_before, starting_after.", param="ending_before"
        )
    ids = [item["id"] for item in items_newest_first]
    if starting_after:
        if starting_after not in ids:
            raise resource_missing(kind, starting_after, "starting_after")
        after = list(items_newest_first[ids.index(starting_after) + 1 :])
        page, has_more = after[:limit], len(after) > limit
    elif ending_before:
        if ending_before not in ids:
            raise resource_missing(kind, ending_before, "ending_before")
        before = list(items_newest_first[: ids.index(ending_before)])
        page, has_more = before[-limit:], len(before) > limit
    else:
        page, has_more = list(items_newest_first[:limit]), len(items_newest_first) > limit
    return {"object": "list", "data": page, "has_more": has_more, "url": url}
