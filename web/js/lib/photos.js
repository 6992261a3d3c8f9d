// Photos for the console: drop them on the box, pick them from the gallery, or take one
// with the phone's camera. Each file goes to POST /api/uploads at once; the list keeps
// the addresses the server answers (/media/<hash>.webp), the first one being the main photo.
import { uploadPhoto } from "./console-api.js";
import { h, toast } from "./dom.js";
import { t } from "./i18n.js";

const TYPES = ["image/jpeg", "image/png", "image/webp"];
const MAX_BYTES = 10 * 1024 * 1024;
let counter = 0;

/** The thumbnail of an uploaded photo (the server makes one beside it). */
export function thumbOf(url) {
  return /^\/media\/[0-9a-f]{32}\.webp$/.test(url) ? url.replace(/\.webp$/, "-thumb.webp") : url;
}

/** Why a file cannot go up, in words, or "" when it can. */
export function refusal(file) {
  if (file.type && !TYPES.includes(file.type)) return t("photos.bad_type", { name: file.name });
  if (file.size > MAX_BYTES) return t("photos.too_big", { name: file.name });
  return "";
}

export function uploadErrorText(err) {
  if (err.status === 415) return t("photos.not_image");
  if (err.code === "too_many_uploads") return t("photos.too_many_today");
  if (err.status === 413) return t("photos.too_big_server");
  if (err.code === "network") return t("error.network");
  return err.message || t("error.other", { code: err.code });
}

export class PhotoList {
  /** `max` photos at most; `single` for one photo (a cover); onChange(urls) after each change. */
  constructor({ key, max = 10, single = false, label, onChange, name = "photos" } = {}) {
    this.key = key;
    this.max = single ? 1 : max;
    this.single = single;
    this.urls = [];
    this.busy = 0;
    this.onChange = onChange;
    const id = `${name}-${(counter += 1)}`;
    this.grid = h("ul", { class: "photo-grid", "aria-label": label });
    this.status = h("p", { class: "photo-status muted", role: "status", "aria-live": "polite" });
    this.pick = h("input", {
      type: "file",
      id: `${id}-pick`,
      accept: "image/jpeg,image/png,image/webp",
      class: "visually-hidden",
      multiple: !single,
      "data-role": "pick",
    });
    this.camera = h("input", {
      type: "file",
      id: `${id}-camera`,
      accept: "image/*",
      capture: "environment",
      class: "visually-hidden",
      "data-role": "camera",
    });
    for (const input of [this.pick, this.camera]) {
      input.addEventListener("change", () => {
        this.add([...input.files]);
        input.value = "";
      });
    }
    this.drop = h(
      "div",
      { class: "drop-zone", "data-role": "drop" },
      h("p", { class: "drop-hint" }, t(single ? "photos.drop_one" : "photos.drop", { n: this.max })),
      h(
        "div",
        { class: "row" },
        h("label", { class: "btn btn-small", for: this.pick.id }, t("photos.choose")),
        h("label", { class: "btn btn-small", for: this.camera.id }, t("photos.camera")),
      ),
      this.pick,
      this.camera,
    );
    this.drop.addEventListener("dragover", (event) => {
      event.preventDefault();
      this.drop.classList.add("over");
    });
    this.drop.addEventListener("dragleave", () => this.drop.classList.remove("over"));
    this.drop.addEventListener("drop", (event) => {
      event.preventDefault();
      this.drop.classList.remove("over");
      this.add([...(event.dataTransfer?.files || [])]);
    });
    this.element = h("div", { class: "photos" }, this.grid, this.drop, this.status);
    this.render();
  }

  set(urls) {
    this.urls = [...(urls || [])].slice(0, this.max);
    this.render();
  }

  value() {
    return [...this.urls];
  }

  changed() {
    this.render();
    this.onChange?.(this.value());
  }

  async add(files) {
    const room = this.single ? 1 : this.max - this.urls.length - this.busy;
    if (!files.length) return;
    if (room <= 0) {
      toast(t("photos.full", { n: this.max }), { kind: "error" });
      return;
    }
    for (const file of files.slice(0, room)) {
      const why = refusal(file);
      if (why) {
        toast(why, { kind: "error", ms: 6000 });
        continue;
      }
      this.busy += 1;
      this.render();
      try {
        const uploaded = await uploadPhoto(file, this.key);
        if (this.single) this.urls = [uploaded.url];
        else this.urls.push(uploaded.url);
        this.busy -= 1;
        this.changed();
      } catch (err) {
        this.busy -= 1;
        this.render();
        toast(`${file.name}: ${uploadErrorText(err)}`, { kind: "error", ms: 7000 });
      }
    }
    if (files.length > room) toast(t("photos.full", { n: this.max }), { kind: "error" });
  }

  render() {
    const tiles = this.urls.map((url, i) =>
      h(
        "li",
        { class: `photo${i === 0 && !this.single ? " main" : ""}` },
        h("img", { src: thumbOf(url), alt: t("photos.alt", { n: i + 1 }), loading: "lazy" }),
        i === 0 && !this.single ? h("span", { class: "photo-badge" }, t("photos.main")) : null,
        h(
          "div",
          { class: "photo-actions" },
          i > 0
            ? h(
                "button",
                {
                  type: "button",
                  class: "btn-mini",
                  onclick: () => {
                    this.urls.splice(i, 1);
                    this.urls.unshift(url);
                    this.changed();
                  },
                },
                t("photos.make_main"),
              )
            : null,
          h(
            "button",
            {
              type: "button",
              class: "btn-mini",
              "aria-label": t("photos.remove_n", { n: i + 1 }),
              onclick: () => {
                this.urls.splice(i, 1);
                this.changed();
              },
            },
            t("photos.remove"),
          ),
        ),
      ),
    );
    for (let i = 0; i < this.busy; i += 1) tiles.push(h("li", { class: "photo uploading" }, t("photos.uploading")));
    this.grid.replaceChildren(...tiles);
    this.grid.hidden = !tiles.length;
    this.status.textContent = this.busy ? t("photos.uploading") : "";
    this.drop.hidden = !this.single && this.urls.length + this.busy >= this.max;
  }
}
