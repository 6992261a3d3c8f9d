// Watch: the WHEP player, the featured product with Buy, chat, hearts and "just bought".
import { getShow } from "./lib/api.js";
import { Buyer } from "./lib/buy.js";
import { ChatView, bindChatForm, sendChat } from "./lib/chat.js";
import { $, fill, h, icon, setText, showIdFromPath, throttle, toast } from "./lib/dom.js";
import { formatTime, formatWhen, initI18n, t } from "./lib/i18n.js";
import { formatNumber } from "./lib/money.js";
import { Player } from "./lib/player.js";
import { ProductFigures } from "./lib/product-view.js";
import { priceBlock, productImage } from "./lib/products.js";
import { ShowModel } from "./lib/show-model.js";
import { connectShow } from "./lib/socket.js";

initI18n();
const showId = showIdFromPath();
const model = new ShowModel(await getShow(showId));
const video = $("#video");
const player = new Player(showId, video);

// nickname and the signed viewer token (so a ban follows the same person)
const NICK = "livecast.nick";
const TOKEN = `livecast.token.${showId}`;
const GUEST = "livecast.guest";
if (!localStorage.getItem(GUEST)) localStorage.setItem(GUEST, String(1000 + Math.floor(Math.random() * 9000)));
const nickname = () => localStorage.getItem(NICK) || t("chat.guest", { n: localStorage.getItem(GUEST) });

const socket = connectShow(showId, { name: nickname(), token: localStorage.getItem(TOKEN) || undefined });
const buyer = new Buyer(socket);
const chat = new ChatView($("#chat"), { max: 80 });
model.bind(socket);
chat.bind(socket);
let everConnected = false;

socket.on("state", (state) => {
  everConnected = true;
  model.applyState(state);
  chat.set(state.chat || state.messages || []);
  setPinned(state.pinned);
  if (state.you?.token) {
    localStorage.setItem(TOKEN, state.you.token);
    socket.auth.token = state.you.token;
  }
  renderConnection();
});
socket.on("connect", renderConnection);
socket.on("disconnect", renderConnection);
function bannedNotice() {
  $("#chat-input").disabled = true;
  $("#chat-input").placeholder = t("chat.banned_notice");
}
socket.on("connect_error", (err) => {
  if (err.message === "banned") bannedNotice();
  renderConnection();
});
socket.on("banned", bannedNotice);
socket.on("pinned", setPinned);
socket.on("muted", ({ until } = {}) => {
  if (!until || until < Date.now()) return;
  toast(t("chat.muted_until", { time: until ? formatTime(until) : "…" }), { kind: "error" });
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
    (model.status === "live" && player.state === "reconnecting") || (everConnected && !socket.connected);
  $("#reconnecting").hidden = !reconnecting;
  $("#unmute").hidden = !(video.muted && player.state === "playing");
}

function renderViewers() {
  setText($("#viewer-count"), formatNumber(model.viewers));
  $("#viewers").setAttribute("aria-label", t("common.viewers", { n: formatNumber(model.viewers) }));
}

player.addEventListener("state", renderConnection);
video.addEventListener("resize", () => video.classList.toggle("landscape", video.videoWidth > video.videoHeight));
video.addEventListener("volumechange", renderConnection);
$("#unmute").addEventListener("click", () => {
  video.muted = false;
  video.play().catch(() => {});
  renderConnection();
});

// the featured product card
let card = null; // {sku, figures, root}

async function buy(figures) {
  if (figures.busy) return; // a double tap while the first is in flight
  const product = figures.product();
  figures.busy = true;
  figures.update();
  const answer = await buyer.buy(figures.sku, figures.qty);
  figures.busy = false;
  if (answer.ok) {
    toast(t("watch.buy.ok", { qty: formatNumber(answer.qty), name: product.name }), { kind: "ok" });
    if (answer.sold !== undefined || answer.remaining !== undefined) {
      model.setSales({ [figures.sku]: { sold: answer.sold ?? product.sold, remaining: answer.remaining } });
    }
  } else {
    const known = ["sold_out", "insufficient_stock", "limit_exceeded", "not_live", "unknown_product"];
    const message = known.includes(answer.error)
      ? t(`watch.buy.${answer.error}`)
      : t("watch.buy.other", { code: answer.error });
    toast(message, { kind: "error" });
    if (answer.error === "sold_out") model.setSales({ [figures.sku]: { remaining: 0 } });
  }
  for (const view of [card?.figures, sheet.figures]) view?.update();
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
    const figures = new ProductFigures(model, product.sku, { onBuy: buy });
    const open = h("button", { type: "button", class: "open", onclick: () => openSheet(product.sku) }, product.name);
    fill(
      root,
      productImage(product),
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

// the product detail sheet, over the stream (the video keeps playing)
const sheet = { el: $("#sheet"), sku: null, figures: null };
$(".sheet-close").addEventListener("click", () => sheet.el.close());
sheet.el.addEventListener("click", (event) => event.target === sheet.el && sheet.el.close());
sheet.el.addEventListener("close", () => {
  sheet.sku = null;
  sheet.figures = null;
});

function openSheet(sku) {
  const product = model.product(sku);
  if (!product) return;
  sheet.sku = sku;
  sheet.figures = new ProductFigures(model, sku, { onBuy: buy });
  const others = model.products.filter((p) => p.sku !== sku);
  fill(
    $("#sheet-body"),
    h(
      "div",
      { class: "detail", dataset: { sku } },
      productImage(product),
      h("h2", { id: "sheet-name" }, product.name),
      sheet.figures.price,
      sheet.figures.countdown,
      product.description ? h("p", { class: "desc" }, product.description) : null,
      h("div", { class: "figures" }, sheet.figures.stock, sheet.figures.sold),
      product.max_per_order
        ? h("div", { class: "muted" }, t("common.max_per_order", { n: formatNumber(product.max_per_order) }))
        : null,
      h("div", { class: "buy-row" }, sheet.figures.qtyBox, sheet.figures.buyButton),
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
                  productImage(p),
                  h("span", { class: "name" }, p.name),
                  priceBlock(model, p),
                ),
              ),
            ),
          )
        : null,
    ),
  );
  if (!sheet.el.open) sheet.el.showModal();
  sheet.el.scrollTop = 0;
}

$("#products-btn").addEventListener("click", () => {
  const product = cardProduct();
  if (product) openSheet(product.sku);
});

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
}, 100);
model.addEventListener("change", ({ detail }) => {
  if (detail.what === "status") renderStatus();
  else if (detail.what === "viewers") renderViewers();
  else if (detail.what === "products" && sheet.sku) openSheet(sheet.sku);
  if (["products", "featured", "deal", "sales", "status"].includes(detail.what)) renderFigures();
});
window.addEventListener("langchange", () => {
  renderStatus();
  renderViewers();
  renderCard();
  if (sheet.sku) openSheet(sheet.sku);
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
window.livecast = { model, player, socket, buyer };
