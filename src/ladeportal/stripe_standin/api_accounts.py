"""/v1/accounts, /v1/accounts/{id}/login_links and /v1/account_links."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import urlparse

from ladeportal.stripe_standin.account_changes import change_account, get_account
from ladeportal.stripe_standin.accounts import apply_update, new_account
from ladeportal.stripe_standin.api import ApiRequest, check_expand
from ladeportal.stripe_standin.errors import StripeApiError, invalid_param, missing_param, resource_missing
from ladeportal.stripe_standin.ids import new_id, new_token
from ladeportal.stripe_standin.listing import LIST_PARAMS, list_object
from ladeportal.stripe_standin.params import as_string, reject_unknown

ACCOUNT_EXPANDABLE = frozenset({"settings.branding.icon", "settings.branding.logo"})
LINK_SECONDS = 300
LINK_TYPES = ("account_onboarding", "account_update")


def _platform_only(api: ApiRequest) -> None:
    if api.stripe_account is not None:
        raise StripeApiError(
            400,
            "This request must be made with the platform's own key, without a Stripe-Account header.",
            param="stripe_account",
        )


def _no_tos_for_express(params: dict[str, Any]) -> None:
    # Stripe collects an Express account's terms acceptance on its own pages; the platform cannot.
    if "tos_acceptance" in params:
        raise StripeApiError(
            400,
            "You cannot accept the Terms of Service on behalf of an Express account: Stripe collects it "
            "during onboarding.",
            param="tos_acceptance",
        )


def create_account(api: ApiRequest) -> dict[str, Any]:
    _platform_only(api)
    _no_tos_for_express(api.params)
    check_expand(api.params, ACCOUNT_EXPANDABLE)
    store = api.store
    account_id = new_id("acct", 16)
    account = new_account(account_id, api.params, store.clock.timestamp())
    with store.lock:
        store.accounts[account_id] = account
    store.changed()
    return copy.deepcopy(account)


def retrieve_account(api: ApiRequest) -> dict[str, Any]:
    reject_unknown(api.params, ("expand",))
    check_expand(api.params, ACCOUNT_EXPANDABLE)
    account_id = api.path_params["account"]
    if api.stripe_account is not None and account_id != api.stripe_account:
        raise resource_missing("account", account_id)
    return get_account(api.store, account_id)


def update_account(api: ApiRequest) -> dict[str, Any]:
    check_expand(api.params, ACCOUNT_EXPANDABLE)
    account_id = api.path_params["account"]
    if api.stripe_account is not None and account_id != api.stripe_account:
        raise resource_missing("account", account_id)
    get_account(api.store, account_id)  # 404 for an unknown id, with param "id"
    _no_tos_for_express(api.params)
    params = {k: v for k, v in api.params.items() if k != "expand"}
    return change_account(
        api.store,
        account_id,
        lambda account: apply_update(account, params, tos_ip=api.client_ip),
        request_id=api.request_id,
        idempotency_key=api.idempotency_key,
    )


def list_accounts(api: ApiRequest) -> dict[str, Any]:
    _platform_only(api)
    reject_unknown(api.params, (*LIST_PARAMS, "created"))
    check_expand(api.params, frozenset(f"data.{path}" for path in ACCOUNT_EXPANDABLE))
    if "created" in api.params:
        raise StripeApiError(400, "The stand-in does not filter accounts by `created`.", param="created")
    with api.store.lock:
        newest_first = [copy.deepcopy(a) for a in reversed(api.store.accounts.values())]
    return list_object(newest_first, api.params, url="/v1/accounts", kind="account")


def _url(params: dict[str, Any], name: str) -> str:
    value = as_string(params, name)
    if not value:
        raise missing_param(name)
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise invalid_param(name, "Not a valid URL")
    return value


def create_account_link(api: ApiRequest) -> dict[str, Any]:
    _platform_only(api)
    params = api.params
    reject_unknown(params, ("account", "type", "refresh_url", "return_url", "collect", "collection_options", "expand"))
    check_expand(params, frozenset())
    account_id = as_string(params, "account")
    if not account_id:
        raise missing_param("account")
    link_type = as_string(params, "type")
    if not link_type:
        raise missing_param("type")
    if link_type not in LINK_TYPES:
        raise invalid_param("type", f"Invalid type: must be one of {', '.join(LINK_TYPES)}")
    account = get_account(api.store, account_id, "account")
    if link_type == "account_update":
        # Stripe collects an Express account's later updates itself (its Express dashboard), so it
        # refuses account_update links for them; so does the stand-in, to fail here and not in production.
        raise invalid_param(
            "type",
            "You cannot create `account_update` type Account Links for Express accounts.",
        )
    refresh_url, return_url = _url(params, "refresh_url"), _url(params, "return_url")
    collect = as_string(params, "collect") or "currently_due"
    if collect not in ("currently_due", "eventually_due"):
        raise invalid_param("collect", "Invalid collect: must be one of currently_due, eventually_due")
    store = api.store
    created = store.clock.timestamp()
    token = new_token(12)
    link = {
        "token": token,
        "account": account["id"],
        "type": link_type,
        "refresh_url": refresh_url,
        "return_url": return_url,
        "collect": collect,
        "created": created,
        "expires_at": created + LINK_SECONDS,
        "used": False,
    }
    with store.lock:
        store.account_links[token] = link
    store.changed()
    return {
        "object": "account_link",
        "created": created,
        "expires_at": created + LINK_SECONDS,
        "url": f"{api.base_url}/setup/s/{account['id']}/{token}",
    }


def create_login_link(api: ApiRequest) -> dict[str, Any]:
    _platform_only(api)
    reject_unknown(api.params, ("expand",))
    check_expand(api.params, frozenset())
    account = get_account(api.store, api.path_params["account"], "account")
    if not account["details_submitted"]:
        raise StripeApiError(
            400,
            "Cannot create a login link for an account that has not completed onboarding.",
            param="account",
        )
    store = api.store
    token = new_token(12)
    created = store.clock.timestamp()
    with store.lock:
        store.login_links[token] = {"token": token, "account": account["id"], "created": created}
    store.changed()
    return {"object": "login_link", "created": created, "url": f"{api.base_url}/express/{account['id']}/{token}"}
