"""OCPP 1.6J: the message set, its schemas (from the `ocpp` package) and our handlers."""

from __future__ import annotations

from ladeportal.ocpp.frames import Fault
from ladeportal.ocpp.v16 import core_handlers, transaction_handlers
from ladeportal.ocpp.versions import ProtocolVersion, schema_actions

SUBPROTOCOL = "ocpp1.6"
SCHEMA_PACKAGE = "ocpp.v16"

# OCPP-J 1.6 spells two codes differently from 2.0.1 (FormationViolation, OccurenceConstraintViolation).
ERROR_CODES = {
    Fault.formation: "FormationViolation",
    Fault.protocol: "ProtocolError",
    Fault.not_implemented: "NotImplemented",
    Fault.not_supported: "NotSupported",
    Fault.internal: "InternalError",
    Fault.type_constraint: "TypeConstraintViolation",
    Fault.property_constraint: "PropertyConstraintViolation",
    Fault.occurrence_constraint: "OccurenceConstraintViolation",
    Fault.security: "SecurityError",
    Fault.generic: "GenericError",
}

HANDLERS = {
    "BootNotification": core_handlers.boot_notification,
    "Heartbeat": core_handlers.heartbeat,
    "StatusNotification": core_handlers.status_notification,
    "DataTransfer": core_handlers.data_transfer,
    "DiagnosticsStatusNotification": core_handlers.diagnostics_status_notification,
    "FirmwareStatusNotification": core_handlers.firmware_status_notification,
    "Authorize": transaction_handlers.authorize,
    "StartTransaction": transaction_handlers.start_transaction,
    "StopTransaction": transaction_handlers.stop_transaction,
    "MeterValues": transaction_handlers.meter_values,
}

# Adding a command is adding its name: schemas for request and answer come from the ocpp package.
COMMANDS = [
    "RemoteStartTransaction",
    "RemoteStopTransaction",
    "Reset",
    "UnlockConnector",
    "ChangeAvailability",
    "GetConfiguration",
    "ChangeConfiguration",
    "TriggerMessage",
    "ClearCache",
    "GetLocalListVersion",
    "SendLocalList",
    "DataTransfer",
    "GetDiagnostics",
    "UpdateFirmware",
    "ReserveNow",
    "CancelReservation",
    "SetChargingProfile",
    "ClearChargingProfile",
    "GetCompositeSchedule",
]

# Security-whitepaper messages that a 1.6 charger may send but we do not handle yet.
UNSUPPORTED = frozenset(
    {
        "SecurityEventNotification",
        "SignCertificate",
        "LogStatusNotification",
        "SignedFirmwareStatusNotification",
    }
)

_incoming, _commands = schema_actions(SCHEMA_PACKAGE, HANDLERS, COMMANDS)
VERSION = ProtocolVersion(SUBPROTOCOL, ERROR_CODES, _incoming, _commands, UNSUPPORTED)
