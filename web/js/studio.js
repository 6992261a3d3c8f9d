// Studio: camera and microphone (landscape or portrait), a pre-live check, a private
// rehearsal, Go live / End show over WHIP with automatic republishing when the broadcast
// drops or the server restarts, the product rail (feature, deals), figures and a
// per-minute chart, the chat with inline moderation, and the show's summary at the end.
import { ApiError, getReport, getSales, getShow, listAllOrders, patchShow } from "./lib/api.js";
import { PerMinute } from "./lib/chart.js";
import { ChatView, bindChatForm } from "./lib/chat.js";
import { $, $$, fill, h, setText, showIdFromPath, throttle, toast } from "./lib/dom.js";
import { contextError, errorText, formatDuration, initI18n, t } from "./lib/i18n.js";
import { askKey, forgetKey, readKey, saveKey } from "./lib/keys.js";
import { messageActions } from "./lib/moderation.js";
import { formatMoney, formatNumber, fromMinor, toMinor } from "./lib/money.js";
import { STATUSES, amountDue, shortId, statusPill, statusText } from "./lib/orders-view.js";
import { dealCountdown, priceBlock, productImage, stockText } from "./lib/products.js";
import { ShowModel } from "./lib/show-model.js";
import { connectShow, request, trackConnection } from "./lib/socket.js";
import { play, publish, statsMeter } from "./lib/webrtc.js";

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
$("#tabs").hidden = false;

// phones: one section at a time (camera, products, chat, figures)
function showTab(name) {
  $("#desk").dataset.tab = name;
  for (const button of $$("#tabs button")) button.setAttribute("aria-pressed", String(button.dataset.tab === name));
  if (name === "stats") chart.draw();
}
for (const button of $$("#tabs button")) button.addEventListener("click", () => showTab(button.dataset.tab));

const socket = connectShow(showId, { name: model.seller || "host", key: hostKey });
model.bind(socket);
const chat = new ChatView($("#chat"), { actions: messageActions(socket), showTime: true, pause: true });
chat.bind(socket);
const chart = new PerMinute($("#chart"));
socket.on("state", (state) => {
  model.applyState(state);
  chat.set(state.chat || state.messages || []);
  setPinned(state.pinned);
  renderAll();
  checkBroadcast(state.broadcast);
});
socket.on("pinned", setPinned);
socket.on("connect_error", (err) => {
  if (err.message === "bad_key") toast(t("key.bad"), { kind: "error" });
});
function setPinned(pinned) {
  const text = pinned && typeof pinned === "object" ? pinned.text : pinned;
  $("#pinned").hidden = !text;
  setText($("#pinned"), text || "");
}

// browsers give the camera only to secure pages (HTTPS, or localhost): say what to do
const secure = window.isSecureContext && Boolean(navigator.mediaDevices?.getUserMedia);
/** Text with `code` in backticks as <code> elements (still text nodes only). */
function withCode(node, text) {
  fill(node, text.split("`").map((part, i) => (i % 2 ? h("code", {}, part) : part)));
}

function renderInsecure() {
  $("#insecure").hidden = secure;
  $("#camera-box").classList.toggle("no-camera", !secure);
  if (secure) return;
  const whip = new URL(`/whip/${encodeURIComponent(showId)}`, location.href).href;
  setText($("#insecure-body"), t("studio.insecure.body", { origin: location.origin }));
  withCode($("#insecure-https"), t("studio.insecure.fix_https"));
  withCode($("#insecure-obs"), t("studio.insecure.fix_obs", { whip: `\`${whip}\`` }));
  const local = new URL(location.href);
  const onThisMachine = ["localhost", "127.0.0.1", "[::1]"].includes(local.hostname);
  $("#insecure-local").hidden = onThisMachine;
  local.hostname = "localhost";
  local.hash = "";
  setText($("#insecure-local"), t("studio.insecure.fix_local", { url: local.href }));
}

// camera and microphone
const preview = $("#preview");
const ORIENTATION = "livecast.studio.orientation";
let stream = null;
let audioOnly = false;
const phoneUpright = matchMedia("(max-width: 720px) and (orientation: portrait)").matches;
$("#orientation").value = localStorage.getItem(ORIENTATION) || (phoneUpright ? "portrait" : "landscape");

async function listDevices() {
  if (!secure) return;
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

/** Video constraints: 16:9 or 9:16, cropped from the camera when it does not fit
 * (`strict`: the shape is required; a browser that cannot crop gets the loose form). */
function videoConstraints({ strict = true } = {}) {
  const cameraId = $("#camera").value;
  const portrait = $("#orientation").value === "portrait";
  const ratio = portrait ? 9 / 16 : 16 / 9;
  return {
    deviceId: cameraId ? { exact: cameraId } : undefined,
    ...(portrait ? { height: { ideal: 1280 } } : { width: { ideal: 1280 } }),
    aspectRatio: strict ? { exact: ratio } : { ideal: ratio },
    resizeMode: "crop-and-scale",
  };
}

let cameraAsk = 0; // the latest getUserMedia wins when the host changes their mind quickly

async function startCamera() {
  if (!secure || model.status === "ended") return false;
  const ask = ++cameraAsk;
  const micId = $("#microphone").value;
  const video = audioOnly ? false : videoConstraints();
  const audio = micId ? { deviceId: { exact: micId } } : true;
  let next;
  try {
    try {
      next = await navigator.mediaDevices.getUserMedia({ video, audio });
    } catch (err) {
      if (err.name !== "OverconstrainedError" || !video) throw err;
      next = await navigator.mediaDevices.getUserMedia({ video: videoConstraints({ strict: false }), audio });
    }
    if (ask !== cameraAsk) {
      next.getTracks().forEach((tr) => tr.stop());
      return Boolean(stream);
    }
    cameraProblem(null);
  } catch (err) {
    if (ask !== cameraAsk) return Boolean(stream);
    cameraProblem(err);
    await listDevices().catch(() => {});
    renderChecks();
    return false;
  }
  const old = stream;
  stream = next;
  preview.srcObject = stream;
  const session = link.session;
  if (session) {
    // on air: swap the tracks in place, the viewers keep their sessions
    for (const sender of session.pc.getSenders()) {
      const track = stream.getTracks().find((tr) => tr.kind === sender.track?.kind);
      if (track) await sender.replaceTrack(track);
    }
  }
  old?.getTracks().forEach((tr) => tr.stop());
  watchLevel(stream);
  await listDevices();
  fitPreview();
  renderChecks();
  return true;
}

function stopCamera() {
  stream?.getTracks().forEach((tr) => tr.stop());
  stream = null;
  preview.srcObject = null;
  clearInterval(level.timer);
  level.timer = null;
}

function fitPreview() {
  const { videoWidth: w, videoHeight: hgt } = preview;
  const box = $("#preview-box");
  if (w && hgt) box.style.setProperty("--preview-ratio", `${w} / ${hgt}`);
  box.classList.toggle("portrait", hgt > w);
  renderChecks();
}
preview.addEventListener("resize", fitPreview);
preview.addEventListener("loadedmetadata", fitPreview);

$("#camera").addEventListener("change", () => startCamera());
$("#microphone").addEventListener("change", () => startCamera());
$("#orientation").addEventListener("change", () => {
  localStorage.setItem(ORIENTATION, $("#orientation").value);
  startCamera();
});
$("#retry-camera").addEventListener("click", () => {
  audioOnly = false;
  startCamera();
});
$("#audio-only").addEventListener("click", () => {
  audioOnly = true;
  startCamera();
});

// the pre-live check: camera, microphone level, network, products
const level = { timer: null, value: 0, heardAt: 0, ctx: null };
function watchLevel(media) {
  clearInterval(level.timer);
  const track = media.getAudioTracks()[0];
  if (!track) return;
  try {
    level.ctx ??= new AudioContext();
    const analyser = level.ctx.createAnalyser();
    analyser.fftSize = 512;
    level.ctx.createMediaStreamSource(new MediaStream([track])).connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    level.timer = setInterval(() => {
      analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const v of samples) sum += v * v;
      level.value = Math.min(1, Math.sqrt(sum / samples.length) * 4);
      if (level.value > 0.02) level.heardAt = performance.now();
      $("#mic-level").value = level.value;
      renderChecks();
    }, 200);
  } catch {
    // no Web Audio: the check says "quiet" and nothing breaks
  }
}
// browsers start audio contexts only after a gesture
document.addEventListener("pointerdown", () => level.ctx?.resume().catch(() => {}));

const network = { ms: null, ok: null };
async function probeNetwork() {
  const started = performance.now();
  try {
    const res = await fetch("/healthz", { cache: "no-store" });
    network.ok = res.ok;
    network.ms = Math.round(performance.now() - started);
  } catch {
    network.ok = false;
  }
  renderChecks();
}

function setCheck(id, state, text) {
  const item = $(`#${id}`);
  item.dataset.state = state;
  setText(item.querySelector(".value"), text);
}

function renderChecks() {
  const video = stream?.getVideoTracks()[0];
  if (!secure) setCheck("check-camera", "bad", t("studio.check.camera_none"));
  else if (!stream) setCheck("check-camera", "wait", t("studio.check.camera_none"));
  else if (!video) setCheck("check-camera", "warn", t("studio.check.camera_off"));
  else if (preview.videoWidth) {
    setCheck("check-camera", "ok", t("studio.check.camera_ok", { width: preview.videoWidth, height: preview.videoHeight }));
  } else setCheck("check-camera", "wait", t("studio.check.camera_none"));
  const audio = stream?.getAudioTracks()[0];
  if (!audio) setCheck("check-mic", stream || !secure ? "bad" : "wait", t("studio.check.mic_none"));
  else if (performance.now() - level.heardAt < 4000) setCheck("check-mic", "ok", t("studio.check.mic_ok"));
  else setCheck("check-mic", "warn", t("studio.check.mic_quiet"));
  if (network.ok === null) setCheck("check-network", "wait", "…");
  else if (!network.ok || !socket.connected) setCheck("check-network", "bad", t("studio.check.network_down"));
  else if (network.ms > 400) setCheck("check-network", "warn", t("studio.check.network_slow", { ms: network.ms }));
  else setCheck("check-network", "ok", t("studio.check.network_ok", { ms: network.ms }));
  const ready = model.products.filter((p) => !model.isSoldOut(p)).length;
  const soldout = model.products.length - ready;
  if (!ready) setCheck("check-products", "bad", t("studio.check.products_none"));
  else if (soldout) setCheck("check-products", "warn", t("studio.check.products_some", { n: ready, soldout }));
  else setCheck("check-products", "ok", t("studio.check.products_ok", { n: ready }));
}
const renderChecksSoon = throttle(renderChecks, 250);

// going live over WHIP, and staying live: a dropped broadcast (ICE failed, or the server
// restarted) is published again by itself, with the same stream; the server keeps the
// show live for its host for the reconnect grace, and its viewers keep their sessions
const link = {
  want: null, // "live" | "rehearsal" | null
  session: null, // the current WHIP session
  state: "idle",
  attempt: 0,
  connecting: false,
  retryTimer: null,
  dropTimer: null,
};
let meter = null;
let previewSession = null; // the rehearsal seen through the server (WHEP with the host key)

function setLinkState(state) {
  link.state = state;
  const pill = $("#pc-state");
  const look = { live: "connected", rehearsal: "scheduled" }[state] || state;
  pill.className = `pill pill-${look}`;
  pill.dataset.state = state;
  pill.textContent =
    state === "reconnecting" && link.attempt > 0
      ? t("studio.state.reconnecting_n", { n: link.attempt })
      : t(`studio.state.${state}`);
  const ended = model.status === "ended";
  const onAir = link.want === "live";
  $("#golive").hidden = onAir || ended;
  $("#golive").disabled = !secure || link.connecting;
  $("#rehearse").hidden = onAir || ended;
  $("#rehearse").disabled = !secure || link.connecting;
  setText($("#rehearse"), link.want === "rehearsal" ? t("studio.rehearse.stop") : t("studio.rehearse"));
  $("#end").hidden = !(onAir || model.status === "live") || ended;
  $("#onair").hidden = state !== "live";
  $("#reconnect-banner").hidden = !(link.want && state === "reconnecting");
  setText($("#reconnect-state"), pill.textContent);
  $("#rehearsal").hidden = link.want !== "rehearsal";
  if (link.onAir !== onAir) $("#check").open = !onAir; // folded away once live
  link.onAir = onAir;
}

function showWhipError(err) {
  let message;
  if (err.code === "ended") message = t("studio.whip.ended");
  else if ([401, 409, 503].includes(err.status)) message = t(`studio.whip.${err.status}`);
  else if (err.status === 0) message = errorText("network");
  else message = t("studio.whip.other", { message: errorText(err.code) });
  $("#whip-error").textContent = message;
  $("#whip-error").hidden = false;
}

async function start(mode) {
  if (!secure || model.status === "ended") return;
  $("#whip-error").hidden = true;
  level.ctx?.resume().catch(() => {});
  if (!stream && !(await startCamera())) return;
  if (link.want === mode && link.session) return;
  link.want = mode;
  link.attempt = 0;
  await connect();
}

async function connect() {
  clearTimeout(link.retryTimer);
  const mode = link.want;
  if (!mode || link.connecting) return;
  link.connecting = true;
  const previous = link.session;
  setLinkState(link.attempt ? "reconnecting" : "connecting");
  let session;
  try {
    session = await publish(showId, hostKey, stream, { rehearsal: mode === "rehearsal" });
  } catch (err) {
    link.connecting = false;
    if (link.want !== mode) return;
    if (err.code === "ended") return showEnded();
    const reconnecting = link.attempt > 0;
    // while reconnecting: the server is (re)starting, full, or still holds the dead session
    const transient = err.status === 0 || err.status === 503 || err.status >= 500 || err.code === "already_live";
    if (!reconnecting || !transient) {
      link.want = null;
      showWhipError(err);
      setLinkState("failed");
      return;
    }
    return retryLater(err);
  }
  link.connecting = false;
  if (link.want !== mode) {
    session.stop().catch(() => {});
    return;
  }
  // a rehearsal replaced by the public broadcast, or a dead session: the server has dropped it
  if (previous && previous !== session) previous.abandon();
  link.session = session;
  $("#whip-error").hidden = true;
  meter = statsMeter(session.pc, "outbound");
  follow(session);
  if (mode === "rehearsal") startPreview();
  else stopPreview();
}

function retryLater(err) {
  link.attempt += 1;
  const after = Number(err?.retryAfter) > 0 ? Number(err.retryAfter) * 1000 : 0;
  const delay = after || Math.min(5000, 500 * 2 ** Math.min(link.attempt, 4));
  setLinkState("reconnecting");
  link.retryTimer = setTimeout(connect, delay);
}

function follow(session) {
  const pc = session.pc;
  const check = () => {
    if (link.session !== session) return;
    const state = pc.connectionState;
    clearTimeout(link.dropTimer);
    if (state === "connected") {
      const back = link.attempt > 0;
      link.attempt = 0;
      setLinkState(link.want === "rehearsal" ? "rehearsal" : "live");
      if (back) toast(t("studio.reconnected"), { kind: "ok" });
    } else if (state === "disconnected") {
      // ICE may come back by itself; if not soon, publish again
      setLinkState("reconnecting");
      link.dropTimer = setTimeout(() => reconnect(), 2500);
    } else if (state === "failed" || state === "closed") {
      reconnect();
    } else if (!link.attempt) {
      setLinkState("connecting");
    }
  };
  pc.addEventListener("connectionstatechange", check);
  check();
}

/** The broadcast dropped: publish again (no DELETE: that would end the show). */
function reconnect() {
  if (!link.want || link.connecting) return;
  const dead = link.session;
  link.session = null;
  meter = null;
  dead?.abandon();
  link.attempt += 1;
  setLinkState("reconnecting");
  connect();
}

/** After the socket (re)connects: is our session the one on air? A restarted server
 * has lost it (its lease says "lost", or names another session): publish again. */
function checkBroadcast(broadcast) {
  if (link.want !== "live" || !link.session || link.connecting) return;
  if (!broadcast || broadcast.session !== link.session.id || broadcast.state !== "connected") reconnect();
}

$("#reconnect-now").addEventListener("click", () => {
  clearTimeout(link.retryTimer);
  if (link.session) reconnect();
  else connect();
});

// the rehearsal's preview through the server: what viewers will get, seen only by the host
async function startPreview() {
  if (previewSession) return;
  try {
    previewSession = await play(showId, $("#rehearsal-view"), { key: hostKey });
  } catch {
    previewSession = null;
  }
}
function stopPreview() {
  const session = previewSession;
  previewSession = null;
  session?.stop().catch(() => {});
  $("#rehearsal-view").srcObject = null;
}

async function stopRehearsal() {
  link.want = null;
  clearTimeout(link.retryTimer);
  stopPreview();
  const session = link.session;
  link.session = null;
  meter = null;
  await session?.stop().catch(() => {}); // a rehearsal's DELETE leaves the show scheduled
  setLinkState("idle");
}

async function endShow() {
  link.want = null;
  clearTimeout(link.retryTimer);
  clearTimeout(link.dropTimer);
  stopPreview();
  const session = link.session;
  link.session = null;
  meter = null;
  if (session) await session.stop().catch(() => {});
  // no broadcast to DELETE (reconnecting, or live from OBS): end it over the socket
  const ack = await request(socket, "show:end", {});
  if (ack.ok) model.setStatus("ended");
  showEnded();
}

// the end: camera off, deals over (the server ends them), no going live again, the summary
let endedShown = false;
function showEnded() {
  const first = !endedShown;
  endedShown = true;
  link.want = null;
  clearTimeout(link.retryTimer);
  clearTimeout(link.dropTimer);
  link.session?.abandon();
  link.session = null;
  meter = null;
  stopPreview();
  stopCamera();
  setLinkState("ended");
  setText($("#bitrate"), "–");
  setText($("#resolution"), "–");
  $("#camera-box").hidden = true;
  $("#ended-box").hidden = false;
  $("#summary").hidden = false;
  if (first) loadSummary();
  renderRail();
  model.setStatus("ended"); // (a 409 "ended" may tell the page before the socket does)
}

$("#golive").addEventListener("click", () => start("live"));
$("#rehearse").addEventListener("click", () => (link.want === "rehearsal" ? stopRehearsal() : start("rehearsal")));
$("#end").addEventListener("click", () => $("#end-dialog").showModal());
$("#end-dialog").addEventListener("close", () => {
  if ($("#end-dialog").returnValue === "end") endShow();
});
window.addEventListener("beforeunload", (event) => {
  if (link.want === "live") {
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

// the summary: units, revenue and orders (the sales API); viewers and conversion from the
// show report when the server has it; the replay link and its sales switch
const summary = { sales: null, report: null, error: null };
async function loadSummary() {
  summary.error = null;
  renderSummary();
  try {
    summary.sales = await getSales(showId, hostKey);
  } catch (err) {
    summary.error = err.code || "network";
  }
  try {
    summary.report = await getReport(showId, hostKey);
  } catch {
    summary.report = null; // a server without the report: the sales figures alone
  }
  renderSummary();
}

function summaryFigure(label, value, key) {
  return h("div", { dataset: { figure: key } }, h("dt", {}, label), h("dd", {}, value));
}

function renderSummary() {
  const body = $("#summary-body");
  const { sales, report, error } = summary;
  if (error) return fill(body, h("p", { class: "error" }, t("studio.summary.failed", { reason: errorText(error) })));
  if (!sales) return fill(body, h("p", { class: "muted" }, t("studio.summary.loading")));
  const currency = sales.currency || model.currency;
  const figures = [
    summaryFigure(t("studio.summary.units"), formatNumber(sales.total.sold), "units"),
    summaryFigure(t("studio.summary.revenue"), formatMoney(sales.total.revenue, currency), "revenue"),
    summaryFigure(t("studio.summary.orders"), formatNumber(sales.total.orders), "orders"),
    summaryFigure(t("studio.summary.paid"), formatNumber(sales.total.paid), "paid"),
  ];
  if (report) {
    figures.push(
      summaryFigure(t("studio.summary.peak"), formatNumber(report.peak_viewers || 0), "peak"),
      summaryFigure(t("studio.summary.unique"), formatNumber(report.unique_viewers || 0), "unique"),
      summaryFigure(t("studio.summary.watch"), formatDuration(report.avg_watch_seconds || 0), "watch"),
      summaryFigure(t("studio.summary.buyers"), formatNumber(report.buyers || 0), "buyers"),
      summaryFigure(
        t("studio.summary.conversion"),
        new Intl.NumberFormat(document.documentElement.lang, { style: "percent", maximumFractionDigits: 1 }).format(
          report.conversion || 0,
        ),
        "conversion",
      ),
    );
  }
  const sold = sales.products.filter((p) => p.sold > 0);
  const replay = new URL(`/replay/${encodeURIComponent(showId)}`, location.href).href;
  const toggle = h("input", {
    type: "checkbox",
    id: "replay-sales",
    checked: model.replaySales,
    onchange: async (event) => {
      const on = event.currentTarget.checked;
      try {
        const view = await patchShow(showId, hostKey, { replay_sales: on });
        model.replaySales = view.replay_sales !== false;
      } catch (err) {
        event.currentTarget.checked = !on;
        toast(errorText(err.code), { kind: "error" });
      }
      renderSummary();
    },
  });
  fill(
    body,
    h("dl", { class: "figures summary-figures" }, figures),
    sold.length
      ? h(
          "table",
          { class: "summary-table" },
          h(
            "thead",
            {},
            h("tr", {}, h("th", { scope: "col" }, t("studio.summary.product")), h("th", { scope: "col" }, t("studio.summary.units")), h("th", { scope: "col" }, t("studio.summary.revenue"))),
          ),
          h(
            "tbody",
            {},
            sold.map((p) =>
              h("tr", { dataset: { sku: p.sku } }, h("th", { scope: "row" }, p.name), h("td", {}, formatNumber(p.sold)), h("td", {}, formatMoney(p.revenue, currency))),
            ),
          ),
        )
      : h("p", { class: "muted" }, t("studio.summary.none")),
    h("p", { class: "summary-replay" }, h("a", { id: "replay-link", class: "btn btn-primary", href: replay, target: "_blank", rel: "noopener" }, t("studio.summary.replay"))),
    h("label", { class: "check", for: "replay-sales" }, toggle, t("studio.summary.replay_sales")),
    h("p", { class: "muted" }, model.replaySales ? t("studio.summary.replay_sales_on") : t("studio.summary.replay_sales_off")),
  );
}

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
      inputmode: "numeric",
      id: `deal-price-${product.sku}`,
      value: String(fromMinor(Math.round((product.price * 0.9) / 100) * 100, model.currency)),
    }),
    seconds: h("input", {
      class: "input seconds",
      type: "number",
      min: "5",
      max: "86400",
      step: "1",
      inputmode: "numeric",
      id: `deal-seconds-${product.sku}`,
      value: "60",
    }),
    hint: h("p", { class: "deal-hint", id: `deal-hint-${product.sku}`, hidden: true }),
    feature: h("button", { type: "button", class: "btn btn-small act-feature" }, t("studio.feature")),
    dealStart: h("button", { type: "button", class: "btn btn-small btn-primary act-deal" }, t("studio.deal.start")),
    dealEnd: h("button", { type: "button", class: "btn btn-small act-deal-end", hidden: true }, t("studio.deal.end")),
  };
  refs.feature.addEventListener("click", () => act("product:feature", { sku: product.sku }, "studio.feature"));
  refs.dealStart.addEventListener("click", () => startDeal(product.sku, refs));
  refs.dealEnd.addEventListener("click", () => act("deal:end", { sku: product.sku }, "studio.deal"));
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
      refs.hint,
    ),
  );
  return { root, refs, deal: null };
}

/** The deal form's own checks, then deal:start; a refusal is said in words. */
async function startDeal(sku, refs) {
  const product = model.product(sku);
  if (!product) return;
  const price = toMinor(refs.dealPrice.value, model.currency);
  const seconds = Math.round(Number(refs.seconds.value));
  const running = model.activeDeal();
  let problem = null;
  if (running && running.sku !== sku) {
    problem = t("studio.deal.one_at_a_time", { name: model.product(running.sku)?.name || running.sku });
  } else if (!(price >= 0) || price >= product.price) {
    problem = t("studio.deal.below", { price: formatMoney(product.price, model.currency) });
  }
  if (problem) return dealHint(refs, problem);
  const answer = await request(socket, "deal:start", { sku, price, seconds });
  if (answer.ok) {
    dealHint(refs, null);
    return;
  }
  let message;
  if (answer.error === "deal_running") {
    message = t("studio.deal.one_at_a_time", { name: model.product(answer.sku)?.name || answer.sku || "" });
  } else if (answer.error === "invalid" && answer.field === "price") {
    message = t("studio.deal.below", { price: formatMoney(answer.list_price ?? product.price, model.currency) });
  } else {
    message = contextError("studio.deal", answer.error);
  }
  dealHint(refs, message);
  toast(message, { kind: "error" });
}

function dealHint(refs, message) {
  refs.hint.hidden = !message;
  refs.hint.textContent = message || "";
  refs.dealPrice.setAttribute("aria-invalid", message ? "true" : "false");
  if (message) refs.dealPrice.setAttribute("aria-describedby", refs.hint.id);
  else refs.dealPrice.removeAttribute("aria-describedby");
}

async function act(event, payload, context) {
  const answer = await request(socket, event, payload);
  if (!answer.ok) toast(`${t(context)}: ${contextError(context, answer.error)}`, { kind: "error" });
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
  const ended = model.status === "ended";
  const running = model.activeDeal();
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
    refs.feature.disabled = featured || ended;
    refs.dealStart.hidden = Boolean(deal);
    // deals run while live; a second deal is explained on click (one deal at a time)
    refs.dealStart.disabled = ended || model.status !== "live";
    refs.dealStart.dataset.blocked = running && running.sku !== product.sku ? "1" : "";
    refs.dealStart.title = !ended && model.status !== "live" ? t("studio.deal.error.not_live") : "";
    refs.dealEnd.hidden = !deal;
    refs.dealPrice.disabled = refs.seconds.disabled = ended;
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
  if (model.status === "ended") showEnded();
  else setLinkState(link.state);
}

function renderAll() {
  renderStatus();
  renderRail();
  renderFigures();
  renderChecks();
}

const renderLive = throttle(() => {
  renderRail();
  renderFigures();
  renderChecksSoon();
}, 100);
model.addEventListener("change", ({ detail }) => {
  if (detail.what === "status") renderStatus();
  if (detail.what === "sales") refreshRevenue();
  renderLive();
});
window.addEventListener("langchange", () => {
  rows.clear();
  renderAll();
  setLinkState(link.state);
  renderInsecure();
  renderSummary();
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

trackConnection(socket, (state) => {
  const pill = $("#conn");
  pill.className = `pill pill-${state}`;
  pill.dataset.state = state;
  pill.textContent = t(`conn.${state}`);
  renderChecks();
});
renderInsecure();
setLinkState("idle");
renderAll();
refreshRevenue();
probeNetwork();
setInterval(() => {
  if (link.want !== "live" && model.status !== "ended") probeNetwork();
}, 10000);
if (model.status !== "ended") await startCamera();
window.livecast = { model, socket, session: () => link.session, link, chart, stream: () => stream };
