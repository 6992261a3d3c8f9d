// Buying without double-buys: one order_id per intent (sku + qty), made once with
// crypto.randomUUID() and reused when the same intent is retried (a timeout, a double tap).
import { request } from "./socket.js";

export class Buyer {
  constructor(socket) {
    this.socket = socket;
    this.intent = null; // {sku, qty, order_id}
    this.inFlight = null;
  }

  /** Resolves to the ack; a second call while one is in flight returns the same promise. */
  buy(sku, qty) {
    if (this.inFlight) return this.inFlight;
    if (!this.intent || this.intent.sku !== sku || this.intent.qty !== qty) {
      this.intent = { sku, qty, order_id: crypto.randomUUID() };
    }
    const intent = this.intent;
    this.inFlight = request(this.socket, "buy", intent, 10000).then((answer) => {
      this.inFlight = null;
      // a definite answer closes the intent; a timeout keeps it so a retry reuses order_id
      if (answer.error !== "timeout" && this.intent === intent) this.intent = null;
      return { ...answer, sku, qty };
    });
    return this.inFlight;
  }
}
