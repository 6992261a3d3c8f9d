// WHIP (RFC 9725) publish and WHEP play, without trickle ICE: the offer is POSTed once ICE
// gathering is complete, the answer carries the server's candidates, DELETE ends the session.

export class WhipError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || `http_${status}`;
    this.retryAfter = retryAfter;
  }
}

/** ICE servers from `Link: <stun:…>; rel="ice-server"` headers (RFC 9725 §4.6). */
export function parseIceServers(link) {
  const servers = [];
  if (!link) return servers;
  for (const part of link.split(/,(?=\s*<)/)) {
    const match = part.match(/<([^>]+)>(.*)/);
    if (!match || !/rel="?ice-server"?/i.test(match[2])) continue;
    const server = { urls: match[1] };
    const user = match[2].match(/username="([^"]*)"/i);
    const cred = match[2].match(/credential="([^"]*)"/i);
    if (user) server.username = user[1];
    if (cred) server.credential = cred[1];
    servers.push(server);
  }
  return servers;
}

/** The ICE servers the server hands out (OPTIONS Link headers); none on loopback by default. */
async function iceServersFor(url, headers) {
  try {
    const res = await fetch(url, { method: "OPTIONS", headers });
    return parseIceServers(res.headers.get("Link"));
  } catch {
    return [];
  }
}

export function waitIceComplete(pc, ms = 5000) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener("icegatheringstatechange", check);
      resolve();
    };
    const check = () => pc.iceGatheringState === "complete" && done();
    const timer = setTimeout(done, ms); // send what we have rather than hang
    pc.addEventListener("icegatheringstatechange", check);
  });
}

async function exchange(url, pc, headers) {
  await pc.setLocalDescription(await pc.createOffer());
  await waitIceComplete(pc);
  let res;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { ...headers, "Content-Type": "application/sdp" },
      body: pc.localDescription.sdp,
    });
  } catch (err) {
    throw new WhipError(0, "network", err.message); // the server is down or unreachable
  }
  if (res.status !== 201) {
    let code;
    let message = await res.text().catch(() => "");
    try {
      const data = JSON.parse(message);
      code = data.error;
      message = data.message;
    } catch {
      // a plain-text error body
    }
    throw new WhipError(res.status, code, message, res.headers.get("Retry-After"));
  }
  const location = new URL(res.headers.get("Location"), url).href;
  await pc.setRemoteDescription({ type: "answer", sdp: await res.text() });
  return location;
}

class Session {
  constructor(pc, location, headers) {
    this.pc = pc;
    this.location = location;
    this.headers = headers;
    this.closed = false;
  }

  /** The session id (the last segment of the Location). */
  get id() {
    return new URL(this.location).pathname.split("/").pop();
  }

  /** Close without DELETE: the server already dropped (or replaced) this session. */
  abandon() {
    this.closed = true;
    this.pc.close();
  }

  /** DELETE the session (ends a WHIP broadcast) and close the peer connection. */
  async stop() {
    if (this.closed) return;
    this.closed = true;
    try {
      await fetch(this.location, { method: "DELETE", headers: this.headers });
    } finally {
      this.pc.close();
    }
  }
}

/** H.264 first when the browser sends it (constrained baseline, packetization-mode 1
 * first): the server then also packages the show as HLS for mass audiences (it forwards
 * the host's frames as they are, and HLS players decode H.264 everywhere). */
export function h264First(codecs) {
  const rank = (c) => {
    if (!/^video\/h264$/i.test(c.mimeType)) return 3;
    const fmtp = c.sdpFmtpLine || "";
    const mode1 = /packetization-mode=1/.test(fmtp);
    const baseline = /profile-level-id=42e0/i.test(fmtp);
    return mode1 && baseline ? 0 : mode1 ? 1 : 2;
  };
  return [...codecs].sort((a, b) => rank(a) - rank(b));
}

function preferH264(transceiver) {
  if (!transceiver.setCodecPreferences || !RTCRtpSender.getCapabilities) return;
  const codecs = RTCRtpSender.getCapabilities("video")?.codecs || [];
  if (!codecs.some((c) => /^video\/h264$/i.test(c.mimeType))) return; // VP8 then
  try {
    transceiver.setCodecPreferences(h264First(codecs));
  } catch (err) {
    console.warn("keeping the browser's codec order:", err.message);
  }
}

/** Publish a MediaStream to /whip/{show} with the host key (`rehearsal`: privately). */
export async function publish(show, key, stream, { rehearsal = false } = {}) {
  const path = `/whip/${encodeURIComponent(show)}${rehearsal ? "?rehearsal=1" : ""}`;
  const url = new URL(path, location.href).href;
  const headers = { Authorization: `Bearer ${key}` };
  const pc = new RTCPeerConnection({ iceServers: await iceServersFor(url, headers) });
  try {
    for (const track of stream.getTracks()) {
      const transceiver = pc.addTransceiver(track, { direction: "sendonly", streams: [stream] });
      if (track.kind === "video") preferH264(transceiver);
    }
    return new Session(pc, await exchange(url, pc, headers), headers);
  } catch (err) {
    pc.close();
    throw err;
  }
}

/** Play /whep/{show} into a <video>; returns the session (its pc for stats and state).
 * With the host `key`, the studio's preview also sees a private rehearsal. */
export async function play(show, video, { key } = {}) {
  const url = new URL(`/whep/${encodeURIComponent(show)}`, location.href).href;
  const headers = key ? { Authorization: `Bearer ${key}` } : {};
  const pc = new RTCPeerConnection({ iceServers: await iceServersFor(url, {}) });
  const stream = new MediaStream();
  pc.addTransceiver("video", { direction: "recvonly" });
  pc.addTransceiver("audio", { direction: "recvonly" });
  pc.addEventListener("track", (event) => {
    stream.addTrack(event.track);
    if (video.srcObject !== stream) video.srcObject = stream;
  });
  try {
    return new Session(pc, await exchange(url, pc, headers), headers);
  } catch (err) {
    pc.close();
    throw err;
  }
}

/** Outgoing (or incoming) video figures: {kbps, width, height, framesDecoded, fps}. */
export function statsMeter(pc, direction = "outbound") {
  let last = null;
  return async () => {
    const report = await pc.getStats();
    let bytes = 0;
    const out = { kbps: 0, width: 0, height: 0, framesDecoded: 0, fps: 0 };
    report.forEach((s) => {
      if (s.type !== `${direction}-rtp`) return;
      bytes += (direction === "outbound" ? s.bytesSent : s.bytesReceived) || 0;
      if (s.kind === "video") {
        out.width = s.frameWidth || out.width;
        out.height = s.frameHeight || out.height;
        out.fps = s.framesPerSecond || out.fps;
        out.framesDecoded = s.framesDecoded || out.framesDecoded;
      }
    });
    const now = performance.now();
    if (last && now > last.at) out.kbps = Math.max(0, ((bytes - last.bytes) * 8) / (now - last.at));
    last = { bytes, at: now };
    return out;
  };
}
