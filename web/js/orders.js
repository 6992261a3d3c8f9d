// The order desk /orders/{show}: every order of a show with the buyer's delivery details,
// filter tabs with counts, live updates over Socket.IO (the host's sockets get `order`
// events), and the seller's actions: 입금 확인 (paid), 발송 처리 (shipped with carrier and
// tracking number), 취소 (units go back to stock); CSV for a fulfilment partner.
import { ApiError, getOrder, getShow, listAllOrders, listOrders, listOrdersAfter, ordersCsv, setOrderStatus } from "./lib/api.js";
import { $, fill, h, setText, showIdFromPath, throttle, toast } from "./lib/dom.js";
import { errorText, formatDateTime, hasText, initI18n, lang, t } from "./lib/i18n.js";
import { askKey, forgetKey, readKey, saveKey } from "./lib/keys.js";
import { formatMoney, formatNumber } from "./lib/money.js";
import { CARRIERS, STATUSES, amountDue, normaliseTracking, paymentText, shortId, statusPill, statusText } from "./lib/orders-view.js";
import { connectShow, trackConnection } from "./lib/socket.js";

initI18n();
const showId = showIdFromPath();
const show = await getShow(showId);
const currency = show.currency || "KRW";
const PAGE = 100;

// the key: #key=… or typed; checked against the orders API (host, shop or admin key)
async function obtainKey() {
  let key = readKey("orders", showId);
  let error = null;
  for (;;) {
    if (!key) key = await askKey($("#gate"), { help: t("desk.key_help"), error });
    try {
      await listOrders(showId, key, { limit: 1 });
      saveKey("orders", showId, key);
      return key;
    } catch (err) {
      if (!(err instanceof ApiError) || ![401, 403].includes(err.status)) {
        error = t("desk.load_failed", { reason: errorText(err.code || "network") });
        key = "";
        continue;
      }
      forgetKey("orders", showId);
      key = "";
      error = t("key.bad");
    }
  }
}
const key = await obtainKey();
$("#gate").hidden = true;
$("#desk").hidden = false;

const orders = new Map(); // order_id -> order
let filter = "all";
let shown = PAGE;
let loaded = false;

// live updates: the host's sockets get every order change of the show
const socket = connectShow(showId, { name: show.seller || "host", key });
trackConnection(socket, (state) => {
  const pill = $("#conn");
  pill.hidden = false;
  pill.className = `pill pill-${state}`;
  pill.dataset.state = state;
  pill.textContent = t(`conn.${state}`);
});
socket.on("order", (order) => {
  if (!order?.order_id) return;
  const isNew = !orders.has(order.order_id);
  upsert(order);
  if (isNew && loaded) toast(t("desk.new", { name: order.name || order.sku, qty: formatNumber(order.qty || 1) }), { kind: "ok" });
});
let polling = null;
socket.on("connect_error", (err) => {
  // a shop key is not a Socket.IO role: refresh by polling instead
  if (err.message === "bad_key" && !polling) {
    socket.disconnect();
    $("#conn").hidden = true;
    polling = setInterval(reload, 15000);
  }
});
// after a reconnect, catch up with what changed while away
socket.on("connect", () => loaded && reload());
// a reservation sends no `order` event (a buy storm would flood this page): when the
// coalesced sales figures tick, fetch the orders newer than the newest one here
let lastSeq = 0;
let catchingUp = false;
const catchUpSoon = throttle(catchUp, 1500);
socket.on("sales", () => loaded && catchUpSoon());
async function catchUp() {
  if (catchingUp) return;
  catchingUp = true;
  try {
    const fresh = await listOrdersAfter(showId, key, lastSeq);
    for (const order of fresh) {
      const isNew = !orders.has(order.order_id);
      upsert(order);
      if (isNew) toast(t("desk.new", { name: order.name || order.sku, qty: formatNumber(order.qty || 1) }), { kind: "ok" });
    }
  } catch {
    // offline for a moment: the next tick or reconnect catches up
  } finally {
    catchingUp = false;
  }
}

function upsert(order) {
  const before = orders.get(order.order_id);
  orders.set(order.order_id, { ...(before || {}), ...order });
  if (order.seq > lastSeq) lastSeq = order.seq;
  renderSoon();
}

async function reload() {
  try {
    const all = await listAllOrders(showId, key);
    for (const order of all) {
      orders.set(order.order_id, order);
      if (order.seq > lastSeq) lastSeq = order.seq;
    }
    loaded = true;
    showError("");
  } catch (err) {
    showError(t("desk.load_failed", { reason: errorText(err.code || "network") }));
  }
  render();
}

function showError(message) {
  setText($("#od-error"), message);
  $("#od-error").hidden = !message;
}

// the tabs
function counts() {
  const by = Object.fromEntries(STATUSES.map((s) => [s, 0]));
  for (const order of orders.values()) if (order.status in by) by[order.status] += 1;
  return by;
}

function renderTabs() {
  const by = counts();
  const tabs = [["all", t("desk.all"), orders.size], ...STATUSES.map((s) => [s, statusText(s), by[s]])];
  fill(
    $("#tabs"),
    tabs.map(([value, label, n]) =>
      h(
        "button",
        {
          type: "button",
          role: "tab",
          class: `od-tab${value === filter ? " is-current" : ""}`,
          "aria-selected": value === filter ? "true" : "false",
          dataset: { status: value },
          onclick: () => {
            filter = value;
            shown = PAGE;
            render();
          },
        },
        h("span", {}, label),
        h("span", { class: "od-count" }, formatNumber(n)),
      ),
    ),
  );
}

// one order
function actionsFor(order) {
  const buttons = [];
  const button = (label, cls, onclick) => h("button", { type: "button", class: `btn btn-small ${cls}`, onclick }, label);
  const { status, payment } = order;
  if (status === "placed" && payment !== "on_delivery") {
    buttons.push(button(t("desk.paid"), "btn-primary act-paid", () => transition(order, { status: "paid" })));
  }
  if (status === "paid" || (status === "placed" && payment === "on_delivery")) {
    buttons.push(button(t("desk.ship"), "btn-primary act-ship", () => openShip(order)));
  }
  if (["reserved", "placed", "paid"].includes(status)) {
    buttons.push(button(t("desk.cancel"), "act-cancel", () => openCancel(order)));
  }
  return buttons;
}

function orderCard(order) {
  const buyer = order.buyer;
  const payLine = [];
  if (order.payment) payLine.push(paymentText(order.payment));
  if (order.status === "placed" && order.payment === "bank_transfer" && order.expires_at) {
    payLine.push(t("desk.pay_by", { when: formatDateTime(order.expires_at) }));
  }
  const actions = actionsFor(order);
  return h(
    "li",
    { class: "od-order", dataset: { orderId: order.order_id, status: order.status } },
    h(
      "div",
      { class: "od-head" },
      statusPill(order.status),
      h("span", { class: "od-id order-id", title: order.order_id }, `#${shortId(order.order_id)}`),
      h("span", { class: "od-time muted" }, formatDateTime(order.created_at)),
    ),
    h(
      "div",
      { class: "od-product" },
      h(
        "p",
        { class: "od-product-name" },
        order.deal ? h("span", { class: "deal-tag" }, t("order.deal")) : null,
        h("b", {}, order.name || order.sku || ""),
        " ",
        h("span", { class: "od-qty" }, t("order.qty", { n: formatNumber(order.qty || 1) })),
      ),
      h("p", { class: "od-total" }, formatMoney(amountDue(order), order.currency || currency)),
    ),
    buyer
      ? h(
          "div",
          { class: "od-buyer", "aria-label": t("desk.buyer") },
          h("p", {}, h("b", { class: "od-buyer-name" }, buyer.name || ""), " · ", h("span", { class: "od-phone" }, buyer.phone || "")),
          h("p", { class: "od-address" }, `(${buyer.postcode || ""}) ${buyer.address || ""} ${buyer.address2 || ""}`.trim()),
          buyer.memo ? h("p", { class: "od-memo" }, h("span", { class: "od-label" }, t("desk.memo")), buyer.memo) : null,
        )
      : h(
          "div",
          { class: "od-buyer od-no-buyer muted" },
          h("p", {}, t("desk.no_buyer")),
          order.status === "reserved" && order.expires_at
            ? h("p", {}, t("desk.hold_until", { when: formatDateTime(order.expires_at) }))
            : null,
        ),
    h(
      "div",
      { class: "od-pay" },
      payLine.length ? h("p", { class: "od-payment" }, h("span", { class: "od-label" }, t("desk.payment")), payLine.join(" · ")) : null,
      order.carrier || order.tracking
        ? h("p", { class: "od-shipping" }, h("span", { class: "od-label" }, t("desk.shipping")), `${order.carrier || ""} ${order.tracking || ""}`.trim())
        : null,
    ),
    h("div", { class: "od-actions" }, actions),
    Array.isArray(order.history) && order.history.length
      ? h(
          "details",
          { class: "od-history" },
          h("summary", {}, t("desk.history")),
          h(
            "ol",
            {},
            order.history.map((step) =>
              h(
                "li",
                {},
                statusText(step.status),
                " · ",
                formatDateTime(step.at),
                step.by ? ` · ${hasText(`order.by.${step.by}`) ? t(`order.by.${step.by}`) : step.by}` : "",
              ),
            ),
          ),
        )
      : null,
  );
}

function render() {
  renderTabs();
  const list = [...orders.values()]
    .filter((o) => filter === "all" || o.status === filter)
    .sort((a, b) => (b.created_at || 0) - (a.created_at || 0));
  const by = counts();
  const done = [...orders.values()]
    .filter((o) => o.status === "paid" || o.status === "shipped")
    .reduce((sum, o) => sum + amountDue(o), 0);
  setText(
    $("#od-summary"),
    loaded ? `${t("desk.count", { n: formatNumber(orders.size) })} · ${t("desk.sum", { amount: formatMoney(done, currency) })}` : t("desk.loading"),
  );
  const items = list.slice(0, shown).map(orderCard);
  if (loaded && !list.length) items.push(h("li", { class: "od-empty muted" }, t("desk.empty")));
  fill($("#list"), items);
  const rest = list.length - shown;
  $("#more").hidden = rest <= 0;
  setText($("#more"), t("desk.more", { n: formatNumber(Math.min(rest, PAGE)) }));
  $("#desk").dataset.counts = JSON.stringify(by);
}
const renderSoon = throttle(render, 150);
$("#more").addEventListener("click", () => {
  shown += PAGE;
  render();
});

// actions
async function transition(order, body) {
  const card = document.querySelector(`.od-order[data-order-id="${CSS.escape(order.order_id)}"]`);
  for (const b of card?.querySelectorAll("button") || []) b.disabled = true;
  try {
    const updated = await setOrderStatus(order.order_id, key, body);
    upsert(updated?.order || updated);
    const now = orders.get(order.order_id);
    toast(t("desk.done", { id: shortId(order.order_id), status: statusText(now?.status || body.status) }), { kind: "ok" });
    return true;
  } catch (err) {
    const code = err instanceof ApiError ? err.code : "network";
    toast(t("desk.failed", { id: shortId(order.order_id), reason: errorText(code) }), { kind: "error", ms: 6000 });
    if (code === "bad_transition" || code === "unknown_order") {
      getOrder(order.order_id, key).then(upsert, () => {});
    }
    render();
    return false;
  }
}

// 발송 처리: carrier and tracking number
const shipBox = { order: null };
function fillCarriers() {
  const select = $("#ship-carrier");
  const chosen = select.value || localStorage.getItem("livecast.carrier") || CARRIERS[0][1];
  fill(select, CARRIERS.map(([id, name]) => h("option", { value: name }, lang() === "ko" ? name : t(`carrier.${id}`))));
  select.value = chosen;
}
function openShip(order) {
  shipBox.order = order;
  fillCarriers();
  setText($("#ship-what"), `#${shortId(order.order_id)} · ${order.name || ""} ${t("order.qty", { n: formatNumber(order.qty || 1) })}`);
  $("#ship-tracking").value = "";
  $("#ship-error").hidden = true;
  $("#ship-tracking").setAttribute("aria-invalid", "false");
  $("#ship-dialog").showModal();
  $("#ship-tracking").focus();
}
$("#ship-tracking").addEventListener("input", () => {
  if (!$("#ship-error").hidden && normaliseTracking($("#ship-tracking").value)) {
    $("#ship-error").hidden = true;
    $("#ship-tracking").setAttribute("aria-invalid", "false");
  }
});
$("#ship-form").addEventListener("submit", async (event) => {
  if (event.submitter?.value !== "ship") return; // 취소 closes the dialog
  event.preventDefault();
  const tracking = normaliseTracking($("#ship-tracking").value);
  if (!tracking) {
    setText($("#ship-error"), t("desk.tracking.bad"));
    $("#ship-error").hidden = false;
    $("#ship-tracking").setAttribute("aria-invalid", "true");
    $("#ship-tracking").focus();
    return;
  }
  const carrier = $("#ship-carrier").value;
  localStorage.setItem("livecast.carrier", carrier);
  $("#ship-submit").disabled = true;
  const ok = await transition(shipBox.order, { status: "shipped", carrier, tracking });
  $("#ship-submit").disabled = false;
  if (ok) $("#ship-dialog").close();
});

// 취소, after a confirmation
const cancelBox = { order: null };
function openCancel(order) {
  cancelBox.order = order;
  setText($("#cancel-what"), t("desk.cancel.body", { name: order.name || order.sku, qty: formatNumber(order.qty || 1) }));
  $("#cancel-dialog").showModal();
}
$("#cancel-dialog").addEventListener("close", () => {
  if ($("#cancel-dialog").returnValue === "cancel" && cancelBox.order) transition(cancelBox.order, { status: "cancelled" });
  cancelBox.order = null;
});

// CSV: fetched with the key (a plain link cannot carry the Authorization header)
$("#csv").addEventListener("click", async () => {
  const button = $("#csv");
  button.disabled = true;
  try {
    const blob = await ordersCsv(showId, key, { status: filter === "all" ? undefined : filter });
    const url = URL.createObjectURL(blob);
    const stamp = new Date().toISOString().slice(0, 16).replace(/[-:T]/g, "");
    const a = h("a", { href: url, download: `orders-${showId}-${filter}-${stamp}.csv`, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 30000);
  } catch (err) {
    toast(t("desk.csv_failed", { reason: errorText(err.code || "network") }), { kind: "error" });
  } finally {
    button.disabled = false;
  }
});

function renderTitle() {
  setText($("#title"), show.title || showId);
  document.title = `${t("desk.title")} · ${show.title || showId}`;
}
window.addEventListener("langchange", () => {
  renderTitle();
  render();
});

renderTitle();
render();
await reload();
window.livecast = { orders, socket, reload };
