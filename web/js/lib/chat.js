// The chat list shared by studio, watch, moderate and replay. Names and texts are textContent.
import { h, toast } from "./dom.js";
import { formatTime, t } from "./i18n.js";
import { request } from "./socket.js";

export class ChatView {
  /**
   * list: the <ol> to fill. actions(msg) may return an element of per-message buttons
   * (moderation) or null. max: messages kept on screen.
   */
  constructor(list, { actions = null, max = 200, showTime = false } = {}) {
    this.list = list;
    this.actions = actions;
    this.max = max;
    this.showTime = showTime;
    this.messages = new Map();
    this.empty = h("li", { class: "chat-empty", "data-i18n": "chat.empty" }, t("chat.empty"));
    list.setAttribute("aria-live", "polite");
    list.setAttribute("aria-relevant", "additions");
    this.list.append(this.empty);
  }

  set(messages) {
    this.messages.clear();
    this.list.replaceChildren(this.empty);
    for (const msg of messages || []) this.add(msg, { scroll: false });
    this.scrollToEnd(true);
  }

  add(msg, { scroll = true } = {}) {
    if (!msg || msg.id === undefined || this.messages.has(String(msg.id))) return;
    const stick = this.nearEnd();
    const row = this.render(msg);
    this.messages.set(String(msg.id), { msg, row });
    this.list.append(row);
    this.empty.hidden = true;
    while (this.messages.size > this.max) this.remove([this.messages.keys().next().value]);
    if (scroll) this.scrollToEnd(stick);
  }

  render(msg) {
    const user = msg.user || {};
    const role = user.role || "viewer";
    const name = h("span", { class: "chat-name" }, user.name || "?");
    const badge =
      role === "host" || role === "moderator"
        ? h("span", { class: `badge badge-${role}` }, t(role === "host" ? "chat.host" : "chat.moderator"))
        : null;
    const time = this.showTime && msg.ts ? h("time", { class: "chat-time" }, formatTime(tsMs(msg.ts))) : null;
    const text = h("span", { class: "chat-text" }, msg.text ?? "");
    const row = h(
      "li",
      { class: `chat-msg role-${role}`, dataset: { id: String(msg.id), user: String(user.id ?? "") } },
      time,
      badge,
      name,
      " ",
      text,
    );
    const extra = this.actions?.(msg);
    if (extra) row.append(extra);
    return row;
  }

  remove(ids) {
    for (const id of ids || []) {
      const entry = this.messages.get(String(id));
      if (!entry) continue;
      entry.row.remove();
      this.messages.delete(String(id));
    }
    this.empty.hidden = this.messages.size > 0;
  }

  clear() {
    this.remove([...this.messages.keys()]);
  }

  nearEnd() {
    const l = this.list;
    return l.scrollHeight - l.scrollTop - l.clientHeight < 60;
  }

  scrollToEnd(force) {
    if (force) this.list.scrollTop = this.list.scrollHeight;
  }

  /** Subscribe to chat, chat:deleted and chat:cleared on a socket. */
  bind(socket) {
    socket.on("chat", (msg) => this.add(msg));
    socket.on("chat:deleted", (data) => this.remove(data?.ids || []));
    socket.on("chat:cleared", () => this.clear());
  }
}

/** Chat timestamps may be seconds or milliseconds since the epoch. */
export function tsMs(ts) {
  const n = Number(ts);
  return n < 1e11 ? n * 1000 : n;
}

/** The i18n message for a chat:send refusal. */
export function chatError(code) {
  const known = ["muted", "banned", "rate_limited", "slow_mode", "blocked_word", "invalid"];
  return known.includes(code) ? t(`chat.error.${code}`) : t("chat.error.other", { code });
}

/** Send a chat message; on a refusal say why and put the text back in the input. */
export async function sendChat(socket, input, text) {
  const answer = await request(socket, "chat:send", { text });
  if (!answer.ok) {
    toast(chatError(answer.error), { kind: "error" });
    if (!input.value) input.value = text;
  }
  return answer;
}

/** Wire a chat form; `beforeSend(text)` returning false holds the text (e.g. nickname first). */
export function bindChatForm(form, input, socket, beforeSend = () => true) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim()) return;
    input.value = "";
    if (beforeSend(text) === false) return;
    sendChat(socket, input, text);
  });
}
