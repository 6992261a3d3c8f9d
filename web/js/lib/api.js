// The REST API of contract.md. Errors come back as ApiError(status, code, message).

export class ApiError extends Error {
  constructor(status, code, message, data = null) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || `http_${status}`;
    this.field = data?.field || null; // which field a 400 invalid is about
    this.data = data;
  }
}

async function request(path, { method = "GET", key, body } = {}) {
  const headers = {};
  if (key) headers.Authorization = `Bearer ${key}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  } catch (err) {
    throw new ApiError(0, "network", err.message);
  }
  const type = res.headers.get("Content-Type") || "";
  const data = type.includes("json") ? await res.json().catch(() => null) : null;
  if (!res.ok) throw new ApiError(res.status, data?.error, data?.message, data);
  return data;
}

const showPath = (show) => `/api/shows/${encodeURIComponent(show)}`;

export const listShows = () => request("/api/shows");
export const getShow = (show) => request(showPath(show));
export const getSales = (show, key) => request(`${showPath(show)}/sales`, { key });
export const getRecordings = (show) => request(`${showPath(show)}/recordings`);
/** The show report (peak viewers, conversion, …), with the host key. */
export const getReport = (show, key) => request(`${showPath(show)}/report`, { key });
/** Change a show (the host key may change `replay_sales` only). */
export const patchShow = (show, key, body) => request(showPath(show), { method: "PATCH", key, body });

// orders (docs/orders.md): `key` is a host/shop/admin key or the buyer's viewer token
const orderPath = (id) => `/api/orders/${encodeURIComponent(id)}`;
export const getOrder = (id, key) => request(orderPath(id), { key });
export const checkoutOrder = (id, key, body) => request(`${orderPath(id)}/checkout`, { method: "POST", key, body });
export const setOrderStatus = (id, key, body) => request(`${orderPath(id)}/status`, { method: "POST", key, body });

/** One page of a show's orders: {orders, next}. */
export function listOrders(show, key, { status, after, limit } = {}) {
  const query = new URLSearchParams();
  if (status) query.set("status", status);
  if (after !== undefined && after !== null) query.set("after", after);
  if (limit) query.set("limit", String(limit));
  const qs = query.toString();
  return request(`${showPath(show)}/orders${qs ? `?${qs}` : ""}`, { key });
}

/** Every order of a show, following `next` page by page. */
export async function listAllOrders(show, key, { status, limit = 500 } = {}) {
  const all = [];
  let after = null;
  for (let pages = 0; pages < 1000; pages += 1) {
    const page = await listOrders(show, key, { status, after, limit });
    all.push(...(page?.orders || []));
    if (!page?.next) break;
    after = page.next;
  }
  return all;
}

/** Orders newer than `after` (a `seq` from an earlier listing), every page of them. */
export async function listOrdersAfter(show, key, after, { limit = 500 } = {}) {
  const all = [];
  for (let pages = 0; pages < 100; pages += 1) {
    const page = await listOrders(show, key, { after, limit });
    all.push(...(page?.orders || []));
    if (!page?.next) break;
    after = page.next;
  }
  return all;
}

/** The orders CSV as a Blob (it needs the Authorization header, so no plain link). */
export async function ordersCsv(show, key, { status } = {}) {
  const query = new URLSearchParams({ format: "csv" });
  if (status) query.set("status", status);
  let res;
  try {
    res = await fetch(`${showPath(show)}/orders?${query}`, {
      headers: { Authorization: `Bearer ${key}` },
      cache: "no-store",
    });
  } catch (err) {
    throw new ApiError(0, "network", err.message);
  }
  if (!res.ok) {
    const data = await res.json().catch(() => null);
    throw new ApiError(res.status, data?.error, data?.message, data);
  }
  return res.blob();
}

/** The events sidecar of a recording: its url with the extension replaced by .events.jsonl */
export function sidecarUrl(recordingUrl) {
  const url = new URL(recordingUrl, location.href);
  url.pathname = url.pathname.replace(/\.[^./]*$/, "") + ".events.jsonl";
  return url.href;
}

/** [{t, kind, data}] sorted by t; a missing sidecar or bad lines give what could be read. */
export async function getSidecar(recording) {
  const res = await fetch(recording.events_url || sidecarUrl(recording.url), { cache: "no-store" });
  if (!res.ok) return [];
  const events = [];
  for (const line of (await res.text()).split("\n")) {
    if (!line.trim()) continue;
    try {
      const event = JSON.parse(line);
      if (typeof event?.t === "number" && typeof event.kind === "string") events.push(event);
    } catch {
      // a torn last line while the show is still being written: skip it
    }
  }
  return events.sort((a, b) => a.t - b.t);
}
