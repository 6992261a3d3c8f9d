// A sale event (/events/{event}): banner, live now, the day's schedule as a timeline,
// upcoming shows with countdowns and 알림 받기 (an .ics file, and a browser notification
// while the page is open), replays, and the sellers' business details. Times are shown in
// the viewer's own time zone.
import "./lib/strings-events.js";
import { sellersFooter } from "./lib/business.js";
import { calendarUrl, getEvent } from "./lib/console-api.js";
import { $, fill, h, toast } from "./lib/dom.js";
import { initI18n, t } from "./lib/i18n.js";
import { showCard, showHref } from "./lib/show-card.js";
import { formatClockTime, formatDay, formatStart, localDay, splitDuration } from "./lib/zone-time.js";

initI18n();
const eventId = decodeURIComponent(location.pathname.split("/")[2] || "");
const REMINDERS = "livecast.reminders";
let event = null;
let day = null; // the local day the timeline shows
const timers = new Map(); // show id -> notification timer

function reminders() {
  try {
    return new Set(JSON.parse(localStorage.getItem(REMINDERS) || "[]"));
  } catch {
    return new Set();
  }
}

function saveReminders(set) {
  localStorage.setItem(REMINDERS, JSON.stringify([...set].slice(-200)));
}

function countdownText(iso) {
  const left = Date.parse(iso) - Date.now();
  if (left <= 60_000) return t("events.soon");
  const { d, h: hh, m, s } = splitDuration(left);
  const time = d ? t("events.dhm", { d, h: hh, m }) : hh ? t("events.hms", { h: hh, m, s }) : t("events.ms", { m, s });
  return t("events.in", { time });
}

/** Notify when the show starts, while this page stays open. */
function arm(show) {
  if (timers.has(show.id) || !("Notification" in window) || Notification.permission !== "granted") return;
  const wait = Date.parse(show.starts_at) - Date.now();
  if (!(wait > 0) || wait > 2 ** 31 - 1) return;
  timers.set(
    show.id,
    setTimeout(() => {
      const note = new Notification(t("events.notify_title", { title: show.title }), {
        body: t("events.notify_body"),
        tag: `livecast-${show.id}`,
      });
      note.onclick = () => {
        window.focus();
        location.href = showHref({ ...show, status: "live" });
      };
    }, wait),
  );
}

async function remind(show, button) {
  const link = h("a", { href: calendarUrl(show.id), download: `${show.id}.ics`, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  const set = reminders();
  set.add(show.id);
  saveReminders(set);
  let granted = false;
  if ("Notification" in window) {
    granted = Notification.permission === "granted" || (await Notification.requestPermission()) === "granted";
  }
  if (granted) arm(show);
  button.setAttribute("aria-pressed", "true");
  button.textContent = t("events.reminded");
  toast(t(granted ? "events.remind_done" : "events.remind_denied"), { kind: "ok", ms: 5000 });
}

function remindButton(show) {
  const on = reminders().has(show.id);
  const button = h(
    "button",
    {
      type: "button",
      class: "btn btn-small remind",
      "aria-pressed": on ? "true" : "false",
      "aria-label": t("events.remind_label", { title: show.title }),
      "data-remind": show.id,
    },
    t(on ? "events.reminded" : "events.remind"),
  );
  button.addEventListener("click", () => remind(show, button));
  if (on) arm(show);
  return button;
}

function upcomingCard(show) {
  const countdown = h("span", { class: "countdown-line", "data-countdown": show.starts_at, role: "timer" }, countdownText(show.starts_at));
  return showCard(show, { extra: [countdown, remindButton(show)] });
}

function days() {
  const out = new Set(event.shows.filter((s) => s.starts_at).map((s) => localDay(s.starts_at)));
  return [...out].sort();
}

function timeline() {
  const list = days();
  if (!list.length) {
    $("#schedule-section").hidden = true;
    return;
  }
  $("#schedule-section").hidden = false;
  const today = localDay(new Date().toISOString());
  if (!list.includes(day)) day = list.includes(today) ? today : list.find((d) => d >= today) || list[0];
  fill(
    $("#days"),
    list.map((d) =>
      h(
        "button",
        {
          type: "button",
          class: "day-tab",
          role: "tab",
          "aria-selected": d === day ? "true" : "false",
          onclick: () => {
            day = d;
            timeline();
          },
        },
        formatDay(d),
      ),
    ),
  );
  const shows = event.shows.filter((s) => s.starts_at && localDay(s.starts_at) === day);
  const items = [];
  let nowShown = day !== today;
  for (const show of shows) {
    if (!nowShown && Date.parse(show.starts_at) > Date.now()) {
      items.push(h("li", { class: "now-line", "aria-hidden": "true" }, h("span", {}, `${t("events.now")} ${formatClockTime(new Date().toISOString())}`)));
      nowShown = true;
    }
    items.push(
      h(
        "li",
        { class: `slot ${show.status}`, "data-show": show.id },
        h("time", { class: "slot-time", datetime: show.starts_at }, formatClockTime(show.starts_at)),
        h(
          "div",
          { class: "slot-card" },
          h("a", { href: showHref(show) }, show.title),
          h(
            "span",
            { class: "muted" },
            show.status === "live" ? t("status.live") : show.status === "ended" ? t("events.replay") : countdownText(show.starts_at),
            show.seller ? ` · ${show.seller}` : "",
          ),
        ),
      ),
    );
  }
  fill($("#timeline"), items.length ? items : h("li", { class: "empty-day" }, t("events.schedule_empty")));
}

function render() {
  if (!event) return;
  document.title = `${event.title} · livecast`;
  const banner = $("#banner");
  banner.hidden = !event.banner;
  if (event.banner && banner.getAttribute("src") !== event.banner) banner.src = event.banner;
  $("#event-status").className = `pill pill-event-${event.status}`;
  $("#event-status").textContent = t(`events.status.${event.status}`);
  $("#event-title").textContent = event.title;
  $("#event-subtitle").textContent = event.subtitle || "";
  $("#event-subtitle").hidden = !event.subtitle;
  $("#event-period").textContent = t("events.period", { from: formatStart(event.starts_at), to: formatStart(event.ends_at) });
  const live = event.shows.filter((s) => s.status === "live");
  const upcoming = event.shows.filter((s) => s.status === "scheduled");
  const ended = event.shows.filter((s) => s.status === "ended");
  fill($("#live"), live.length ? live.map((s) => showCard(s)) : h("li", { class: "empty" }, t("events.none_live")));
  fill($("#upcoming"), upcoming.length ? upcoming.map((s) => (s.starts_at ? upcomingCard(s) : showCard(s))) : h("li", { class: "empty" }, t("events.none_upcoming")));
  fill($("#ended"), ended.map((s) => showCard(s)));
  $("#ended-section").hidden = !ended.length;
  timeline();
  fill($("#footer"), sellersFooter(event.shows));
}

async function load() {
  try {
    event = await getEvent(eventId);
    $("#load-error").hidden = true;
  } catch {
    $("#load-error").textContent = t("events.error");
    $("#load-error").hidden = false;
  }
  render();
}

function tick() {
  for (const node of document.querySelectorAll("[data-countdown]")) node.textContent = countdownText(node.dataset.countdown);
}

window.addEventListener("langchange", render);
await load();
setInterval(tick, 1000);
setInterval(load, 30000);
