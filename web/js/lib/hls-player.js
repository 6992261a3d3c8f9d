// The HLS player, for when WHEP is full (503) or the page has ?hls: Safari plays the
// playlist natively, other browsers through hls.js (fetched only when needed).
// Same face as the WHEP Player: want(on), state + "state" events, stats().
// The replay uses it too, on the show's vod.m3u8 ({vod: true}: no low-latency mode, no
// autoplay), when the browser cannot play the recording's file (Safari and .mkv).

const HLS_JS = "/vendor/hls.js/hls.min.mjs";

export function nativeHls(video) {
  // Safari (macOS, iOS) plays HLS by itself; Chromium may claim to but hls.js does LL-HLS
  const safari = /^((?!chrome|chromium|android|crios|fxios|edg).)*safari/i.test(navigator.userAgent);
  return safari && video.canPlayType("application/vnd.apple.mpegurl") !== "";
}

// what a recording file is, for canPlayType: the recorder writes VP8 + Opus as .webm and
// H.264 + Opus as .mkv (Chromium answers "probably" for the Matroska type below, Safari "")
const RECORDING_TYPES = {
  webm: 'video/webm; codecs="vp8, opus"',
  mkv: 'video/x-matroska; codecs="avc1.42E01F, opus"',
};

export function recordingType(url) {
  const ext = /\.([a-z0-9]+)(?:[?#]|$)/i.exec(String(url))?.[1]?.toLowerCase();
  return RECORDING_TYPES[ext] || "";
}

/** Can this browser play the recording file at `url`? (An unknown type: let it try.) */
export function canPlayRecording(video, url) {
  const type = recordingType(url);
  return !type || video.canPlayType(type) !== "";
}

export class HlsPlayer extends EventTarget {
  constructor(show, video, { vod = false } = {}) {
    super();
    this.show = show;
    this.video = video;
    this.vod = vod;
    this.url = `/hls/${encodeURIComponent(show)}/${vod ? "vod" : "index"}.m3u8`;
    this.wanted = false;
    this.state = "idle"; // idle | connecting | playing | reconnecting
    this.engine = null; // "native" | "hls.js"
    this.hls = null;
    this.attempt = 0;
    this.retryTimer = null;
    this.onPlaying = () => this.wanted && this.setState("playing");
    this.onError = () => this.retry();
  }

  setState(state) {
    if (state === this.state) return;
    this.state = state;
    this.dispatchEvent(new CustomEvent("state", { detail: state }));
  }

  want(on) {
    if (on === this.wanted) return;
    this.wanted = on;
    if (on) this.connect();
    else this.stop();
  }

  async connect() {
    clearTimeout(this.retryTimer);
    if (!this.wanted) return;
    this.teardown();
    this.setState(this.attempt ? "reconnecting" : "connecting");
    // a show without HLS (not live yet, or VP8): tell the page, which may go back to WHEP
    const probe = await fetch(this.url, { cache: "no-store" }).catch(() => null);
    if (!this.wanted) return;
    if (!probe || probe.status !== 200) {
      if (probe && probe.status === 404) this.dispatchEvent(new CustomEvent("unavailable"));
      this.retry();
      return;
    }
    const video = this.video;
    video.srcObject = null;
    video.addEventListener("playing", this.onPlaying);
    let native = nativeHls(video);
    let Hls = null;
    if (!native) {
      try {
        ({ default: Hls } = await import(HLS_JS));
      } catch (err) {
        console.warn("hls.js did not load:", err.message);
        this.retry();
        return;
      }
      if (!this.wanted) return;
      // no MSE (Chrome or Firefox on an older iPhone): WebKit plays HLS by itself
      native = !Hls.isSupported() && video.canPlayType("application/vnd.apple.mpegurl") !== "";
    }
    if (native) {
      this.engine = "native";
      video.addEventListener("error", this.onError);
      video.src = this.url;
      if (!this.vod) video.play().catch(() => {});
      return;
    }
    if (!Hls.isSupported()) {
      console.warn("this browser has neither MSE nor native HLS");
      this.retry();
      return;
    }
    this.engine = "hls.js";
    const hls = new Hls(
      this.vod
        ? { lowLatencyMode: false, enableWorker: false }
        : { lowLatencyMode: true, enableWorker: false, backBufferLength: 30 },
    );
    this.hls = hls;
    if (!this.vod) hls.on(Hls.Events.MANIFEST_PARSED, () => video.play().catch(() => {}));
    hls.on(Hls.Events.ERROR, (_event, data) => {
      if (!data.fatal || hls !== this.hls) return;
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
      else this.retry();
    });
    hls.loadSource(this.url);
    hls.attachMedia(video);
  }

  retry() {
    if (!this.wanted) return;
    this.attempt += 1;
    this.setState("reconnecting");
    const delay = Math.min(5000, 500 * 2 ** Math.min(this.attempt, 4));
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  teardown() {
    const video = this.video;
    video.removeEventListener("playing", this.onPlaying);
    video.removeEventListener("error", this.onError);
    if (this.hls) {
      this.hls.destroy();
      this.hls = null;
    }
    if (this.engine === "native") {
      video.removeAttribute("src");
      video.load();
    }
    this.engine = null;
  }

  async stop() {
    clearTimeout(this.retryTimer);
    this.attempt = 0;
    this.teardown();
    this.setState("idle");
  }

  /** Video figures like the WHEP player's (framesDecoded, width, height) or null. */
  async stats() {
    if (!this.engine || !this.video.getVideoPlaybackQuality) return null;
    const quality = this.video.getVideoPlaybackQuality();
    return {
      framesDecoded: quality.totalVideoFrames - quality.droppedVideoFrames,
      width: this.video.videoWidth,
      height: this.video.videoHeight,
      bytes: 0,
    };
  }
}
