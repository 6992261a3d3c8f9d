// Moderate: the live chat with per-message actions, unban, slow mode, blocked words,
// pin/unpin, clear chat and the audit log (mod:log), all over the contract's mod:* events.
// At speed: the chat pauses while read (hover, focus, scrolled up) with "N new messages ↓",
// a ban asks first and removes the user's recent messages, a name opens that viewer's
// history, and the log says who did what to whom, in words.
import { getShow } from "./lib/api.js";
import { ChatView, bindChatForm, tsMs } from "./lib/chat.js";
import { $, fill, h, setText, showIdFromPath } from "./lib/dom.js";
import { errorText, formatDuration, formatTime, initI18n, t } from "./lib/i18n.js";
import { askKey, forgetKey, readKey, saveKey } from "./lib/keys.js";
import { messageActions, moderate } from "./lib/moderation.js";
import { formatNumber } from "./lib/money.js";
import { ShowModel } from "./lib/show-model.js";
import { connectShow, request, trackConnection } from "./lib/socket.js";

initI18n();
const showId = showIdFromPath();
const model = new ShowModel(await getShow(showId));
// the moderator's own name, shown in the audit log to the host and the other moderators
const NAME = "livecast.modname";
const myName = () => localStorage.getItem(NAME) || "";

function askName() {
  const dialog = $("#name-dialog");
  $("#name-input").value = myName();
  dialog.showModal();
  return new Promise((resolve) => dialog.addEventListener("close", () => resolve(myName()), { once: true }));
}
$("#name-form").addEventListener("submit", () => {
  const name = $("#name-input").value.trim().slice(0, 40);
  if (name) localStorage.setItem(NAME, name);
});
function useName(name) {
  if (!name || name === socket.auth.name) return renderMe();
  socket.auth.name = name; // the server learns the name on connect
  socket.disconnect().connect();
  renderMe();
}
$("#name-change").addEventListener("click", async () => useName(await askName()));
// first time here without a name (the key came in the link): ask beside the chat, not in the way
$("#name-card-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const name = $("#name-card-input").value.trim().slice(0, 40);
  if (!name) return;
  localStorage.setItem(NAME, name);
  useName(name);
});
function renderMe() {
  setText($("#me"), t("mod.you", { name: myName() || t("chat.moderator") }));
  $("#name-card").hidden = Boolean(myName());
}

// users this page knows were acted on: id -> {id, name, action}
const users = new Map();
let words = [];

const nameField = () => ({
  label: t("mod.name.label"),
  placeholder: t("mod.name.placeholder"),
  value: myName(),
  onName: (name) => localStorage.setItem(NAME, name.slice(0, 40)),
});
let key = readKey("moderate", showId);
if (!key) key = await askKey($("#gate"), { help: t("key.mod_help"), name: nameField() });
fill($("#gate"), h("p", { class: "muted", role: "status" }, t("conn.connecting")));
const socket = connectShow(showId, { name: myName() || t("chat.moderator"), key });
model.bind(socket);
const chat = new ChatView($("#chat"), {
  actions: messageActions(socket, { onUser: noteUser }),
  showTime: true,
  max: 500,
  pause: true,
  onName: (user) => openHistory(user),
});
chat.bind(socket);

async function refuse() {
  socket.disconnect();
  forgetKey("moderate", showId);
  $("#desk").hidden = true;
  $("#gate").hidden = false;
  key = await askKey($("#gate"), { help: t("key.mod_help"), error: t("key.bad"), name: nameField() });
  socket.auth.key = key;
  socket.auth.name = myName() || t("chat.moderator");
  socket.connect();
}

socket.on("connect_error", (err) => {
  if (err.message === "bad_key") refuse();
});
socket.on("state", (state) => {
  const role = state.you?.role;
  if (role !== "moderator" && role !== "host") {
    refuse();
    return;
  }
  saveKey("moderate", showId, key);
  $("#gate").hidden = true;
  $("#desk").hidden = false;
  model.applyState(state);
  chat.set(state.chat || state.messages || []);
  setPinned(state.pinned);
  setSlow(state.slow);
  const staff = state.mod || {};
  if (Array.isArray(staff.words ?? state.words)) setWords(staff.words ?? state.words);
  if (Array.isArray(staff.log)) {
    logEntries.length = 0;
    fill($("#log"));
    for (const entry of staff.log) addLog(entry);
    if (!logEntries.length) renderLog();
  }
  renderHeader();
});
trackConnection(socket, (state) => {
  const pill = $("#conn");
  pill.className = `pill pill-${state}`;
  pill.dataset.state = state;
  pill.textContent = t(`conn.${state}`);
});
socket.on("pinned", setPinned);
socket.on("slow", setSlow);
socket.on("mod:log", addLog);

function renderHeader() {
  const pill = $("#status");
  pill.className = `pill pill-${model.status}`;
  pill.textContent = t(`status.${model.status}`);
  setText($("#title"), model.title);
  setText($("#viewers"), t("common.viewers", { n: formatNumber(model.viewers) }));
  document.title = `${model.title} · ${t("mod.title")}`;
}
model.addEventListener("change", renderHeader);

// pinned text
function setPinned(pinned) {
  const text = pinned && typeof pinned === "object" ? pinned.text : pinned;
  $("#pinned").hidden = !text;
  setText($("#pinned"), text || "");
}
$("#pin-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = $("#pin-input").value.trim();
  if (!text) return;
  const answer = await moderate(socket, "mod:pin", { text }, t("mod.pin.set"));
  if (answer.ok) $("#pin-input").value = "";
});
$("#unpin").addEventListener("click", () => moderate(socket, "mod:pin", { text: null }, t("mod.pin.clear")));

// slow mode
let slowSeconds = 0;
function setSlow(value) {
  slowSeconds = Number(value && typeof value === "object" ? value.seconds : value) || 0;
  const select = $("#slow");
  if (![...select.options].some((o) => Number(o.value) === slowSeconds)) {
    select.append(h("option", { value: String(slowSeconds) }, `${slowSeconds} s`));
  }
  select.value = String(slowSeconds);
  $("#slow-badge").hidden = !slowSeconds;
  setText($("#slow-badge"), t("chat.slow", { n: slowSeconds }));
}
$("#slow").addEventListener("change", async () => {
  const seconds = Number($("#slow").value);
  const answer = await moderate(socket, "mod:slow", { seconds }, t("mod.slow"));
  if (answer.ok) setSlow(seconds);
  else setSlow(slowSeconds);
});

// clear chat, after a confirmation
$("#clear").addEventListener("click", () => $("#clear-dialog").showModal());
$("#clear-dialog").addEventListener("close", () => {
  if ($("#clear-dialog").returnValue === "clear") moderate(socket, "mod:clear", {}, t("mod.clear"));
});

// blocked words: the server keeps them (state.mod.words, and each mod:words ack)
function setWords(list) {
  words = [...new Set(list.map(String))].sort();
  fill(
    $("#words"),
    words.length
      ? words.map((word) =>
          h(
            "li",
            {},
            word,
            h(
              "button",
              {
                type: "button",
                "aria-label": t("mod.words.remove", { word }),
                onclick: () => changeWords({ add: [], remove: [word] }),
              },
              "×",
            ),
          ),
        )
      : h("li", { class: "none" }, t("mod.words.none")),
  );
}
async function changeWords(change) {
  const answer = await moderate(socket, "mod:words", change, t("mod.words"));
  if (!answer.ok) return;
  if (Array.isArray(answer.words)) setWords(answer.words);
  else setWords([...words.filter((w) => !change.remove.includes(w)), ...change.add]);
}
$("#words-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const word = $("#word-input").value.trim();
  if (!word) return;
  $("#word-input").value = "";
  changeWords({ add: [word], remove: [] });
});

// users acted on, with unban
function noteUser(user, action) {
  if (!user?.id) return;
  const known = users.get(String(user.id));
  users.set(String(user.id), { id: user.id, name: user.name || known?.name || user.id, action });
  renderUsers();
}
function renderUsers() {
  const list = [...users.values()].filter((u) => u.action !== "unban");
  fill(
    $("#users"),
    list.length
      ? list.map((u) =>
          h(
            "li",
            { dataset: { user: String(u.id) } },
            h(
              "span",
              { class: "who" },
              h("button", { type: "button", class: "as-link", onclick: () => openHistory(u) }, u.name),
              " ",
              h("span", { class: "what" }, t(`mod.${u.action}`)),
            ),
            h(
              "button",
              {
                type: "button",
                class: "btn btn-small act-unban",
                onclick: async () => {
                  const answer = await moderate(socket, "mod:unban", { user: u.id }, t("mod.unban"));
                  if (answer.ok) noteUser(u, "unban");
                },
              },
              t("mod.unban"),
            ),
          ),
        )
      : h("li", { class: "none" }, t("mod.users.none")),
  );
}

// the audit log: {actor, actor_role, action, target, detail?, ts}; target is a user id or
// a message id; detail names the user (name) and quotes a deleted message (text)
const logEntries = [];

function nameOf(userId, detail = {}) {
  if (detail.name) return detail.name;
  for (const { msg } of chat.messages.values()) if (msg.user?.id === userId) return msg.user.name;
  return users.get(String(userId))?.name || t("mod.someone");
}

/** What was done, in words: "muted 민수 for 10 min", "deleted a message by 민수". */
function actionText(entry) {
  const action = String(entry.action || "");
  const detail = entry.detail || {};
  const name = nameOf(entry.target, detail);
  switch (action) {
    case "delete":
      return detail.name ? t("mod.action.delete_of", { name: detail.name }) : t("mod.action.delete");
    case "timeout":
      return t("mod.action.timeout", { name, duration: formatDuration(detail.seconds || 300) });
    case "ban":
      if (detail.removed) return t("mod.action.ban_removed", { name, n: formatNumber(detail.removed) });
      return detail.seconds
        ? t("mod.action.ban_for", { name, duration: formatDuration(detail.seconds) })
        : t("mod.action.ban", { name });
    case "unban":
      return t("mod.action.unban", { name });
    case "slow":
      return detail.seconds ? t("mod.action.slow", { n: detail.seconds }) : t("mod.action.slow_off");
    case "pin":
    case "unpin":
    case "clear":
    case "words":
      return t(`mod.action.${action}`);
    default:
      return t("mod.action.other", { action });
  }
}

function logItem(entry) {
  const action = String(entry.action || "");
  const detail = entry.detail || {};
  const role = entry.actor_role === "host" ? "host" : "moderator";
  const quote = action === "delete" && detail.text ? detail.text : action === "pin" ? detail.text : null;
  return h(
    "li",
    { dataset: { action } },
    h("time", {}, formatTime(entry.ts ? tsMs(entry.ts) : Date.now())),
    h("span", { class: "actor" }, String(entry.actor ?? "?")),
    h("span", { class: `badge badge-${role}` }, t(`mod.role.${role}`)),
    " ",
    h("span", { class: "action" }, actionText(entry)),
    quote ? h("q", { class: "quote" }, quote) : null,
    detail.reason ? h("span", { class: "reason muted" }, ` · ${t("mod.log.reason", { reason: detail.reason })}`) : null,
  );
}

function renderLog() {
  const list = $("#log");
  fill(
    list,
    logEntries.length ? [...logEntries].reverse().map(logItem) : h("li", { class: "none" }, t("mod.log.empty")),
  );
}

function addLog(entry = {}) {
  const list = $("#log");
  list.querySelector(".none")?.remove();
  logEntries.push(entry);
  if (logEntries.length > 300) logEntries.shift();
  const action = String(entry.action || "");
  const target = entry.target;
  list.prepend(logItem(entry));
  while (list.children.length > 300) list.lastElementChild.remove();
  // bans and timeouts from any moderator can be undone here
  if (action === "ban" || action === "timeout") {
    const kind = action === "ban" ? "ban" : entry.detail?.seconds > 60 ? "timeout10" : "timeout1";
    noteUser({ id: target, name: nameOf(target, entry.detail) }, kind);
  } else if (action === "unban" && users.has(String(target))) {
    noteUser({ id: target }, "unban");
  }
}

// the moderator's own chat messages
bindChatForm($("#chat-form"), $("#chat-input"), socket);

// one viewer's history: their recent messages and what was done to them (mod:user)
const historyView = { user: null };
async function openHistory(user) {
  historyView.user = user;
  const dialog = $("#history");
  setText($("#history-title"), t("mod.history.title", { name: user.name || "?" }));
  fill($("#history-body"), h("p", { class: "muted" }, t("common.loading")));
  if (!dialog.open) dialog.showModal();
  const answer = await request(socket, "mod:user", { user: user.id });
  if (historyView.user !== user) return;
  if (!answer.ok) {
    fill($("#history-body"), h("p", { class: "error" }, errorText(answer.error)));
    return;
  }
  const state = [];
  if (answer.banned) state.push(h("span", { class: "pill pill-failed" }, t("mod.history.banned")));
  if (answer.muted_until) {
    state.push(h("span", { class: "pill pill-offline" }, t("mod.history.muted", { time: formatTime(answer.muted_until) })));
  }
  fill(
    $("#history-body"),
    state.length ? h("p", { class: "row" }, state) : null,
    h("h3", {}, t("mod.history.messages")),
    answer.messages.length
      ? h(
          "ol",
          { class: "history-messages" },
          answer.messages.map((m) =>
            h("li", {}, h("time", {}, formatTime(tsMs(m.ts))), " ", h("span", { class: "chat-text" }, m.text)),
          ),
        )
      : h("p", { class: "muted" }, t("mod.history.none")),
    h("h3", {}, t("mod.history.actions")),
    answer.actions.length
      ? h("ol", { class: "log history-actions" }, [...answer.actions].reverse().map(logItem))
      : h("p", { class: "muted" }, t("mod.history.no_actions")),
  );
}
$("#history .sheet-close").addEventListener("click", () => $("#history").close());

function renderStatic() {
  renderHeader();
  renderUsers();
  setWords(words);
  setSlow(slowSeconds);
  renderLog();
  renderMe();
}
window.addEventListener("langchange", renderStatic);
renderStatic();
window.livecast = { model, socket, chat };
