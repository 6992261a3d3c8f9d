// A show as a card (index and sale-event pages): cover or featured product, status, title,
// seller, start time, products and the lowest price; the whole card links to the show.
import { h } from "./dom.js";
import { t } from "./i18n.js";
import { formatMoney, formatNumber } from "./money.js";
import { productImage } from "./products.js";
import { formatStart } from "./zone-time.js";

export function showHref(show) {
  return `/${show.status === "ended" ? "replay" : "watch"}/${encodeURIComponent(show.id)}`;
}

/** `extra`: nodes added at the end of the card's body (a countdown, a reminder button). */
export function showCard(show, { extra = [], note = null } = {}) {
  const featured = show.products?.find((p) => p.sku === show.featured) || show.products?.[0];
  const picture = show.cover
    ? h("img", { class: "cover-img", src: show.cover, alt: "", loading: "lazy", decoding: "async" })
    : featured
      ? productImage(featured)
      : null;
  const thumb = h(
    "div",
    { class: `thumb${show.cover ? " has-cover" : ""}` },
    picture,
    h("span", { class: `pill pill-${show.status}` }, t(`status.${show.status}`)),
    show.status === "live"
      ? h("span", { class: "pill viewers" }, t("index.viewers", { n: formatNumber(show.viewers || 0) }))
      : null,
  );
  const prices = (show.products || []).map((p) => p.price);
  const cheapest = prices.length ? Math.min(...prices) : null;
  return h(
    "li",
    { class: "show-card", "data-show": show.id },
    thumb,
    h(
      "div",
      { class: "body" },
      h("a", { class: "name", href: showHref(show) }, show.title),
      show.seller ? h("span", { class: "seller" }, show.seller) : null,
      show.status === "scheduled"
        ? h(
            "span",
            { class: "meta when", "data-starts": show.starts_at || "" },
            show.starts_at ? t("index.starts", { when: formatStart(show.starts_at) }) : t("index.no_start"),
          )
        : null,
      h(
        "span",
        { class: "meta" },
        t("index.products", { n: formatNumber(show.products?.length || 0) }),
        cheapest !== null ? " · " : "",
        cheapest !== null ? h("span", { class: "from price" }, formatMoney(cheapest, show.currency)) : null,
      ),
      note ? h("span", { class: "meta match" }, note) : null,
      ...extra,
    ),
  );
}
