"""An iCalendar (RFC 5545) file for a show's start: "알림 받기" on the event pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

DURATION = timedelta(hours=1)
REMIND_BEFORE_MINUTES = 10


def escape(text: str) -> str:
    """TEXT value escaping (RFC 5545 3.3.11)."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (3.1),
    never inside a UTF-8 character."""
    out, current, size = [], "", 0
    for char in line:
        width = len(char.encode())
        if size + width > 75:
            out.append(current)
            current, size = " ", 1
        current += char
        size += width
    out.append(current)
    return "\r\n".join(out)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def show_ics(show: dict, *, watch_url: str, host: str, now: datetime | None = None) -> str:
    """One VEVENT for ``show`` (a public view with ``starts_at``) with a reminder."""
    start = datetime.fromisoformat(show["starts_at"].replace("Z", "+00:00"))
    seller = show.get("seller") or ""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//livecast//show reminder//KO",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{show['id']}@{host}",
        f"DTSTAMP:{stamp(now or datetime.now(UTC))}",
        f"DTSTART:{stamp(start)}",
        f"DTEND:{stamp(start + DURATION)}",
        f"SUMMARY:{escape(show['title'])}",
        f"DESCRIPTION:{escape((seller + ' · ' if seller else '') + watch_url)}",
        f"URL:{watch_url}",
        "BEGIN:VALARM",
        f"TRIGGER:-PT{REMIND_BEFORE_MINUTES}M",
        "ACTION:DISPLAY",
        f"DESCRIPTION:{escape(show['title'])}",
        "END:VALARM",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(fold(line) + "\r\n" for line in lines)
