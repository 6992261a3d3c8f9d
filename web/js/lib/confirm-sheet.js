// The confirm sheet (구매하기 → 주문 확인) of the watch and replay pages: product, quantity,
// price (deal aware), shipping, total. Confirming buys through the Buyer (one intent, one
// order) and opens the checkout; nothing is reserved before the buyer confirms here.
import { h, toast } from "./dom.js";
import { errorText, formatTime, t } from "./i18n.js";
import { formatMoney, formatNumber } from "./money.js";
import { checkoutHref } from "./orders-view.js";
import { dealCountdown, priceBlock, productImage } from "./products.js";

// the second tap of a double tap on 구매하기 must neither confirm nor close the new sheet
const DOUBLE_TAP_MS = 450;

export function confirmMax(product) {
  let max = product.max_per_order || 10;
  if (product.remaining !== null && product.remaining !== undefined) max = Math.min(max, product.remaining);
  return Math.max(1, Math.min(max, 99));
}

export class ConfirmSheet {
  /**
   * el: the <dialog> (with .sheet-close and #confirm-body). Hooks: beforeOpen() -> false
   * keeps it shut; onBusy(busy) mirrors the state on the page's own Buy buttons;
   * onReserved(answer, product) before the checkout opens; onPending() when the outcome
   * is still unknown after the retries.
   */
  constructor(el, { model, buyer, viewerToken, beforeOpen, onBusy, onReserved, onPending } = {}) {
    this.el = el;
    this.body = el.querySelector("#confirm-body");
    this.model = model;
    this.buyer = buyer;
    this.viewerToken = viewerToken;
    this.hooks = { beforeOpen, onBusy, onReserved, onPending };
    this.sku = null;
    this.qty = 1;
    this.busy = false;
    this.refs = null;
    this.error = "";
    this.openedAt = 0;
    el.querySelector(".sheet-close").addEventListener("click", () => el.close());
    el.addEventListener("click", (event) => event.target === el && !this.justOpened() && el.close());
    el.addEventListener("close", () => {
      if (this.busy) return;
      this.sku = null;
      this.refs = null;
    });
    el.addEventListener("cancel", (event) => this.busy && event.preventDefault());
  }

  justOpened() {
    return performance.now() - this.openedAt < DOUBLE_TAP_MS;
  }

  /** Shipping for a subtotal when the show's checkout tells it, else null (at checkout). */
  shippingFor(subtotal) {
    const checkout = this.model.checkout;
    if (!checkout || checkout.mode !== "builtin" || typeof checkout.shipping_fee !== "number") return null;
    const over = checkout.free_shipping_over;
    return typeof over === "number" && over > 0 && subtotal >= over ? 0 : checkout.shipping_fee;
  }

  open(sku, qty = 1) {
    const product = this.model.product(sku);
    if (!product) return;
    if (this.hooks.beforeOpen && this.hooks.beforeOpen() === false) return;
    this.sku = sku;
    this.qty = Math.max(1, Math.min(qty || 1, confirmMax(product)));
    this.error = "";
    const opening = !this.el.open;
    if (opening) this.openedAt = performance.now();
    this.render();
    if (opening) {
      this.el.showModal();
      setTimeout(() => this.update(), DOUBLE_TAP_MS + 10); // the confirm button wakes up
    }
  }

  close() {
    if (this.el.open) this.el.close();
  }

  render() {
    const product = this.model.product(this.sku);
    if (!product) return;
    const refs = {
      price: h("div", { class: "confirm-price" }),
      deal: h("p", { class: "confirm-deal" }),
      qty: h("output", { id: "confirm-qty", "aria-live": "polite" }),
      minus: h("button", { type: "button", class: "qty-minus", "aria-label": "−1", onclick: () => this.setQty(this.qty - 1) }, "−"),
      plus: h("button", { type: "button", class: "qty-plus", "aria-label": "+1", onclick: () => this.setQty(this.qty + 1) }, "+"),
      max: h("span", { class: "muted confirm-max" }),
      subtotal: h("dd", { id: "confirm-subtotal" }),
      shipping: h("dd", { id: "confirm-shipping" }),
      freeOver: h("p", { class: "muted free-over" }),
      totalLabel: h("dt", {}),
      total: h("dd", { id: "confirm-total" }),
      error: h("p", { class: "error", role: "alert", id: "confirm-error" }),
      submit: h("button", { type: "button", id: "confirm-submit", class: "btn btn-primary btn-confirm", onclick: () => this.confirm() }),
      dealShown: undefined,
    };
    this.refs = refs;
    this.body.replaceChildren(
      h(
        "div",
        { class: "confirm", dataset: { sku: product.sku } },
        h(
          "div",
          { class: "confirm-product" },
          productImage(product),
          h("div", { class: "confirm-info" }, h("p", { class: "confirm-name", id: "confirm-name" }, product.name), refs.price, refs.deal),
        ),
        h(
          "div",
          { class: "confirm-qty-row" },
          h("span", { class: "label", id: "confirm-qty-label" }, t("confirm.qty")),
          h("div", { class: "qty qty-big", role: "group", "aria-labelledby": "confirm-qty-label" }, refs.minus, refs.qty, refs.plus),
          refs.max,
        ),
        h(
          "dl",
          { class: "sum" },
          h("div", {}, h("dt", {}, t("confirm.subtotal")), refs.subtotal),
          h("div", {}, h("dt", {}, t("confirm.shipping")), refs.shipping),
          h("div", { class: "sum-total" }, refs.totalLabel, refs.total),
        ),
        refs.freeOver,
        h("p", { class: "muted confirm-note" }, t("confirm.note")),
        refs.error,
        h(
          "div",
          { class: "confirm-actions" },
          h("button", { type: "button", class: "btn", onclick: () => this.el.close() }, t("common.cancel")),
          refs.submit,
        ),
      ),
    );
    this.update();
  }

  setQty(n) {
    const product = this.model.product(this.sku);
    if (!product || this.busy) return;
    this.qty = Math.max(1, Math.min(confirmMax(product), n));
    this.error = "";
    this.update();
  }

  update() {
    const refs = this.refs;
    const model = this.model;
    const product = model.product(this.sku);
    if (!refs || !product) return;
    const currency = model.currency;
    const max = confirmMax(product);
    if (this.qty > max && !this.busy) this.qty = max;
    const soldOut = model.isSoldOut(product);
    const deal = model.activeDeal(product.sku);
    refs.price.replaceChildren(priceBlock(model, product));
    if (deal !== refs.dealShown) {
      refs.dealShown = deal;
      refs.deal.replaceChildren(
        deal ? h("span", {}, t("confirm.deal_until", { time: formatTime(deal.ends_at) }), " · ", dealCountdown(deal)) : "",
      );
      refs.deal.hidden = !deal;
    }
    const subtotal = model.priceOf(product) * this.qty;
    const shipping = this.shippingFor(subtotal);
    refs.qty.textContent = formatNumber(this.qty);
    refs.minus.disabled = this.busy || this.qty <= 1;
    refs.plus.disabled = this.busy || this.qty >= max;
    refs.max.textContent = t("confirm.max", { n: formatNumber(max) });
    refs.subtotal.textContent = formatMoney(subtotal, currency);
    if (shipping === null) {
      refs.shipping.textContent = t("confirm.shipping_later");
      refs.shipping.classList.add("later");
      refs.totalLabel.textContent = t("confirm.total_items");
      refs.total.textContent = formatMoney(subtotal, currency);
    } else {
      refs.shipping.textContent = shipping === 0 ? t("confirm.shipping_free") : formatMoney(shipping, currency);
      refs.shipping.classList.remove("later");
      refs.totalLabel.textContent = t("confirm.total");
      refs.total.textContent = formatMoney(subtotal + shipping, currency);
    }
    const over = model.checkout?.free_shipping_over;
    refs.freeOver.textContent =
      shipping !== null && typeof over === "number" && over > 0 ? t("confirm.free_over", { amount: formatMoney(over, currency) }) : "";
    refs.freeOver.hidden = !refs.freeOver.textContent;
    refs.error.textContent = this.error;
    refs.error.hidden = !this.error;
    refs.submit.disabled = Boolean(this.busy) || soldOut || this.justOpened();
    refs.submit.dataset.state = soldOut ? "soldout" : this.busy ? "busy" : "ready";
    refs.submit.textContent = soldOut
      ? t("common.soldout")
      : this.busy === "going"
        ? t("confirm.going")
        : this.busy
          ? t("confirm.busy")
          : t("confirm.submit");
  }

  setBusy(busy) {
    this.busy = busy;
    this.hooks.onBusy?.(busy);
    this.update();
  }

  async confirm() {
    if (this.busy || !this.sku || this.justOpened()) return;
    const sku = this.sku;
    const product = this.model.product(sku);
    this.setBusy(true);
    const answer = await this.buyer.buy(sku, this.qty);
    if (answer.ok && answer.sku === sku) {
      this.model.setSales({ [sku]: { sold: answer.sold ?? product?.sold, remaining: answer.remaining } });
      this.hooks.onReserved?.(answer, product);
      this.setBusy("going");
      location.assign(checkoutHref(answer, this.viewerToken()));
      return;
    }
    this.setBusy(false);
    if (answer.other) {
      // another, earlier intent was still pending: its answer was told by the "settled" handler
      this.el.close();
      return;
    }
    if (answer.pending) {
      this.el.close();
      toast(t("confirm.checking"), { kind: "info", ms: 6000 });
      this.hooks.onPending?.();
      return;
    }
    if (answer.error === "sold_out") this.model.setSales({ [sku]: { remaining: 0 } });
    this.error = errorText(answer.error);
    this.update();
    toast(this.error, { kind: "error" });
  }
}
