// Replay: the recording, its chat replayed in step with the video, and the product moments
// (featured, deal, soldout) as a timeline whose entries seek the video.
import { getRecordings, getShow, getSidecar } from "./lib/api.js";
import { ChatView } from "./lib/chat.js";
import { $, fill, h, setText, showIdFromPath } from "./lib/dom.js";
import { formatWhen, initI18n, t } from "./lib/i18n.js";
import { formatClock, formatMoney } from "./lib/money.js";
import { productImage } from "./lib/products.js";
import { ShowModel } from "./lib/show-model.js";

initI18n();
const showId = showIdFromPath();
const model = new ShowModel(await getShow(showId));
const video = $("#video");
const chat = new ChatView($("#chat"), { max: 1000 });
let recordings = [];
let recording = null;
let events = [];
let applied = -1; // index of the last sidecar event applied to the chat
let lastTime = 0;

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
  await choose(recordings.length - 1);
}

async function choose(index) {
  recording = recordings[index];
  video.src = recording.url;
  events = await getSidecar(recording);
  resetChat(0);
  renderMoments();
}
$("#recording").addEventListener("change", () => choose(Number($("#recording").value)));

function duration() {
  if (Number.isFinite(video.duration) && video.duration > 0) return video.duration;
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

function renderPosition(time) {
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

function renderHeader() {
  setText($("#title"), model.title);
  setText($("#title-h"), model.title);
  document.title = `${model.title} · ${t("replay.title")}`;
}
window.addEventListener("langchange", () => {
  renderHeader();
  renderMoments();
});
renderHeader();
await load();
window.livecast = { model, video, events: () => events };
