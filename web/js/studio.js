// Studio: camera and microphone, Go live / End show over WHIP, the product rail (feature,
// deals), figures and a per-minute chart, the chat with inline moderation.
import { ApiError, getSales, getShow, listAllOrders } from "./lib/api.js";
import { PerMinute } from "./lib/chart.js";
import { ChatView, bindChatForm } from "./lib/chat.js";
import { $, fill, h, setText, showIdFromPath, throttle, toast } from "./lib/dom.js";
import { initI18n, t } from "./lib/i18n.js";
import { askKey, forgetKey, readKey, saveKey } from "./lib/keys.js";
import { messageActions } from "./lib/moderation.js";
import { formatMoney, formatNumber, fromMinor, toMinor } from "./lib/money.js";
import { STATUSES, amountDue, shortId, statusPill, statusText } from "./lib/orders-view.js";
import { dealCountdown, priceBlock, productImage, stockText } from "./lib/products.js";
import { ShowModel } from "./lib/show-model.js";
import { connectShow, request, trackConnection } from "./lib/socket.js";
import { publish, statsMeter } from "./lib/webrtc.js";

initI18n();
const showId = showIdFromPath();
const model = new ShowModel(await getShow(showId));

// the host key: #key=… or typed; checked against the sales API (host key or admin only)
async function obtainKey() {
  let key = readKey("studio", showId);
  let error = null;
  for (;;) {
    if (!key) key = await askKey($("#gate"), { help: t("key.host_help"), error });
    try {
      await getSales(showId, key);
      saveKey("studio", showId, key);
      return key;
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 401) throw err;
      forgetKey("studio", showId);
      key = "";
      error = t("key.bad");
    }
  }
}
const hostKey = await obtainKey();
$("#gate").hidden = true;
$("#desk").hidden = false;

const socket = connectShow(showId, { name: model.seller || "host", key: hostKey });
model.bind(socket);
const chat = new ChatView($("#chat"), { actions: messageActions(socket), showTime: true });
chat.bind(socket);
const chart = new PerMinute($("#chart"));
socket.on("state", (state) => {
  model.applyState(state);
  chat.set(state.chat || state.messages || []);
  setPinned(state.pinned);
  renderAll();
});
socket.on("pinned", setPinned);
socket.on("connect_error", (err) => {
  if (err.message === "bad_key") toast(t("key.bad"), { kind: "error" });
});
trackConnection(socket, (state) => {
  const pill = $("#conn");
  pill.className = `pill pill-${state}`;
  pill.dataset.state = state;
  pill.textContent = t(`conn.${state}`);
});

function setPinned(pinned) {
  const text = pinned && typeof pinned === "object" ? pinned.text : pinned;
  $("#pinned").hidden = !text;
  setText($("#pinned"), text || "");
}

// camera and microphone
const preview = $("#preview");
let stream = null;
let audioOnly = false;

async function listDevices() {
  const devices = await navigator.mediaDevices.enumerateDevices();
  for (const [kind, select] of [
    ["videoinput", $("#camera")],
    ["audioinput", $("#microphone")],
  ]) {
    const chosen = select.value;
    const found = devices.filter((d) => d.kind === kind);
    fill(
      select,
      found.map((d, i) => h("option", { value: d.deviceId }, d.label || `${kind} ${i + 1}`)),
      h("option", { value: "" }, t("studio.none")),
    );
    const track = stream?.getTracks().find((tr) => tr.kind === (kind === "videoinput" ? "video" : "audio"));
    const current = track?.getSettings().deviceId;
    select.value = found.some((d) => d.deviceId === chosen) ? chosen : current || (track ? found[0]?.deviceId : "") || "";
  }
}

function cameraProblem(err) {
  const box = $("#camera-problem");
  if (!err) {
    box.hidden = true;
    return;
  }
  let message;
  if (err.name === "NotAllowedError" || err.name === "SecurityError") message = t("studio.camera.denied");
  else if (err.name === "NotFoundError" || err.name === "OverconstrainedError") message = t("studio.camera.missing");
  else message = t("studio.camera.error", { message: err.message || err.name });
  $("#camera-problem-text").textContent = message;
  box.hidden = false;
}

async function startCamera() {
  const cameraId = $("#camera").value;
  const micId = $("#microphone").value;
  const video = audioOnly
    ? false
    : { deviceId: cameraId ? { exact: cameraId } : undefined, width: { ideal: 1280 }, height: { ideal: 720 } };
  const audio = micId ? { deviceId: { exact: micId } } : true;
  let next;
  try {
    next = await navigator.mediaDevices.getUserMedia({ video, audio });
    cameraProblem(null);
  } catch (err) {
    cameraProblem(err);
    await listDevices().catch(() => {});
    return false;
  }
  const old = stream;
  stream = next;
  preview.srcObject = stream;
  if (session) {
    // live: swap the tracks in place, the viewers keep their sessions
    for (const sender of session.pc.getSenders()) {
      const track = stream.getTracks().find((tr) => tr.kind === sender.track?.kind);
      if (track) await sender.replaceTrack(track);
    }
  }
  old?.getTracks().forEach((tr) => tr.stop());
  await listDevices();
  return true;
}

$("#camera").addEventListener("change", () => startCamera());
$("#microphone").addEventListener("change", () => startCamera());
$("#retry-camera").addEventListener("click", () => {
  audioOnly = false;
  startCamera();
});
$("#audio-only").addEventListener("click", () => {
  audioOnly = true;
  startCamera();
});

// Go live / End show over WHIP
let session = null;
let meter = null;
let linkState = "idle";

function setLinkState(state) {
  linkState = state;
  const pill = $("#pc-state");
  pill.className = `pill pill-${state === "live" ? "connected" : state}`;
  pill.textContent = t(`studio.state.${state}`);
  pill.dataset.state = state;
  $("#golive").hidden = Boolean(session);
  $("#end").hidden = !session;
  $("#onair").hidden = state !== "live";
  $("#camera").disabled = false;
}

async function goLive() {
  $("#whip-error").hidden = true;
  if (!stream && !(await startCamera())) return;
  $("#golive").disabled = true;
  setLinkState("connecting");
  try {
    session = await publish(showId, hostKey, stream);
  } catch (err) {
    session = null;
    const known = [401, 409, 503].includes(err.status);
    $("#whip-error").textContent = known
      ? t(`studio.whip.${err.status}`)
      : t("studio.whip.other", { message: err.message });
    $("#whip-error").hidden = false;
    setLinkState("failed");
    return;
  } finally {
    $("#golive").disabled = false;
  }
  meter = statsMeter(session.pc, "outbound");
  const pc = session.pc;
  const follow = () => {
    if (!session || session.pc !== pc) return;
    const state = pc.connectionState;
    if (state === "connected") setLinkState("live");
    else if (state === "disconnected") setLinkState("reconnecting");
    else if (state === "failed") {
      // drop the dead session without DELETE (the show stays live for a while on the
      // server); Go live again replaces it
      session = null;
      meter = null;
      pc.close();
      setLinkState("failed");
    }
    else setLinkState("connecting");
  };
  pc.addEventListener("connectionstatechange", follow);
  follow();
}

async function endShow() {
  const current = session;
  session = null;
  meter = null;
  if (current) await current.stop().catch(() => {});
  setLinkState("ended");
  setText($("#bitrate"), "–");
  setText($("#resolution"), "–");
}

$("#golive").addEventListener("click", goLive);
$("#end").addEventListener("click", () => $("#end-dialog").showModal());
$("#end-dialog").addEventListener("close", () => {
  if ($("#end-dialog").returnValue === "end") endShow();
});
window.addEventListener("beforeunload", (event) => {
  if (session) {
    event.preventDefault();
    event.returnValue = t("studio.leave");
  }
});

setInterval(async () => {
  if (!meter) return;
  const figures = await meter();
  setText($("#bitrate"), figures.kbps ? `${formatNumber(Math.round(figures.kbps))} kbps` : "–");
  setText($("#resolution"), figures.width ? `${figures.width}×${figures.height}` : "–");
}, 1000);

// the product rail
const rows = new Map(); // sku -> {root, refs}

function railItem(product) {
  const refs = {
    price: h("span", { class: "price-slot" }),
    badge: h("span", { class: "badge-featured", hidden: true }, t("studio.featured")),
    left: h("b", { class: "left" }),
    sold: h("b", { class: "sold-count" }),
    countdown: h("span", { class: "countdown-slot" }),
    dealPrice: h("input", {
      class: "input",
      type: "number",
      min: "0",
      step: "any",
      id: `deal-price-${product.sku}`,
      value: String(fromMinor(Math.round((product.price * 0.9) / 100) * 100, model.currency)),
    }),
    seconds: h("input", {
      class: "input seconds",
      type: "number",
      min: "5",
      max: "86400",
      step: "1",
      id: `deal-seconds-${product.sku}`,
      value: "60",
    }),
    feature: h("button", { type: "button", class: "btn btn-small act-feature" }, t("studio.feature")),
    dealStart: h("button", { type: "button", class: "btn btn-small btn-primary act-deal" }, t("studio.deal.start")),
    dealEnd: h("button", { type: "button", class: "btn btn-small act-deal-end", hidden: true }, t("studio.deal.end")),
  };
  refs.feature.addEventListener("click", () => act("product:feature", { sku: product.sku }));
  refs.dealStart.addEventListener("click", () => {
    const price = toMinor(refs.dealPrice.value, model.currency);
    const seconds = Math.round(Number(refs.seconds.value));
    act("deal:start", { sku: product.sku, price, seconds });
  });
  refs.dealEnd.addEventListener("click", () => act("deal:end", { sku: product.sku }));
  const root = h(
    "li",
    { class: "rail-item", dataset: { sku: product.sku } },
    productImage(product),
    h(
      "div",
      { class: "meta" },
      h("p", { class: "name" }, product.name, refs.badge),
      h("div", { class: "line" }, refs.price, refs.countdown),
      h(
        "div",
        { class: "line" },
        h("span", { class: "stat" }, refs.left),
        h("span", { class: "stat" }, t("studio.units"), " ", refs.sold),
      ),
    ),
    h(
      "div",
      { class: "controls" },
      refs.feature,
      h(
        "div",
        { class: "deal-form" },
        h("label", { for: refs.dealPrice.id }, t("studio.deal.price"), refs.dealPrice),
        h("label", { for: refs.seconds.id }, t("studio.deal.seconds"), refs.seconds),
        refs.dealStart,
        refs.dealEnd,
      ),
    ),
  );
  return { root, refs, deal: null };
}

async function act(event, payload) {
  const answer = await request(socket, event, payload);
  if (!answer.ok) toast(`${event}: ${answer.message || answer.error}`, { kind: "error" });
  return answer;
}

function renderRail() {
  const list = $("#products");
  const skus = model.products.map((p) => p.sku);
  if (skus.join("\n") !== [...rows.keys()].join("\n")) {
    rows.clear();
    for (const product of model.products) rows.set(product.sku, railItem(product));
    fill(list, [...rows.values()].map((r) => r.root));
  }
  for (const product of model.products) {
    const row = rows.get(product.sku);
    const { refs } = row;
    refs.price.replaceChildren(priceBlock(model, product));
    const deal = model.activeDeal(product.sku);
    if (deal !== row.deal) {
      row.deal = deal;
      refs.countdown.replaceChildren(deal ? dealCountdown(deal) : "");
    }
    refs.left.textContent = stockText(product);
    refs.sold.textContent = formatNumber(product.sold || 0);
    const featured = model.featured === product.sku;
    refs.badge.hidden = !featured;
    row.root.classList.toggle("is-featured", featured);
    row.root.classList.toggle("is-soldout", model.isSoldOut(product));
    refs.feature.disabled = featured;
    refs.dealStart.hidden = Boolean(deal);
    refs.dealEnd.hidden = !deal;
  }
}

// figures
let revenue = null;
const refreshRevenue = throttle(async () => {
  try {
    const report = await getSales(showId, hostKey);
    revenue = report.total.revenue;
    renderFigures();
  } catch {
    // the next sales update tries again
  }
}, 2000);

function renderFigures() {
  setText($("#f-viewers"), formatNumber(model.viewers));
  setText($("#f-hearts"), formatNumber(model.hearts));
  const units = model.totals().sold;
  setText($("#f-units"), formatNumber(units));
  setText($("#f-revenue"), revenue === null ? "–" : formatMoney(revenue, model.currency));
  chart.total(units);
}

function renderStatus() {
  const pill = $("#status");
  pill.className = `pill pill-${model.status}`;
  pill.textContent = t(`status.${model.status}`);
  setText($("#title"), model.title);
  document.title = `${model.title} · ${t("studio.title")}`;
  const url = new URL(`/watch/${encodeURIComponent(showId)}`, location.href).href;
  $("#watch-link").href = url;
  setText($("#watch-link"), url);
}

function renderAll() {
  renderStatus();
  renderRail();
  renderFigures();
}

const renderLive = throttle(() => {
  renderRail();
  renderFigures();
}, 100);
model.addEventListener("change", ({ detail }) => {
  if (detail.what === "status") renderStatus();
  if (detail.what === "sales") refreshRevenue();
  renderLive();
});
window.addEventListener("langchange", () => {
  rows.clear();
  renderAll();
  setLinkState(linkState);
  listDevices();
});
setInterval(() => chart.draw(), 10000);

// orders: counts by status and the latest few, kept current by `order` events; the desk
// (/orders/{show}) has the buyers' details and the actions
const orders = new Map();
const ordersLink = new URL(`/orders/${encodeURIComponent(showId)}`, location.href);
ordersLink.hash = new URLSearchParams({ key: hostKey }).toString();
$("#orders-link").href = ordersLink.href;

function renderOrders() {
  const by = Object.fromEntries(STATUSES.map((s) => [s, 0]));
  for (const order of orders.values()) if (order.status in by) by[order.status] += 1;
  fill(
    $("#orders-counts"),
    STATUSES.filter((s) => by[s]).map((s) =>
      h("span", { class: "orders-count", dataset: { status: s } }, statusText(s), " ", h("b", {}, formatNumber(by[s]))),
    ),
  );
  const latest = [...orders.values()].sort((a, b) => (b.created_at || 0) - (a.created_at || 0)).slice(0, 6);
  fill(
    $("#orders-latest"),
    latest.length
      ? latest.map((order) =>
          h(
            "li",
            { dataset: { orderId: order.order_id, status: order.status } },
            statusPill(order.status),
            h("span", { class: "ol-name" }, order.name || order.sku || "", " ", t("order.qty", { n: formatNumber(order.qty || 1) })),
            h("span", { class: "ol-total" }, formatMoney(amountDue(order), order.currency || model.currency)),
            h("span", { class: "ol-id muted", title: order.order_id }, `#${shortId(order.order_id)}`),
          ),
        )
      : h("li", { class: "muted" }, t("studio.orders.none")),
  );
}
const renderOrdersSoon = throttle(renderOrders, 200);
socket.on("order", (order) => {
  if (!order?.order_id) return;
  orders.set(order.order_id, { ...(orders.get(order.order_id) || {}), ...order });
  renderOrdersSoon();
});
async function loadOrders() {
  try {
    for (const order of await listAllOrders(showId, hostKey)) orders.set(order.order_id, order);
  } catch {
    // no order API (yet) or offline: the panel fills from live events
  }
  renderOrders();
}
socket.on("connect", loadOrders);
window.addEventListener("langchange", renderOrders);
renderOrders();

// the host's own chat messages (they carry the Host badge)
bindChatForm($("#chat-form"), $("#chat-input"), socket);

setLinkState("idle");
renderAll();
refreshRevenue();
await startCamera();
window.livecast = { model, socket, session: () => session, chart };
