// The REST calls of the seller console and the event pages (docs/sellers.md).
// Errors come back as ApiError(status, code, message) like lib/api.js.
import { ApiError } from "./api.js";

async function call(path, { method = "GET", key, body, form, as = "json" } = {}) {
  const headers = {};
  if (key) headers.Authorization = `Bearer ${key}`;
  let payload;
  if (form) payload = form;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, { method, headers, body: payload, cache: "no-store" });
  } catch (err) {
    throw new ApiError(0, "network", err.message);
  }
  const type = res.headers.get("Content-Type") || "";
  if (!res.ok) {
    const data = type.includes("json") ? await res.json().catch(() => null) : null;
    throw new ApiError(res.status, data?.error, data?.message, data);
  }
  if (as === "blob") return res.blob();
  return type.includes("json") ? res.json() : res.text();
}

const show = (id) => `/api/shows/${encodeURIComponent(id)}`;

export const me = (key) => call("/api/me", { key });
export const listShows = (sellerId) =>
  call(sellerId ? `/api/shows?seller=${encodeURIComponent(sellerId)}` : "/api/shows");
export const getShow = (id) => call(show(id));
export const showSettings = (id, key) => call(`${show(id)}/settings`, { key });
export const createShow = (key, body) => call("/api/shows", { method: "POST", key, body });
export const patchShow = (id, key, body) => call(show(id), { method: "PATCH", key, body });
export const addProduct = (id, key, body) => call(`${show(id)}/products`, { method: "POST", key, body });
export const patchProduct = (id, sku, key, body) =>
  call(`${show(id)}/products/${encodeURIComponent(sku)}`, { method: "PATCH", key, body });
export const deleteProduct = (id, sku, key) =>
  call(`${show(id)}/products/${encodeURIComponent(sku)}`, { method: "DELETE", key });
export const rotateKey = (id, role, key) => call(`${show(id)}/keys/${role}`, { method: "POST", key });
export const getReport = (id, key) => call(`${show(id)}/report`, { key });
export const reportCsv = (id, key) => call(`${show(id)}/report?format=csv`, { key, as: "blob" });
export const calendarUrl = (id) => `${show(id)}/calendar.ics`;

export const listSellers = (key) => call("/api/sellers", { key });
export const createSeller = (key, body) => call("/api/sellers", { method: "POST", key, body });
export const rotateSellerKey = (id, key) =>
  call(`/api/sellers/${encodeURIComponent(id)}/key`, { method: "POST", key });

export const listEvents = () => call("/api/events");
export const getEvent = (id) => call(`/api/events/${encodeURIComponent(id)}`);
export const createEvent = (key, body) => call("/api/events", { method: "POST", key, body });

/** Upload one photo: {url, thumb, width, height}. */
export function uploadPhoto(file, key) {
  const form = new FormData();
  form.append("file", file, file.name || "photo");
  return call("/api/uploads", { method: "POST", key, form });
}

/** A QR code (SVG) for a link of this server, as an object URL (POST: keys stay out of URLs). */
export async function qrUrl(text) {
  const blob = await call("/api/qr", { method: "POST", body: { text }, as: "blob" });
  return URL.createObjectURL(blob);
}
