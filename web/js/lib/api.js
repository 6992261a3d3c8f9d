// The REST API of contract.md. Errors come back as ApiError(status, code, message).

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || `http_${status}`;
  }
}

async function request(path, { method = "GET", key, body } = {}) {
  const headers = {};
  if (key) headers.Authorization = `Bearer ${key}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
  });
  const type = res.headers.get("Content-Type") || "";
  const data = type.includes("json") ? await res.json().catch(() => null) : null;
  if (!res.ok) throw new ApiError(res.status, data?.error, data?.message);
  return data;
}

const showPath = (show) => `/api/shows/${encodeURIComponent(show)}`;

export const listShows = () => request("/api/shows");
export const getShow = (show) => request(showPath(show));
export const getSales = (show, key) => request(`${showPath(show)}/sales`, { key });
export const getRecordings = (show) => request(`${showPath(show)}/recordings`);

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
