"""All of the stand-in's state in one place, guarded by one lock: the server thread serves requests while
a test's thread calls the helpers, and the webhook and clock threads read events and accounts."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from typing import Any

from ladeportal.stripe_standin.clock import Clock

Listener = Callable[[dict[str, Any]], None]


class Store:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.accounts: dict[str, dict[str, Any]] = {}  # in creation order
        self.account_links: dict[str, dict[str, Any]] = {}  # by the token in the link's url
        self.form_sessions: dict[str, dict[str, Any]] = {}  # a hosted form opened from a link
        self.login_links: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        # What the hosted form was given that Stripe keeps off the account object (the representative).
        self.onboarding_details: dict[str, dict[str, str]] = {}
        self.idempotent_responses: dict[str, dict[str, Any]] = {}
        self.verifications_due: dict[str, float] = {}  # account id -> stand-in time its details are verified
        self.verify_delay_seconds = 0.0
        self.pending_webhooks = 0  # endpoints an event goes to: 1 with a webhook url, else 0
        self.injected_failures: list[int] = []  # statuses the next API requests answer with, for tests
        # Billing objects by kind ("customer", "invoice", ...) and id, in creation order.
        self.objects: dict[str, dict[str, dict[str, Any]]] = {}
        # What Stripe keeps about an object but does not show: whose it is ("account": None for the
        # platform's own), a hosted page's token, which notices were sent.
        self.internal: dict[str, dict[str, Any]] = {}
        self.hosted_pages: dict[str, str] = {}  # hosted page token -> invoice id
        self.base_url = ""  # where the server answers, for hosted page links
        self.platform_name = "Ladeportal"  # the platform account's public business name
        self._event_listeners: list[Listener] = []
        self._change_listeners: list[Callable[[], None]] = []

    def on_event(self, listener: Listener) -> None:
        self._event_listeners.append(listener)

    def on_change(self, listener: Callable[[], None]) -> None:
        self._change_listeners.append(listener)

    def changed(self) -> None:
        for listener in self._change_listeners:
            listener()

    def add_event(self, event: dict[str, Any]) -> None:
        with self.lock:
            self.events.append(event)
        for listener in self._event_listeners:
            listener(copy.deepcopy(event))
        self.changed()

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(
                {
                    "clock_offset": self.clock.offset,
                    "accounts": self.accounts,
                    "account_links": self.account_links,
                    "form_sessions": self.form_sessions,
                    "login_links": self.login_links,
                    "events": self.events,
                    "onboarding_details": self.onboarding_details,
                    "idempotent_responses": self.idempotent_responses,
                    "verifications_due": self.verifications_due,
                    "objects": self.objects,
                    "internal": self.internal,
                    "hosted_pages": self.hosted_pages,
                }
            )

    def restore(self, data: dict[str, Any]) -> None:
        with self.lock:
            offset = float(data.get("clock_offset", 0.0))
            if offset > self.clock.offset:
                self.clock.advance(offset - self.clock.offset)
            self.accounts = dict(data.get("accounts", {}))
            self.account_links = dict(data.get("account_links", {}))
            self.form_sessions = dict(data.get("form_sessions", {}))
            self.login_links = dict(data.get("login_links", {}))
            self.events = list(data.get("events", []))
            self.onboarding_details = dict(data.get("onboarding_details", {}))
            self.idempotent_responses = dict(data.get("idempotent_responses", {}))
            self.verifications_due = {k: float(v) for k, v in data.get("verifications_due", {}).items()}
            self.objects = {kind: dict(items) for kind, items in data.get("objects", {}).items()}
            self.internal = dict(data.get("internal", {}))
            self.hosted_pages = dict(data.get("hosted_pages", {}))
