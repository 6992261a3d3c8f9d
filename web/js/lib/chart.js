// A small bar chart on a canvas: units sold per minute, the last `minutes` minutes.
import { t } from "./i18n.js";

export class PerMinute {
  constructor(canvas, { minutes = 15 } = {}) {
    this.canvas = canvas;
    this.minutes = minutes;
    this.buckets = new Map(); // minute index (epoch minutes) -> units
    this.last = null; // last known total
  }

  /** Record the show's total units sold; the increase lands in the current minute. */
  total(units, now = Date.now()) {
    if (this.last !== null && units > this.last) {
      const minute = Math.floor(now / 60000);
      this.buckets.set(minute, (this.buckets.get(minute) || 0) + (units - this.last));
    }
    this.last = units;
    this.draw(now);
  }

  series(now = Date.now()) {
    const current = Math.floor(now / 60000);
    const out = [];
    for (let m = current - this.minutes + 1; m <= current; m += 1) out.push(this.buckets.get(m) || 0);
    return out;
  }

  draw(now = Date.now()) {
    const canvas = this.canvas;
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || 300;
    const height = canvas.clientHeight || 110;
    if (canvas.width !== Math.round(width * ratio)) canvas.width = Math.round(width * ratio);
    if (canvas.height !== Math.round(height * ratio)) canvas.height = Math.round(height * ratio);
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const data = this.series(now);
    const max = Math.max(4, ...data);
    const pad = 18;
    const gap = 3;
    const bar = (width - gap * (data.length - 1)) / data.length;
    ctx.font = "11px system-ui, sans-serif";
    ctx.fillStyle = "#e2e2e8";
    ctx.fillRect(0, height - pad, width, 1);
    data.forEach((units, i) => {
      const barHeight = ((height - pad - 14) * units) / max;
      const x = i * (bar + gap);
      ctx.fillStyle = i === data.length - 1 ? "#e0004d" : "#ff8fb3";
      ctx.fillRect(x, height - pad - barHeight, bar, barHeight);
      if (units) {
        ctx.fillStyle = "#16161a";
        ctx.textAlign = "center";
        ctx.fillText(String(units), x + bar / 2, height - pad - barHeight - 3);
      }
    });
    ctx.fillStyle = "#575763";
    ctx.textAlign = "left";
    ctx.fillText(`-${this.minutes - 1}m`, 0, height - 4);
    ctx.textAlign = "right";
    ctx.fillText(t("studio.now"), width, height - 4);
    this.canvas.dataset.series = data.join(",");
  }
}
