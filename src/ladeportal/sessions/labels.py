"""What the states and flags of a session are called (English msgids, translated where shown or exported)."""

from __future__ import annotations

from ladeportal.i18n import N_
from ladeportal.sessions import anomalies
from ladeportal.sessions.filters import StateFilter
from ladeportal.sessions.listing import CORRECTED, FALLBACK_PRICE, NO_PRICE_PLAN, NOT_PRICED, PRICE_REVIEW

STATE_LABELS = {
    StateFilter.running: N_("Charging"),
    StateFilter.finished: N_("Finished"),
    StateFilter.no_stop: N_("Ended without a stop"),
}

# What a meter flag means, for the people who review a session (codes from sessions/anomalies.py).
ANOMALY_LABELS = {
    anomalies.METER_RESET: N_("The meter was reset during the session"),
    anomalies.STOP_BELOW_START: N_("The final meter value was below the start value"),
    anomalies.STOP_BELOW_LAST_READING: N_("The final meter value was below an earlier reading"),
    anomalies.MISSING_REGISTER: N_("The charger sent no energy reading"),
    anomalies.UNREADABLE_VALUE: N_("A meter value could not be read"),
    anomalies.KWH_CONVERTED: N_("Meter values came in kWh and were converted"),
    anomalies.KWH_MISLABELLED: N_("Meter values labelled Wh were kWh"),
    anomalies.START_ZERO_REBASED: N_("The meter started at 0 and the start was corrected"),
    anomalies.TAG_NOT_ACCEPTED: N_("The tag was not accepted, but the charger charged"),
    anomalies.NO_STOP_RECEIVED: N_("The charger never reported the end of the session"),
    anomalies.CONFLICTING_DUPLICATE_STOP: N_("The charger reported two different ends"),
    anomalies.UNKNOWN_CONNECTOR: N_("The charger named a connector it does not have"),
}

FLAG_LABELS = {
    **ANOMALY_LABELS,
    FALLBACK_PRICE: N_("Priced with the fallback price (spot price missing)"),
    NO_PRICE_PLAN: N_("No price plan applies"),
    NOT_PRICED: N_("Could not be priced"),
    PRICE_REVIEW: N_("The price needs a review"),
    CORRECTED: N_("Price corrected"),
}


def state_of(running: bool, flags: list[str]) -> StateFilter:
    if running:
        return StateFilter.running
    return StateFilter.no_stop if anomalies.NO_STOP_RECEIVED in flags else StateFilter.finished


# Pricing warnings stored with the price (codes from pricing/breakdown.py: WarningCode).
WARNING_LABELS = {
    "spot_price_missing": N_("No spot price was stored for part of the session: the fallback price was used"),
    "meter_went_backwards": N_("The meter went backwards during the session"),
    "too_few_meter_readings": N_("Too few meter readings to place the energy in time"),
    "disconnected_before_connected": N_("The session ended before it started"),
}

CORRECTION_LABELS = {
    "spot_prices_published": N_("Spot prices arrived after the session was priced"),
}
