// Replay: the recording, its chat replayed in step with the video, the product moments
// (featured, deal, soldout) as a timeline whose entries seek the video, and the show's
// products with Buy while they have stock (unless the seller switched replay sales off),
// through the same confirm sheet, reservation and checkout as the watch page.
//
// What plays: the recording file, or the whole show's HLS VOD (vod.m3u8; Safari natively,
// others through hls.js) when the browser cannot play the file's container (Safari and
// .mkv), when the file fails to load, or when the page has ?hls. On the vod every
// recording's sidecar is placed on the show's timeline (lib/vod-timeline.js) and the
// recording selector seeks to where that host session starts. #playback says which.
import { getRecordings, getShow, getSidecar } from "./lib/api.js";
import { sellersFooter } from "./lib/business.js";
import { Buyer } from "./lib/buy.js";
import { ChatView } from "./lib/chat.js";
import { ConfirmSheet } from "./lib/confirm-sheet.js";
import { $, fill, h, setText, showIdFromPath, throttle } from "./lib/dom.js";
import { HlsPlayer, canPlayRecording } from "./lib/hls-player.js";
import { formatWhen, initI18n, t } from "./lib/i18n.js";
import { formatClock, formatMoney } from "./lib/money.js";
import { ProductFigures } from "./lib/product-view.js";
import { productImage } from "./lib/products.js";
import { ShowModel } from "./lib/show-model.js";
import { connectShow } from "./lib/socket.js";
import "./lib/strings-events.js";
import { parseVod, vodDuration, vodMapper } from "./lib/vod-timeline.js";

initI18n();
const showId = showIdFromPath();
const view = await getShow(showId);
const model = new ShowModel(view);
const video = $("#video");
const chat = new ChatView($("#chat"), { max: 1000 });
let recordings = [];
let recording = null;
let events = [];
let applied = -1; // index of the last sidecar event applied to the chat
let lastTime = 0;
let mode = "file"; // "file" | "hls"
let vod = null; // {segments, starts: vod time each recording starts at} once probed
let hlsPlayer = null;
const forceHls = new URLSearchParams(location.search).has("hls");

const kindOf = (event) => event.kind.replace(":", ".");
const MOMENTS = ["featured", "deal", "soldout"];

async function load() {
  try {
    recordings = await getRecordings(showId);
  } catch {
    recordings = [];
  }
  recordings.sort((a, b) => String(a.started_at).localeCompare(String(b.started_at)));
  const select = $("#recording");
  select.hidden = recordings.length < 2;
  fill(
    select,
    recordings.map((rec, i) =>
      h("option", { value: String(i) }, `${t("replay.recording", { n: i + 1 })} · ${formatWhen(rec.started_at)}`),
    ),
  );
  if (!recordings.length) {
    $("#none").hidden = false;
    video.hidden = true;
    renderMoments();
    return;
  }
  select.value = String(recordings.length - 1);
  const last = recordings[recordings.length - 1];
  if (forceHls || !canPlayRecording(video, last.url)) {
    if (await playVod()) return;
  }
  await choose(recordings.length - 1);
}

async function choose(index) {
  recording = recordings[index];
  if (mode === "hls") {
    seek(vod.starts[index] ?? 0);
    return;
  }
  video.src = recording.url;
  renderPlayback();
  const sidecar = await getSidecar(recording);
  if (mode !== "file" || recording !== recordings[index]) return; // the vod took over meanwhile
  events = sidecar;
  resetChat(0);
  renderMoments();
}
$("#recording").addEventListener("change", () => choose(Number($("#recording").value)));

// the whole show as HLS: probe vod.m3u8 (404: the show was not H.264, or has not ended)
async function probeVod() {
  const res = await fetch(`/hls/${encodeURIComponent(showId)}/vod.m3u8`, { cache: "no-store" }).catch(() => null);
  if (!res || res.status !== 200) return null;
  const segments = parseVod(await res.text());
  return segments.length ? segments : null;
}

async function playVod() {
  if (mode === "hls") return true;
  const segments = await probeVod();
  if (!segments) return false;
  mode = "hls";
  const toVod = vodMapper(segments, recordings);
  vod = { segments, starts: recordings.map((_, i) => toVod(i, 0)), duration: vodDuration(segments) };
  video.removeAttribute("src");
  hlsPlayer = new HlsPlayer(showId, video, { vod: true });
  hlsPlayer.want(true);
  renderPlayback();
  // every recording's sidecar, on the vod's timeline (the original t kept as `rt`)
  const sidecars = await Promise.all(recordings.map((rec) => getSidecar(rec).catch(() => [])));
  events = sidecars
    .flatMap((list, i) => list.map((event) => ({ ...event, rt: event.t, rec: i, t: toVod(i, event.t) })))
    .sort((a, b) => a.t - b.t);
  recording = recordings[recordings.length - 1] || null;
  resetChat(video.currentTime || 0);
  renderMoments();
  return true;
}

// a file that does not load (a container or codec this browser lacks): the vod instead
video.addEventListener("error", () => {
  if (mode === "file" && video.getAttribute("src")) playVod();
});

function renderPlayback() {
  const pill = $("#playback");
  pill.dataset.mode = mode;
  setText(pill, t(`replay.playback.${mode}`));
  pill.hidden = !recordings.length && mode === "file";
}

function duration() {
  if (Number.isFinite(video.duration) && video.duration > 0) return video.duration;
  if (mode === "hls") return vod.duration || 1;
  return Number(recording?.duration) || Math.max(1, ...events.map((e) => e.t));
}

// chat in step with the video: apply sidecar events up to the current time
function applyEvent(event) {
  const kind = kindOf(event);
  if (kind === "chat") chat.add(event.data);
  else if (kind === "chat.deleted") chat.remove(event.data?.ids || []);
  else if (kind === "chat.cleared") chat.clear();
}

function resetChat(time) {
  chat.set([]);
  applied = -1;
  advance(time);
  chat.scrollToEnd(true);
}

function advance(time) {
  while (applied + 1 < events.length && events[applied + 1].t <= time) {
    applied += 1;
    applyEvent(events[applied]);
  }
}

function onTime() {
  const time = video.currentTime;
  if (time < lastTime - 0.25) resetChat(time);
  else advance(time);
  lastTime = time;
  renderPosition(time);
}
video.addEventListener("timeupdate", onTime);
video.addEventListener("seeked", onTime);
video.addEventListener("loadedmetadata", renderMoments);

// moments timeline
function momentLabel(event) {
  const kind = kindOf(event);
  const product = model.product(event.data?.sku);
  const name = product?.name || event.data?.sku || "";
  if (kind === "featured") return t("replay.moment.featured", { name });
  if (kind === "soldout") return t("replay.moment.soldout", { name });
  if (!event.data) return t("replay.moment.deal_end");
  return t("replay.moment.deal", { name, price: formatMoney(event.data.price, model.currency) });
}

function seek(time) {
  video.currentTime = time;
  onTime();
  video.play().catch(() => {});
}

function renderMoments() {
  const moments = events.filter((e) => MOMENTS.includes(kindOf(e)));
  const total = duration();
  fill(
    $("#moments"),
    moments.length
      ? moments.map((event) =>
          h(
            "li",
            { class: `kind-${kindOf(event)}`, dataset: { t: String(event.t) } },
            h(
              "button",
              { type: "button", onclick: () => seek(event.t) },
              h("time", {}, formatClock(event.t)),
              h("span", { class: "dot", "aria-hidden": "true" }),
              h("span", {}, momentLabel(event)),
            ),
          ),
        )
      : h("li", { class: "none" }, recording ? "–" : t("replay.none")),
  );
  const bar = $("#bar");
  bar.querySelectorAll(".mark").forEach((m) => m.remove());
  for (const event of moments) {
    const mark = h("span", { class: `mark mark-${kindOf(event)}` });
    mark.style.left = `${Math.min(100, (event.t / total) * 100)}%`;
    bar.append(mark);
  }
  renderPosition(video.currentTime || 0);
}

// on the vod, the selector follows the host session on air
function renderSession(time) {
  if (mode !== "hls" || recordings.length < 2) return;
  let index = 0;
  vod.starts.forEach((start, i) => {
    if (start <= time + 0.01) index = i;
  });
  if ($("#recording").value !== String(index)) $("#recording").value = String(index);
}

function renderPosition(time) {
  renderSession(time);
  $("#bar-pos").style.left = `${Math.min(100, (time / duration()) * 100)}%`;
  // the moment in effect and the product on air at this time
  let featured = null;
  let deal = null;
  let current = null;
  for (const event of events) {
    if (event.t > time) break;
    const kind = kindOf(event);
    if (kind === "featured") featured = event.data?.sku || null;
    if (kind === "deal") deal = event.data || null;
    if (MOMENTS.includes(kind)) current = event;
  }
  for (const li of $("#moments").children) {
    li.classList.toggle("current", current !== null && li.dataset.t === String(current.t));
  }
  const product = model.product(featured);
  const box = $("#now-product");
  box.hidden = !product;
  if (product && box.dataset.sku !== `${product.sku}|${deal?.sku}|${document.documentElement.lang}`) {
    box.dataset.sku = `${product.sku}|${deal?.sku}|${document.documentElement.lang}`;
    const dealPrice = deal && deal.sku === product.sku ? deal.price : null;
    fill(
      box,
      productImage(product),
      h(
        "div",
        {},
        h("div", { class: "name" }, product.name),
        h(
          "div",
          { class: dealPrice !== null ? "price has-deal" : "price" },
          dealPrice !== null ? h("span", { class: "deal-price" }, formatMoney(dealPrice, model.currency)) : null,
          dealPrice !== null ? " " : null,
          dealPrice !== null
            ? h("s", { class: "list-price" }, formatMoney(product.price, model.currency))
            : formatMoney(product.price, model.currency),
        ),
      ),
    );
  }
}

// the seller's business details, as the law wants them on a shop's page
function renderSellers() {
  fill($("#sellers"), sellersFooter([view]));
}

function renderHeader() {
  setText($("#title"), model.title);
  setText($("#title-h"), model.title);
  document.title = `${model.title} · ${t("replay.title")}`;
}

// the player fits a portrait or a landscape recording
video.addEventListener("loadedmetadata", () => {
  if (video.videoWidth && video.videoHeight) {
    $(".video-box").style.setProperty("--video-ratio", `${video.videoWidth} / ${video.videoHeight}`);
    $(".video-box").classList.toggle("portrait", video.videoHeight > video.videoWidth);
  }
});

// the shop: Buy while the products have stock, once the show has ended (live, the watch
// page sells), unless the seller turned replay sales off
const TOKEN = `livecast.token.${showId}`;
const NICK = "livecast.nick";
const selling = () => model.status === "ended" && model.replaySales;
let socket = null;
let buyer = null;
let confirmSheet = null;
const shop = new Map(); // sku -> ProductFigures

function canSell() {
  return selling() ? { ok: true } : { ok: false, text: t("watch.buy.closed") };
}

function startSelling() {
  if (socket || !selling()) return;
  socket = connectShow(showId, {
    name: localStorage.getItem(NICK) || t("chat.guest", { n: localStorage.getItem("livecast.guest") || "" }),
    token: localStorage.getItem(TOKEN) || undefined,
    replay: true,
  });
  model.bind(socket);
  socket.on("state", (state) => {
    model.applyState(state);
    if (state.you?.token) {
      localStorage.setItem(TOKEN, state.you.token);
      socket.auth.token = state.you.token;
    }
  });
  buyer = new Buyer(socket, showId);
  confirmSheet = new ConfirmSheet($("#confirm"), {
    model,
    buyer,
    viewerToken: () => localStorage.getItem(TOKEN) || socket.auth.token || "",
    onBusy: (busy) => {
      for (const figures of shop.values()) {
        figures.busy = Boolean(busy);
        figures.update();
      }
    },
  });
  window.addEventListener("pageshow", (event) => {
    if (!event.persisted) return;
    confirmSheet.setBusy(false);
    confirmSheet.close();
  });
}

function renderShop() {
  const section = $("#shop");
  section.hidden = model.status !== "ended" || !model.products.length;
  if (section.hidden) return;
  shop.clear();
  const products = model.products;
  const left = products.filter((p) => !model.isSoldOut(p));
  setText($("#shop-note"), !model.replaySales ? t("replay.shop.off") : left.length ? "" : t("replay.shop.none"));
  $("#shop-note").hidden = !$("#shop-note").textContent;
  fill(
    $("#shop-list"),
    products.map((product) => {
      const figures = new ProductFigures(model, product.sku, {
        canSell,
        onBuy: (f) => confirmSheet?.open(f.sku, f.qty),
      });
      shop.set(product.sku, figures);
      return h(
        "li",
        { class: "shop-item", dataset: { sku: product.sku } },
        productImage(product),
        h(
          "div",
          { class: "info" },
          h("p", { class: "name" }, product.name),
          figures.price,
          h("span", { class: "stock" }, figures.stock, " · ", figures.sold),
        ),
        model.replaySales ? h("div", { class: "buy-box" }, figures.qtyBox, figures.buyButton) : null,
      );
    }),
  );
}

const updateShop = throttle(() => {
  for (const figures of shop.values()) figures.update();
  confirmSheet?.update();
}, 100);
model.addEventListener("change", ({ detail }) => {
  if (detail.what === "products") renderShop();
  else if (["sales", "deal", "status"].includes(detail.what)) updateShop();
});

window.addEventListener("langchange", () => {
  renderHeader();
  renderPlayback();
  renderSellers();
  renderMoments();
  renderShop();
  if (confirmSheet?.sku) confirmSheet.render();
});
renderHeader();
renderSellers();
renderShop();
startSelling();
await load();
window.livecast = {
  model,
  video,
  events: () => events,
  socket: () => socket,
  buyer: () => buyer,
  mode: () => mode,
  hls: () => hlsPlayer,
  vod: () => vod,
};
