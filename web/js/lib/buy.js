// Buying without double-buys and without losing a buy.
//
// One order_id per intent (sku + qty), made once with crypto.randomUUID(). An ack of
// `unavailable` (Redis did not answer), `internal` or no ack at all (a timeout, a dropped
// connection) means the outcome is UNKNOWN: the units may or may not be reserved. The intent
// is then retried with the SAME order_id (the server answers a repeated order_id with its
// first answer) with a backoff of 1, 2, 4, 8, 16 s for about a minute, and again on every
// reconnect and after a reload (the intent is kept in localStorage), until a business answer
// comes back: ok, sold_out, insufficient_stock, limit_exceeded, not_live, unknown_product,
// invalid (or another definite refusal). While an intent is pending no new order_id is made.
import { request } from "./socket.js";

const UNKNOWN = new Set(["unavailable", "timeout", "internal"]);
const BUDGET_MS = 60_000; // one round of retries
const ACK_MS = 8_000;
const MAX_DELAY_MS = 16_000;
const FORGET_AFTER_MS = 24 * 3600_000; // a pending intent older than this is dropped

/** Resolves when the socket is connected, or after ms (whichever comes first). */
function connected(socket, ms) {
  if (socket.connected) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      socket.off("connect", done);
      resolve(socket.connected);
    };
    const timer = setTimeout(done, Math.max(0, ms));
    socket.on("connect", done);
  });
}

export const isUnknownOutcome = (answer) => !answer?.ok && UNKNOWN.has(answer?.error);

/**
 * Events: "settled" (detail: the final answer of an intent, also for one resumed after a
 * reload or a reconnect, with `resumed: true`), "pending" (an intent is waiting: detail the
 * intent, or null once none is).
 */
export class Buyer extends EventTarget {
  constructor(socket, show) {
    super();
    this.socket = socket;
    this.storeKey = `livecast.pending-buy.${show}`;
    this.run = null; // the promise of the round in progress
    // a retry round per reconnect (the first connect after a reload included)
    this.wake = null; // cuts a backoff wait short when the connection comes back
    socket.on("connect", () => {
      if (this.wake) this.wake();
      else setTimeout(() => this.resume(), 300);
    });
  }

  /** The intent waiting for a business answer, or null. */
  pending() {
    let intent = null;
    try {
      intent = JSON.parse(localStorage.getItem(this.storeKey) || "null");
    } catch {
      intent = null;
    }
    if (!intent || typeof intent.order_id !== "string" || typeof intent.sku !== "string") return null;
    if (!(intent.since > Date.now() - FORGET_AFTER_MS)) {
      this.forget();
      return null;
    }
    return intent;
  }

  save(intent) {
    try {
      localStorage.setItem(this.storeKey, JSON.stringify(intent));
    } catch {
      // private mode without storage: the intent lives as long as the page
    }
    this.dispatchEvent(new CustomEvent("pending", { detail: intent }));
  }

  forget() {
    localStorage.removeItem(this.storeKey);
    this.dispatchEvent(new CustomEvent("pending", { detail: null }));
  }

  get busy() {
    return Boolean(this.run);
  }

  /**
   * Buy qty × sku. Resolves to the ack (with sku, qty, order_id) or, when the outcome is
   * still unknown after a round of retries, {ok: false, error: "checking", pending: true}.
   * While another intent is pending, resolves to THAT intent's answer (`other: true`).
   */
  buy(sku, qty) {
    if (this.run) return this.run.then((answer) => ({ ...answer, other: true }));
    const waiting = this.pending();
    if (waiting) return this.attempt(waiting, { resumed: true }).then((answer) => ({ ...answer, other: true }));
    const intent = { sku, qty, order_id: crypto.randomUUID(), since: Date.now() };
    this.save(intent);
    return this.attempt(intent, { resumed: false });
  }

  /** Retry a pending intent (after a reload or a reconnect); null when there is none. */
  resume() {
    if (this.run) return this.run;
    const intent = this.pending();
    return intent ? this.attempt(intent, { resumed: true }) : null;
  }

  attempt(intent, { resumed }) {
    this.run = this.round(intent).then((answer) => {
      this.run = null;
      const final = { ...answer, sku: answer.sku || intent.sku, qty: answer.qty || intent.qty, order_id: intent.order_id };
      if (!final.pending) this.forget();
      this.dispatchEvent(new CustomEvent("settled", { detail: { ...final, resumed } }));
      return final;
    });
    return this.run;
  }

  async round(intent) {
    const started = Date.now();
    const payload = { sku: intent.sku, qty: intent.qty, order_id: intent.order_id };
    let delay = 1000;
    for (;;) {
      const left = BUDGET_MS - (Date.now() - started);
      let answer;
      if (await connected(this.socket, Math.min(left, ACK_MS))) {
        answer = await request(this.socket, "buy", payload, ACK_MS);
      } else {
        answer = { ok: false, error: "timeout" };
      }
      if (!isUnknownOutcome(answer)) return answer;
      if (Date.now() - started + delay > BUDGET_MS) {
        return { ok: false, error: "checking", pending: true, last: answer.error };
      }
      await new Promise((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, delay);
      });
      this.wake = null;
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    }
  }
}
