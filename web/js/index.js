// Index: running sale events first, then live, upcoming (by start, undated last) and ended
// shows; a search over show titles and product names and a seller filter. Server strings
// go in as textContent.
import "./lib/strings-events.js";
import { listShows } from "./lib/api.js";
import { sellersFooter } from "./lib/business.js";
import { listEvents } from "./lib/console-api.js";
import { $, fill, h } from "./lib/dom.js";
import { initI18n, t } from "./lib/i18n.js";
import { showCard } from "./lib/show-card.js";
import { formatStart } from "./lib/zone-time.js";

initI18n();
let shows = [];
let events = [];

const fold = (text) => String(text || "").normalize("NFKC").toLocaleLowerCase();

/** Does the show match the search words? Returns the matching product names (or true). */
export function matches(show, query) {
  const words = fold(query).split(/\s+/).filter(Boolean);
  if (!words.length) return { ok: true, products: [] };
  const title = fold(`${show.title} ${show.seller}`);
  const names = (show.products || []).map((p) => p.name);
  const products = names.filter((name) => words.every((w) => fold(name).includes(w)));
  const ok = words.every((w) => title.includes(w) || names.some((name) => fold(name).includes(w)));
  return { ok, products };
}

function sellerKey(show) {
  return show.seller_id || (show.seller ? `name:${show.seller}` : "");
}

function sellerOptions() {
  const select = $("#seller-filter");
  const chosen = select.value;
  const seen = new Map();
  for (const show of shows) if (sellerKey(show) && !seen.has(sellerKey(show))) seen.set(sellerKey(show), show.seller || show.business?.name);
  const options = [...seen].sort((a, b) => String(a[1]).localeCompare(String(b[1]), "ko"));
  fill(
    select,
    h("option", { value: "" }, t("index.all_sellers")),
    options.map(([value, name]) => h("option", { value, selected: value === chosen }, name)),
  );
}

function eventCard(event) {
  return h(
    "li",
    { class: `event-card${event.banner ? " has-banner" : ""}`, "data-event": event.id },
    event.banner ? h("img", { class: "event-banner", src: event.banner, alt: "", loading: "lazy" }) : null,
    h(
      "div",
      { class: "event-body" },
      h("span", { class: `pill pill-event-${event.status}` }, t(`events.status.${event.status}`)),
      h("a", { class: "name", href: `/events/${encodeURIComponent(event.id)}` }, event.title),
      event.subtitle ? h("span", { class: "subtitle" }, event.subtitle) : null,
      h("span", { class: "meta" }, t("events.period", { from: formatStart(event.starts_at), to: formatStart(event.ends_at) })),
    ),
  );
}

function render() {
  const query = $("#search").value;
  const seller = $("#seller-filter").value;
  const groups = { live: [], scheduled: [], ended: [] };
  let shown = 0;
  for (const show of shows) {
    if (seller && sellerKey(show) !== seller) continue;
    const match = matches(show, query);
    if (!match.ok) continue;
    shown += 1;
    const note = match.products.length ? t("index.matches", { names: match.products.slice(0, 3).join(", ") }) : null;
    groups[show.status]?.push({ show, note });
  }
  groups.scheduled.sort((a, b) => String(a.show.starts_at || "~").localeCompare(String(b.show.starts_at || "~")));
  const cards = (list) => list.map(({ show, note }) => showCard(show, { note }));
  fill($("#live"), groups.live.length ? cards(groups.live) : h("li", { class: "empty" }, t("index.none.live")));
  fill($("#upcoming"), groups.scheduled.length ? cards(groups.scheduled) : h("li", { class: "empty" }, t("index.none.upcoming")));
  fill($("#ended"), cards(groups.ended));
  $("#ended-section").hidden = !groups.ended.length;
  $("#no-match").hidden = shown > 0 || !(query || seller);
  const running = events.filter((e) => e.status === "running");
  const soon = events.filter((e) => e.status === "upcoming");
  fill($("#events"), [...running, ...soon].map(eventCard));
  $("#events-h").textContent = running.length ? t("index.events") : t("index.upcoming_events");
  $("#events-section").hidden = !running.length && !soon.length;
  const footer = sellersFooter(shows);
  fill($("#footer"), footer);
}

async function load() {
  try {
    [shows, events] = await Promise.all([listShows(), listEvents().catch(() => [])]);
    $("#load-error").hidden = true;
  } catch {
    $("#load-error").textContent = t("index.error");
    $("#load-error").hidden = false;
  }
  sellerOptions();
  render();
}

$("#search").addEventListener("input", render);
$("#seller-filter").addEventListener("change", render);
window.addEventListener("langchange", () => {
  sellerOptions();
  render();
});
await load();
setInterval(load, 15000);
