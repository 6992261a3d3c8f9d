// Product pieces shared by studio, watch and index: image, price (deal aware), stock line.
import { h } from "./dom.js";
import { t } from "./i18n.js";
import { formatClock, formatMoney, formatNumber } from "./money.js";

const PLACEHOLDER = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4"><rect width="4" height="4" fill="#ddd"/></svg>',
);

export function productImage(product, className = "product-img") {
  const img = h("img", {
    class: className,
    src: product.image || PLACEHOLDER,
    alt: product.name || "",
    loading: "lazy",
    decoding: "async",
  });
  img.addEventListener("error", () => (img.src = PLACEHOLDER), { once: true });
  return img;
}

/** Price with the deal price while a deal runs, and the list price (정가) struck through with
 * the discount when it is above what the shopper pays. Screen readers hear one sentence
 * ("Deal price ₩9,900, 38% off, was ₩15,900"), not the pieces. */
export function priceBlock(model, product) {
  const deal = model.activeDeal(product.sku);
  const onDeal = Boolean(deal && deal.price < product.price);
  const pays = onDeal ? deal.price : product.price;
  const listPrice = Number(product.list_price) > product.price ? Number(product.list_price) : null;
  const was = listPrice ?? (onDeal ? product.price : null);
  const price = formatMoney(pays, model.currency);
  if (was === null || was <= pays) return h("span", { class: "price" }, price);
  const off = was > 0 ? Math.floor((1 - pays / was) * 100) : 0;
  const list = formatMoney(was, model.currency);
  const key = onDeal ? "common.deal_label" : "common.sale_label";
  const label = off > 0 ? t(key, { price, off, list }) : t(`${key}_plain`, { price, list });
  return h(
    "span",
    { class: `price has-discount${onDeal ? " has-deal" : ""}` },
    h("span", { class: "visually-hidden" }, label),
    h(
      "span",
      { "aria-hidden": "true" },
      off > 0 ? h("span", { class: "discount" }, `${off}%`) : null,
      h("span", { class: onDeal ? "deal-price" : "sale-price" }, price),
      " ",
      h("s", { class: "list-price" }, list),
    ),
  );
}

/** "Sold out", "Only 3 left", "120 left" or "In stock". */
export function stockText(product) {
  const left = product.remaining;
  if (left === null || left === undefined) return t("common.unlimited");
  if (left <= 0) return t("common.soldout");
  if (left <= 20) return t("common.only_left", { n: formatNumber(left) });
  return t("common.left", { n: formatNumber(left) });
}

export function soldText(product) {
  return t("common.sold", { n: formatNumber(product.sold || 0) });
}

/** A countdown element for a deal; ticks until ends_at, then calls onEnd once. */
export function dealCountdown(deal, onEnd) {
  const node = h("span", { class: "countdown", role: "timer", "aria-live": "off" });
  const tick = () => {
    if (!node.isConnected && node.dataset.started) return clearInterval(timer);
    node.dataset.started = "1";
    const left = (deal.ends_at - Date.now()) / 1000;
    node.textContent = t("common.deal_ends", { time: formatClock(Math.ceil(left)) });
    if (left <= 0) {
      clearInterval(timer);
      onEnd?.();
    }
  };
  const timer = setInterval(tick, 250);
  tick();
  return node;
}
