// A product's page: picture, price in the shopper's currency, rating with its review count,
// skin-type flags, the label with the asked-about ingredients marked, and "compare" and "order"
// (the chat's own confirm-once order and comparison table).

import { api, fillPath } from "../api.js";
import { add, h, icon, replace } from "../dom.js";
import { ENDPOINTS } from "../engines.js";
import { lang, t, tOr } from "../i18n.js";
import { comparisonView, orderProduct, recentProducts } from "./chat.js";

/** `#/product/<id>?need=<text>`: the id and the need the person typed (or ""). */
function fromHash() {
  const [path, query = ""] = location.hash.replace(/^#\/?/, "").split("?");
  const id = Number(path.split("/")[1]);
  return { id, need: new URLSearchParams(query).get("need") || "" };
}

/** The canonical ingredients a need names (wanted or avoided): the label marks them. */
async function askedIngredients(need) {
  if (!need) return [];
  try {
    const parsed = await api(fillPath(ENDPOINTS.parse, {}), { method: "POST", body: { text: need } });
    return [...new Set([...(parsed.include_ingredients || []), ...(parsed.exclude_ingredients || [])])];
  } catch (err) {
    console.warn("need not parsed", err);
    return [];
  }
}

function ratingBlock(p) {
  // With a counted source, its stars go with its count (one source, one year); the catalogue's
  // own stars stay beside them. Without one, the catalogue's stars and "not known".
  const stars = (value) => h("span", { class: "rating", "aria-label": `${t("product.rating")}: ${value.toFixed(1)} / 5` }, icon("star", "icon star"), ` ${value.toFixed(1)} / 5`);
  const main = p.reviews ? stars(p.reviews.rating) : p.rating === null ? h("span", { class: "muted", text: t("product.noRating") }) : stars(p.rating);
  const count = p.reviews
    ? h("span", { class: "review-count", text: t("shop.reviews", { n: p.reviews.count.toLocaleString(lang() === "zh" ? "zh-CN" : "en-US") }) })
    : h("span", { class: "review-count muted", text: t("shop.noReviews") });
  const catalogue = p.rating === null ? t("product.noRating") : `${p.rating.toFixed(1)} / 5`;
  return h(
    "div",
    { class: "shop-rating", "data-testid": "rating" },
    h("p", {}, main, " · ", count),
    p.reviews ? h("p", { class: "muted small" }, `${t("shop.catalogueRating")}: ${catalogue}`) : null,
    p.reviews ? h("p", { class: "muted small credit", text: t("shop.reviewsCredit", { source: p.reviews.source }) }) : null,
  );
}

function skinFlags(p) {
  return h(
    "section",
    { class: "shop-section", "aria-labelledby": "skin-h" },
    h("h2", { id: "skin-h", text: t("shop.skinTitle") }),
    h(
      "ul",
      { class: "skin-flags" },
      p.skin_types.map((f) =>
        h(
          "li",
          { class: f.suitable ? "suits" : "not-flagged", dataset: { skin: f.skin_type, suitable: String(f.suitable) } },
          h("span", { class: "flag-mark", "aria-hidden": "true", text: f.suitable ? "✓" : "–" }),
          h("span", { text: t(`skin.${f.skin_type}`) }),
          h("span", { class: "sr-only", text: `: ${f.suitable ? t("shop.suits") : t("shop.notFlagged")}` }),
        ),
      ),
    ),
  );
}

function ingredientList(p) {
  const asked = p.asked.length
    ? h(
        "ul",
        { class: "asked", "aria-label": t("shop.askedTitle") },
        p.asked.map((a) =>
          h("li", { class: a.present ? "present" : "absent", dataset: { ingredient: a.canonical, present: String(a.present) }, text: t(a.present ? "shop.askedIn" : "shop.askedNotIn", { name: a.label }) }),
        ),
      )
    : null;
  return h(
    "section",
    { class: "shop-section", "aria-labelledby": "ing-h" },
    h("h2", { id: "ing-h", text: t("shop.ingredientsTitle") }),
    asked ? h("p", { class: "muted small", text: `${t("shop.askedTitle")}:` }) : null,
    asked,
    p.ingredients.length
      ? h(
          "ol",
          // INCI names: the label's own (Latin/English) words in every language, pronounced as such.
          { class: "label-list", lang: "en", translate: "no" },
          p.ingredients.map((e) =>
            e.asked
              ? h("li", { class: "asked-entry", dataset: { asked: e.asked } }, h("mark", { text: e.name }), h("span", { class: "sr-only", text: ` (${t("shop.askedMark")})` }))
              : h("li", { text: e.name }),
          ),
        )
      : h("p", { class: "muted", text: t("shop.noIngredients") }),
  );
}

function compareBox(p, need) {
  const others = recentProducts().filter((o) => o.id !== p.id);
  const out = h("div", { class: "shop-compare-result" });
  if (!others.length) return h("div", { class: "shop-compare" }, h("p", { class: "muted small", text: t("shop.compareNone") }));
  const select = h(
    "select",
    { id: "compare-with", "aria-label": t("shop.compareWith") },
    h("option", { value: "", text: t("shop.comparePick") }),
    others.map((o) => h("option", { value: String(o.id), text: `${o.brand} ${o.name}` })),
  );
  const button = h("button", { type: "button", class: "btn-ghost btn-compare", disabled: true }, icon("compare"), t("shop.compare"));
  select.addEventListener("change", () => {
    button.disabled = !select.value;
  });
  button.addEventListener("click", async () => {
    const other = others.find((o) => String(o.id) === select.value);
    if (!other) return;
    button.disabled = true;
    try {
      const [method] = ENDPOINTS.compare.split(" ");
      const cmp = await api(fillPath(ENDPOINTS.compare, {}), { method, body: { a: String(p.id), b: String(other.id), need, language: lang() } });
      replace(out, comparisonView(cmp, [p, other]));
    } catch (err) {
      replace(out, h("p", { class: "error", role: "alert", text: t("error", { message: err.message }) }));
    } finally {
      button.disabled = !select.value;
    }
  });
  return h("div", { class: "shop-compare" }, h("label", { for: "compare-with", text: t("shop.compareWith") }), h("div", { class: "shop-compare-row" }, select, button), out);
}

export async function render(container, ctx) {
  const { id, need } = fromHash();
  const back = h("p", { class: "back" }, h("a", { href: "#/chat", text: `← ${t("shop.backToChat")}` }));
  if (!Number.isInteger(id) || id < 1) {
    add(container, back, h("h1", { text: t("shop.productTitle") }), h("p", { class: "error", role: "alert", text: t("error", { message: "product id" }) }));
    return null;
  }
  let p;
  try {
    const ingredients = (await askedIngredients(need)).join(",");
    p = await api(fillPath(ENDPOINTS.product, { product_id: id }), { query: { lang: lang(), ingredients: ingredients || undefined } });
  } catch (err) {
    add(container, back, h("h1", { text: t("shop.productTitle") }), h("p", { class: "error", role: "alert", text: t("error", { message: err.message }) }));
    return null;
  }
  const card = { id: p.id, brand: p.brand, name: p.name, price: p.price.amount, currency: p.price.currency };
  const price = h(
    "div",
    { class: "shop-price" },
    h("p", { class: "price", "data-testid": "price", text: p.price.display }),
    p.price.cny_per_usd ? h("p", { class: "muted small", text: t("shop.priceNote", { rate: p.price.cny_per_usd }) }) : null,
  );
  const stock = p.in_stock === null ? null : h("p", { class: p.in_stock ? "stock ok" : "stock out", text: t(p.in_stock ? "shop.inStock" : "shop.outOfStock") });
  const actions = h(
    "div",
    { class: "shop-actions" },
    h("button", { type: "button", class: "btn-primary btn-order", disabled: p.in_stock === false, onclick: () => orderProduct(card, ctx) }, t("shop.order")),
  );
  add(
    container,
    back,
    h(
      "article",
      { class: "shop-product", dataset: { productId: p.id } },
      h("div", { class: "shop-media" }, h("img", { src: p.image_src, alt: t("shop.imageOf", { name: `${p.brand} ${p.name}` }), width: "320", height: "320" })),
      h(
        "div",
        { class: "shop-info" },
        h("p", { class: "product-brand", text: p.brand }),
        h("h1", { class: "shop-name", text: p.name }),
        h("p", { class: "muted", text: tOr(`cat.${p.category}`, p.category) }),
        price,
        ratingBlock(p),
        stock,
        actions,
        compareBox(p, need),
      ),
      h("div", { class: "shop-details" }, skinFlags(p), ingredientList(p)),
    ),
  );
  return null;
}
