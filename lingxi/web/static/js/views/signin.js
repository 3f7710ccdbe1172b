// Sign-in: e-mail and password, and the clearly marked local-demo buttons.

import { api } from "../api.js";
import { add, h, icon } from "../dom.js";
import { t } from "../i18n.js";

export async function render(container, ctx) {
  const status = h("p", { class: "form-error", role: "alert" });
  const email = h("input", { id: "signin-email", type: "email", name: "email", autocomplete: "username", required: true });
  const password = h("input", {
    id: "signin-password",
    type: "password",
    name: "password",
    autocomplete: "current-password",
    required: true,
  });
  const fail = (err) => {
    status.textContent = t("signin.failed", { message: err.message });
  };
  const form = h(
    "form",
    {
      class: "card signin-form",
      onsubmit: async (ev) => {
        ev.preventDefault();
        status.textContent = "";
        try {
          await api("/api/auth/login", { method: "POST", body: { email: email.value, password: password.value } });
          ctx.signedIn(await api("/api/auth/me"));
        } catch (err) {
          fail(err);
        }
      },
    },
    h("label", { for: "signin-email", text: t("signin.email") }),
    email,
    h("label", { for: "signin-password", text: t("signin.password") }),
    password,
    h("button", { type: "submit", class: "btn-primary", text: t("signin.submit") }),
    status,
  );
  const demo = (addr, label) =>
    h("button", {
      type: "button",
      class: "btn-demo",
      dataset: { demo: addr },
      text: label,
      onclick: async () => {
        status.textContent = "";
        try {
          await api("/api/auth/demo-login", { method: "POST", query: { email: addr } });
          ctx.signedIn(await api("/api/auth/me"));
        } catch (err) {
          fail(err);
        }
      },
    });
  // The sign-up link only where the deployment allows sign-up (off in production by default).
  const signupLink = h("p", { class: "muted", hidden: true }, h("a", { href: "#/signup", text: t("access.toSignup") }));
  api("/api/auth/signup")
    .then((options) => {
      signupLink.hidden = !options.open;
    })
    .catch(() => {});
  add(container, 
    h(
      "section",
      { class: "signin", "aria-labelledby": "signin-title" },
      h("div", { class: "signin-hero" }, icon("logo", "hero-logo"), h("h1", { id: "signin-title", text: t("signin.title") }), h("p", { class: "lead", text: t("signin.lead") })),
      form,
      signupLink,
      h(
        "section",
        { class: "card demo-box", "aria-labelledby": "demo-title" },
        h("h2", { id: "demo-title" }, h("span", { class: "badge badge-warn", text: t("signin.demoTitle") })),
        h("p", { class: "muted", text: t("signin.demoNote") }),
        h("div", { class: "demo-buttons" }, demo("mei@demo.lingxi", t("signin.demoMei")), demo("alex@demo.lingxi", t("signin.demoAlex")), demo("ops@demo.lingxi", t("signin.demoOps")), demo("courier@demo.lingxi", t("signin.demoCourier"))),
      ),
    ),
  );
}
