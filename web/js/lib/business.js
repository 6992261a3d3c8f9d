// The seller's business details Korean law wants on a shop's pages (전자상거래법: 상호,
// 사업자등록번호, 통신판매업 신고번호, 주소, 전화번호), from a show's `business`.
import { h } from "./dom.js";
import { t } from "./i18n.js";

/** "상호 · 사업자등록번호 123-45-67890 · …" on one line. */
export function businessLine(b) {
  if (!b) return "";
  return [
    b.name,
    b.registration_no && `${t("business.registration_no")} ${b.registration_no}`,
    b.mail_order_no && `${t("business.mail_order_no")} ${b.mail_order_no}`,
    b.address,
    b.phone && `${t("business.phone")} ${b.phone}`,
  ]
    .filter(Boolean)
    .join(" · ");
}

/** A footer listing the sellers of these shows (each once), or null when none has details. */
export function sellersFooter(shows) {
  const seen = new Map();
  for (const show of shows) if (show.business && !seen.has(show.seller_id)) seen.set(show.seller_id, show.business);
  if (!seen.size) return null;
  return h(
    "footer",
    { class: "sellers-footer", "aria-labelledby": "sellers-footer-h" },
    h("h2", { id: "sellers-footer-h" }, t("business.footer")),
    h("ul", {}, [...seen.values()].map((b) => h("li", {}, businessLine(b)))),
    h("p", { class: "muted" }, t("business.footer_note")),
  );
}
