// Prices: integers in the currency's minor unit as people write it (KRW: won, USD: cents).
import { locale } from "./i18n.js";

const cache = new Map();

function formatter(currency) {
  const key = `${locale()}|${currency}`;
  if (!cache.has(key)) {
    cache.set(key, new Intl.NumberFormat(locale(), { style: "currency", currency }));
  }
  return cache.get(key);
}

/** formatMoney(12900, "KRW") -> "₩12,900" */
export function formatMoney(amount, currency = "KRW") {
  if (amount === null || amount === undefined || Number.isNaN(Number(amount))) return "";
  let fmt;
  try {
    fmt = formatter(currency || "KRW");
  } catch {
    fmt = formatter("KRW");
  }
  const digits = fmt.resolvedOptions().maximumFractionDigits;
  return fmt.format(Number(amount) / 10 ** digits);
}

/** Whole major units typed by a person -> minor units (KRW: same; USD 12.5 -> 1250). */
export function toMinor(value, currency = "KRW") {
  const digits = formatter(currency || "KRW").resolvedOptions().maximumFractionDigits;
  return Math.round(Number(value) * 10 ** digits);
}

export function fromMinor(amount, currency = "KRW") {
  const digits = formatter(currency || "KRW").resolvedOptions().maximumFractionDigits;
  return Number(amount) / 10 ** digits;
}

export function formatNumber(n) {
  return new Intl.NumberFormat(locale()).format(n);
}

/** Seconds left -> "4:05" (or "1:02:03"). */
export function formatClock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return hh ? `${hh}:${String(mm).padStart(2, "0")}:${ss}` : `${mm}:${ss}`;
}
