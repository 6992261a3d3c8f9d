// Watch: the player (WHEP, or HLS when WHEP is full), the featured product with Buy, chat, hearts and "just bought".
import { getShow } from "./lib/api.js";
import { Buyer } from "./lib/buy.js";
import { ChatView, bindChatForm, sendChat } from "./lib/chat.js";
import { $, fill, h, icon, setText, showIdFromPath, throttle, toast } from "./lib/dom.js";
import { ConfirmSheet } from "./lib/confirm-sheet.js";
import { errorText, formatDateTime, formatDuration, formatTime, formatWhen, initI18n, t } from "./lib/i18n.js";
import { formatMoney, formatNumber } from "./lib/money.js";
import { amountDue, checkoutHref, countdown, statusPill, statusText } from "./lib/orders-view.js";
import { businessLine } from "./lib/business.js";
import { detailPhotos, gallery } from "./lib/gallery.js";
import { thumbOf } from "./lib/photos.js";
import { ProductFigures } from "./lib/product-view.js";
import { Playback } from "./lib/playback.js";
import { priceBlock, productImage } from "./lib/products.js";
import { ShowModel } from "./lib/show-model.js";
import { connectShow, request } from "./lib/socket.js";
import "./lib/strings-events.js";

initI18n();
const showId = showIdFromPath();
const view = await getShow(showId);
const model = new ShowModel(view);
// the seller's business details (상호, 사업자등록번호, …), shown with the products
let business = view.business || null;
const video = $("#video");
// WHEP; HLS when WHEP answers 503 or the page has ?hls (the #playback pill says which)
const player = new Playback(showId, video, { hls: new URLSearchParams(location.search).has("hls") });

// nickname and the signed viewer token (so a ban follows the same person)
const NICK = "livecast.nick";
const TOKEN = `livecast.token.${showId}`;
const GUEST = "livecast.guest";
if (!localStorage.getItem(GUEST)) localStorage.setItem(GUEST, String(1000 + Math.floor(Math.random() * 9000)));
const nickname = () => localStorage.getItem(NICK) || t("chat.guest", { n: localStorage.getItem(GUEST) });

const socket = connectShow(showId, { name: nickname(), token: localStorage.getItem(TOKEN) || undefined });
const buyer = new Buyer(socket, showId);
const chat = new ChatView($("#chat"), { max: 80 });
model.bind(socket);
chat.bind(socket);
let everConnected = false;
// a banned viewer is refused by the server: say so once, and stop "reconnecting"
const ban = { on: false, until: null };

socket.on("state", (state) => {
  everConnected = true;
  ban.on = false;
  model.applyState(state);
  if (state.show && "business" in state.show) business = state.show.business || null;
  chat.set(state.chat || state.messages || []);
  setPinned(state.pinned);
  if (state.you?.token) {
    localStorage.setItem(TOKEN, state.you.token);
    socket.auth.token = state.you.token;
  }
  renderConnection();
  loadMyOrders();
});
socket.on("connect", renderConnection);
socket.on("disconnect", renderConnection);
function bannedNotice({ until = null } = {}) {
  const first = !ban.on;
  ban.on = true;
  ban.until = until;
  renderBanned();
  if (first) toast(bannedText(), { kind: "error", ms: 8000 });
  renderFigures();
  renderConnection();
}
function bannedText() {
  return ban.until ? t("watch.banned.until", { time: formatDateTime(ban.until) }) : t("watch.banned.title");
}
function renderBanned() {
  const input = $("#chat-input");
  input.disabled = ban.on || model.status === "ended";
  input.placeholder = ban.on ? t("chat.banned_notice") : model.status === "ended" ? t("watch.chat_closed") : t("chat.placeholder");
  $("#banned").hidden = !ban.on;
  setText($("#banned"), ban.on ? bannedText() : "");
}
socket.on("connect_error", (err) => {
  if (err.message === "banned") bannedNotice();
  renderConnection();
});
socket.on("banned", (data) => bannedNotice(data || {}));
socket.on("pinned", setPinned);
socket.on("muted", ({ until, seconds } = {}) => {
  if (!until || until < Date.now()) return;
  const left = seconds || (until - Date.now()) / 1000;
  toast(t("watch.muted_for", { duration: formatDuration(left), time: formatTime(until) }), { kind: "error", ms: 6000 });
});
socket.on("purchase", justBought);

// status: starting soon / live / ended, and the player follows it
function renderStatus() {
  const status = model.status;
  const pill = $("#status");
  pill.className = `pill pill-${status}`;
  pill.textContent = t(`status.${status}`);
  $("#soon").hidden = status !== "scheduled";
  $("#ended").hidden = status !== "ended";
  $("#stage").classList.toggle("is-ended", status === "ended");
  if (status === "ended") {
    // the end closes the chat and the buying (the replay sells on, with its own page)
    confirmSheet.close();
    if (sheet.el.open) sheet.el.close();
  }
  setText($("#chat-closed"), t("watch.chat_closed"));
  $("#chat-closed").hidden = status !== "ended";
  renderBanned();
  $("#replay-link").href = `/replay/${encodeURIComponent(showId)}`;
  setText($("#soon-at"), model.startsAt ? t("watch.soon.at", { when: formatWhen(model.startsAt) }) : "");
  setText($("#title"), model.title);
  setText($("#seller"), model.seller);
  document.title = `${model.title} · livecast`;
  player.want(status === "live");
  renderConnection();
}

function renderConnection() {
  const reconnecting =
    (model.status === "live" && player.state === "reconnecting") ||
    (everConnected && !socket.connected && !ban.on && model.status !== "ended");
  $("#reconnecting").hidden = !reconnecting;
  $("#unmute").hidden = !(video.muted && player.state === "playing");
  renderPlayback();
  renderAudioOnly();
}

function renderPlayback() {
  const pill = $("#playback");
  pill.dataset.mode = player.mode;
  setText(pill, t(`watch.playback.${player.mode}`));
  pill.hidden = model.status !== "live";
}

function renderViewers() {
  const n = formatNumber(model.viewers);
  setText($("#viewer-count"), n);
  setText($("#viewer-label"), t("common.viewers", { n }));
}

// the player fits the video: portrait fills the phone, landscape sits under the top bar
// (phone) or widens the stage (desktop) instead of a strip in a sea of black
function fitVideo() {
  const { videoWidth: w, videoHeight: h } = video;
  const stage = $("#stage");
  stage.classList.toggle("landscape", w > h && h > 0);
  stage.classList.toggle("portrait", h >= w && w > 0);
  if (w && h) stage.style.setProperty("--video-ratio", `${w} / ${h}`);
  renderAudioOnly();
}

// a host without a camera: say "audio only" instead of a black screen
let audioOnlyTimer = null;
function renderAudioOnly() {
  const playing = model.status === "live" && player.state === "playing";
  const noPicture = playing && !video.videoWidth;
  if (!noPicture) {
    clearTimeout(audioOnlyTimer);
    audioOnlyTimer = null;
    $("#audio-only").hidden = true;
  } else if (!audioOnlyTimer) {
    audioOnlyTimer = setTimeout(() => {
      $("#audio-only").hidden = !(model.status === "live" && player.state === "playing" && !video.videoWidth);
    }, 3000);
  }
}

player.addEventListener("state", renderConnection);
player.addEventListener("mode", renderConnection);
video.addEventListener("resize", fitVideo);
video.addEventListener("loadedmetadata", fitVideo);
video.addEventListener("volumechange", renderConnection);
$("#unmute").addEventListener("click", () => {
  video.muted = false;
  video.play().catch(() => {});
  renderConnection();
});

// the featured product card
let card = null; // {sku, figures, root}

// Buy works while the show is live (the server says not_live otherwise), not for a banned
// viewer (the server refuses the socket); before: "buy when live", after: the replay sells
function canSell() {
  if (ban.on) return { ok: false, text: t("watch.buy.banned") };
  if (model.status === "scheduled") return { ok: false, text: t("watch.buy.soon") };
  if (model.status !== "live") return { ok: false, text: t("watch.buy.closed") };
  return { ok: true };
}

// 구매하기 opens the confirm sheet: nothing is reserved until the buyer confirms there
function buy(figures) {
  openConfirm(figures.sku, figures.qty);
}

function cardProduct() {
  return model.featuredProduct() || model.products[0] || null;
}

function renderCard() {
  const product = cardProduct();
  const root = $("#featured");
  root.hidden = !product || model.status === "ended";
  if (!product) return;
  const identity = `${product.sku}|${model.featured === product.sku}|${document.documentElement.lang}`;
  if (!card || card.identity !== identity) {
    const figures = new ProductFigures(model, product.sku, { onBuy: buy, canSell });
    const open = h("button", { type: "button", class: "open", onclick: () => openSheet(product.sku) }, product.name);
    fill(
      root,
      productImage({ ...product, image: product.image ? thumbOf(product.image) : product.image }),
      h(
        "div",
        { class: "info" },
        model.featured === product.sku ? h("span", { class: "tag-featured" }, t("common.featured")) : null,
        open,
        figures.price,
        figures.countdown,
        h("span", { class: "stock" }, figures.stock, " · ", figures.sold),
      ),
      h("div", { class: "buy-box" }, figures.qtyBox, figures.buyButton),
    );
    root.setAttribute("aria-label", product.name);
    card = { sku: product.sku, figures, identity };
  }
  const soldOut = card.figures.update();
  root.classList.toggle("soldout", Boolean(soldOut));
  root.dataset.sku = product.sku;
}

// the product detail sheet, over the stream: the video keeps playing above it (phone) or
// beside it (desktop); photos, price, the detail page, 상품정보제공고시, the seller
const sheet = { el: $("#sheet"), sku: null, figures: null };
$(".sheet-close").addEventListener("click", () => sheet.el.close());
sheet.el.addEventListener("click", (event) => event.target === sheet.el && sheet.el.close());
sheet.el.addEventListener("close", () => {
  sheet.sku = null;
  sheet.figures = null;
  document.body.classList.remove("detail-open");
});

/** The detail text as paragraphs (blank lines between them; single line breaks kept). */
function paragraphs(text) {
  return String(text || "")
    .split(/\n[ \t]*\n+/)
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => h("p", {}, part));
}

function noticeTable(notice) {
  const rows = Object.entries(notice || {});
  if (!rows.length) return null;
  return h(
    "section",
    { class: "detail-notice", "aria-labelledby": "sheet-notice-h" },
    h("h3", { id: "sheet-notice-h" }, t("watch.notice")),
    h(
      "table",
      { class: "notice-table" },
      h("tbody", {}, rows.map(([label, value]) => h("tr", {}, h("th", { scope: "row" }, label), h("td", {}, value)))),
    ),
  );
}

function sellerInfo() {
  const line = businessLine(business);
  if (!line) return null;
  return h(
    "footer",
    { class: "seller-info", "aria-labelledby": "sheet-seller-h" },
    h("h3", { id: "sheet-seller-h" }, t("watch.seller_info")),
    h("p", { class: "business-line" }, line),
    h("p", { class: "muted" }, t("business.footer_note")),
  );
}

function openSheet(sku) {
  const product = model.product(sku);
  if (!product) return;
  const wasOpen = sheet.el.open;
  const same = wasOpen && sheet.sku === sku;
  const keep = same ? { top: sheet.el.scrollTop, left: $("#sheet .slides")?.scrollLeft || 0 } : null;
  sheet.sku = sku;
  sheet.figures = new ProductFigures(model, sku, { onBuy: buy, canSell });
  const others = model.products.filter((p) => p.sku !== sku);
  const detail = product.detail || null;
  const heading = h("h2", { id: "sheet-name", class: "detail-name", title: product.name, tabindex: "-1" }, product.name);
  fill(
    $("#sheet-body"),
    h(
      "div",
      { class: "detail", dataset: { sku } },
      gallery(product),
      h(
        "div",
        { class: "detail-head" },
        heading,
        h("div", { class: "detail-price" }, sheet.figures.price, sheet.figures.countdown),
        product.description ? h("p", { class: "desc" }, product.description) : null,
        h("div", { class: "figures" }, sheet.figures.stock, sheet.figures.sold),
        product.max_per_order
          ? h("div", { class: "muted" }, t("common.max_per_order", { n: formatNumber(product.max_per_order) }))
          : null,
      ),
      detail && (detail.text || detail.images?.length)
        ? h(
            "section",
            { class: "detail-page", "aria-labelledby": "sheet-detail-h" },
            h("h3", { id: "sheet-detail-h" }, t("watch.detail_title")),
            h("div", { class: "detail-text" }, paragraphs(detail.text)),
            detailPhotos(detail.images, product.name),
          )
        : null,
      noticeTable(product.notice),
      others.length ? h("h3", {}, t("watch.more")) : null,
      others.length
        ? h(
            "ul",
            { class: "others" },
            others.map((p) =>
              h(
                "li",
                {},
                h(
                  "button",
                  { type: "button", onclick: () => openSheet(p.sku) },
                  productImage({ ...p, image: p.image ? thumbOf(p.image) : p.image }),
                  h("span", { class: "name" }, p.name),
                  priceBlock(model, p),
                ),
              ),
            ),
          )
        : null,
      sellerInfo(),
      // last, so that it stays stuck to the bottom of the sheet however far one reads
      h("div", { class: "buy-row" }, sheet.figures.qtyBox, sheet.figures.buyButton),
    ),
  );
  document.body.classList.add("detail-open");
  if (!wasOpen) sheet.el.showModal();
  if (keep) {
    sheet.el.scrollTop = keep.top;
    const slides = $("#sheet .slides");
    if (slides) slides.scrollLeft = keep.left;
  } else {
    sheet.el.scrollTop = 0;
    // another product from the list: say which one (the button that had focus is gone)
    if (wasOpen) heading.focus({ preventScroll: true });
  }
}

$("#products-btn").addEventListener("click", () => {
  const product = cardProduct();
  if (product) openSheet(product.sku);
});

// the confirm sheet: product, quantity, price (deal aware), shipping, total; confirming buys
const viewerToken = () => localStorage.getItem(TOKEN) || socket.auth.token || "";

const confirmSheet = new ConfirmSheet($("#confirm"), {
  model,
  buyer,
  viewerToken,
  beforeOpen: () => {
    if (buyer.pending() || buyer.busy) {
      toast(t("confirm.pending"), { kind: "info" });
      buyer.resume();
      openMyOrders();
      return false;
    }
    if (sheet.el.open) sheet.el.close();
    return true;
  },
  onBusy: (busy) => {
    for (const view of [card?.figures, sheet.figures]) {
      if (!view) continue;
      view.busy = Boolean(busy);
      view.update();
    }
  },
  onReserved: (answer, product) => {
    resetQty();
    mine.set(answer.order_id, { ...answer, name: product?.name, image: product?.image, created_at: answer.ts || Date.now() });
  },
  onPending: () => openMyOrders(),
});

function openConfirm(sku, qty = 1) {
  confirmSheet.open(sku, qty);
}

function resetQty() {
  for (const view of [card?.figures, sheet.figures]) view?.setQty(1);
}

// back from checkout through the bfcache: the sheet is not mid-buy any more
window.addEventListener("pageshow", (event) => {
  if (!event.persisted) return;
  confirmSheet.setBusy(false);
  confirmSheet.close();
  loadMyOrders();
});

// an intent resumed after a reload or a reconnect got its answer
buyer.addEventListener("settled", ({ detail }) => {
  if (!detail.resumed) return;
  const name = model.product(detail.sku)?.name || detail.sku;
  if (detail.ok) {
    toast(t("confirm.resumed_ok", { name }), { kind: "ok", ms: 6000 });
    if (typeof detail.sold === "number") model.setSales({ [detail.sku]: { sold: detail.sold, remaining: detail.remaining } });
    loadMyOrders();
  } else if (!detail.pending) {
    toast(t("confirm.resumed_failed", { reason: errorText(detail.error) }), { kind: "error", ms: 6000 });
  }
});
buyer.addEventListener("pending", renderMyOrders);

// 내 주문: the viewer's orders in this show, kept current by `order` events
const mine = new Map(); // order_id -> order
const myBox = { el: $("#my-orders"), loaded: false, error: null };
$("#my-orders .sheet-close").addEventListener("click", () => myBox.el.close());
myBox.el.addEventListener("click", (event) => event.target === myBox.el && myBox.el.close());
$("#my-orders-btn").addEventListener("click", openMyOrders);

function openMyOrders() {
  renderMyOrders();
  if (!myBox.el.open) myBox.el.showModal();
  loadMyOrders();
}

async function loadMyOrders() {
  if (!socket.connected) return;
  const answer = await request(socket, "my:orders", {}, 8000);
  if (answer.ok && Array.isArray(answer.orders)) {
    for (const order of answer.orders) if (order?.order_id) mine.set(order.order_id, order);
    myBox.loaded = true;
    myBox.error = null;
  } else {
    myBox.error = answer.error || "invalid";
  }
  renderMyOrders();
}

socket.on("order", (order) => {
  if (!order?.order_id) return;
  const before = mine.get(order.order_id);
  mine.set(order.order_id, { ...(before || {}), ...order });
  if (before && before.status && before.status !== order.status) {
    toast(t("my.changed", { name: order.name || before.name || "", status: statusText(order.status) }), {
      kind: order.status === "cancelled" || order.status === "expired" ? "error" : "ok",
    });
  }
  renderMyOrders();
});

function myOrderItem(order) {
  const token = viewerToken();
  const product = model.product(order.sku);
  const image = productImage({ name: order.name || product?.name || "", image: order.image || product?.image });
  const lines = [];
  if (order.status === "reserved" && order.expires_at) {
    lines.push(
      h(
        "p",
        { class: "my-hold" },
        countdown(order.expires_at, "my.hold", { onEnd: () => setTimeout(renderMyOrders, 50) }),
      ),
    );
    if (order.expires_at > Date.now()) {
      lines.push(h("a", { class: "btn btn-primary btn-small my-checkout", href: checkoutHref(order, token) }, t("my.checkout")));
    }
  } else if (order.status === "placed" && order.payment === "bank_transfer" && order.expires_at) {
    lines.push(h("p", { class: "my-pay-by" }, t("my.pay_by", { when: formatDateTime(order.expires_at) })));
  }
  if (order.status === "shipped" && (order.carrier || order.tracking)) {
    lines.push(
      h("p", { class: "my-tracking" }, t("my.tracking", { carrier: order.carrier || "", tracking: order.tracking || "" })),
    );
  }
  if (["placed", "paid", "shipped"].includes(order.status)) {
    lines.push(h("a", { class: "my-details", href: checkoutHref(order, token) }, t("my.details")));
  }
  const total = amountDue(order);
  return h(
    "li",
    { class: "my-order", dataset: { orderId: order.order_id, status: order.status || "" } },
    image,
    h(
      "div",
      { class: "my-info" },
      h("p", { class: "my-name" }, order.name || product?.name || order.sku || ""),
      h(
        "p",
        { class: "my-meta" },
        statusPill(order.status),
        " ",
        h("span", {}, t("order.qty", { n: formatNumber(order.qty || 1) }), " · ", formatMoney(total, order.currency || model.currency)),
      ),
      order.created_at ? h("p", { class: "muted my-when" }, formatDateTime(order.created_at)) : null,
      lines,
    ),
  );
}

function renderMyOrders() {
  const orders = [...mine.values()].sort((a, b) => (b.created_at || 0) - (a.created_at || 0));
  const open = orders.filter((o) => o.status === "reserved" && (o.expires_at || 0) > Date.now()).length;
  const badge = $("#my-orders-badge");
  badge.hidden = !open && !buyer.pending();
  setText(badge, buyer.pending() ? "…" : String(open));
  $("#my-orders-btn").setAttribute("aria-label", open ? `${t("my.title")} · ${t("my.badge", { n: open })}` : t("my.title"));
  $("#my-checking").hidden = !buyer.pending();
  if (!myBox.el.open) return;
  const body = $("#my-orders-body");
  if (!orders.length) {
    fill(body, h("p", { class: myBox.error ? "error" : "muted my-empty" }, myBox.error ? t("my.error") : myBox.loaded ? t("my.empty") : t("common.loading")));
    return;
  }
  fill(body, myBox.error ? h("p", { class: "error" }, t("my.error")) : null, h("ul", { class: "my-list" }, orders.map(myOrderItem)));
}

// pinned text
function setPinned(pinned) {
  const text = pinned && typeof pinned === "object" ? pinned.text : pinned;
  $("#pinned").hidden = !text;
  setText($("#pinned"), text || "");
}

// "just bought" toasts
function justBought({ name, sku, qty } = {}) {
  const product = model.product(sku);
  if (!product) return;
  const box = $("#just-bought");
  const item = h(
    "div",
    { class: "bought" },
    t("watch.just_bought", { name: name || "?", qty: formatNumber(qty || 1), product: product.name }),
  );
  box.append(item);
  while (box.children.length > 2) box.firstElementChild.remove();
  setTimeout(() => item.remove(), 4000);
}

// hearts
let myHearts = 0;
function floatHeart() {
  const layer = $("#hearts");
  if (layer.children.length > 24) return;
  const heart = h("span", { class: "float-heart" });
  heart.append(icon("heart"));
  heart.style.setProperty("--dx", `${Math.round(Math.random() * 50 - 25)}px`);
  heart.style.color = ["#e0004d", "#ff6b9a", "#ff9f1c", "#ff4d6d"][Math.floor(Math.random() * 4)];
  layer.append(heart);
  heart.addEventListener("animationend", () => heart.remove());
  setTimeout(() => heart.remove(), 2500);
}
$("#heart").addEventListener("click", () => {
  myHearts += 1;
  floatHeart();
  socket.emit("react", { kind: "heart" });
});
model.addEventListener("change", ({ detail }) => {
  if (detail.what !== "reactions") return;
  const others = Math.max(0, (model.lastHearts || 0) - myHearts);
  myHearts = 0;
  for (let i = 0; i < Math.min(others, 8); i += 1) setTimeout(floatHeart, i * 120);
});

// chat with a nickname picker
const nickDialog = $("#nick-dialog");
let pendingText = null;
function askNick() {
  $("#nick-input").value = localStorage.getItem(NICK) || "";
  nickDialog.showModal();
}
$("#nick").addEventListener("click", askNick);
$("#nick-cancel").addEventListener("click", () => {
  pendingText = null;
  nickDialog.close();
});
$("#nick-form").addEventListener("submit", () => {
  const nick = $("#nick-input").value.trim().slice(0, 30);
  if (!nick) return;
  localStorage.setItem(NICK, nick);
  socket.auth.name = nick;
  // the server learns the name on connect: reconnect, then send what was waiting
  socket.once("state", () => {
    if (pendingText) sendChat(socket, $("#chat-input"), pendingText);
    pendingText = null;
  });
  socket.disconnect().connect();
});

bindChatForm($("#chat-form"), $("#chat-input"), socket, (text) => {
  if (localStorage.getItem(NICK)) return true;
  pendingText = text;
  askNick();
  return false;
});

// keep everything current
const renderFigures = throttle(() => {
  renderCard();
  sheet.figures?.update();
  confirmSheet.update();
}, 100);
model.addEventListener("change", ({ detail }) => {
  if (detail.what === "status") renderStatus();
  else if (detail.what === "viewers") renderViewers();
  else if (detail.what === "products" && sheet.sku) openSheet(sheet.sku);
  if (["products", "featured", "deal", "sales", "status"].includes(detail.what)) renderFigures();
});
window.addEventListener("langchange", () => {
  renderStatus();
  renderBanned();
  renderViewers();
  renderCard();
  if (sheet.sku) openSheet(sheet.sku);
  if (confirmSheet.sku) confirmSheet.render();
  renderMyOrders();
});

// without the socket (or before it connects), the REST view still tells the status
setInterval(async () => {
  if (socket.connected) return;
  try {
    const view = await getShow(showId);
    model.setStatus(view.status);
  } catch {
    // offline: the next tick tries again
  }
}, 5000);

renderStatus();
renderViewers();
renderCard();
renderMyOrders();
window.livecast = { model, player, socket, buyer, myOrders: mine };
