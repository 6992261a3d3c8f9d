// Checkout /checkout/{order_id}: the buyer's viewer token (from #token=, then kept in this
// tab's sessionStorage) opens the order; builtin mode asks for the delivery details and the
// payment method and places the order; shop mode sends the buyer to the seller's shop.
// Everything from the server or the buyer goes into the page as text (h(), textContent).
import { ApiError, checkoutOrder, getOrder, setOrderStatus } from "./lib/api.js";
import { $, fill, h, icon, setText } from "./lib/dom.js";
import { errorText, formatDateTime, initI18n, lang, t, translate } from "./lib/i18n.js";
import { formatMoney, formatNumber } from "./lib/money.js";
import {
  amountDue,
  countdown,
  normalisePhone,
  paymentText,
  shortId,
  statusPill,
  subtotalOf,
} from "./lib/orders-view.js";
import { productImage } from "./lib/products.js";

initI18n();
const orderId = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] || "");
const TOKEN_KEY = `livecast.order-token.${orderId}`;
const LAST_TOKEN = "livecast.order-token";
const DRAFT_KEY = `livecast.checkout-draft.${orderId}`;
const MEMOS = ["door", "guard", "box", "call", "careful"];
const FIELDS = ["name", "phone", "postcode", "address", "address2", "memo"];

let order = null; // the order with `checkout` and `show_title` from GET /api/orders/{id}
let token = "";
let placing = false;
let holdOver = false;

// the token: #token=… (moved to sessionStorage, out of the address bar), else this tab's
function tokenFromUrl() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const fromUrl = fragment.get("token");
  if (fromUrl === null) return "";
  fragment.delete("token");
  const rest = fragment.toString();
  history.replaceState(history.state, "", location.pathname + location.search + (rest ? `#${rest}` : ""));
  return fromUrl.trim();
}

function remember(value) {
  try {
    sessionStorage.setItem(TOKEN_KEY, value);
    sessionStorage.setItem(LAST_TOKEN, value);
  } catch {
    // storage off: the token lives as long as the page
  }
}

/** Tokens to try, best first: the URL's, this tab's, then this browser's viewer tokens. */
function candidateTokens() {
  const found = [];
  const add = (value) => value && !found.includes(value) && found.push(value);
  add(tokenFromUrl());
  add(sessionStorage.getItem(TOKEN_KEY));
  add(sessionStorage.getItem(LAST_TOKEN));
  for (let i = 0; i < localStorage.length && found.length < 8; i += 1) {
    const key = localStorage.key(i);
    if (key?.startsWith("livecast.token.")) add(localStorage.getItem(key));
  }
  return found;
}

// views
const VIEWS = ["loading", "problem", "item", "shop", "form", "done"];
function showOnly(...names) {
  for (const name of VIEWS) $(`#${name}`).hidden = !names.includes(name);
}

function problem(title, body, { link, linkText, retry } = {}) {
  showOnly("problem");
  $("#hold").hidden = true;
  setText($("#problem-title"), title);
  setText($("#problem-body"), body || "");
  const anchor = $("#problem-link");
  anchor.hidden = !link;
  if (link) {
    anchor.href = link;
    setText(anchor, linkText);
  }
  const again = $("#problem-retry");
  again.hidden = !retry;
  again.onclick = retry || null;
  $("#problem").dataset.kind = title;
}

const showLink = () => (order?.show ? `/watch/${encodeURIComponent(order.show)}` : "/");

function apiProblem(err, retry) {
  const code = err instanceof ApiError ? err.code : "network";
  if (code === "unauthorized" || code === "bad_key" || err.status === 401 || err.status === 403) {
    problem(t("checkout.no_token.title"), t("checkout.no_token.body"), { link: "/", linkText: t("checkout.all_shows") });
  } else if (code === "unknown_order" || err.status === 404) {
    problem(errorText("unknown_order"), "", { link: "/", linkText: t("checkout.all_shows") });
  } else {
    problem(errorText(code), "", { retry });
  }
  $("#problem").dataset.code = code;
}

async function load() {
  showOnly("loading");
  const tokens = candidateTokens();
  if (!tokens.length) {
    problem(t("checkout.no_token.title"), t("checkout.no_token.body"), { link: "/", linkText: t("checkout.all_shows") });
    $("#problem").dataset.code = "no_token";
    return;
  }
  let lastError = null;
  for (const candidate of tokens) {
    try {
      order = await getOrder(orderId, candidate);
      token = candidate;
      remember(candidate);
      render();
      return;
    } catch (err) {
      lastError = err;
      // another token may be this buyer's: "not yours" (a stranger sees 404) is worth another try
      if (!(err instanceof ApiError) || ![401, 403, 404].includes(err.status)) break;
    }
  }
  apiProblem(lastError, load);
}

// the order summary pieces
function money(amount) {
  return formatMoney(amount, order.currency || "KRW");
}

function itemView({ status = true } = {}) {
  const unit = order.price ?? Math.round((order.subtotal || 0) / (order.qty || 1));
  return h(
    "div",
    { class: "co-product" },
    productImage({ name: order.name || "", image: order.image }),
    h(
      "div",
      { class: "co-product-info" },
      h("p", { class: "co-product-name" }, order.name || order.sku || ""),
      h(
        "p",
        { class: "co-product-price" },
        order.deal ? h("span", { class: "deal-tag" }, t("order.deal")) : null,
        t("checkout.unit", { price: money(unit), qty: formatNumber(order.qty || 1) }),
      ),
      status ? h("p", { class: "co-product-status" }, statusPill(order.status)) : null,
    ),
  );
}

function sumView() {
  const subtotal = subtotalOf(order);
  const shipping = order.shipping_fee ?? 0;
  const total = amountDue(order);
  const over = order.checkout?.free_shipping_over;
  return h(
    "div",
    {},
    h(
      "dl",
      { class: "sum" },
      h("div", {}, h("dt", {}, t("checkout.subtotal")), h("dd", { id: "sum-subtotal" }, money(subtotal))),
      h("div", {}, h("dt", {}, t("checkout.shipping")), h("dd", { id: "sum-shipping" }, shipping ? money(shipping) : t("checkout.free"))),
      h("div", { class: "sum-total" }, h("dt", {}, t("checkout.total")), h("dd", { id: "sum-total" }, money(total))),
    ),
    typeof over === "number" && over > 0
      ? h("p", { class: "muted free-over" }, t("checkout.free_over", { amount: money(over) }))
      : null,
  );
}

function bankView(bank, deadline) {
  if (!bank || !bank.account) return h("p", { class: "muted" }, t("checkout.bank.none"));
  const copy = h(
    "button",
    {
      type: "button",
      class: "btn btn-small btn-copy",
      onclick: async () => {
        try {
          await navigator.clipboard.writeText(`${bank.name || ""} ${bank.account}`.trim());
          setText(copy.lastChild, t("checkout.copied"));
        } catch {
          // no clipboard (http, old browser): the number is on screen to copy by hand
        }
      },
    },
    icon("copy"),
    h("span", {}, t("checkout.copy")),
  );
  return h(
    "div",
    { class: "bank" },
    h(
      "dl",
      { class: "bank-list" },
      h("div", {}, h("dt", {}, t("checkout.bank.name")), h("dd", { class: "bank-name" }, bank.name || "")),
      h("div", {}, h("dt", {}, t("checkout.bank.account")), h("dd", { class: "bank-account" }, h("span", { class: "account-no" }, bank.account), copy)),
      h("div", {}, h("dt", {}, t("checkout.bank.holder")), h("dd", { class: "bank-holder" }, bank.holder || "")),
    ),
    deadline ? h("p", { class: "bank-deadline" }, deadline) : null,
  );
}

// hold countdown while reserved
let holdFor = null;
function renderHold() {
  const bar = $("#hold");
  const running = order.status === "reserved" && order.expires_at;
  bar.hidden = !running;
  if (!running) {
    holdFor = null;
    return;
  }
  if (holdFor === `${order.expires_at}|${lang()}`) return;
  holdFor = `${order.expires_at}|${lang()}`;
  fill(
    bar,
    countdown(order.expires_at, "checkout.hold", {
      onEnd: () => {
        holdOver = true;
        render();
        setTimeout(refresh, 1500); // the server's sweeper marks it expired
      },
    }),
  );
}

async function refresh() {
  try {
    const latest = await getOrder(orderId, token);
    order = { ...order, ...latest };
    if (order.status !== "reserved") holdOver = false;
    render();
  } catch {
    // keep what is on screen
  }
}

function render() {
  if (!order) return;
  document.title = `${t("checkout.title")} · ${order.name || ""}`;
  setText($("#show-title"), order.show_title || "");
  $("#back").href = showLink();
  fill($("#item-body"), itemView());
  renderHold();
  const status = order.status;
  if (status === "expired" || (status === "reserved" && holdOver)) {
    const unpaid = order.history?.some((step) => step.status === "placed");
    problem(t("checkout.expired.title"), unpaid ? t("checkout.expired.unpaid") : t("checkout.expired.body"), {
      link: showLink(),
      linkText: t("checkout.back"),
    });
    $("#problem").dataset.code = "expired";
    $("#item").hidden = false;
    return;
  }
  if (status === "cancelled") {
    problem(t("checkout.cancelled.title"), t("checkout.cancelled.body"), { link: showLink(), linkText: t("checkout.back") });
    $("#problem").dataset.code = "cancelled";
    $("#item").hidden = false;
    return;
  }
  if (status === "reserved") {
    if (order.checkout?.mode === "shop") {
      showOnly("item", "shop");
      $("#shop-go").href = order.checkout.url || "#";
      return;
    }
    showOnly("item", "form");
    renderForm();
    return;
  }
  renderDone();
}

// the form (builtin checkout)
let formBuilt = "";
function renderForm() {
  const checkout = order.checkout || {};
  const methods = (Array.isArray(checkout.payment) && checkout.payment.length ? checkout.payment : ["bank_transfer", "on_delivery"]).filter(
    (m) => m === "bank_transfer" || m === "on_delivery",
  );
  const identity = `${lang()}|${methods.join(",")}`;
  if (formBuilt !== identity) {
    const chosen = currentPayment() || draft().payment || methods[0];
    const memoChoice = $("#f-memo-choice").value || draft().memo_choice || "";
    fill(
      $("#f-memo-choice"),
      h("option", { value: "" }, t("checkout.memo.none")),
      MEMOS.map((key) => h("option", { value: key }, t(`checkout.memo.${key}`))),
      h("option", { value: "custom" }, t("checkout.memo.custom")),
    );
    $("#f-memo-choice").value = memoChoice;
    fill(
      $("#pay-options"),
      methods.map((method) =>
        h(
          "label",
          { class: "pay-option", for: `pay-${method}` },
          h("input", { type: "radio", name: "payment", id: `pay-${method}`, value: method, checked: method === chosen }),
          h("span", {}, paymentText(method)),
        ),
      ),
    );
    formBuilt = identity;
    restoreDraft();
  }
  renderPayment();
  fill($("#sum-body"), sumView());
  renderPlaceButton();
}

function renderPlaceButton() {
  const total = amountDue(order);
  $("#place").disabled = placing;
  setText($("#place"), placing ? t("checkout.busy") : t("checkout.submit", { amount: money(total) }));
}

function currentPayment() {
  return document.querySelector("input[name=payment]:checked")?.value || "";
}

function renderPayment() {
  const method = currentPayment();
  const checkout = order.checkout || {};
  $("#bank-box").hidden = method !== "bank_transfer";
  $("#cod-note").hidden = method !== "on_delivery";
  if (method === "bank_transfer") {
    const hours = checkout.payment_hours || 24;
    fill($("#bank-box"), bankView(checkout.bank, t("checkout.bank.deadline", { n: formatNumber(hours) })));
  }
}

$("#pay-options").addEventListener("change", () => {
  setFieldError("payment", "");
  renderPayment();
  saveDraft();
});
$("#f-memo-choice").addEventListener("change", () => {
  const custom = $("#f-memo-choice").value === "custom";
  $("#f-memo").hidden = !custom;
  if (custom) $("#f-memo").focus();
  saveDraft();
});

// a draft of the form in this tab (a reload keeps what was typed; gone once placed)
function draft() {
  try {
    return JSON.parse(sessionStorage.getItem(DRAFT_KEY) || "{}") || {};
  } catch {
    return {};
  }
}
function saveDraft() {
  const data = { payment: currentPayment(), memo_choice: $("#f-memo-choice").value };
  for (const name of FIELDS) data[name] = $(`#f-${name}`).value;
  try {
    sessionStorage.setItem(DRAFT_KEY, JSON.stringify(data));
  } catch {
    // no storage
  }
}
function restoreDraft() {
  const data = draft();
  for (const name of FIELDS) {
    const input = $(`#f-${name}`);
    if (!input.value && typeof data[name] === "string") input.value = data[name];
  }
  $("#f-memo").hidden = $("#f-memo-choice").value !== "custom";
}
$("#form").addEventListener("input", saveDraft);

// validation: inline errors in words, next to the field
function setFieldError(name, message) {
  const node = $(`#err-${name}`);
  const input = name === "payment" ? null : $(`#f-${name}`);
  setText(node, message);
  node.hidden = !message;
  if (input) input.setAttribute("aria-invalid", message ? "true" : "false");
  if (name === "memo") $("#f-memo-choice").setAttribute("aria-invalid", message ? "true" : "false");
}

function checkField(name) {
  const input = $(`#f-${name}`);
  const value = input.value.trim();
  switch (name) {
    case "name":
      return value && value.length <= 50 ? "" : t(value ? "field.name" : "field.required");
    case "phone": {
      if (!value) return t("field.required");
      const phone = normalisePhone(value);
      if (!phone) return t("field.phone");
      input.value = phone;
      return "";
    }
    case "postcode": {
      if (!value) return t("field.required");
      const digits = value.replace(/[\s-]/g, "");
      if (!/^\d{5}$/.test(digits)) return t("field.postcode");
      input.value = digits;
      return "";
    }
    case "address":
      return value ? "" : t("field.address");
    case "address2":
      return value.length <= 100 ? "" : t("field.address2");
    case "memo":
      return value.length <= 100 ? "" : t("field.memo");
    default:
      return "";
  }
}

for (const name of ["name", "phone", "postcode", "address", "address2"]) {
  const input = $(`#f-${name}`);
  input.addEventListener("blur", () => {
    if (input.value.trim()) setFieldError(name, checkField(name));
  });
  input.addEventListener("input", () => {
    if (!$(`#err-${name}`).hidden && !checkFieldQuiet(name)) setFieldError(name, "");
  });
}
function checkFieldQuiet(name) {
  const input = $(`#f-${name}`);
  const before = input.value;
  const message = checkField(name);
  input.value = before; // no reformatting while typing
  return message;
}

function memoValue() {
  const choice = $("#f-memo-choice").value;
  if (choice === "custom") return $("#f-memo").value.trim();
  // the note is for a Korean courier: sent in Korean whatever the page language
  return choice ? translate("ko", `checkout.memo.${choice}`) : "";
}

function validate() {
  const errors = {};
  for (const name of ["name", "phone", "postcode", "address", "address2"]) {
    const message = checkField(name);
    if (message) errors[name] = message;
  }
  if ($("#f-memo-choice").value === "custom") {
    const message = checkField("memo");
    if (message) errors.memo = message;
  }
  if (!currentPayment()) errors.payment = t("field.payment");
  for (const name of [...FIELDS, "payment"]) setFieldError(name, errors[name] || "");
  return errors;
}

function focusField(name) {
  const target = name === "payment" ? document.querySelector("input[name=payment]") : name === "memo" && $("#f-memo").hidden ? $("#f-memo-choice") : $(`#f-${name}`);
  target?.focus();
  target?.scrollIntoView({ block: "center" });
}

function formError(message) {
  setText($("#form-error"), message || "");
  $("#form-error").hidden = !message;
}

$("#form").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (placing) return;
  formError("");
  const errors = validate();
  const bad = Object.keys(errors);
  if (bad.length) {
    formError(t("checkout.fix"));
    focusField([...FIELDS, "payment"].find((name) => errors[name]));
    return;
  }
  const buyer = {
    name: $("#f-name").value.trim(),
    phone: $("#f-phone").value.trim(),
    postcode: $("#f-postcode").value.trim(),
    address: $("#f-address").value.trim(),
    address2: $("#f-address2").value.trim(),
    memo: memoValue(),
  };
  placing = true;
  renderPlaceButton();
  try {
    const placed = await checkoutOrder(orderId, token, { buyer, payment: currentPayment() });
    order = { ...order, ...(placed?.order || placed) };
    sessionStorage.removeItem(DRAFT_KEY);
    placing = false;
    render();
    $("#done").focus();
    window.scrollTo(0, 0);
  } catch (err) {
    placing = false;
    renderPlaceButton();
    placeFailed(err);
  }
});

function placeFailed(err) {
  const code = err instanceof ApiError ? err.code : "network";
  if (code === "invalid" && err.field) {
    const name = String(err.field).split(".").pop();
    const known = [...FIELDS, "payment"].includes(name);
    if (known) {
      setFieldError(name, t(`field.${name}`));
      focusField(name);
    }
    formError(known ? t("checkout.fix") : errorText(code));
    return;
  }
  if (code === "expired") {
    order = { ...order, status: "expired" };
    render();
    return;
  }
  if (code === "bad_transition") {
    formError(errorText(code));
    refresh();
    return;
  }
  if (err.status === 401 || err.status === 403) {
    apiProblem(err, load);
    return;
  }
  formError(errorText(code));
}

// cancel a reserved order (the buyer's token may cancel before it is paid)
$("#cancel-order").addEventListener("click", () => $("#cancel-dialog").showModal());
$("#cancel-dialog").addEventListener("close", async () => {
  if ($("#cancel-dialog").returnValue !== "cancel") return;
  try {
    const cancelled = await setOrderStatus(orderId, token, { status: "cancelled" });
    order = { ...order, ...(cancelled?.order || cancelled) };
    sessionStorage.removeItem(DRAFT_KEY);
    render();
  } catch (err) {
    if (err instanceof ApiError && err.code === "bad_transition") refresh();
    formError(errorText(err instanceof ApiError ? err.code : "network"));
  }
});

// the done view: order number, what happens next, bank details for a transfer
function renderDone() {
  showOnly("done");
  const checkout = order.checkout || {};
  const total = amountDue(order);
  const next = [];
  if (order.status === "placed" && order.payment === "bank_transfer") {
    next.push(h("p", { class: "done-next" }, t("checkout.done.bank", { amount: money(total) })));
    next.push(
      bankView(checkout.bank, order.expires_at ? t("checkout.bank.deadline_at", { when: formatDateTime(order.expires_at) }) : null),
    );
  } else if (order.status === "placed" && order.payment === "on_delivery") {
    next.push(h("p", { class: "done-next" }, t("checkout.done.on_delivery", { amount: money(total) })));
  } else if (order.status === "placed") {
    next.push(h("p", { class: "done-next" }, t("checkout.done.shop")));
  } else if (order.status === "paid") {
    next.push(h("p", { class: "done-next" }, t("checkout.done.paid")));
  } else if (order.status === "shipped") {
    next.push(
      h("p", { class: "done-next done-shipped" }, t("checkout.done.shipped", { carrier: order.carrier || "", tracking: order.tracking || "" })),
    );
  }
  const buyer = order.buyer;
  fill(
    $("#done-body"),
    h("div", { class: "done-head" }, h("span", { class: "done-check", "aria-hidden": "true" }, "✓"), h("h2", { id: "done-title" }, t("checkout.done.title"))),
    h(
      "dl",
      { class: "done-facts" },
      h(
        "div",
        {},
        h("dt", {}, t("order.number")),
        h(
          "dd",
          {},
          h("span", { class: "order-short" }, `#${shortId(order.order_id || orderId)}`),
          h("span", { class: "order-id", id: "done-order-id" }, order.order_id || orderId),
        ),
      ),
      h("div", {}, h("dt", {}, t("checkout.status")), h("dd", {}, statusPill(order.status))),
      order.payment ? h("div", {}, h("dt", {}, t("checkout.payment")), h("dd", {}, paymentText(order.payment))) : null,
      h("div", {}, h("dt", {}, t("checkout.total")), h("dd", { class: "done-total" }, money(total))),
    ),
    next,
    h("div", { class: "done-item" }, itemView({ status: false })),
    buyer
      ? h(
          "div",
          { class: "done-delivery" },
          h("h3", {}, t("checkout.delivery")),
          h("p", {}, [buyer.name, buyer.phone].filter(Boolean).join(" · ")),
          h("p", {}, `(${buyer.postcode || ""}) ${buyer.address || ""} ${buyer.address2 || ""}`.trim()),
          buyer.memo ? h("p", { class: "muted" }, buyer.memo) : null,
        )
      : null,
    h("a", { class: "btn btn-primary done-back", href: showLink() }, t("checkout.back")),
  );
}

window.addEventListener("langchange", () => {
  formBuilt = "";
  holdFor = null;
  render();
});
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible" && order && !placing) refresh();
});

if (!orderId) problem(errorText("unknown_order"), "", { link: "/", linkText: t("checkout.all_shows") });
else await load();
window.livecast = { order: () => order };
