"""Outbox entries as webhook events: the event id, the JSON body, ISO times."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime


class MalformedEntry(ValueError):
    """An outbox entry that cannot become a request (kept as failed, never sent)."""


def event_id(entry_id: str) -> str:
    """``1764500000000-0`` -> ``evt_1764500000000_0``."""
    return "evt_" + entry_id.replace("-", "_")


def entry_id(event: str) -> str | None:
    """The stream entry id an event id was made from (None if it is not one)."""
    if not event.startswith("evt_"):
        return None
    ms, sep, seq = event[4:].partition("_")
    if not (sep and ms.isdigit() and seq.isdigit()):
        return None
    return f"{ms}-{seq}"


def iso(ms: int | float) -> str:
    """Milliseconds since the epoch as ISO 8601 in UTC with its offset."""
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")


@dataclass
class Event:
    """One outbox entry. ``id`` differs from ``event_id(entry)`` only for a re-queued one."""

    id: str
    entry: str
    type: str
    show: str
    key: str
    data: str
    created_at: int
    # read back from the pending list (it may have been tried before a restart)
    claimed: bool = False

    @classmethod
    def from_entry(cls, entry: str, fields: dict, *, claimed: bool = False) -> Event:
        created = fields.get("created_at", "")
        return cls(
            id=fields.get("id") or event_id(entry),
            entry=entry,
            type=fields.get("type", ""),
            show=fields.get("show", ""),
            key=fields.get("key") or fields.get("show") or entry,
            data=fields.get("data", ""),
            created_at=int(created) if created.isdigit() else int(entry.split("-")[0]),
            claimed=claimed,
        )

    def body(self) -> bytes:
        """The request body; raises MalformedEntry when the entry cannot be sent."""
        if not self.type:
            raise MalformedEntry("the entry has no type")
        try:
            data = json.loads(self.data)
        except ValueError:
            raise MalformedEntry("data is not JSON") from None
        document = {"id": self.id, "type": self.type, "created_at": iso(self.created_at)}
        document["data"] = data
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
