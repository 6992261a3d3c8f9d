// The show report (GET /api/shows/{show}/report) as figures, per-minute charts, revenue by
// product and the best minutes. Used by the console; the studio can show the same after a show:
//   import { reportView } from "./lib/report-view.js";
//   container.replaceChildren(reportView(report, { onCsv }));
import { h } from "./dom.js";
import { formatTime, t } from "./i18n.js";
import { formatMoney, formatNumber } from "./money.js";
import { drawSeries } from "./series-chart.js";

function duration(seconds) {
  const s = Math.round(seconds || 0);
  if (s < 60) return t("report.seconds", { n: s });
  return t("report.minutes_seconds", { m: Math.floor(s / 60), s: s % 60 });
}

function figure(label, value, hint) {
  return h(
    "div",
    { class: "figure" },
    h("span", { class: "figure-label" }, label),
    h("strong", { class: "figure-value" }, value),
    hint ? h("span", { class: "figure-hint muted" }, hint) : null,
  );
}

function chart(title, minutes, field, kind, color, format = formatNumber) {
  const canvas = h("canvas", { class: "chart", role: "img", "aria-label": title, "data-field": field });
  const values = minutes.map((m) => m[field] || 0);
  const first = minutes.length ? formatTime(Date.parse(minutes[0].t)) : "";
  const last = minutes.length ? formatTime(Date.parse(minutes[minutes.length - 1].t)) : "";
  const draw = () => canvas.isConnected && drawSeries(canvas, values, { kind, color, first, last, format });
  requestAnimationFrame(draw);
  new ResizeObserver(draw).observe(canvas);
  return h("figure", { class: "chart-box" }, h("figcaption", {}, title), canvas);
}

/** The report as an element; `onCsv` (optional) adds the CSV download button. */
export function reportView(report, { onCsv } = {}) {
  const money = (n) => formatMoney(n, report.currency);
  const minutes = report.minutes || [];
  const figures = h(
    "div",
    { class: "figures" },
    figure(t("report.peak"), formatNumber(report.peak_viewers)),
    figure(t("report.unique"), formatNumber(report.unique_viewers)),
    figure(t("report.watch"), duration(report.avg_watch_seconds)),
    figure(t("report.buyers"), formatNumber(report.buyers)),
    figure(t("report.conversion"), `${(report.conversion * 100).toFixed(1)}%`, t("report.conversion_hint")),
    figure(t("report.units"), formatNumber(report.units)),
    figure(t("report.revenue"), money(report.revenue)),
  );
  const charts = minutes.length
    ? h(
        "div",
        { class: "charts" },
        chart(t("report.chart.viewers"), minutes, "viewers", "line", "#1f3a93"),
        chart(t("report.chart.revenue"), minutes, "revenue", "bar", "#e0004d", money),
        chart(t("report.chart.chat"), minutes, "chat", "bar", "#0a7d38"),
        chart(t("report.chart.hearts"), minutes, "hearts", "bar", "#ff4d00"),
      )
    : h("p", { class: "muted" }, t("report.no_minutes"));
  const products = h(
    "table",
    { class: "report-table" },
    h(
      "thead",
      {},
      h("tr", {}, h("th", {}, t("report.product")), h("th", { class: "num" }, t("report.units")), h("th", { class: "num" }, t("report.revenue"))),
    ),
    h(
      "tbody",
      {},
      (report.by_product || []).map((p) =>
        h("tr", {}, h("td", {}, p.name), h("td", { class: "num" }, formatNumber(p.units)), h("td", { class: "num" }, money(p.revenue))),
      ),
    ),
  );
  const best = (report.best_minutes || []).length
    ? h(
        "ol",
        { class: "best-minutes" },
        report.best_minutes.map((m) =>
          h(
            "li",
            {},
            h("strong", {}, formatTime(Date.parse(m.t))),
            " ",
            t("report.best_line", {
              revenue: money(m.revenue),
              units: formatNumber(m.units),
              chat: formatNumber(m.chat),
              hearts: formatNumber(m.hearts),
            }),
          ),
        ),
      )
    : h("p", { class: "muted" }, t("report.no_best"));
  return h(
    "div",
    { class: "report" },
    figures,
    charts,
    h("h3", {}, t("report.by_product")),
    products,
    h("h3", {}, t("report.best")),
    best,
    h(
      "div",
      { class: "row report-actions" },
      onCsv ? h("button", { type: "button", class: "btn btn-small", onclick: onCsv }, t("report.csv")) : null,
      report.replay_url ? h("a", { class: "btn btn-small", href: report.replay_url }, t("report.replay")) : null,
    ),
  );
}
