// Moderate: the live chat with per-message actions, unban, slow mode, blocked words,
// pin/unpin, clear chat and the audit log (mod:log), all over the contract's mod:* events.
import { getShow } from "./lib/api.js";
import { ChatView, bindChatForm, tsMs } from "./lib/chat.js";
import { $, fill, h, setText, showIdFromPath } from "./lib/dom.js";
import { formatTime, initI18n, t } from "./lib/i18n.js";
import { askKey, forgetKey, readKey, saveKey } from "./lib/keys.js";
import { messageActions, moderate } from "./lib/moderation.js";
import { formatNumber } from "./lib/money.js";
import { ShowModel } from "./lib/show-model.js";
import { connectShow, trackConnection } from "./lib/socket.js";

initI18n();
const showId = showIdFromPath();
const model = new ShowModel(await getShow(showId));
const NAME = "livecast.nick";

// users this page knows were acted on: id -> {id, name, action}
const users = new Map();
let words = [];

let key = readKey("moderate", showId);
if (!key) key = await askKey($("#gate"), { help: t("key.mod_help") });
fill($("#gate"), h("p", { class: "muted", role: "status" }, t("conn.connecting")));
const socket = connectShow(showId, { name: localStorage.getItem(NAME) || "moderator", key });
model.bind(socket);
const chat = new ChatView($("#chat"), {
  actions: messageActions(socket, { onUser: noteUser }),
  showTime: true,
  max: 500,
});
chat.bind(socket);

async function refuse() {
  socket.disconnect();
  forgetKey("moderate", showId);
  $("#desk").hidden = true;
  $("#gate").hidden = false;
  key = await askKey($("#gate"), { help: t("key.mod_help"), error: t("key.bad") });
  socket.auth.key = key;
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
    fill($("#log"));
    for (const entry of staff.log) addLog(entry);
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
            h("span", { class: "who" }, u.name, " ", h("span", { class: "what" }, t(`mod.${u.action}`))),
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

// the audit log: {actor, action, target, detail?, ts}; target is a user id or message id
function nameOf(userId) {
  for (const { msg } of chat.messages.values()) if (msg.user?.id === userId) return msg.user.name;
  return users.get(String(userId))?.name || String(userId);
}

function addLog(entry = {}) {
  const list = $("#log");
  list.querySelector(".none")?.remove();
  const action = String(entry.action || "");
  const target = entry.target;
  const onUser = ["ban", "timeout", "unban"].includes(action) && target;
  const detail = entry.detail?.seconds ? ` (${entry.detail.seconds} s)` : "";
  list.prepend(
    h(
      "li",
      { dataset: { action } },
      h("time", {}, formatTime(entry.ts ? tsMs(entry.ts) : Date.now())),
      h("span", { class: "actor" }, String(entry.actor ?? "?")),
      " · ",
      h("span", { class: "action" }, action + detail),
      onUser ? ` · ${nameOf(target)}` : target ? ` · ${target}` : "",
      entry.detail?.text ? ` · “${entry.detail.text}”` : "",
    ),
  );
  while (list.children.length > 300) list.lastElementChild.remove();
  // bans and timeouts from any moderator can be undone here
  if (action === "ban" || action === "timeout") {
    const kind = action === "ban" ? "ban" : entry.detail?.seconds > 60 ? "timeout10" : "timeout1";
    noteUser({ id: target, name: nameOf(target) }, kind);
  } else if (action === "unban" && users.has(String(target))) {
    noteUser({ id: target }, "unban");
  }
}

// the moderator's own chat messages
bindChatForm($("#chat-form"), $("#chat-input"), socket);

function renderStatic() {
  renderHeader();
  renderUsers();
  setWords(words);
  setSlow(slowSeconds);
  if (!$("#log").children.length) $("#log").append(h("li", { class: "none" }, t("mod.log.empty")));
}
window.addEventListener("langchange", renderStatic);
renderStatic();
window.livecast = { model, socket, chat };
