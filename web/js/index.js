// Index: live, upcoming and ended shows with their sellers. Server strings go in as textContent.
import { listShows } from "./lib/api.js";
import { $, fill, h } from "./lib/dom.js";
import { formatWhen, initI18n, t } from "./lib/i18n.js";
import { formatMoney, formatNumber } from "./lib/money.js";
import { productImage } from "./lib/products.js";

initI18n();
let shows = [];

function card(show) {
  const featured = show.products?.find((p) => p.sku === show.featured) || show.products?.[0];
  const page = show.status === "ended" ? "replay" : "watch";
  const thumb = h(
    "div",
    { class: "thumb" },
    featured ? productImage(featured) : null,
    h("span", { class: `pill pill-${show.status}` }, t(`status.${show.status}`)),
    show.status === "live"
      ? h("span", { class: "pill viewers" }, t("index.viewers", { n: formatNumber(show.viewers || 0) }))
      : null,
  );
  const cheapest = Math.min(...(show.products || []).map((p) => p.price));
  return h(
    "li",
    { class: "show-card" },
    thumb,
    h(
      "div",
      { class: "body" },
      h("a", { class: "name", href: `/${page}/${encodeURIComponent(show.id)}` }, show.title),
      show.seller ? h("span", { class: "seller" }, show.seller) : null,
      show.status === "scheduled" && show.starts_at
        ? h("span", { class: "meta" }, t("index.starts", { when: formatWhen(show.starts_at) }))
        : null,
      h(
        "span",
        { class: "meta" },
        t("index.products", { n: formatNumber(show.products?.length || 0) }),
        Number.isFinite(cheapest) ? " · " : "",
        Number.isFinite(cheapest) ? h("span", { class: "from price" }, formatMoney(cheapest, show.currency)) : null,
      ),
    ),
  );
}

function render() {
  const groups = { live: [], scheduled: [], ended: [] };
  for (const show of shows) groups[show.status]?.push(show);
  groups.scheduled.sort((a, b) => String(a.starts_at || "~").localeCompare(String(b.starts_at || "~")));
  fill($("#live"), groups.live.length ? groups.live.map(card) : h("li", { class: "empty" }, t("index.none.live")));
  fill(
    $("#upcoming"),
    groups.scheduled.length ? groups.scheduled.map(card) : h("li", { class: "empty" }, t("index.none.upcoming")),
  );
  fill($("#ended"), groups.ended.map(card));
  $("#ended-section").hidden = !groups.ended.length;
}

async function load() {
  try {
    shows = await listShows();
    $("#load-error").hidden = true;
  } catch {
    $("#load-error").textContent = t("index.error");
    $("#load-error").hidden = false;
  }
  render();
}

window.addEventListener("langchange", render);
await load();
setInterval(load, 15000);
