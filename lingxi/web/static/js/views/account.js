// Account and privacy: consents, the stored profile, export (JSON download) and delete.

import { api } from "../api.js";
import { add, confirmDialog, formatMoney, formatTime, h, icon, replace, toast } from "../dom.js";
import { lang, t, tOr } from "../i18n.js";

const PURPOSES = ["profile", "personalisation", "automation", "marketing"];
const LIST_FIELDS = ["skin_types", "concerns", "brands", "avoid_ingredients", "include_ingredients"];
const LABELS = { skin_types: "skin", concerns: "concern", avoid_ingredients: "ingredient", include_ingredients: "ingredient" };

function consentRow(purpose, consent, onChange) {
  const id = `consent-${purpose}`;
  const active = Boolean(consent && consent.active);
  return h(
    "div",
    { class: "consent" },
    h("input", { type: "checkbox", id, checked: active, dataset: { purpose }, onchange: (ev) => onChange(purpose, ev.target.checked, ev.target) }),
    h(
      "div",
      {},
      h("label", { for: id, text: t(`purpose.${purpose}`) }),
      h("div", {
        class: "muted",
        text: active ? t("account.granted", { when: formatTime(consent.granted_at, lang(), { dateStyle: "medium" }) }) : t("account.notGranted"),
      }),
    ),
  );
}

function profileList(profile) {
  const rows = [];
  for (const field of LIST_FIELDS) {
    const values = profile[field] || [];
    // Stored values are canonical English words: each reads in the interface's language where
    // there is a label for it (brands are names and stay as they are).
    const label = LABELS[field];
    const shown = label ? values.map((v) => tOr(`${label}.${String(v).toLowerCase()}`, v)) : values;
    rows.push(h("dt", { text: t(`field.${field}`) }), h("dd", { dataset: { field }, text: shown.length ? shown.join(t("list.sep")) : t("none") }));
  }
  rows.push(
    h("dt", { text: t("field.max_price") }),
    h("dd", { dataset: { field: "max_price" }, text: profile.max_price_minor == null ? t("none") : formatMoney(profile.max_price_minor / 100, "USD", lang()) }),
  );
  return h("dl", { class: "profile-list", "data-testid": "profile" }, rows);
}

export async function render(container, ctx) {
  const m = ctx.member;
  add(container, 
    h("header", {}, h("h1", { text: t("account.title") }), h("p", { class: "muted", text: t("account.who", { name: m.display_name, email: m.email }) })),
  );
  const consentBox = h("section", { class: "card", "aria-labelledby": "consents-h" });
  const profileBox = h("section", { class: "card", "aria-labelledby": "profile-h" });
  add(container, h("div", { class: "grid-2" }, consentBox, profileBox));

  const drawConsents = (list) => {
    const by = Object.fromEntries(list.map((c) => [c.purpose, c]));
    replace(
      consentBox,
      h("h2", { id: "consents-h", text: t("account.consents") }),
      h("p", { class: "muted", text: t("account.consentsHelp") }),
      h(
        "fieldset",
        { class: "plain" },
        h("legend", { class: "sr-only", text: t("account.consents") }),
        PURPOSES.map((p) =>
          consentRow(p, by[p], async (purpose, granted, input) => {
            input.disabled = true;
            try {
              const { data } = await api("/api/account/consents", { method: "POST", body: { purpose, granted } });
              drawConsents(data);
              await drawProfile();
              toast(t("account.saved"));
              consentBox.querySelector(`#consent-${purpose}`)?.focus();
            } catch (err) {
              input.checked = !granted;
              input.disabled = false;
              toast(t("error", { message: err.message }), "error");
            }
          }),
        ),
      ),
    );
  };

  const drawProfile = async () => {
    const profile = await api("/api/account/profile");
    replace(
      profileBox,
      h("h2", { id: "profile-h", text: t("account.profile") }),
      profileList(profile),
      h(
        "div",
        { class: "actions", style: { marginTop: "1rem" } },
        h("button", { type: "button", class: "btn-ghost", onclick: exportData }, icon("download"), t("account.export")),
        h("button", { type: "button", class: "btn-danger", onclick: deleteProfile }, icon("trash"), t("account.delete")),
      ),
    );
  };

  const exportData = async () => {
    try {
      const data = await api("/api/account/export");
      const blob = new Blob([JSON.stringify(data, null, 2)], { type: "application/json" });
      const url = URL.createObjectURL(blob);
      const a = h("a", { href: url, download: `lingxi-export-${m.customer_id}.json`, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
      toast(t("account.exported"));
    } catch (err) {
      toast(t("error", { message: err.message }), "error");
    }
  };

  const deleteProfile = async () => {
    const ok = await confirmDialog({
      title: t("account.deleteTitle"),
      body: t("account.deleteBody"),
      confirmLabel: t("account.deleteConfirm"),
      cancelLabel: t("cancel"),
      danger: true,
    });
    if (!ok) return;
    try {
      await api("/api/account/profile", { method: "DELETE" });
      await drawProfile();
      toast(t("account.deleted"));
      profileBox.querySelector("h2").focus?.();
    } catch (err) {
      toast(t("error", { message: err.message }), "error");
    }
  };

  try {
    const { data } = await api("/api/account/consents");
    drawConsents(data);
    await drawProfile();
  } catch (err) {
    add(container, h("p", { class: "error", role: "alert", text: t("error", { message: err.message }) }));
  }
}
