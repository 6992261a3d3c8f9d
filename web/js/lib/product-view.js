// A product's live figures (price with deal, countdown, stock, sold) and its Buy controls,
// kept current in place so focus and the chosen quantity survive updates.
import { h } from "./dom.js";
import { t } from "./i18n.js";
import { formatNumber } from "./money.js";
import { dealCountdown, priceBlock, soldText, stockText } from "./products.js";

export class ProductFigures {
  /** canSell() -> {ok, text}: whether Buy works now, and what the button says if not. */
  constructor(model, sku, { onBuy, canSell = () => ({ ok: true }) } = {}) {
    this.model = model;
    this.sku = sku;
    this.canSell = canSell;
    this.qty = 1;
    this.busy = false;
    this.price = h("div", { class: "price-line" });
    this.countdown = h("div", { class: "deal-line" });
    this.stock = h("span", { class: "stock-line" });
    this.sold = h("span", { class: "sold-line" });
    this.qtyOut = h("output", { "aria-live": "polite" }, "1");
    this.minus = h("button", { type: "button", onclick: () => this.setQty(this.qty - 1) }, "−");
    this.plus = h("button", { type: "button", onclick: () => this.setQty(this.qty + 1) }, "+");
    this.qtyBox = h("div", { class: "qty", role: "group" }, this.minus, this.qtyOut, this.plus);
    this.buyButton = h("button", {
      type: "button",
      class: "btn btn-primary btn-buy",
      onclick: () => onBuy?.(this),
    });
    this.dealShown = null;
    this.update();
  }

  product() {
    return this.model.product(this.sku);
  }

  maxQty() {
    const p = this.product();
    if (!p) return 1;
    let max = p.max_per_order || 10;
    if (p.remaining !== null && p.remaining !== undefined) max = Math.min(max, p.remaining);
    return Math.max(1, Math.min(max, 99));
  }

  setQty(n) {
    this.qty = Math.max(1, Math.min(this.maxQty(), n));
    this.update();
  }

  update() {
    const p = this.product();
    if (!p) return;
    const soldOut = this.model.isSoldOut(p);
    this.price.replaceChildren(priceBlock(this.model, p));
    const deal = this.model.activeDeal(p.sku);
    if (deal !== this.dealShown) {
      this.dealShown = deal;
      this.countdown.replaceChildren(deal ? dealCountdown(deal) : "");
    }
    this.stock.textContent = stockText(p);
    this.stock.classList.toggle("low", p.remaining !== null && p.remaining !== undefined && p.remaining <= 20);
    this.sold.textContent = soldText(p);
    if (this.qty > this.maxQty()) this.qty = this.maxQty();
    this.qtyOut.textContent = formatNumber(this.qty);
    this.qtyBox.setAttribute("aria-label", t("watch.buy.qty"));
    this.minus.setAttribute("aria-label", "−1");
    this.plus.setAttribute("aria-label", "+1");
    const sell = this.canSell();
    this.minus.disabled = soldOut || !sell.ok || this.qty <= 1;
    this.plus.disabled = soldOut || !sell.ok || this.qty >= this.maxQty();
    this.buyButton.disabled = soldOut || this.busy || !sell.ok;
    this.buyButton.textContent = soldOut
      ? t("common.soldout")
      : !sell.ok
        ? sell.text
        : this.busy
          ? t("watch.buy.busy")
          : t("watch.buy");
    this.buyButton.dataset.state = soldOut ? "soldout" : !sell.ok ? "closed" : this.busy ? "busy" : "ready";
    return soldOut;
  }
}
