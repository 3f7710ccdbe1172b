// Account access without a session: accept an invitation (#/join/<token>), set a new password
// (#/reset/<token>) and sign up (#/signup). The token stays after "#": never sent to a server log.

import { api } from "../api.js";
import { add, h, icon } from "../dom.js";
import { t } from "../i18n.js";

function field(id, type, label, autocomplete) {
  const input = h("input", { id, type, name: id, autocomplete, required: true, ...(type === "password" ? { minlength: 8 } : {}) });
  return [h("label", { for: id, text: label }), input];
}

function page(container, mode, form, lead) {
  add(
    container,
    h(
      "section",
      { class: "signin", "aria-labelledby": "access-title", dataset: { mode } },
      h("div", { class: "signin-hero" }, icon("logo", "hero-logo"), h("h1", { id: "access-title", text: t(`access.${mode}.title`) }), h("p", { class: "lead", text: lead })),
      form,
      h("p", { class: "muted" }, h("a", { href: "#/signin", text: t("access.toSignin") })),
    ),
  );
}

function form(mode, fields, onsubmit) {
  const status = h("p", { class: "form-error", role: "alert", dataset: { testid: "access-status" } });
  const el = h(
    "form",
    {
      class: "card signin-form",
      onsubmit: async (ev) => {
        ev.preventDefault();
        status.textContent = "";
        status.classList.remove("form-ok");
        try {
          const done = await onsubmit();
          if (done) {
            status.classList.add("form-ok");
            status.textContent = done;
          }
        } catch (err) {
          status.textContent = t("access.failed", { message: err.message });
        }
      },
    },
    ...fields.flat(),
    h("button", { type: "submit", class: "btn-primary", text: t(`access.${mode}.submit`) }),
    status,
  );
  return el;
}

export async function render(container, ctx) {
  const mode = ctx.view;
  const token = ctx.params[0] || "";
  if (mode === "join") {
    const [nameLabel, name] = field("access-name", "text", t("access.name"), "name");
    const [pwLabel, password] = field("access-password", "password", t("access.password"), "new-password");
    const el = form("join", [[nameLabel, name], [pwLabel, password]], async () => {
      await api("/api/auth/accept-invite", { method: "POST", body: { token, display_name: name.value, password: password.value } });
      history.replaceState(null, "", "#/chat");
      ctx.signedIn(await api("/api/auth/me"));
      return "";
    });
    page(container, "join", el, t("access.join.lead"));
  } else if (mode === "reset") {
    const [pwLabel, password] = field("access-password", "password", t("access.newPassword"), "new-password");
    const el = form("reset", [[pwLabel, password]], async () => {
      await api("/api/auth/reset", { method: "POST", body: { token, password: password.value } });
      password.value = "";
      return t("access.reset.done");
    });
    page(container, "reset", el, t("access.reset.lead"));
  } else {
    const [nameLabel, name] = field("access-name", "text", t("access.name"), "name");
    const [emailLabel, email] = field("access-email", "email", t("signin.email"), "username");
    const [pwLabel, password] = field("access-password", "password", t("access.password"), "new-password");
    const el = form("signup", [[nameLabel, name], [emailLabel, email], [pwLabel, password]], async () => {
      await api("/api/auth/signup", { method: "POST", body: { email: email.value, password: password.value, display_name: name.value } });
      return t("access.signup.done");
    });
    page(container, "signup", el, t("access.signup.lead"));
  }
}
