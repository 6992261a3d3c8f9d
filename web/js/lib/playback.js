// What the watch page plays: WHEP (real time), or HLS when WHEP is full (503) or the page
// has ?hls. Same face as one player (want, state, "state" events, stats) plus `mode`
// ("whep" | "hls") and a "mode" event, so the page can say which one plays.
import { HlsPlayer } from "./hls-player.js";
import { Player } from "./player.js";

export class Playback extends EventTarget {
  constructor(show, video, { hls = false } = {}) {
    super();
    this.whep = new Player(show, video);
    this.hls = new HlsPlayer(show, video);
    this.forced = hls;
    this.mode = hls ? "hls" : "whep";
    this.wanted = false;
    for (const player of [this.whep, this.hls]) {
      player.addEventListener("state", () => {
        if (player === this.active) this.dispatchEvent(new CustomEvent("state", { detail: player.state }));
      });
    }
    // WHEP at capacity: thousands can still watch over HLS
    this.whep.addEventListener("capacity", () => this.use("hls"));
    // no HLS for this show (VP8, or not packaged yet): back to WHEP, which retries
    this.hls.addEventListener("unavailable", () => this.forced || this.use("whep"));
  }

  get active() {
    return this.mode === "hls" ? this.hls : this.whep;
  }

  get state() {
    return this.active.state;
  }

  want(on) {
    this.wanted = on;
    this.active.want(on);
  }

  use(mode) {
    if (mode === this.mode) return;
    const previous = this.active;
    this.mode = mode;
    previous.want(false);
    this.active.want(this.wanted);
    this.dispatchEvent(new CustomEvent("mode", { detail: mode }));
    this.dispatchEvent(new CustomEvent("state", { detail: this.state }));
  }

  stats() {
    return this.active.stats();
  }
}
