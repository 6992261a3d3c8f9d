// Order pieces shared by the watch page (내 주문), the checkout page, the order desk and the
// studio: status words, payment words, hold countdowns, phone numbers. Text only (h()).
import { h } from "./dom.js";
import { t } from "./i18n.js";
import { formatClock } from "./money.js";

export const STATUSES = ["reserved", "placed", "paid", "shipped", "cancelled", "expired"];
export const ORDER_ID_RE = /^[A-Za-z0-9_.:-]{8,80}$/;

export const statusText = (status) => (STATUSES.includes(status) ? t(`order.status.${status}`) : String(status || ""));
export const paymentText = (payment) => (payment ? t(`order.payment.${payment}`) : "");

export function statusPill(status) {
  return h("span", { class: `pill order-pill st-${status}`, dataset: { status } }, statusText(status));
}

/** A short form of an order id for lists (the full id is in the title attribute). */
export function shortId(id) {
  const plain = String(id || "").replace(/[^A-Za-z0-9]/g, "");
  return plain.slice(0, 8).toUpperCase();
}

/** The checkout page of an order, with the viewer token in the fragment (never sent to servers). */
export function checkoutHref(order, token) {
  const base = order.checkout_url || `/checkout/${encodeURIComponent(order.order_id)}`;
  return token ? `${base.split("#")[0]}#token=${encodeURIComponent(token)}` : base;
}

const tickers = new Set();
let tickTimer = null;
function tickAll() {
  for (const tick of tickers) tick();
  if (!tickers.size) {
    clearInterval(tickTimer);
    tickTimer = null;
  }
}

/**
 * A countdown to `until` (ms since the epoch) whose text is t(key, {time}); ticks every
 * second while it is in the document, calls onEnd once at zero.
 */
export function countdown(until, key, { onEnd, className = "hold" } = {}) {
  const node = h("span", { class: `countdown ${className}`, role: "timer", "aria-live": "off" });
  let ended = false;
  let seen = false;
  const tick = () => {
    if (node.isConnected) seen = true;
    else if (seen) return tickers.delete(tick);
    const left = Math.max(0, Math.ceil((until - Date.now()) / 1000));
    node.textContent = t(key, { time: formatClock(left) });
    node.dataset.left = String(left);
    node.classList.toggle("urgent", left <= 120);
    if (left <= 0 && !ended) {
      ended = true;
      tickers.delete(tick);
      onEnd?.();
    }
  };
  tickers.add(tick);
  tick();
  if (!tickTimer) tickTimer = setInterval(tickAll, 1000);
  return node;
}

/**
 * A Korean phone number in its usual written form, or null when it is not one:
 * mobiles 010-1234-5678 / 011-123-4567, Seoul 02-123-4567 / 02-1234-5678, other areas
 * 031-123-4567 / 031-1234-5678, internet phones 070-1234-5678, safe numbers 0504-1234-5678
 * (the same rules as the server's). Spaces, dots, dashes, brackets and +82 are accepted.
 */
export function normalisePhone(input) {
  let digits = String(input || "").trim();
  if (!/^[+\d\s().-]+$/.test(digits)) return null;
  digits = digits.replace(/[^\d+]/g, "");
  if (digits.startsWith("+82")) digits = `0${digits.slice(3).replace(/^0/, "")}`;
  if (digits.includes("+")) return null;
  let m;
  if ((m = digits.match(/^(01[016789])(\d{3,4})(\d{4})$/))) return `${m[1]}-${m[2]}-${m[3]}`;
  if ((m = digits.match(/^(02)(\d{3,4})(\d{4})$/))) return `${m[1]}-${m[2]}-${m[3]}`;
  if ((m = digits.match(/^(0[3-6][1-5])(\d{3,4})(\d{4})$/))) return `${m[1]}-${m[2]}-${m[3]}`;
  if ((m = digits.match(/^(070)(\d{3,4})(\d{4})$/))) return `${m[1]}-${m[2]}-${m[3]}`;
  if ((m = digits.match(/^(050\d)(\d{4})(\d{4})$/))) return `${m[1]}-${m[2]}-${m[3]}`;
  return null;
}

/** A tracking number without spaces and dashes, or null unless 8–30 digits (letters allowed). */
export function normaliseTracking(input) {
  const plain = String(input || "").replace(/[\s-]/g, "").toUpperCase();
  return /^[A-Z0-9]{8,30}$/.test(plain) && /\d/.test(plain) ? plain : null;
}

/** Korean parcel carriers: the value sent to the server is the Korean name couriers use. */
export const CARRIERS = [
  ["cj", "CJ대한통운"],
  ["hanjin", "한진택배"],
  ["lotte", "롯데택배"],
  ["epost", "우체국택배"],
  ["logen", "로젠택배"],
  ["kdexp", "경동택배"],
  ["daesin", "대신택배"],
  ["ilyang", "일양로지스"],
  ["hapdong", "합동택배"],
  ["cu", "CU 편의점택배"],
  ["gs", "GS25 편의점택배"],
  ["coupang", "쿠팡 로지스틱스"],
  ["other", "기타"],
];

/** The goods' amount of an order (price × qty). */
export function subtotalOf(order) {
  return order.subtotal ?? (order.price || 0) * (order.qty || 1);
}

/**
 * What the buyer pays: goods plus shipping. docs/orders.md calls it `total`; the store also
 * sends `amount_due` (with `total` as the goods' amount), so it is computed from the parts.
 */
export function amountDue(order) {
  if (typeof order.amount_due === "number") return order.amount_due;
  return subtotalOf(order) + (order.shipping_fee || 0);
}
