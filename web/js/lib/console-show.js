// The console's editor for one show: its details (title, start in the seller's time zone,
// cover, sale event), checkout, products, keys and links with QR codes, and its report.
import {
  calendarUrl,
  getReport,
  patchShow,
  qrUrl,
  reportCsv,
  rotateKey,
  showSettings,
} from "./console-api.js";
import { productsPanel } from "./console-products.js";
import { askConfirm, copyText, explainError, field, numberInput } from "./console-ui.js";
import { h, toast } from "./dom.js";
import { t } from "./i18n.js";
import { PhotoList } from "./photos.js";
import { reportView } from "./report-view.js";
import { formatStart, toZoneInput } from "./zone-time.js";

export function zoneName(zone) {
  return zone === "Asia/Seoul" ? t("console.zone.seoul") : zone;
}

export function showLinks(base, id, fresh = {}) {
  const show = encodeURIComponent(id);
  const keyed = (path, key) => `${base}${path}${key ? `#key=${key}` : ""}`;
  return {
    watch: `${base}/watch/${show}`,
    replay: `${base}/replay/${show}`,
    studio: keyed(`/studio/${show}`, fresh.host_key),
    moderate: keyed(`/moderate/${show}`, fresh.moderator_key),
    orders: keyed(`/orders/${show}`, fresh.host_key),
  };
}

function section(id, title, ...children) {
  return h("section", { class: "card editor-section", id, "aria-labelledby": `${id}-h` }, h("h2", { id: `${id}-h` }, title), ...children);
}

function formError() {
  return h("p", { class: "error", role: "alert", hidden: true });
}

function showFail(node, message) {
  node.textContent = message;
  node.hidden = false;
}

// details
function detailsSection(ctx) {
  const { show, me, key, events, sellers } = ctx;
  const ended = show.status === "ended";
  const title = h("input", { class: "input", id: "s-title", value: show.title, maxlength: 200, required: true });
  const starts = h("input", { class: "input", id: "s-starts", type: "datetime-local", value: toZoneInput(show.starts_at, me.timezone) });
  const cover = new PhotoList({ key, single: true, label: t("show.cover"), name: "cover" });
  cover.set(show.cover ? [show.cover] : []);
  const event = h(
    "select",
    { id: "s-event" },
    h("option", { value: "" }, t("show.no_event")),
    events.map((e) => h("option", { value: e.id, selected: e.id === show.event }, e.title)),
  );
  const seller =
    me.role === "admin"
      ? h(
          "select",
          { id: "s-seller" },
          h("option", { value: "" }, t("show.no_seller")),
          sellers.map((s) => h("option", { value: s.id, selected: s.id === show.seller_id }, s.name)),
        )
      : null;
  const error = formError();
  const form = h(
    "form",
    { class: "show-form", novalidate: true },
    field(t("show.title"), title),
    field(t("show.starts_at", { zone: zoneName(me.timezone) }), starts, h("span", { class: "muted" }, t("show.starts_hint"))),
    h("div", { class: "field" }, h("span", { class: "label" }, t("show.cover")), cover.element),
    field(t("show.event"), event),
    seller ? field(t("show.seller"), seller) : null,
    error,
    h("div", { class: "row form-actions" }, h("button", { type: "submit", class: "btn btn-primary", disabled: ended }, t("common.save"))),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.hidden = true;
    if (!title.value.trim()) return showFail(error, t("show.need_title"));
    if (cover.busy) return showFail(error, t("product.wait_uploads"));
    const body = {
      title: title.value.trim(),
      starts_at: starts.value || null,
      cover: cover.value()[0] || null,
      event: event.value || null,
    };
    if (seller && seller.value !== (show.seller_id || "")) body.seller_id = seller.value || null;
    try {
      await patchShow(show.id, key, body);
    } catch (err) {
      return showFail(error, explainError(err));
    }
    toast(t("show.saved"), { kind: "ok" });
    ctx.reload();
  });
  for (const input of form.querySelectorAll("input, select, button")) if (ended) input.disabled = true;
  return section(
    "details",
    t("show.details"),
    ended ? h("p", { class: "muted" }, t("show.ended_note")) : null,
    form,
  );
}

// checkout
function checkoutSection(ctx, settings) {
  const { show, key } = ctx;
  const current = settings?.checkout || { mode: "builtin", payment: ["on_delivery"] };
  const locked = show.status !== "scheduled";
  const modeBuiltin = h("input", { type: "radio", name: "mode", value: "builtin", id: "c-builtin", checked: current.mode !== "shop" });
  const modeShop = h("input", { type: "radio", name: "mode", value: "shop", id: "c-shop", checked: current.mode === "shop" });
  const bankTransfer = h("input", { type: "checkbox", id: "c-bank-transfer", checked: (current.payment || []).includes("bank_transfer") });
  const onDelivery = h("input", { type: "checkbox", id: "c-on-delivery", checked: (current.payment || []).includes("on_delivery") });
  const bankName = h("input", { class: "input", id: "c-bank-name", value: current.bank?.name || "", placeholder: "농협은행" });
  const bankAccount = h("input", { class: "input", id: "c-bank-account", value: current.bank?.account || "", inputmode: "numeric" });
  const bankHolder = h("input", { class: "input", id: "c-bank-holder", value: current.bank?.holder || "" });
  const fee = numberInput("c-fee");
  fee.value = current.shipping_fee ?? 3000;
  const freeOver = numberInput("c-free");
  freeOver.value = current.free_shipping_over ?? "";
  const url = h("input", {
    class: "input",
    id: "c-url",
    value: current.url || "",
    placeholder: "https://shop.example.kr/live-cart?order={order_id}&sku={sku}&qty={qty}&price={price}&sig={sig}",
  });
  const builtinBox = h(
    "div",
    { class: "checkout-builtin" },
    h(
      "fieldset",
      {},
      h("legend", {}, t("console.checkout.payment")),
      h("label", { class: "check" }, bankTransfer, " ", t("order.payment.bank_transfer")),
      h("label", { class: "check" }, onDelivery, " ", t("order.payment.on_delivery")),
    ),
    h(
      "div",
      { class: "grid-3" },
      field(t("console.checkout.bank_name"), bankName),
      field(t("console.checkout.bank_account"), bankAccount),
      field(t("console.checkout.bank_holder"), bankHolder),
    ),
    h(
      "div",
      { class: "grid-2" },
      field(t("console.checkout.fee"), fee, h("span", { class: "muted" }, t("product.won"))),
      field(t("console.checkout.free_over"), freeOver, h("span", { class: "muted" }, t("console.checkout.free_over_hint"))),
    ),
  );
  const shopBox = h("div", { class: "checkout-shop" }, field(t("console.checkout.url"), url, h("span", { class: "muted" }, t("console.checkout.url_hint"))));
  const sync = () => {
    builtinBox.hidden = modeShop.checked;
    shopBox.hidden = !modeShop.checked;
  };
  modeBuiltin.addEventListener("change", sync);
  modeShop.addEventListener("change", sync);
  sync();
  const error = formError();
  const form = h(
    "form",
    { class: "checkout-form", novalidate: true },
    h(
      "fieldset",
      { class: "modes" },
      h("legend", {}, t("console.checkout.mode")),
      h("label", { class: "check" }, modeBuiltin, " ", t("console.checkout.builtin")),
      h("label", { class: "check" }, modeShop, " ", t("console.checkout.shop")),
    ),
    builtinBox,
    shopBox,
    error,
    h("div", { class: "row form-actions" }, h("button", { type: "submit", class: "btn btn-primary" }, t("common.save"))),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.hidden = true;
    let checkout;
    if (modeShop.checked) {
      checkout = { mode: "shop", url: url.value.trim() };
    } else {
      const payment = [];
      if (bankTransfer.checked) payment.push("bank_transfer");
      if (onDelivery.checked) payment.push("on_delivery");
      if (!payment.length) return showFail(error, t("console.checkout.need_payment"));
      const bank = [bankName, bankAccount, bankHolder].map((i) => i.value.trim());
      if (bankTransfer.checked && bank.some((v) => !v)) return showFail(error, t("fix.bank"));
      const feeValue = Number(fee.value.replace(/[,\s]/g, "") || 0);
      const freeValue = freeOver.value.trim() ? Number(freeOver.value.replace(/[,\s]/g, "")) : null;
      if (!Number.isInteger(feeValue) || (freeValue !== null && !Number.isInteger(freeValue))) {
        return showFail(error, t("fix.number", { field: t("console.checkout.fee") }));
      }
      checkout = {
        mode: "builtin",
        payment,
        bank: bank.every((v) => v) ? { name: bank[0], account: bank[1], holder: bank[2] } : null,
        shipping_fee: feeValue,
        free_shipping_over: freeValue,
      };
    }
    try {
      await patchShow(show.id, key, { checkout });
    } catch (err) {
      return showFail(error, explainError(err));
    }
    toast(t("console.checkout.saved"), { kind: "ok" });
    ctx.reload();
  });
  if (locked) for (const input of form.querySelectorAll("input, button")) input.disabled = true;
  return section("checkout", t("console.checkout.title"), locked ? h("p", { class: "muted" }, t("console.checkout.locked")) : null, form);
}

// links, keys and QR codes
function linkRow(label, url, { role, ctx, keyed } = {}) {
  const input = h("input", { class: "input link-input", value: url, readonly: true, "aria-label": label });
  const qr = h("img", { class: "qr", alt: t("links.qr_alt", { label }), hidden: true });
  const qrButton = h(
    "button",
    {
      type: "button",
      class: "btn btn-small",
      "aria-expanded": "false",
      onclick: async () => {
        if (!qr.hidden) {
          qr.hidden = true;
          qrButton.setAttribute("aria-expanded", "false");
          return;
        }
        try {
          if (!qr.src) qr.src = await qrUrl(url);
          qr.hidden = false;
          qrButton.setAttribute("aria-expanded", "true");
        } catch (err) {
          toast(explainError(err), { kind: "error" });
        }
      },
    },
    t("links.qr"),
  );
  return h(
    "li",
    { class: "link-row", "data-link": role || label },
    h("div", { class: "link-head" }, h("strong", {}, label), keyed === false ? h("span", { class: "muted" }, t("links.no_key")) : null),
    h(
      "div",
      { class: "row" },
      input,
      h(
        "button",
        {
          type: "button",
          class: "btn btn-small",
          onclick: async () => toast(t((await copyText(url)) ? "links.copied" : "links.copy_failed"), { kind: "ok" }),
        },
        t("links.copy"),
      ),
      qrButton,
      role && ctx
        ? h(
            "button",
            {
              type: "button",
              class: "btn btn-small",
              "data-rotate": role,
              onclick: async () => {
                if (!(await askConfirm(t(`keys.rotate_confirm.${role}`), t("keys.rotate")))) return;
                try {
                  const made = await rotateKey(ctx.show.id, role, ctx.key);
                  ctx.fresh[`${role}_key`] = made.key;
                  toast(t("keys.rotated"), { kind: "ok" });
                  ctx.reload();
                } catch (err) {
                  toast(explainError(err), { kind: "error" });
                }
              },
            },
            t("keys.rotate"),
          )
        : null,
    ),
    qr,
  );
}

function linksSection(ctx) {
  const { show, me, fresh } = ctx;
  const links = showLinks(me.base_url, show.id, fresh);
  const rows = [
    linkRow(t("links.watch"), links.watch),
    linkRow(t("links.studio"), links.studio, { role: "host", ctx, keyed: !!fresh.host_key }),
    linkRow(t("links.moderate"), links.moderate, { role: "moderator", ctx, keyed: !!fresh.moderator_key }),
    linkRow(t("links.orders"), links.orders, { keyed: !!fresh.host_key }),
  ];
  if (show.status === "ended") rows.push(linkRow(t("links.replay"), links.replay));
  const shop = fresh.shop_key
    ? h("p", { class: "key-once" }, t("keys.shop_key"), " ", h("code", { "data-key": "shop" }, fresh.shop_key))
    : null;
  return section(
    "links",
    t("links.title"),
    fresh.host_key || fresh.moderator_key || fresh.shop_key
      ? h("p", { class: "notice-once", role: "status" }, t("keys.once"))
      : h("p", { class: "muted" }, t("keys.explain")),
    h("ul", { class: "link-list" }, rows),
    shop,
    h(
      "div",
      { class: "row" },
      h("button", { type: "button", class: "btn btn-small", "data-rotate": "shop", onclick: () => rotateShop(ctx) }, t("keys.rotate_shop")),
      show.starts_at && show.status === "scheduled"
        ? h("a", { class: "btn btn-small", href: calendarUrl(show.id), download: `${show.id}.ics` }, t("links.calendar"))
        : null,
    ),
  );
}

async function rotateShop(ctx) {
  if (!(await askConfirm(t("keys.rotate_confirm.shop"), t("keys.rotate")))) return;
  try {
    ctx.fresh.shop_key = (await rotateKey(ctx.show.id, "shop", ctx.key)).key;
    ctx.reload();
  } catch (err) {
    toast(explainError(err), { kind: "error" });
  }
}

// report
function reportSection(ctx) {
  const { show, key } = ctx;
  const body = h("div", { class: "report-body" }, h("p", { class: "muted" }, t("common.loading")));
  if (show.status === "scheduled") {
    body.replaceChildren(h("p", { class: "muted" }, t("report.before")));
  } else {
    getReport(show.id, key)
      .then((report) =>
        body.replaceChildren(
          reportView(report, {
            onCsv: async () => {
              try {
                const blob = await reportCsv(show.id, key);
                const a = h("a", { href: URL.createObjectURL(blob), download: `${show.id}-report.csv` });
                document.body.append(a);
                a.click();
                a.remove();
              } catch (err) {
                toast(explainError(err), { kind: "error" });
              }
            },
          }),
        ),
      )
      .catch((err) => body.replaceChildren(h("p", { class: "error" }, explainError(err))));
  }
  return section("report", t("report.title"), body);
}

/** The whole editor of one show. ctx: {show, me, key, events, sellers, fresh, reload}. */
export async function showEditor(ctx) {
  const { show } = ctx;
  let settings = null;
  try {
    settings = await showSettings(show.id, ctx.key);
  } catch (err) {
    toast(explainError(err), { kind: "error" });
  }
  const head = h(
    "div",
    { class: "editor-head" },
    h("span", { class: `pill pill-${show.status}` }, t(`status.${show.status}`)),
    h("h2", { class: "editor-title" }, show.title),
    h(
      "p",
      { class: "muted" },
      show.starts_at ? t("show.starts_line", { when: formatStart(show.starts_at) }) : t("show.no_start"),
      show.seller ? ` · ${show.seller}` : "",
    ),
  );
  return h(
    "div",
    { class: "editor-sections" },
    head,
    ctx.created ? h("p", { class: "notice-once", role: "status" }, t("show.created_next")) : null,
    linksSection(ctx),
    section("products", t("product.title"), productsPanel({ ...ctx, onSaved: ctx.reload })),
    detailsSection(ctx),
    checkoutSection(ctx, settings),
    reportSection(ctx),
  );
}
