// A product's photos as a swipeable strip (CSS scroll-snap): one photo per screen, dots and
// "1 / 3" that follow the swipe, dots that jump, arrow keys on the focused strip. Only the
// first photo loads at once; the others load when they come near (loading="lazy").
import { h } from "./dom.js";
import { t } from "./i18n.js";
import { thumbOf } from "./photos.js";

const PLACEHOLDER = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4"><rect width="4" height="4" fill="#ddd"/></svg>',
);

/** The photos of a product: `images`, else its one `image`. */
export function productPhotos(product) {
  const list = Array.isArray(product.images) && product.images.length ? product.images : [product.image];
  return [...new Set(list.filter(Boolean))];
}

/** A photo that shows its thumbnail while the full one loads, and a grey box if both fail. */
function photo(url, alt, { eager = false } = {}) {
  const img = h("img", {
    src: url,
    alt,
    loading: eager ? "eager" : "lazy",
    decoding: "async",
    draggable: "false",
  });
  const thumb = thumbOf(url);
  if (thumb !== url) img.style.setProperty("background-image", `url("${thumb}")`);
  img.addEventListener("error", () => (img.src = PLACEHOLDER), { once: true });
  return img;
}

/** The carousel element for `product` (name for the labels). */
export function gallery(product) {
  const urls = productPhotos(product);
  const total = Math.max(1, urls.length);
  const name = product.name || "";
  const slides = h(
    "ul",
    { class: "slides", tabindex: urls.length > 1 ? "0" : null, "aria-label": t("watch.photos", { name }) },
    (urls.length ? urls : [PLACEHOLDER]).map((url, i) =>
      h(
        "li",
        { class: "slide", "aria-label": t("watch.photo_n", { n: i + 1, total }) },
        photo(url, total > 1 ? `${name} · ${i + 1}/${total}` : name, { eager: i === 0 }),
      ),
    ),
  );
  const count = h("span", { class: "slide-count", "aria-hidden": "true" }, `1 / ${total}`);
  const dots = h(
    "div",
    { class: "dots", role: "group", "aria-label": t("watch.photos", { name }) },
    urls.length > 1
      ? urls.map((_, i) =>
          h("button", {
            type: "button",
            class: "dot",
            "aria-label": t("watch.photo_show", { n: i + 1, total }),
            "aria-current": i === 0 ? "true" : null,
            onclick: () => go(i),
          }),
        )
      : null,
  );
  const status = h("p", { class: "visually-hidden", "aria-live": "polite" });
  const root = h(
    "section",
    { class: "gallery", "aria-roledescription": "carousel", "aria-label": t("watch.photos", { name }) },
    slides,
    total > 1 ? count : null,
    total > 1 ? dots : null,
    status,
  );
  root.dataset.index = "0";

  function current() {
    const width = slides.clientWidth || 1;
    return Math.max(0, Math.min(total - 1, Math.round(slides.scrollLeft / width)));
  }
  function go(i) {
    slides.scrollTo({ left: i * slides.clientWidth, behavior: matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth" });
  }
  let frame = 0;
  function sync() {
    frame = 0;
    const i = current();
    if (root.dataset.index === String(i)) return;
    root.dataset.index = String(i);
    count.textContent = `${i + 1} / ${total}`;
    [...dots.children].forEach((dot, j) => (j === i ? dot.setAttribute("aria-current", "true") : dot.removeAttribute("aria-current")));
    status.textContent = t("watch.photo_n", { n: i + 1, total });
  }
  slides.addEventListener("scroll", () => {
    if (!frame) frame = requestAnimationFrame(sync);
  }, { passive: true });
  slides.addEventListener("keydown", (event) => {
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
    event.preventDefault();
    const step = event.key === "ArrowRight" ? 1 : -1;
    go(Math.max(0, Math.min(total - 1, current() + step)));
  });
  return root;
}

/** Detail photos (상세페이지), one under the other, each loaded when near. */
export function detailPhotos(urls, name) {
  if (!urls?.length) return null;
  return h(
    "div",
    { class: "detail-photos" },
    urls.map((url, i) => photo(url, t("watch.detail_photo", { name, n: i + 1 }))),
  );
}
