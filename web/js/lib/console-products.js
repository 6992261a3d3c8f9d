// The console's products: the list of a show's products and the form that adds or edits
// one — price and list price, stock, photos, the detail page (text and photos) and the
// 상품정보제공고시 table. Deleting works until the show goes live.
import { addProduct, deleteProduct, patchProduct } from "./console-api.js";
import { askConfirm, explainError, field, numberInput } from "./console-ui.js";
import { h, toast } from "./dom.js";
import { t } from "./i18n.js";
import { formatMoney, formatNumber } from "./money.js";
import { PhotoList, thumbOf } from "./photos.js";

const SKU_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const NOTICE_TEMPLATE = [
  "품목 또는 명칭",
  "포장단위별 내용물의 용량(중량), 수량",
  "생산자(수입자)",
  "원산지",
  "제조연월일(포장일 또는 생산연도)",
  "소비기한 또는 품질유지기한",
  "보관방법 또는 취급방법",
  "소비자상담 관련 전화번호",
];

function newSku() {
  return `p-${Math.random().toString(36).slice(2, 8)}`;
}

/** Whole number from an input ("" -> null); NaN when it is not one. */
function whole(input) {
  const text = input.value.trim().replace(/[,\s]/g, "");
  if (text === "") return null;
  return /^\d+$/.test(text) ? Number(text) : Number.NaN;
}

class NoticeTable {
  constructor() {
    this.body = h("tbody");
    this.element = h(
      "div",
      { class: "notice-editor" },
      h(
        "table",
        { class: "notice-table" },
        h("thead", {}, h("tr", {}, h("th", {}, t("product.notice.label")), h("th", {}, t("product.notice.value")), h("th"))),
        this.body,
      ),
      h(
        "div",
        { class: "row" },
        h("button", { type: "button", class: "btn btn-small", onclick: () => this.addRow() }, t("product.notice.add")),
        h(
          "button",
          { type: "button", class: "btn btn-small", onclick: () => this.template() },
          t("product.notice.template"),
        ),
      ),
    );
  }

  addRow(label = "", value = "") {
    const row = h(
      "tr",
      {},
      h("td", {}, h("input", { class: "input", value: label, "aria-label": t("product.notice.label"), maxlength: 60 })),
      h("td", {}, h("input", { class: "input", value, "aria-label": t("product.notice.value"), maxlength: 1000 })),
      h("td", {}, h("button", { type: "button", class: "btn-mini", onclick: () => row.remove() }, t("common.delete"))),
    );
    this.body.append(row);
    return row;
  }

  template() {
    const have = new Set(this.rows().map(([label]) => label));
    for (const label of NOTICE_TEMPLATE) if (!have.has(label)) this.addRow(label, "");
  }

  set(notice) {
    this.body.replaceChildren();
    for (const [label, value] of Object.entries(notice || {})) this.addRow(label, value);
  }

  rows() {
    return [...this.body.rows].map((row) => [...row.querySelectorAll("input")].map((i) => i.value.trim()));
  }

  /** [[label, value]] without the rows left empty, or an error text. */
  value() {
    const rows = this.rows().filter(([, value]) => value);
    for (const [label, value] of rows) {
      if (!label) return { error: t("product.notice.no_label", { value }) };
    }
    return { rows };
  }
}

export class ProductEditor {
  /** ctx: {key, show (public view), onSaved(view)} */
  constructor(ctx) {
    this.ctx = ctx;
    this.editing = null; // the product being edited, or null for a new one
    this.sku = h("input", { class: "input", id: "p-sku", autocomplete: "off", spellcheck: "false", maxlength: 64 });
    this.name = h("input", { class: "input", id: "p-name", maxlength: 100, required: true });
    this.price = numberInput("p-price");
    this.listPrice = numberInput("p-list-price");
    this.stock = numberInput("p-stock");
    this.maxPerOrder = numberInput("p-max");
    this.description = h("input", { class: "input", id: "p-description", maxlength: 300 });
    this.detailText = h("textarea", { class: "input", id: "p-detail-text", rows: 6, maxlength: 20000 });
    this.photos = new PhotoList({ key: ctx.key, max: 10, label: t("product.photos"), name: "product-photos" });
    this.detailPhotos = new PhotoList({ key: ctx.key, max: 30, label: t("product.detail_photos"), name: "detail-photos" });
    this.notice = new NoticeTable();
    this.error = h("p", { class: "error", role: "alert", hidden: true });
    this.title = h("h3", {});
    this.nameCount = h("span", { class: "muted counter" });
    this.discount = h("span", { class: "muted" });
    this.name.addEventListener("input", () => this.counts());
    for (const input of [this.price, this.listPrice]) input.addEventListener("input", () => this.counts());
    this.form = h(
      "form",
      { class: "product-form", novalidate: true, "data-role": "product-form" },
      this.title,
      h(
        "div",
        { class: "grid-2" },
        field(t("product.name"), this.name, this.nameCount),
        field(t("product.sku"), this.sku, h("span", { class: "muted" }, t("product.sku_hint"))),
        field(t("product.price"), this.price, h("span", { class: "muted" }, t("product.won"))),
        field(t("product.list_price"), this.listPrice, this.discount),
        field(t("product.stock"), this.stock, h("span", { class: "muted" }, t("product.stock_hint"))),
        field(t("product.max_per_order"), this.maxPerOrder, h("span", { class: "muted" }, t("product.max_hint"))),
      ),
      field(t("product.description"), this.description),
      h("h4", {}, t("product.photos")),
      h("p", { class: "muted" }, t("product.photos_hint")),
      this.photos.element,
      h("h4", {}, t("product.detail")),
      field(t("product.detail_text"), this.detailText, h("span", { class: "muted" }, t("product.detail_text_hint"))),
      h("p", { class: "muted" }, t("product.detail_photos_hint")),
      this.detailPhotos.element,
      h("h4", {}, t("product.notice")),
      h("p", { class: "muted" }, t("product.notice_hint")),
      this.notice.element,
      this.error,
      h(
        "div",
        { class: "row form-actions" },
        h("button", { type: "submit", class: "btn btn-primary", "data-role": "save-product" }, t("product.save")),
        h("button", { type: "button", class: "btn", onclick: () => this.close() }, t("common.cancel")),
      ),
    );
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.save();
    });
    this.element = h("div", { class: "card product-editor", hidden: true }, this.form);
  }

  counts() {
    this.nameCount.textContent = t("product.name_count", { n: this.name.value.trim().length });
    const price = whole(this.price);
    const list = whole(this.listPrice);
    this.discount.textContent =
      price !== null && list && list > price ? t("product.discount", { n: Math.round((1 - price / list) * 100) }) : t("product.list_price_hint");
  }

  open(product = null) {
    this.editing = product;
    this.title.textContent = product ? t("product.edit_title", { name: product.name }) : t("product.add_title");
    this.sku.value = product ? product.sku : "";
    this.sku.disabled = !!product;
    this.sku.placeholder = product ? "" : t("product.sku_placeholder");
    this.name.value = product?.name || "";
    this.price.value = product ? String(product.price) : "";
    this.listPrice.value = product?.list_price ?? "";
    this.stock.value = product?.remaining ?? "";
    this.stockBefore = this.stock.value;
    this.maxPerOrder.value = product?.max_per_order ?? "";
    this.description.value = product?.description || "";
    this.detailText.value = product?.detail?.text || "";
    this.photos.set(product?.images || (product?.image ? [product.image] : []));
    this.detailPhotos.set(product?.detail?.images || []);
    this.notice.set(product?.notice);
    this.error.hidden = true;
    this.counts();
    this.element.hidden = false;
    this.element.scrollIntoView({ behavior: "smooth", block: "start" });
    this.name.focus({ preventScroll: true });
  }

  close() {
    this.element.hidden = true;
    this.editing = null;
  }

  fail(message) {
    this.error.textContent = message;
    this.error.hidden = false;
    this.error.scrollIntoView({ block: "nearest" });
  }

  /** The product as the API wants it, or an error text saying what to fix. */
  collect() {
    const name = this.name.value.trim();
    if (!name) return { error: t("product.need_name") };
    if (name.length > 100) return { error: t("product.name_too_long") };
    const price = whole(this.price);
    if (price === null || Number.isNaN(price)) return { error: t("product.need_price") };
    const listPrice = whole(this.listPrice);
    if (Number.isNaN(listPrice)) return { error: t("product.bad_list_price") };
    const stock = whole(this.stock);
    if (Number.isNaN(stock)) return { error: t("product.bad_stock") };
    const max = whole(this.maxPerOrder);
    if (Number.isNaN(max) || max === 0) return { error: t("product.bad_max") };
    const notice = this.notice.value();
    if (notice.error) return { error: notice.error };
    if (this.photos.busy || this.detailPhotos.busy) return { error: t("product.wait_uploads") };
    const text = this.detailText.value.trim();
    const detailImages = this.detailPhotos.value();
    const body = {
      name,
      price,
      list_price: listPrice,
      max_per_order: max,
      description: this.description.value.trim() || null,
      images: this.photos.value(),
      detail: text || detailImages.length ? { text, images: detailImages } : null,
      notice: notice.rows.length ? notice.rows : null,
    };
    if (!this.editing) {
      const sku = this.sku.value.trim() || newSku();
      if (!SKU_RE.test(sku)) return { error: t("product.bad_sku") };
      body.sku = sku;
      if (stock !== null) body.stock = stock;
    } else if (this.stock.value !== this.stockBefore) {
      body.stock = stock; // only when changed: stock sets the units left
    }
    return { body };
  }

  async save() {
    const { body, error } = this.collect();
    if (error) return this.fail(error);
    const { key, show } = this.ctx;
    try {
      if (this.editing) await patchProduct(show.id, this.editing.sku, key, body);
      else await addProduct(show.id, key, body);
    } catch (err) {
      return this.fail(explainError(err));
    }
    toast(t(this.editing ? "product.saved" : "product.added", { name: body.name }), { kind: "ok" });
    this.close();
    this.ctx.onSaved();
  }
}

/** The products of a show as rows with edit and delete; the editor below them. */
export function productsPanel(ctx) {
  const { show, key } = ctx;
  const editor = new ProductEditor(ctx);
  const live = show.status !== "scheduled";
  const rows = show.products.map((p) =>
    h(
      "li",
      { class: "product-row", "data-sku": p.sku },
      p.image
        ? h("img", { class: "product-thumb", src: thumbOf(p.image), alt: "" })
        : h("span", { class: "product-thumb no-photo" }, t("product.no_photo")),
      h(
        "div",
        { class: "product-info" },
        h("strong", { class: "product-name" }, p.name),
        h(
          "span",
          { class: "muted" },
          p.list_price && p.list_price > p.price ? h("s", { class: "list-price" }, formatMoney(p.list_price, show.currency)) : null,
          p.list_price && p.list_price > p.price ? " " : null,
          h("span", { class: "price" }, formatMoney(p.price, show.currency)),
          " · ",
          p.remaining === null ? t("product.unlimited") : t("product.left", { n: formatNumber(p.remaining) }),
          " · ",
          t("product.photo_count", { n: (p.images || []).length }),
        ),
      ),
      h(
        "div",
        { class: "row" },
        h("button", { type: "button", class: "btn btn-small", onclick: () => editor.open(p) }, t("common.edit")),
        h(
          "button",
          {
            type: "button",
            class: "btn btn-small",
            disabled: live,
            title: live ? t("product.no_delete_live") : null,
            onclick: async () => {
              if (!(await askConfirm(t("product.delete_confirm", { name: p.name }), t("common.delete")))) return;
              try {
                await deleteProduct(show.id, p.sku, key);
                toast(t("product.deleted", { name: p.name }), { kind: "ok" });
                ctx.onSaved();
              } catch (err) {
                toast(explainError(err), { kind: "error", ms: 7000 });
              }
            },
          },
          t("common.delete"),
        ),
      ),
    ),
  );
  return h(
    "div",
    { class: "products" },
    rows.length ? h("ul", { class: "product-list" }, rows) : h("p", { class: "empty" }, t("product.none")),
    live ? h("p", { class: "muted" }, t("product.no_delete_live")) : null,
    h(
      "button",
      { type: "button", class: "btn btn-primary", "data-role": "add-product", onclick: () => editor.open(null) },
      t("product.add"),
    ),
    editor.element,
  );
}
