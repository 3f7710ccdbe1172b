// Catalogue (staff): search and edit products, import a file with its validation report, and
// roll a catalogue version back.

import { api, fillPath } from "../api.js";
import { add, h, replace, toast } from "../dom.js";
import { ENDPOINTS } from "../engines.js";
import { lang, t, tOr } from "../i18n.js";

function money(p) {
  try {
    return new Intl.NumberFormat(lang() === "zh" ? "zh-CN" : "en-GB", { style: "currency", currency: p.currency }).format(p.price);
  } catch {
    return `${p.price} ${p.currency}`;
  }
}

function editForm(product, onSaved) {
  const price = h("input", { type: "number", step: "0.01", min: "0", value: String(product.price), id: `price-${product.id}`, "aria-label": t("catalogue.price") });
  const stock = h("input", { type: "number", step: "1", min: "0", value: product.stock ?? "", id: `stock-${product.id}`, "aria-label": t("catalogue.stock") });
  const name = h("input", { type: "text", value: product.name, maxlength: "500", "aria-label": t("catalogue.name") });
  const form = h(
    "form",
    { class: "catalogue-edit", dataset: { sku: product.sku } },
    h("label", {}, t("catalogue.name"), name),
    h("label", {}, t("catalogue.price"), price),
    h("label", {}, t("catalogue.stock"), stock),
    h("button", { type: "submit", class: "btn", text: t("catalogue.save") }),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = { name: name.value.trim(), price: price.value, stock: stock.value === "" ? null : Number(stock.value) };
    try {
      const answer = await api(fillPath(ENDPOINTS.catalogueProduct, { sku: product.sku }), { method: "PATCH", body });
      toast(answer.version ? t("catalogue.saved", { version: answer.version }) : t("catalogue.unchanged"));
      onSaved();
    } catch (err) {
      toast(t("error", { message: err.message }), "error");
    }
  });
  return form;
}

function reportView(report) {
  const counts = h(
    "p",
    { class: "report-counts" },
    t("catalogue.counts", { rows: report.rows, inserted: report.inserted, updated: report.updated, unchanged: report.unchanged, invalid: report.invalid }),
  );
  const box = h("div", { class: report.refused ? "notice" : "report-ok" }, h("p", { "data-testid": "import-message", text: report.message }), counts);
  if (!report.issues.length) return box;
  const rows = report.issues.map((i) => h("tr", {}, h("td", { text: String(i.row) }), h("td", { text: i.field }), h("td", { text: i.value }), h("td", { text: i.problem })));
  const head = h("tr", {}, ...["row", "field", "value", "problem"].map((k) => h("th", { scope: "col", text: t(`catalogue.issue.${k}`) })));
  add(box, h("div", { class: "table-scroll" }, h("table", { class: "route-table", "data-testid": "import-issues" }, h("thead", {}, head), h("tbody", {}, rows))));
  if (report.issues_total > report.issues.length) add(box, h("p", { class: "muted", text: t("catalogue.moreIssues", { n: report.issues_total - report.issues.length }) }));
  return box;
}

export async function render(container, ctx) {
  add(container, h("header", {}, h("h1", { text: t("catalogue.title") }), h("p", { class: "muted", text: t("catalogue.lead") })));
  if (ctx.member.role !== "staff") {
    add(container, h("p", { class: "notice", text: t("catalogue.staffOnly") }));
    return null;
  }
  const results = h("div", { "data-testid": "catalogue-results" });
  const versionsBox = h("div", { "data-testid": "catalogue-versions" });
  const reportBox = h("div", { "data-testid": "import-report", "aria-live": "polite" });
  const query = h("input", { type: "search", id: "catalogue-q", placeholder: t("catalogue.searchHint"), maxlength: "200", "aria-label": t("catalogue.search") });
  const searchForm = h("form", { class: "catalogue-search", role: "search" }, query, h("button", { type: "submit", class: "btn", text: t("catalogue.search") }));
  const file = h("input", { type: "file", id: "catalogue-file", accept: ".csv,.tsv,.json,.jsonl,.ndjson", required: true });
  const mapping = h("input", { type: "file", id: "catalogue-mapping", accept: ".yaml,.yml,.json" });
  const dryRun = h("input", { type: "checkbox", id: "catalogue-dry-run" });
  const skipInvalid = h("input", { type: "checkbox", id: "catalogue-skip-invalid" });
  const importForm = h(
    "form",
    { class: "catalogue-import stack" },
    h("label", { for: "catalogue-file", text: t("catalogue.file") }),
    file,
    h("label", { for: "catalogue-mapping", text: t("catalogue.mapping") }),
    mapping,
    h("label", {}, dryRun, " ", t("catalogue.dryRun")),
    h("label", {}, skipInvalid, " ", t("catalogue.skipInvalid")),
    h("button", { type: "submit", class: "btn", text: t("catalogue.import") }),
  );
  add(
    container,
    h("div", { class: "grid-2" },
      h("section", { class: "card", "aria-labelledby": "cat-import-h" }, h("h2", { id: "cat-import-h", text: t("catalogue.importTitle") }), importForm, reportBox),
      h("section", { class: "card", "aria-labelledby": "cat-versions-h" }, h("h2", { id: "cat-versions-h", text: t("catalogue.versions") }), versionsBox)),
    h("section", { class: "card", "aria-labelledby": "cat-products-h" }, h("h2", { id: "cat-products-h", text: t("catalogue.products") }), searchForm, results),
  );

  const search = async () => {
    const page = await api(fillPath(ENDPOINTS.catalogueSearch, {}), { query: { q: query.value.trim(), limit: 20 } });
    const rows = page.data.map((p) => {
      const edit = h("button", { type: "button", class: "btn-ghost", text: t("catalogue.edit") });
      const row = h(
        "tr",
        { dataset: { sku: p.sku } },
        h("td", {}, h("img", { src: p.image_src, alt: "", width: "40", height: "40" })),
        h("td", { text: p.sku }),
        h("td", { text: p.brand }),
        h("td", { text: p.name }),
        h("td", { text: tOr(`category.${p.category}`, p.category) }),
        h("td", { text: money(p) }),
        h("td", { text: p.stock ?? "–" }),
        h("td", {}, edit),
      );
      edit.addEventListener("click", () => {
        const cell = h("td", { colspan: "8" }, editForm(p, () => { search(); versions(); }));
        row.after(h("tr", { class: "edit-row" }, cell));
        edit.disabled = true;
      });
      return row;
    });
    const head = h("tr", {}, ...["image", "sku", "brand", "name", "category", "price", "stock", ""].map((k) => h("th", { scope: "col", text: k ? t(`catalogue.${k}`) : "" })));
    replace(
      results,
      h("p", { class: "muted", text: t("catalogue.found", { n: page.count }) }),
      h("div", { class: "table-scroll" }, h("table", { class: "route-table" }, h("thead", {}, head), h("tbody", {}, rows))),
    );
  };

  const versions = async () => {
    const list = await api(fillPath(ENDPOINTS.catalogueVersions, {}), { query: { limit: 10 } });
    if (!list.data.length) {
      replace(versionsBox, h("p", { class: "muted", text: t("catalogue.noVersions") }));
      return;
    }
    const rows = list.data.map((v) => {
      const undo = h("button", { type: "button", class: "btn-ghost", text: t("catalogue.rollback"), dataset: { version: v.id } });
      undo.addEventListener("click", async () => {
        if (undo.dataset.armed !== "yes") {
          undo.dataset.armed = "yes";
          undo.textContent = t("catalogue.rollbackConfirm", { version: v.id });
          return;
        }
        try {
          const done = await api(fillPath(ENDPOINTS.catalogueRollback, { version: v.id }), { method: "POST" });
          toast(done.message);
          await Promise.all([versions(), search()]);
        } catch (err) {
          toast(t("error", { message: err.message }), "error");
        }
      });
      return h(
        "tr",
        { dataset: { version: v.id, status: v.status } },
        h("td", { text: String(v.id) }),
        // The source is a file name or a SKU: shown as written.
        h("td", {}, `${tOr(`catalogue.kind.${v.kind}`, v.kind)}: `, h("code", { text: v.source })),
        h("td", { text: `+${v.inserted} ~${v.updated}` }),
        h("td", { text: t(`catalogue.status.${v.status}`) }),
        h("td", {}, v.status === "applied" ? undo : null),
      );
    });
    replace(versionsBox, h("div", { class: "table-scroll" }, h("table", { class: "route-table" }, h("tbody", {}, rows))));
  };

  searchForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    search().catch((err) => toast(t("error", { message: err.message }), "error"));
  });
  importForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!file.files.length) return;
    const form = new FormData();
    form.append("file", file.files[0]);
    if (mapping.files.length) form.append("mapping", mapping.files[0]);
    form.append("dry_run", dryRun.checked ? "true" : "false");
    form.append("skip_invalid", skipInvalid.checked ? "true" : "false");
    replace(reportBox, h("p", { class: "muted", text: t("catalogue.importing") }));
    try {
      const report = await api(fillPath(ENDPOINTS.catalogueImport, {}), { method: "POST", body: form });
      replace(reportBox, reportView(report));
      await Promise.all([versions(), search()]);
    } catch (err) {
      replace(reportBox, h("p", { class: "error", role: "alert", text: t("error", { message: err.message }) }));
    }
  });
  await Promise.all([search(), versions()]);
  return null;
}
