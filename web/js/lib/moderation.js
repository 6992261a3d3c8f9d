// Per-message moderation buttons (studio and moderate pages) over the contract's mod:* events.
import { h, toast } from "./dom.js";
import { t } from "./i18n.js";
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
  { id: "ban", label: "mod.ban", event: "mod:ban", payload: (m) => ({ user: m.user?.id }) },
];

/** Run one mod:* event; toast the refusal; returns the ack. */
export async function moderate(socket, event, payload, label) {
  const answer = await request(socket, event, payload);
  if (answer.ok) toast(t("mod.done", { action: label }), { kind: "ok", ms: 1800 });
  else toast(t("mod.failed", { code: answer.error || "?" }), { kind: "error" });
  return answer;
}

/**
 * An actions(msg) function for ChatView: buttons for delete, timeouts and ban.
 * Messages from hosts and moderators get none. onUser(user, action) is told of user actions.
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
              button.disabled = true;
              const label = t(action.label);
              const answer = await moderate(socket, action.event, action.payload(msg), label);
              button.disabled = false;
              if (answer.ok && action.id !== "delete") onUser?.(msg.user, action.id);
            },
          },
          t(action.label),
        ),
      );
    }
    return box;
  };
}
