// Host and moderator keys: typed into the page or passed as #key=… in the URL fragment.
// The fragment is removed from the address bar at once; the key stays in sessionStorage
// (this tab only) for reloads and is sent only to the server (WHIP header, Socket.IO auth).
import { h } from "./dom.js";
import { t } from "./i18n.js";

const storeKey = (page, show) => `livecast.key.${page}.${show}`;

export function readKey(page, show) {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const fromUrl = fragment.get("key");
  if (fromUrl !== null) {
    fragment.delete("key");
    const rest = fragment.toString();
    history.replaceState(history.state, "", location.pathname + location.search + (rest ? `#${rest}` : ""));
    if (fromUrl.trim()) saveKey(page, show, fromUrl.trim());
  }
  return sessionStorage.getItem(storeKey(page, show)) || "";
}

export function saveKey(page, show, key) {
  sessionStorage.setItem(storeKey(page, show), key);
}

export function forgetKey(page, show) {
  sessionStorage.removeItem(storeKey(page, show));
}

/**
 * Ask for a key in a small form inside `host` (an element); resolves with the typed key.
 * `error` shows why a previous key was refused. `name` ({label, placeholder, value,
 * onName}) adds a name field (moderators: their name in the audit log).
 */
export function askKey(host, { help, error, name } = {}) {
  return new Promise((resolve) => {
    const input = h("input", {
      id: "key-input",
      type: "password",
      autocomplete: "off",
      spellcheck: "false",
      required: true,
      class: "input",
    });
    const nameInput = name
      ? h("input", {
          id: "key-name",
          class: "input wide",
          maxlength: "40",
          autocomplete: "nickname",
          placeholder: name.placeholder || "",
          value: name.value || "",
        })
      : null;
    const form = h(
      "form",
      { class: "key-form card", "aria-labelledby": "key-title" },
      h("h2", { id: "key-title" }, t("key.title")),
      h("p", { class: "muted" }, help),
      error ? h("p", { class: "error", role: "alert" }, error) : null,
      nameInput ? h("label", { for: "key-name" }, name.label) : null,
      nameInput,
      h("label", { for: "key-input" }, t("key.label")),
      h("div", { class: "row" }, input, h("button", { class: "btn btn-primary", type: "submit" }, t("key.submit"))),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const key = input.value.trim();
      if (!key) return;
      const typed = nameInput?.value.trim();
      if (typed) name.onName?.(typed);
      form.remove();
      resolve(key);
    });
    host.replaceChildren(form);
    input.focus();
  });
}
