// Times: the API speaks ISO 8601 with an offset (UTC "Z"); a seller types the start time
// as wall-clock time in the server's zone (LIVECAST_TIMEZONE, /api/me's `timezone`), which
// the server reads in that zone; pages show every time in the viewer's own zone.
import { locale } from "./i18n.js";

/** "2026-12-01T10:00:00Z" -> "2026-12-01T19:00" as a clock in `zone` shows it. */
export function toZoneInput(iso, zone) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", {
      timeZone: zone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    })
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

/** Date and time in the viewer's zone: "12월 1일 (화) 오후 7:00". */
export function formatStart(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return new Intl.DateTimeFormat(locale(), {
    month: "short",
    day: "numeric",
    weekday: "short",
    hour: "numeric",
    minute: "2-digit",
  }).format(date);
}

/** Only the clock: "오후 7:00". */
export function formatClockTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return new Intl.DateTimeFormat(locale(), { hour: "numeric", minute: "2-digit" }).format(date);
}

/** The viewer's calendar day of a time: "2026-12-01" (for grouping a schedule by day). */
export function localDay(iso) {
  const date = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** "12월 1일 (화)" for a local day "2026-12-01". */
export function formatDay(day) {
  const [y, m, d] = day.split("-").map(Number);
  return new Intl.DateTimeFormat(locale(), { month: "short", day: "numeric", weekday: "short" }).format(
    new Date(y, m - 1, d),
  );
}

/** Milliseconds -> {d, h, m, s} left (never negative). */
export function splitDuration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  return { d: Math.floor(s / 86400), h: Math.floor((s % 86400) / 3600), m: Math.floor((s % 3600) / 60), s: s % 60 };
}
