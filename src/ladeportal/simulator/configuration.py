"""The charger's configuration keys, as GetConfiguration / ChangeConfiguration see them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ConfigKey:
    value: str
    readonly: bool = False
    kind: type = str  # int and bool values are validated on ChangeConfiguration


def _defaults(connectors: int, meter_interval: int, heartbeat_interval: int) -> dict[str, ConfigKey]:
    measurands = "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage,SoC"
    return {
        "AllowOfflineTxForUnknownId": ConfigKey("false", kind=bool),
        "AuthorizationCacheEnabled": ConfigKey("true", kind=bool),
        "AuthorizeRemoteTxRequests": ConfigKey("false", kind=bool),
        "ClockAlignedDataInterval": ConfigKey("0", kind=int),
        "ConnectionTimeOut": ConfigKey("60", kind=int),
        "GetConfigurationMaxKeys": ConfigKey("50", readonly=True, kind=int),
        "HeartbeatInterval": ConfigKey(str(heartbeat_interval), kind=int),
        "LocalAuthListEnabled": ConfigKey("true", kind=bool),
        "LocalAuthListMaxLength": ConfigKey("1000", readonly=True, kind=int),
        "LocalAuthorizeOffline": ConfigKey("true", kind=bool),
        "LocalPreAuthorize": ConfigKey("false", kind=bool),
        "MeterValueSampleInterval": ConfigKey(str(meter_interval), kind=int),
        "MeterValuesSampledData": ConfigKey(measurands),
        "NumberOfConnectors": ConfigKey(str(connectors), readonly=True, kind=int),
        "ResetRetries": ConfigKey("1", kind=int),
        "SendLocalListMaxLength": ConfigKey("1000", readonly=True, kind=int),
        "StopTransactionOnEVSideDisconnect": ConfigKey("true", kind=bool),
        "StopTransactionOnInvalidId": ConfigKey("true", kind=bool),
        "StopTxnSampledData": ConfigKey("Energy.Active.Import.Register"),
        "SupportedFeatureProfiles": ConfigKey(
            "Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,RemoteTrigger",
            readonly=True,
        ),
        "TransactionMessageAttempts": ConfigKey("3", kind=int),
        "TransactionMessageRetryInterval": ConfigKey("10", kind=int),
        "UnlockConnectorOnEVSideDisconnect": ConfigKey("true", kind=bool),
        "WebSocketPingInterval": ConfigKey("0", kind=int),
    }


class Configuration:
    def __init__(self, connectors: int, meter_interval: int, heartbeat_interval: int = 300) -> None:
        self._keys = _defaults(connectors, meter_interval, heartbeat_interval)

    def get(self, key: str) -> str:
        return self._keys[key].value

    def get_int(self, key: str) -> int:
        return int(self._keys[key].value)

    def get_bool(self, key: str) -> bool:
        return self._keys[key].value.lower() == "true"

    def set(self, key: str, value: str) -> None:
        """Set without the checks ChangeConfiguration applies (the charger's own writes)."""
        self._keys[key].value = value

    def change(self, key: str, value: str) -> str:
        """Apply a ChangeConfiguration request; returns its status."""
        entry = self._keys.get(key)
        if entry is None:
            return "NotSupported"
        if entry.readonly or not _valid(entry.kind, value):
            return "Rejected"
        entry.value = value.lower() if entry.kind is bool else value
        return "Accepted"

    def report(self, keys: list[str] | None) -> tuple[list[dict[str, object]], list[str]]:
        """GetConfiguration: the known keys asked for (all if none) and the unknown ones."""
        wanted = keys if keys else list(self._keys)
        known = [
            {"key": key, "readonly": self._keys[key].readonly, "value": self._keys[key].value}
            for key in wanted
            if key in self._keys
        ]
        return known, [key for key in wanted if key not in self._keys]


def _valid(kind: type, value: str) -> bool:
    if kind is bool:
        return value.lower() in ("true", "false")
    if kind is int:
        try:
            return int(value) >= 0
        except ValueError:
            return False
    return True
