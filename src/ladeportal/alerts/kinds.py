"""What can be wrong, as stored in `alerts.kind`, and how each kind is named to people."""

from __future__ import annotations

from ladeportal.i18n import N_

CHARGER_OFFLINE = "charger_offline"
CONNECTOR_FAULTED = "connector_faulted"
ORPHAN_MESSAGE = "orphan_message"
SESSION_FLAGGED = "session_flagged"
SESSION_PRICE_FALLBACK = "session_price_fallback"
SPOT_PRICES_MISSING = "spot_prices_missing"
GUEST_CAPTURE_FAILED = "guest_capture_failed"

KINDS = (
    CHARGER_OFFLINE,
    CONNECTOR_FAULTED,
    ORPHAN_MESSAGE,
    SESSION_FLAGGED,
    SESSION_PRICE_FALLBACK,
    SPOT_PRICES_MISSING,
    GUEST_CAPTURE_FAILED,
)

LABELS = {
    CHARGER_OFFLINE: N_("Charger offline"),
    CONNECTOR_FAULTED: N_("Connector faulted"),
    ORPHAN_MESSAGE: N_("Transaction message not matched"),
    SESSION_FLAGGED: N_("Session with flagged meter values"),
    SESSION_PRICE_FALLBACK: N_("Session billed at the fallback price"),
    SPOT_PRICES_MISSING: N_("Spot prices could not be fetched"),
    GUEST_CAPTURE_FAILED: N_("A guest's card payment could not be captured"),
}
