// The WHEP player: plays while wanted, reconnects by itself (backoff) when the connection drops.
import { play } from "./webrtc.js";

export class Player extends EventTarget {
  constructor(show, video) {
    super();
    this.show = show;
    this.video = video;
    this.session = null;
    this.wanted = false;
    this.state = "idle"; // idle | connecting | playing | reconnecting
    this.attempt = 0;
    this.retryTimer = null;
    this.dropTimer = null;
  }

  setState(state) {
    if (state === this.state) return;
    this.state = state;
    this.dispatchEvent(new CustomEvent("state", { detail: state }));
  }

  /** Start (true) or stop (false) playing; idempotent. */
  want(on) {
    if (on === this.wanted) return;
    this.wanted = on;
    if (on) this.connect();
    else this.stop();
  }

  async connect() {
    clearTimeout(this.retryTimer);
    if (!this.wanted) return;
    await this.drop();
    this.setState(this.attempt ? "reconnecting" : "connecting");
    try {
      const session = await play(this.show, this.video);
      if (!this.wanted) return session.stop();
      this.session = session;
      session.pc.addEventListener("connectionstatechange", () => this.watch(session));
      this.watch(session);
    } catch (err) {
      console.warn("WHEP connect failed:", err.message);
      // the server has as many WHEP viewers as it takes: the page may play HLS instead
      if (err.status === 503) this.dispatchEvent(new CustomEvent("capacity"));
      this.retry();
    }
  }

  watch(session) {
    if (session !== this.session) return;
    const state = session.pc.connectionState;
    clearTimeout(this.dropTimer);
    if (state === "connected") {
      this.attempt = 0;
      this.setState("playing");
      this.video.play().catch(() => {});
    } else if (state === "failed" || state === "closed") {
      this.retry();
    } else if (state === "disconnected") {
      this.setState("reconnecting");
      this.dropTimer = setTimeout(() => this.retry(), 3000); // ICE may come back by itself
    }
  }

  retry() {
    if (!this.wanted) return;
    this.attempt += 1;
    this.setState("reconnecting");
    const delay = Math.min(5000, 500 * 2 ** Math.min(this.attempt, 4));
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  async drop() {
    const session = this.session;
    this.session = null;
    if (session) await session.stop().catch(() => {});
  }

  async stop() {
    clearTimeout(this.retryTimer);
    clearTimeout(this.dropTimer);
    this.attempt = 0;
    await this.drop();
    this.setState("idle");
  }

  /** Incoming video figures (framesDecoded, width, height, kbps) or null. */
  async stats() {
    if (!this.session) return null;
    const report = await this.session.pc.getStats();
    let out = null;
    report.forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "video") {
        out = {
          framesDecoded: s.framesDecoded || 0,
          width: s.frameWidth || 0,
          height: s.frameHeight || 0,
          bytes: s.bytesReceived || 0,
        };
      }
    });
    return out;
  }
}
