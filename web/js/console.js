// The seller console (/console): one page for the admin and for sellers. The key is typed
// once (or comes as #key=… in the link) and kept in sessionStorage for this tab only.
import "./lib/strings-console.js";
import {
  createEvent,
  createSeller,
  createShow,
  getShow,
  listEvents,
  listSellers,
  listShows,
  me as whoAmI,
  qrUrl,
  rotateSellerKey,
} from "./lib/console-api.js";
import { businessLine } from "./lib/business.js";
import { showEditor, zoneName } from "./lib/console-show.js";
import { askConfirm, copyText, explainError, field } from "./lib/console-ui.js";
import { $, h, toast } from "./lib/dom.js";
import { initI18n, t } from "./lib/i18n.js";
import { PhotoList } from "./lib/photos.js";
import { formatStart } from "./lib/zone-time.js";

const KEY = "livecast.console.key";
const SELECTED = "livecast.console.show";
const app = $("#app");
// fresh: show id -> keys just made (memory only); sellerKey: the seller key just made
const state = { key: "", me: null, shows: [], events: [], sellers: [], selected: null, fresh: {}, creating: false, sellerKey: null };

initI18n();

function readKey() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const fromUrl = fragment.get("key");
  if (fromUrl !== null) {
    fragment.delete("key");
    const rest = fragment.toString();
    history.replaceState(history.state, "", location.pathname + location.search + (rest ? `#${rest}` : ""));
    if (fromUrl.trim()) sessionStorage.setItem(KEY, fromUrl.trim());
  }
  return sessionStorage.getItem(KEY) || "";
}

function logout() {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(SELECTED);
  Object.assign(state, { key: "", me: null, shows: [], selected: null, fresh: {}, sellerKey: null });
  $("#who").textContent = "";
  $("#logout").hidden = true;
  gate();
}

// the key form
function gate(error = "") {
  const input = h("input", {
    id: "console-key",
    class: "input",
    type: "password",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
  });
  const form = h(
    "form",
    { class: "key-form card" },
    h("h1", {}, t("console.gate.title")),
    h("p", { class: "muted" }, t("console.gate.help")),
    error ? h("p", { class: "error", role: "alert" }, error) : null,
    h("label", { for: "console-key" }, t("console.gate.label")),
    h("div", { class: "row" }, input, h("button", { class: "btn btn-primary", type: "submit" }, t("console.gate.open"))),
    h("p", { class: "muted small" }, t("console.gate.kept")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (!key) return;
    sessionStorage.setItem(KEY, key);
    start();
  });
  app.replaceChildren(form);
  input.focus();
}

async function start() {
  state.key = readKey();
  if (!state.key) return gate();
  app.replaceChildren(h("p", { class: "muted" }, t("common.loading")));
  try {
    state.me = await whoAmI(state.key);
  } catch (err) {
    if (err.status === 401) {
      sessionStorage.removeItem(KEY);
      return gate(t("console.gate.bad"));
    }
    return gate(explainError(err));
  }
  $("#who").textContent = state.me.role === "admin" ? t("console.admin") : state.me.seller.name;
  $("#logout").hidden = false;
  state.selected = sessionStorage.getItem(SELECTED);
  await load();
}

async function load() {
  try {
    const seller = state.me.role === "seller" ? state.me.seller.id : null;
    [state.shows, state.events, state.sellers] = await Promise.all([
      listShows(seller),
      listEvents(),
      state.me.role === "admin" ? listSellers(state.key) : Promise.resolve([]),
    ]);
  } catch (err) {
    app.replaceChildren(h("p", { class: "error", role: "alert" }, explainError(err)));
    return;
  }
  await render();
}

function select(id) {
  state.selected = id;
  state.creating = false;
  if (id) sessionStorage.setItem(SELECTED, id);
  else sessionStorage.removeItem(SELECTED);
  render().then(() => $("#editor")?.scrollIntoView({ behavior: "smooth", block: "start" }));
}

// the page
function hello() {
  const { me } = state;
  if (me.role === "admin") {
    return h("section", { class: "hello" }, h("h1", {}, t("console.hello.admin")), h("p", { class: "muted" }, t("console.hello.admin_help")));
  }
  const b = me.seller.business || {};
  const missing = !b.registration_no || !b.mail_order_no;
  return h(
    "section",
    { class: "hello" },
    h("h1", {}, t("console.hello.seller", { name: me.seller.name })),
    h("p", { class: "muted" }, t("console.hello.seller_help", { zone: zoneName(me.timezone) })),
    h("p", { class: "business-line muted" }, businessLine({ name: me.seller.name, ...b })),
    missing ? h("p", { class: "warn" }, t("console.business.missing")) : null,
  );
}

function showList() {
  const sorted = [...state.shows].sort((a, b) => {
    const order = { live: 0, scheduled: 1, ended: 2 };
    return order[a.status] - order[b.status] || String(a.starts_at || "~").localeCompare(String(b.starts_at || "~"));
  });
  const items = sorted.map((s) =>
    h(
      "li",
      {},
      h(
        "button",
        {
          type: "button",
          class: `show-item${s.id === state.selected ? " selected" : ""}`,
          "aria-current": s.id === state.selected ? "true" : null,
          "data-show": s.id,
          onclick: () => select(s.id),
        },
        h("span", { class: `pill pill-${s.status}` }, t(`status.${s.status}`)),
        h("span", { class: "show-item-title" }, s.title),
        h(
          "span",
          { class: "muted small" },
          s.starts_at ? formatStart(s.starts_at) : t("show.no_start"),
          " · ",
          t("console.products_n", { n: s.products.length }),
          state.me.role === "admin" && s.seller ? ` · ${s.seller}` : "",
        ),
      ),
    ),
  );
  return h(
    "aside",
    { class: "card show-list", "aria-labelledby": "shows-h" },
    h("h2", { id: "shows-h" }, t("console.shows", { n: state.shows.length })),
    h(
      "button",
      {
        type: "button",
        class: "btn btn-primary wide",
        "data-role": "new-show",
        onclick: () => {
          state.creating = true;
          state.selected = null;
          render().then(() => $("#new-title")?.focus());
        },
      },
      t("console.new_show"),
    ),
    items.length ? h("ul", { class: "show-items" }, items) : h("p", { class: "empty" }, t("console.no_shows")),
  );
}

function newShowForm() {
  const title = h("input", { class: "input", id: "new-title", maxlength: 200, required: true });
  const starts = h("input", { class: "input", id: "new-starts", type: "datetime-local" });
  const event = h(
    "select",
    { id: "new-event" },
    h("option", { value: "" }, t("show.no_event")),
    state.events.filter((e) => e.status !== "ended").map((e) => h("option", { value: e.id }, e.title)),
  );
  const seller =
    state.me.role === "admin"
      ? h(
          "select",
          { id: "new-seller" },
          h("option", { value: "" }, t("show.no_seller")),
          state.sellers.map((s) => h("option", { value: s.id }, s.name)),
        )
      : null;
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const form = h(
    "form",
    { class: "card new-show", novalidate: true, "aria-labelledby": "new-h" },
    h("h2", { id: "new-h" }, t("console.new_show")),
    h("p", { class: "muted" }, t("console.new_show_help")),
    field(t("show.title"), title, h("span", { class: "muted" }, t("show.title_hint"))),
    field(t("show.starts_at", { zone: zoneName(state.me.timezone) }), starts, h("span", { class: "muted" }, t("show.starts_hint"))),
    field(t("show.event"), event),
    seller ? field(t("show.seller"), seller) : null,
    error,
    h(
      "div",
      { class: "row form-actions" },
      h("button", { type: "submit", class: "btn btn-primary", "data-role": "create-show" }, t("console.create")),
      h("button", { type: "button", class: "btn", onclick: () => select(null) }, t("common.cancel")),
    ),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!title.value.trim()) {
      error.textContent = t("show.need_title");
      error.hidden = false;
      return;
    }
    const body = { title: title.value.trim() };
    if (starts.value) body.starts_at = starts.value;
    if (event.value) body.event = event.value;
    if (seller?.value) body.seller_id = seller.value;
    try {
      const created = await createShow(state.key, body);
      state.fresh[created.show.id] = {
        host_key: created.host_key,
        moderator_key: created.moderator_key,
        shop_key: created.shop_key,
      };
      state.justCreated = created.show.id;
      toast(t("console.created"), { kind: "ok" });
      state.selected = created.show.id;
      sessionStorage.setItem(SELECTED, created.show.id);
      state.creating = false;
      await load();
    } catch (err) {
      error.textContent = explainError(err);
      error.hidden = false;
    }
  });
  return form;
}

async function editor() {
  if (state.creating) return newShowForm();
  const id = state.selected;
  if (!id || !state.shows.some((s) => s.id === id)) {
    return h("div", { class: "card empty-editor" }, h("p", {}, t("console.pick")), h("p", { class: "muted" }, t("console.pick_help")));
  }
  let show;
  try {
    show = await getShow(id);
  } catch (err) {
    return h("p", { class: "error" }, explainError(err));
  }
  state.fresh[id] ??= {};
  const created = state.justCreated === id;
  state.justCreated = null;
  return showEditor({
    show,
    me: state.me,
    key: state.key,
    events: state.events,
    sellers: state.sellers,
    fresh: state.fresh[id],
    created,
    reload: () => load(),
  });
}

// the admin's sellers and sale events
function keyOnce(label, key, link) {
  const qr = h("img", { class: "qr", alt: t("links.qr_alt", { label }), hidden: true });
  const box = h(
    "div",
    { class: "key-once", role: "status" },
    h("p", {}, t("keys.seller_once", { name: label })),
    h("code", { "data-key": "seller" }, key),
    h("p", { class: "muted small" }, link),
    h(
      "div",
      { class: "row" },
      h("button", { type: "button", class: "btn btn-small", onclick: async () => toast(t((await copyText(link)) ? "links.copied" : "links.copy_failed")) }, t("links.copy")),
      h(
        "button",
        {
          type: "button",
          class: "btn btn-small",
          onclick: async () => {
            qr.src ||= await qrUrl(link);
            qr.hidden = !qr.hidden;
          },
        },
        t("links.qr"),
      ),
      h(
        "button",
        {
          type: "button",
          class: "btn btn-small",
          onclick: () => {
            state.sellerKey = null;
            box.remove();
          },
        },
        t("keys.saved_it"),
      ),
    ),
    qr,
  );
  return box;
}

function showSellerKey(out, label, key) {
  state.sellerKey = { label, key };
  out.replaceChildren(keyOnce(label, key, `${state.me.base_url}/console#key=${key}`));
}

function sellersPanel() {
  const out = h("div", { class: "key-slot" });
  if (state.sellerKey) showSellerKey(out, state.sellerKey.label, state.sellerKey.key);
  const inputs = {
    id: h("input", { class: "input", id: "seller-id", placeholder: "woori-coop", maxlength: 40 }),
    name: h("input", { class: "input", id: "seller-name", maxlength: 100, required: true }),
    registration_no: h("input", { class: "input", id: "seller-brn", inputmode: "numeric", placeholder: "123-45-67890" }),
    mail_order_no: h("input", { class: "input", id: "seller-mail", placeholder: "제2026-서울중구-0001호" }),
    address: h("input", { class: "input", id: "seller-address" }),
    phone: h("input", { class: "input", id: "seller-phone", inputmode: "tel", placeholder: "02-123-4567" }),
  };
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const form = h(
    "form",
    { class: "seller-form", novalidate: true },
    h(
      "div",
      { class: "grid-2" },
      field(t("seller.name"), inputs.name),
      field(t("seller.id"), inputs.id, h("span", { class: "muted" }, t("seller.id_hint"))),
      field(t("business.registration_no"), inputs.registration_no),
      field(t("business.mail_order_no"), inputs.mail_order_no),
      field(t("business.address"), inputs.address),
      field(t("business.phone"), inputs.phone),
    ),
    error,
    h("button", { type: "submit", class: "btn btn-primary" }, t("seller.create")),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.hidden = true;
    const business = {};
    for (const name of ["registration_no", "mail_order_no", "address", "phone"]) {
      if (inputs[name].value.trim()) business[name] = inputs[name].value.trim();
    }
    const body = { name: inputs.name.value.trim(), business };
    if (inputs.id.value.trim()) body.id = inputs.id.value.trim();
    if (!body.name) {
      error.textContent = t("seller.need_name");
      error.hidden = false;
      return;
    }
    try {
      const made = await createSeller(state.key, body);
      state.sellers = await listSellers(state.key);
      showSellerKey(out, made.seller.name, made.key);
      form.reset();
      list.replaceChildren(...sellerRows());
    } catch (err) {
      error.textContent = explainError(err);
      error.hidden = false;
    }
  });
  const sellerRows = () =>
    state.sellers.map((s) =>
      h(
        "li",
        { class: "seller-row" },
        h("div", {}, h("strong", {}, s.name), " ", h("span", { class: "muted small" }, s.id), h("p", { class: "muted small" }, businessLine(s.business), " · ", t("console.shows_n", { n: s.shows }))),
        h(
          "button",
          {
            type: "button",
            class: "btn btn-small",
            onclick: async () => {
              if (!(await askConfirm(t("seller.rotate_confirm", { name: s.name }), t("keys.rotate")))) return;
              try {
                const made = await rotateSellerKey(s.id, state.key);
                showSellerKey(out, s.name, made.key);
              } catch (err) {
                toast(explainError(err), { kind: "error" });
              }
            },
          },
          t("keys.rotate"),
        ),
      ),
    );
  const list = h("ul", { class: "seller-list" }, sellerRows());
  return h("section", { class: "card admin-panel", id: "sellers", "aria-labelledby": "sellers-h" }, h("h2", { id: "sellers-h" }, t("seller.title")), out, list, h("h3", {}, t("seller.new")), form);
}

function eventsPanel() {
  const inputs = {
    id: h("input", { class: "input", id: "event-id", placeholder: "chuseok-2026", maxlength: 40 }),
    title: h("input", { class: "input", id: "event-title", maxlength: 100 }),
    subtitle: h("input", { class: "input", id: "event-subtitle", maxlength: 200 }),
    starts_at: h("input", { class: "input", id: "event-starts", type: "datetime-local" }),
    ends_at: h("input", { class: "input", id: "event-ends", type: "datetime-local" }),
  };
  const banner = new PhotoList({ key: state.key, single: true, label: t("event.banner"), name: "banner" });
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const zone = zoneName(state.me.timezone);
  const form = h(
    "form",
    { class: "event-form", novalidate: true },
    h(
      "div",
      { class: "grid-2" },
      field(t("event.title_label"), inputs.title),
      field(t("event.id"), inputs.id, h("span", { class: "muted" }, t("seller.id_hint"))),
      field(t("event.subtitle"), inputs.subtitle),
      h("div"),
      field(t("event.starts", { zone }), inputs.starts_at),
      field(t("event.ends", { zone }), inputs.ends_at),
    ),
    h("div", { class: "field" }, h("span", { class: "label" }, t("event.banner")), banner.element),
    error,
    h("button", { type: "submit", class: "btn btn-primary" }, t("event.create")),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.hidden = true;
    const body = {
      title: inputs.title.value.trim(),
      starts_at: inputs.starts_at.value || null,
      ends_at: inputs.ends_at.value || null,
    };
    if (inputs.id.value.trim()) body.id = inputs.id.value.trim();
    if (inputs.subtitle.value.trim()) body.subtitle = inputs.subtitle.value.trim();
    if (banner.value()[0]) body.banner = banner.value()[0];
    if (!body.title || !body.starts_at || !body.ends_at) {
      error.textContent = t("event.need");
      error.hidden = false;
      return;
    }
    try {
      await createEvent(state.key, body);
      toast(t("event.created"), { kind: "ok" });
      await load();
    } catch (err) {
      error.textContent = explainError(err);
      error.hidden = false;
    }
  });
  const rows = state.events.map((e) =>
    h(
      "li",
      { class: "event-row" },
      h("span", { class: `pill pill-event-${e.status}` }, t(`event.status.${e.status}`)),
      " ",
      h("a", { href: `/events/${encodeURIComponent(e.id)}` }, e.title),
      h("span", { class: "muted small" }, ` ${formatStart(e.starts_at)} – ${formatStart(e.ends_at)} · ${t("console.shows_n", { n: e.show_ids.length })}`),
    ),
  );
  return h(
    "section",
    { class: "card admin-panel", id: "events", "aria-labelledby": "events-h" },
    h("h2", { id: "events-h" }, t("event.panel")),
    rows.length ? h("ul", { class: "event-list" }, rows) : h("p", { class: "muted" }, t("event.none")),
    h("h3", {}, t("event.new")),
    form,
  );
}

async function render() {
  const editorBox = h("div", { class: "editor", id: "editor" }, await editor());
  const admin = state.me.role === "admin" ? [h("div", { class: "admin-grid" }, sellersPanel(), eventsPanel())] : [];
  app.replaceChildren(hello(), h("div", { class: "console-grid" }, showList(), editorBox), ...admin);
}

$("#logout").addEventListener("click", logout);
window.addEventListener("langchange", () => (state.me ? render() : gate()));
start();
