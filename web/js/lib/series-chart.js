// A small chart of one figure per minute on a canvas (bars or a line), redrawn on resize.
// The data stay on the element (data-series) so tests and screen readers' tables can read them.

export function drawSeries(canvas, values, { kind = "bar", color = "#e0004d", first = "", last = "", format = String } = {}) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 300;
  const height = canvas.clientHeight || 120;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  const pad = { top: 16, bottom: 18 };
  const plot = height - pad.top - pad.bottom;
  const max = Math.max(1, ...values);
  ctx.font = "11px system-ui, sans-serif";
  ctx.fillStyle = "#e2e2e8";
  ctx.fillRect(0, height - pad.bottom, width, 1);
  const n = Math.max(1, values.length);
  if (kind === "bar") {
    const gap = n > 40 ? 1 : 3;
    const bar = Math.max(1, (width - gap * (n - 1)) / n);
    values.forEach((v, i) => {
      const h = (plot * v) / max;
      ctx.fillStyle = color;
      ctx.fillRect(i * (bar + gap), height - pad.bottom - h, bar, h);
    });
  } else {
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    values.forEach((v, i) => {
      const x = n === 1 ? width / 2 : (i * width) / (n - 1);
      const y = height - pad.bottom - (plot * v) / max;
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    });
    ctx.stroke();
  }
  ctx.fillStyle = "#575763";
  ctx.textAlign = "left";
  ctx.fillText(format(max), 0, 11);
  ctx.fillText(first, 0, height - 4);
  ctx.textAlign = "right";
  ctx.fillText(last, width, height - 4);
  canvas.dataset.series = values.join(",");
}
