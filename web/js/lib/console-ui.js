// Small pieces of the console: labelled fields, number inputs, a confirm dialog, copying,
// and errors from the API said in plain words with what to fix.
import { h } from "./dom.js";
import { errorText, hasText, t } from "./i18n.js";

let fieldCount = 0;

/** A label above its input, with an optional hint below. */
export function field(label, input, hint = null) {
  if (!input.id) input.id = `f-${(fieldCount += 1)}`;
  return h("div", { class: "field" }, h("label", { for: input.id }, label), input, hint);
}

export function numberInput(id) {
  return h("input", { class: "input", id, inputmode: "numeric", autocomplete: "off", pattern: "[0-9,]*" });
}

/** A yes/no question in a <dialog>; resolves true when confirmed. */
export function askConfirm(question, yes = t("common.confirm")) {
  return new Promise((resolve) => {
    const dialog = h(
      "dialog",
      { class: "confirm-dialog" },
      h("p", {}, question),
      h(
        "div",
        { class: "row" },
        h("button", { type: "button", class: "btn", "data-answer": "no" }, t("common.cancel")),
        h("button", { type: "button", class: "btn btn-danger", "data-answer": "yes" }, yes),
      ),
    );
    const done = (answer) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    dialog.addEventListener("click", (event) => {
      const answer = event.target.closest?.("[data-answer]")?.dataset.answer;
      if (answer) done(answer === "yes");
    });
    dialog.addEventListener("cancel", () => done(false));
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** Copy text; true when it worked (the clipboard API, else a selected input). */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const input = h("textarea", { class: "visually-hidden" }, text);
    document.body.append(input);
    input.select();
    const ok = document.execCommand?.("copy") ?? false;
    input.remove();
    return ok;
  }
}

// the API's field names, in words (the longer names first: "checkout.bank" before "name")
const FIELDS = [
  "business.registration_no",
  "business.mail_order_no",
  "business.address",
  "business.phone",
  "checkout.bank",
  "checkout.url",
  "checkout.payment",
  "checkout.shipping_fee",
  "checkout.free_shipping_over",
  "detail.text",
  "detail.images",
  "max_per_order",
  "list_price",
  "starts_at",
  "ends_at",
  "description",
  "subtitle",
  "title",
  "cover",
  "banner",
  "event",
  "images",
  "detail",
  "notice",
  "price",
  "stock",
  "name",
  "sku",
  "id",
];

function fieldName(err) {
  if (err.field && FIELDS.includes(err.field)) return t(`cfield.${err.field}`);
  const text = err.message || "";
  const found = FIELDS.find((f) => new RegExp(`(^|[\\s(])${f.replace(".", "\\.")}(\\b|\\[)`).test(text));
  return found ? t(`cfield.${found}`) : "";
}

/** What went wrong and what to do, for a person (Korean or English), from an ApiError. */
export function explainError(err) {
  const code = err?.code || "other";
  const message = err?.message || "";
  if (code !== "invalid") {
    if (hasText(`console.error.${code}`)) return t(`console.error.${code}`);
    return errorText(code);
  }
  const name = fieldName(err) || t("cfield.input");
  const rules = [
    [/invisible|must not be empty|is required|is empty/, "fix.empty"],
    [/bidirectional/, "fix.bidi"],
    [/control characters/, "fix.control"],
    [/out of range/, "fix.range"],
    [/not an ISO 8601|date-time/, "fix.time"],
    [/longer than (\d+)/, "fix.long"],
    [/at most (\d+) photos|holds at most (\d+)/, "fix.many"],
    [/사업자등록번호/, "fix.registration"],
    [/phone/, "fix.phone"],
    [/needed for bank_transfer|checkout\.bank/, "fix.bank"],
    [/\{order_id\} and \{sig\}|URL template/, "fix.shop_url"],
    [/ends_at must be after/, "fix.order"],
    [/lasts at most/, "fix.span"],
    [/whole number|at least|at most/, "fix.number"],
    [/http\(s\) URL|image address/, "fix.url"],
    [/appears twice/, "fix.twice"],
    [/sku must be/, "fix.sku"],
  ];
  for (const [pattern, key] of rules) {
    const match = message.match(pattern);
    if (match) return t(key, { field: name, n: match[1] || match[2] || "" });
  }
  return `${t("error.invalid")} (${message})`;
}
