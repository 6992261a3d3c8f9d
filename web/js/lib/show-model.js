// A show as the pages see it: the REST public view, then kept current by Socket.IO events.
// Fires "change" events with detail.what = products|featured|deal|sales|viewers|status|reactions.

export class ShowModel extends EventTarget {
  constructor(view) {
    super();
    this.id = view.id;
    this.title = view.title || "";
    this.seller = view.seller || "";
    this.currency = view.currency || "KRW";
    this.startsAt = view.starts_at || null;
    this.status = view.status || "scheduled";
    this.products = (view.products || []).map((p) => ({ ...p }));
    this.featured = view.featured || null;
    this.deal = view.deal || null;
    this.viewers = view.viewers || 0;
    this.checkout = view.checkout || null; // the show's checkout setting, when the view has it
    this.replaySales = view.replay_sales !== false; // the replay sells what is left
    this.hearts = 0;
    this.dealTimer = null;
    this.scheduleDealEnd();
  }

  emit(what) {
    this.dispatchEvent(new CustomEvent("change", { detail: { what } }));
  }

  product(sku) {
    return this.products.find((p) => p.sku === sku) || null;
  }

  featuredProduct() {
    return this.product(this.featured);
  }

  /** The running deal for sku (or any sku), null once its end time has passed. */
  activeDeal(sku) {
    const deal = this.deal;
    if (!deal || deal.ends_at <= Date.now()) return null;
    return sku === undefined || deal.sku === sku ? deal : null;
  }

  priceOf(product) {
    const deal = this.activeDeal(product.sku);
    return deal ? deal.price : product.price;
  }

  isSoldOut(product) {
    return product.remaining !== null && product.remaining !== undefined && product.remaining <= 0;
  }

  totals() {
    let sold = 0;
    for (const p of this.products) sold += p.sold || 0;
    return { sold };
  }

  // deals end by themselves on the page even if no `deal null` arrives
  scheduleDealEnd() {
    clearTimeout(this.dealTimer);
    const deal = this.deal;
    if (!deal) return;
    const left = deal.ends_at - Date.now();
    if (left <= 0) {
      this.deal = null;
      return;
    }
    this.dealTimer = setTimeout(() => {
      if (this.deal === deal) {
        this.deal = null;
        this.emit("deal");
      }
    }, left + 50);
  }

  setProducts(list) {
    if (!Array.isArray(list)) return;
    this.products = list.map((p) => ({ ...(this.product(p.sku) || {}), ...p }));
    this.emit("products");
  }

  setSales(sales) {
    if (!sales || typeof sales !== "object") return;
    for (const [sku, figures] of Object.entries(sales)) {
      const product = this.product(sku);
      if (!product || !figures) continue;
      if (typeof figures.sold === "number") product.sold = figures.sold;
      if ("remaining" in figures) product.remaining = figures.remaining;
    }
    this.emit("sales");
  }

  setDeal(deal) {
    this.deal = deal && deal.sku ? deal : null;
    this.scheduleDealEnd();
    this.emit("deal");
  }

  setStatus(status) {
    if (!status || status === this.status) return;
    this.status = status;
    this.emit("status");
  }

  /** The `state` event a socket gets on connect. */
  applyState(state) {
    const show = state.show;
    if (show && typeof show === "object") {
      for (const [field, prop] of [
        ["title", "title"],
        ["seller", "seller"],
        ["currency", "currency"],
        ["status", "status"],
        ["starts_at", "startsAt"],
      ]) {
        if (show[field] !== undefined && show[field] !== null) this[prop] = show[field];
      }
      if (Array.isArray(show.products) && !state.products) this.setProducts(show.products);
      if (show.checkout && typeof show.checkout === "object") this.checkout = show.checkout;
      if (typeof show.replay_sales === "boolean") this.replaySales = show.replay_sales;
    } else if (typeof show === "string" && ["scheduled", "live", "ended"].includes(show)) {
      this.status = show;
    }
    if (typeof state.status === "string") this.status = state.status;
    if (Array.isArray(state.products)) this.setProducts(state.products);
    if ("featured" in state) this.featured = unwrap(state.featured, "sku");
    if ("deal" in state) this.setDeal(state.deal);
    if (state.sales) this.setSales(state.sales);
    if (state.viewers !== undefined) this.viewers = unwrap(state.viewers, "count") || 0;
    for (const what of ["status", "featured", "viewers", "products"]) this.emit(what);
  }

  /** Keep the model current from the socket's broadcasts. */
  bind(socket) {
    socket.on("products", (list) => this.setProducts(unwrap(list, "products")));
    socket.on("sales", (sales) => this.setSales(sales));
    socket.on("soldout", ({ sku } = {}) => {
      const product = this.product(sku);
      if (product) product.remaining = 0;
      this.emit("sales");
    });
    socket.on("featured", (data) => {
      this.featured = unwrap(data, "sku");
      this.emit("featured");
    });
    socket.on("deal", (deal) => this.setDeal(deal));
    socket.on("viewers", (data) => {
      this.viewers = unwrap(data, "count") || 0;
      this.emit("viewers");
    });
    socket.on("show", (data) => this.setStatus(unwrap(data, "status")));
    socket.on("reactions", (data) => {
      const n = Number(data?.heart) || 0;
      this.hearts += n;
      this.lastHearts = n;
      this.emit("reactions");
    });
  }
}

/** {sku: "x"} -> "x"; "x" -> "x" (tolerates both shapes). */
export function unwrap(value, field) {
  if (value && typeof value === "object" && field in value) return value[field];
  return value ?? null;
}
