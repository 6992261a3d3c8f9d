// The chat list shared by studio, watch, moderate and replay. Names and texts are textContent.
import { h, toast } from "./dom.js";
import { errorText, formatDuration, formatTime, t } from "./i18n.js";
import { request } from "./socket.js";

export class ChatView {
  /**
   * list: the <ol> to fill. actions(msg) may return an element of per-message buttons
   * (moderation) or null. max: messages kept on screen. pause: stop following new
   * messages while the pointer is over the list, it has focus, or it is scrolled up, and
   * offer "N new messages ↓" (moderators read a fast chat). onName(user): names are
   * buttons that call it (a viewer's history).
   */
  constructor(list, { actions = null, max = 200, showTime = false, pause = false, onName = null } = {}) {
    this.list = list;
    this.actions = actions;
    this.max = max;
    this.showTime = showTime;
    this.onName = onName;
    this.messages = new Map();
    this.empty = h("li", { class: "chat-empty", "data-i18n": "chat.empty" }, t("chat.empty"));
    list.setAttribute("aria-live", "polite");
    list.setAttribute("aria-relevant", "additions");
    this.list.append(this.empty);
    this.paused = false;
    this.unseen = 0;
    this.hover = false;
    this.focus = false;
    this.scrolledUp = false;
    if (pause) this.enablePause();
    // badges and times follow the page's language
    window.addEventListener("langchange", () => {
      for (const { msg, row } of this.messages.values()) {
        const badge = row.querySelector(".badge");
        if (badge) badge.textContent = t(msg.user?.role === "host" ? "chat.host" : "chat.moderator");
        const time = row.querySelector(".chat-time");
        if (time && msg.ts) time.textContent = formatTime(tsMs(msg.ts));
      }
      this.empty.textContent = t("chat.empty");
    });
  }

  enablePause() {
    const wrap = h("div", { class: "chat-wrap" });
    this.list.replaceWith(wrap);
    this.newButton = h("button", { type: "button", class: "chat-new", hidden: true, onclick: () => this.resume() });
    wrap.append(this.list, this.newButton);
    const list = this.list;
    list.addEventListener("pointerenter", () => {
      this.hover = true;
      this.follow();
    });
    list.addEventListener("pointerleave", () => {
      this.hover = false;
      this.follow();
    });
    list.addEventListener("focusin", () => {
      this.focus = true;
      this.follow();
    });
    list.addEventListener("focusout", () => {
      this.focus = list.contains(document.activeElement);
      this.follow();
    });
    list.addEventListener(
      "scroll",
      () => {
        this.scrolledUp = !this.nearEnd(); // only the reader scrolls up; we scroll to the end
        this.follow();
      },
      { passive: true },
    );
    window.addEventListener("langchange", () => this.renderNew());
  }

  /** Pause while hovered, focused or scrolled up; resume at the end. */
  follow() {
    if (!this.newButton) return;
    const hold = this.hover || this.focus || this.scrolledUp;
    if (hold === this.paused) return;
    if (hold) {
      this.paused = true;
      this.list.dataset.paused = "1";
    } else {
      this.resume();
    }
  }

  /** Back to the newest message, following again. */
  resume() {
    this.paused = false;
    this.hover = this.hover && this.list.matches(":hover");
    delete this.list.dataset.paused;
    this.unseen = 0;
    this.scrolledUp = false;
    this.trim(this.max);
    this.list.scrollTop = this.list.scrollHeight;
    this.renderNew();
  }

  renderNew() {
    if (!this.newButton) return;
    this.newButton.hidden = !this.unseen;
    this.newButton.textContent = this.unseen === 1 ? t("chat.new_message") : t("chat.new_messages", { n: this.unseen });
  }

  trim(max) {
    while (this.messages.size > max) this.remove([this.messages.keys().next().value]);
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
    if (this.paused && scroll) {
      // the reader keeps their place: nothing moves, nothing is trimmed above them
      this.unseen += 1;
      this.trim(this.max * 4);
      this.renderNew();
      return;
    }
    this.trim(this.max);
    if (scroll) this.scrollToEnd(stick);
  }

  render(msg) {
    const user = msg.user || {};
    const role = user.role || "viewer";
    const name = this.onName && role === "viewer" && user.id
      ? h(
          "button",
          {
            type: "button",
            class: "chat-name as-link",
            "aria-label": t("mod.history.open", { name: user.name || "?" }),
            onclick: () => this.onName(user),
          },
          user.name || "?",
        )
      : h("span", { class: "chat-name" }, user.name || "?");
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

  /** The messages on screen from one user, oldest first. */
  byUser(userId) {
    return [...this.messages.values()].map((e) => e.msg).filter((m) => m.user?.id === userId);
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

  /** Several messages at once (a `chat:batch`), oldest first. */
  addMany(messages) {
    if (!Array.isArray(messages)) return;
    for (const msg of messages) this.add(msg);
  }

  /** Subscribe to chat, chat:batch, chat:deleted and chat:cleared on a socket. */
  bind(socket) {
    socket.on("chat", (msg) => this.add(msg));
    socket.on("chat:batch", (data) => this.addMany(data?.messages));
    socket.on("chat:deleted", (data) => this.remove(data?.ids || []));
    socket.on("chat:cleared", () => this.clear());
  }
}

/** Chat timestamps may be seconds or milliseconds since the epoch. */
export function tsMs(ts) {
  const n = Number(ts);
  return n < 1e11 ? n * 1000 : n;
}

/** The i18n message for a chat:send refusal, with how long when the server says so. */
export function chatError(code, answer = {}) {
  if (code === "slow_mode" && answer.retry_after_ms > 0) {
    return t("watch.slow_wait", { n: Math.ceil(answer.retry_after_ms / 1000) });
  }
  if (code === "muted" && answer.until > Date.now()) {
    const duration = formatDuration((answer.until - Date.now()) / 1000);
    return t("watch.muted_for", { duration, time: formatTime(answer.until) });
  }
  const known = ["muted", "banned", "rate_limited", "slow_mode", "blocked_word", "invalid"];
  return known.includes(code) ? t(`chat.error.${code}`) : errorText(code);
}

/** Send a chat message; on a refusal say why and put the text back in the input. */
export async function sendChat(socket, input, text) {
  const answer = await request(socket, "chat:send", { text });
  if (!answer.ok) {
    toast(chatError(answer.error, answer), { kind: "error" });
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
