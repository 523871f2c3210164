"""Local authorization: the versioned local list (SendLocalList) and the authorization cache."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ladeportal.simulator.frames import parse_timestamp


def _usable(id_tag_info: dict[str, Any], now: datetime) -> bool:
    if id_tag_info.get("status") != "Accepted":
        return False
    expiry = id_tag_info.get("expiryDate")
    return expiry is None or parse_timestamp(expiry) > now


@dataclass
class LocalAuthList:
    version: int = 0
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)

    def apply(self, version: int, update_type: str, items: list[dict[str, Any]], max_length: int) -> str:
        """SendLocalList semantics; returns the status to answer with."""
        if update_type == "Differential":
            # The spec rejects a differential update that does not move the list forward.
            if version <= self.version:
                return "VersionMismatch"
            entries = dict(self.entries)
            for item in items:
                if "idTagInfo" in item:
                    entries[item["idTag"]] = item["idTagInfo"]
                else:
                    entries.pop(item["idTag"], None)
        elif update_type == "Full":
            if any("idTagInfo" not in item for item in items):
                return "Failed"
            entries = {item["idTag"]: item["idTagInfo"] for item in items}
        else:
            return "Failed"
        if len(entries) > max_length:
            return "Failed"
        self.version, self.entries = version, entries
        return "Accepted"

    def lookup(self, id_tag: str) -> dict[str, Any] | None:
        return self.entries.get(id_tag)

    def accepts(self, id_tag: str, now: datetime) -> bool | None:
        """True/False when the list knows the tag, None when it does not."""
        info = self.entries.get(id_tag)
        return None if info is None else _usable(info, now)


@dataclass
class AuthCache:
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)

    def remember(self, id_tag: str, id_tag_info: dict[str, Any]) -> None:
        self.entries[id_tag] = id_tag_info

    def clear(self) -> None:
        self.entries.clear()

    def accepts(self, id_tag: str, now: datetime) -> bool | None:
        info = self.entries.get(id_tag)
        return None if info is None else _usable(info, now)
