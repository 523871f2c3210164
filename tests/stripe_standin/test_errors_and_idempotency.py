"""Stripe's errors and Idempotency-Key semantics, through the SDK and raw HTTP."""

from __future__ import annotations

import httpx
import pytest
import stripe

from ladeportal.stripe_standin.server import StandinServer
from tests.stripe_standin.conftest import new_account, sdk_client

PARAMS = {"type": "express", "country": "NO", "metadata": {"org_id": "org-1"}}


def test_same_key_and_parameters_replay_the_stored_response(
    standin: StandinServer, client: stripe.StripeClient
) -> None:
    first = client.v1.accounts.create(PARAMS, {"idempotency_key": "org-1-account"})  # type: ignore[arg-type]
    again = client.v1.accounts.create(PARAMS, {"idempotency_key": "org-1-account"})  # type: ignore[arg-type]
    assert again.id == first.id
    assert len(client.v1.accounts.list().data) == 1

    raw = httpx.post(
        f"{standin.url}/v1/accounts",
        data={"type": "express", "country": "NO", "metadata[org_id]": "org-1"},
        headers={"Authorization": f"Bearer {standin.api_key}", "Idempotency-Key": "org-1-account"},
    )
    assert raw.status_code == 200
    assert raw.headers["Idempotent-Replayed"] == "true"
    assert raw.json()["id"] == first.id


def test_same_key_with_other_parameters_is_an_idempotency_error(client: stripe.StripeClient) -> None:
    first = client.v1.accounts.create(PARAMS, {"idempotency_key": "k1"})  # type: ignore[arg-type]
    with pytest.raises(stripe.IdempotencyError):
        client.v1.accounts.create({**PARAMS, "country": "SE"}, {"idempotency_key": "k1"})  # type: ignore[arg-type]
    assert [a.id for a in client.v1.accounts.list().data] == [first.id]


def test_missing_parameter_names_it_and_stores_nothing(standin: StandinServer, client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.account_links.create({"type": "account_onboarding", "return_url": "https://p.test/r"})  # type: ignore[typeddict-item]
    assert (missing.value.http_status, missing.value.code, missing.value.param) == (400, "parameter_missing", "account")

    account = new_account(client)
    with pytest.raises(stripe.InvalidRequestError) as bad_url:
        client.v1.account_links.create(
            {"account": account.id, "type": "account_onboarding", "refresh_url": "nope", "return_url": "https://p.t/r"}
        )
    assert bad_url.value.param == "refresh_url"
    with pytest.raises(stripe.InvalidRequestError) as bad_type:
        client.v1.accounts.create({"type": "custom"})
    assert bad_type.value.param == "type"
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.accounts.update(account.id, {"metadata": {"a": "1"}, "nickname": "x"})  # type: ignore[typeddict-unknown-key]
    assert unknown.value.param == "nickname"
    assert client.v1.accounts.retrieve(account.id).metadata.to_dict() == {}  # the failed update changed nothing
    assert standin.events() == []


def test_bad_or_missing_api_key_is_401(standin: StandinServer) -> None:
    with pytest.raises(stripe.AuthenticationError) as bad:
        sdk_client(standin, api_key="sk_live_realkey123456").v1.accounts.list()
    assert bad.value.http_status == 401
    raw = httpx.get(f"{standin.url}/v1/accounts")
    assert raw.status_code == 401
    assert raw.json()["error"]["type"] == "invalid_request_error"
    assert raw.headers["Request-Id"].startswith("req_")


def test_unknown_account_is_resource_missing(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.accounts.retrieve("acct_doesnotexist000000")
    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")
    with pytest.raises(stripe.InvalidRequestError) as link_missing:
        client.v1.account_links.create(
            {
                "account": "acct_doesnotexist000000",
                "type": "account_onboarding",
                "refresh_url": "https://p.test/refresh",
                "return_url": "https://p.test/return",
            }
        )
    assert (link_missing.value.code, link_missing.value.param) == ("resource_missing", "account")
    with pytest.raises(stripe.PermissionError):
        client.v1.events.list(options={"stripe_account": "acct_doesnotexist000000"})


def test_unrecognized_url_is_a_404_not_a_success(standin: StandinServer) -> None:
    answer = httpx.post(
        f"{standin.url}/v1/subscriptions",
        data={"customer": "cus_x"},
        headers={"Authorization": f"Bearer {standin.api_key}"},
    )
    assert answer.status_code == 404
    error = answer.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["message"].startswith("Unrecognized request URL (POST: /v1/subscriptions)")


def test_account_update_links_are_refused_for_express_accounts(client: stripe.StripeClient) -> None:
    account = new_account(client)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.account_links.create(
            {
                "account": account.id,
                "type": "account_update",
                "refresh_url": "https://p.test/refresh",
                "return_url": "https://p.test/return",
            }
        )
    assert refused.value.param == "type"


def test_injected_failures_are_retried_by_the_sdk(standin: StandinServer) -> None:
    retrying = stripe.StripeClient(
        standin.api_key,
        base_addresses={"api": standin.url},
        http_client=stripe.HTTPXClient(allow_sync_methods=True),
        max_network_retries=2,
    )
    standin.inject_failures(500, 409)
    assert retrying.v1.accounts.list().data == []
    standin.inject_failures(503, 503, 503)
    with pytest.raises(stripe.APIError):
        retrying.v1.accounts.list()
    standin.inject_failures(429)
    with pytest.raises(stripe.RateLimitError):
        sdk_client(standin).v1.accounts.list()
    assert retrying.v1.accounts.list().data == []  # the failures were used up, one request each


def test_the_platform_cannot_accept_the_terms_for_an_express_account(client: stripe.StripeClient) -> None:
    account = new_account(client)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.accounts.update(account.id, {"tos_acceptance": {"date": 1700000000, "ip": "10.0.0.1"}})
    assert refused.value.param == "tos_acceptance"
    assert "tos_acceptance.date" in client.v1.accounts.retrieve(account.id).requirements.currently_due


def test_concurrent_retries_with_one_key_make_one_account(standin: StandinServer) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def create(_: int) -> httpx.Response:
        return httpx.post(
            f"{standin.url}/v1/accounts",
            data={"type": "express", "country": "NO"},
            headers={"Authorization": f"Bearer {standin.api_key}", "Idempotency-Key": "same-everywhere"},
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(create, range(16)))
    created = {a.json()["id"] for a in answers if a.status_code == 200}
    assert len(created) == 1
    assert all(a.status_code == 200 or a.json()["error"]["type"] == "idempotency_error" for a in answers)
    assert len(standin.store.accounts) == 1
