// Per-message moderation buttons (studio and moderate pages) over the contract's mod:* events.
import { h, toast } from "./dom.js";
import { errorText, t } from "./i18n.js";
import { request } from "./socket.js";

export const MOD_ACTIONS = [
  { id: "delete", label: "mod.delete", event: "mod:delete", payload: (m) => ({ id: m.id }) },
  {
    id: "timeout1",
    label: "mod.timeout1",
    event: "mod:timeout",
    payload: (m) => ({ user: m.user?.id, seconds: 60 }),
  },
  {
    id: "timeout10",
    label: "mod.timeout10",
    event: "mod:timeout",
    payload: (m) => ({ user: m.user?.id, seconds: 600 }),
  },
  { id: "ban", label: "mod.ban", event: "mod:ban", payload: (m) => ({ user: m.user?.id }), confirm: true },
];

/** Run one mod:* event; toast the outcome in words; returns the ack. */
export async function moderate(socket, event, payload, label, { done } = {}) {
  const answer = await request(socket, event, payload);
  if (answer.ok) {
    const text = typeof done === "function" ? done(answer) : done || t("mod.done", { action: label });
    toast(text, { kind: "ok", ms: 2200 });
  }
  else toast(`${label}: ${errorText(answer.error)}`, { kind: "error" });
  return answer;
}

/** Ask before a ban: resolves to {purge} (remove their recent messages) or null. */
export function confirmBan(name) {
  let dialog = document.getElementById("ban-dialog");
  if (!dialog) {
    dialog = h(
      "dialog",
      { id: "ban-dialog", "aria-labelledby": "ban-title", "aria-describedby": "ban-body" },
      h(
        "form",
        { method: "dialog" },
        h("h2", { id: "ban-title" }),
        h("p", { id: "ban-body" }),
        h("label", { class: "check" }, h("input", { type: "checkbox", id: "ban-keep" }), h("span", { id: "ban-keep-label" })),
        h(
          "div",
          { class: "row" },
          h("button", { value: "cancel", class: "btn", id: "ban-cancel", autofocus: true }),
          h("button", { value: "ban", class: "btn btn-danger", id: "ban-confirm" }),
        ),
      ),
    );
    document.body.append(dialog);
  }
  dialog.querySelector("#ban-title").textContent = t("mod.ban.title", { name });
  dialog.querySelector("#ban-body").textContent = t("mod.ban.body", { name });
  dialog.querySelector("#ban-keep-label").textContent = t("mod.ban.keep");
  dialog.querySelector("#ban-keep").checked = false;
  dialog.querySelector("#ban-cancel").textContent = t("common.cancel");
  dialog.querySelector("#ban-confirm").textContent = t("mod.ban.do");
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener(
      "close",
      () => resolve(dialog.returnValue === "ban" ? { purge: !dialog.querySelector("#ban-keep").checked } : null),
      { once: true },
    );
    dialog.showModal();
  });
}

/**
 * An actions(msg) function for ChatView: buttons for delete, timeouts and ban (asked
 * first). Messages from hosts and moderators get none. onUser(user, action, answer) is
 * told of user actions.
 */
export function messageActions(socket, { onUser } = {}) {
  return (msg) => {
    const role = msg.user?.role;
    if (role === "host" || role === "moderator") return null;
    const who = msg.user?.name || "?";
    const box = h("span", {
      class: "msg-actions",
      role: "group",
      "aria-label": t("mod.actions_for", { name: who }),
    });
    for (const action of MOD_ACTIONS) {
      box.append(
        h(
          "button",
          {
            type: "button",
            class: `btn-mini act-${action.id}`,
            dataset: { action: action.id },
            onclick: async (event) => {
              const button = event.currentTarget;
              let payload = action.payload(msg);
              if (action.confirm) {
                const answer = await confirmBan(who);
                if (!answer) return;
                payload = { ...payload, purge: answer.purge };
              }
              button.disabled = true;
              const label = t(action.label);
              const answer = await moderate(socket, action.event, payload, label, {
                done: action.id === "ban" ? (a) => t("mod.ban.removed", { name: who, n: a.removed || 0 }) : undefined,
              });
              button.disabled = false;
              if (answer.ok && action.id !== "delete") onUser?.(msg.user, action.id, answer);
            },
          },
          t(action.label),
        ),
      );
    }
    return box;
  };
}
