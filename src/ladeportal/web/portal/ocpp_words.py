"""OCPP 1.6 words as the portal says them: a charger's answers to commands, connector statuses, its
error codes and the CALLERROR codes. The charger's own word stays in the database; a word this table
does not know (a vendor's extension) is shown as the charger sent it."""

from __future__ import annotations

from ladeportal.i18n import N_, gettext
from ladeportal.web.portal.readmodels import CONNECTOR_LABELS

OCPP_WORDS = {
    # Answers to commands (status of a CALLRESULT)
    "Accepted": N_("Accepted"),
    "Rejected": N_("Rejected"),
    "Unlocked": N_("Unlocked"),
    "UnlockFailed": N_("Unlock failed"),
    "NotSupported": N_("Not supported"),
    "Scheduled": N_("Scheduled"),
    "RebootRequired": N_("Restart required"),
    "Failed": N_("Failed"),
    "VersionMismatch": N_("Version mismatch"),
    "Blocked": N_("Blocked"),
    "Expired": N_("Expired"),
    "Invalid": N_("Invalid"),
    "ConcurrentTx": N_("Already charging"),
    "Occupied": N_("Occupied"),
    # Connector statuses (StatusNotification): the names the chargers list and status card use.
    **CONNECTOR_LABELS,
    # Charger error codes (StatusNotification errorCode)
    "NoError": N_("No error"),
    "ConnectorLockFailure": N_("Connector lock failure"),
    "EVCommunicationError": N_("Communication error with the car"),
    "GroundFailure": N_("Ground fault"),
    "HighTemperature": N_("High temperature"),
    "InternalError": N_("Internal error"),
    "LocalListConflict": N_("Access list conflict"),
    "OtherError": N_("Other error"),
    "OverCurrentFailure": N_("Overcurrent"),
    "OverVoltage": N_("Overvoltage"),
    "PowerMeterFailure": N_("Meter failure"),
    "PowerSwitchFailure": N_("Power switch failure"),
    "ReaderFailure": N_("Card reader failure"),
    "ResetFailure": N_("Restart failure"),
    "UnderVoltage": N_("Undervoltage"),
    "WeakSignal": N_("Weak signal"),
    # CALLERROR codes (the charger could not handle the command)
    "NotImplemented": N_("Not implemented"),
    "ProtocolError": N_("Protocol error"),
    "SecurityError": N_("Security error"),
    "FormationViolation": N_("Malformed message"),
    "PropertyConstraintViolation": N_("Invalid value"),
    "OccurenceConstraintViolation": N_("Invalid message"),
    "TypeConstraintViolation": N_("Invalid value"),
    "GenericError": N_("Error"),
    "Superseded": N_("Replaced by a newer list"),
}


def ocpp_word(value: str | None) -> str:
    """The word in the reader's language; an unknown word as the charger sent it."""
    if not value:
        return ""
    return gettext(OCPP_WORDS[value]) if value in OCPP_WORDS else value
