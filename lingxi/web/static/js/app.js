// The shell: session, hash routing between the views, language switch.

import { api } from "./api.js";
import { h, replace, toast } from "./dom.js";
import { initialLang, lang, loadStrings, onLangChange, setLang, t } from "./i18n.js";

const VIEWS = {
  chat: () => import("./views/chat.js"),
  orders: () => import("./views/orders.js"),
  product: () => import("./views/product.js"),
  home: () => import("./views/home.js"),
  ops: () => import("./views/ops.js"),
  courier: () => import("./views/courier.js"),
  fleet: () => import("./views/fleet.js"),
  catalogue: () => import("./views/catalogue.js"),
  account: () => import("./views/account.js"),
  signin: () => import("./views/signin.js"),
  join: () => import("./views/join.js"),
  reset: () => import("./views/join.js"),
  signup: () => import("./views/join.js"),
};
// Views reachable without a session (their token, or a new account, is the credential).
const PUBLIC_VIEWS = new Set(["join", "reset", "signup"]);
// Views of the deployment's staff: their links are hidden from everyone else.
const STAFF_VIEWS = new Set(["ops", "fleet", "catalogue"]);

const state = { member: null, cleanup: null, renderId: 0, maxMessageChars: 2000 };

function parseHash() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  const view = VIEWS[parts[0]] && parts[0] !== "signin" ? parts[0] : "chat";
  return { view, params: parts.slice(1) };
}

/** Go to `#/<path>`. */
export function navigate(path) {
  if (location.hash === `#/${path}`) route();
  else location.hash = `#/${path}`;
}

function setNav(view) {
  const nav = document.getElementById("mainnav");
  const signedIn = Boolean(state.member);
  nav.hidden = !signedIn;
  document.getElementById("signout").hidden = !signedIn;
  // The staff's eight links need a wider screen beside the brand (app.css).
  document.body.dataset.role = state.member ? state.member.role : "";
  for (const a of nav.querySelectorAll("a")) {
    // The operator console (operations, fleet) is for the deployment's staff: no one else sees it.
    if (STAFF_VIEWS.has(a.dataset.view)) a.hidden = !(state.member && state.member.role === "staff");
    if (a.dataset.view === view) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  // A phone's tab bar that scrolls sideways (eight links at 320 px) shows the current one.
  const current = nav.querySelector("a[aria-current]");
  if (current && nav.scrollWidth > nav.clientWidth) nav.scrollLeft = current.offsetLeft - (nav.clientWidth - current.offsetWidth) / 2;
}

async function route({ focus = true } = {}) {
  const id = ++state.renderId;
  const main = document.getElementById("main");
  if (state.cleanup) {
    try {
      state.cleanup();
    } catch (err) {
      console.warn("view cleanup failed", err);
    }
    state.cleanup = null;
  }
  const wanted = parseHash();
  const { view, params } = PUBLIC_VIEWS.has(wanted.view) || state.member ? wanted : { view: "signin", params: [] };
  setNav(state.member ? view : null);
  document.body.dataset.view = view;
  delete main.dataset.rendered;
  let mod;
  try {
    mod = await VIEWS[view]();
  } catch (err) {
    replace(main, h("p", { class: "error", text: t("error", { message: err.message }) }));
    return;
  }
  if (id !== state.renderId) return;
  const container = h("div", { class: `view view-${view}` });
  replace(main, container);
  const ctx = { member: state.member, view, params, navigate, signedIn, signedOut, maxMessageChars: state.maxMessageChars };
  const cleanup = await mod.render(container, ctx);
  if (id !== state.renderId) {
    if (typeof cleanup === "function") cleanup();
    return;
  }
  state.cleanup = typeof cleanup === "function" ? cleanup : null;
  main.dataset.rendered = view; // the view has drawn its first data (tests wait for it)
  const title = container.querySelector("h1");
  document.title = title ? `${title.textContent} · Lingxi` : "Lingxi";
  if (focus && title) {
    title.setAttribute("tabindex", "-1");
    title.focus({ preventScroll: true });
  }
}

async function signedIn(member) {
  state.member = member;
  toast(t("signin.welcome", { name: member.display_name }));
  if (!location.hash || location.hash === "#/" || location.hash.startsWith("#/signin")) navigate(member.role === "courier" ? "courier" : "chat");
  else route();
}

function signedOut() {
  state.member = null;
  route();
}

async function loadMember() {
  // 200 whether or not anyone is signed in, so loading the page logs no 401.
  const answer = await api("/api/web/session");
  if (answer.max_message_chars) state.maxMessageChars = answer.max_message_chars;
  return answer.signed_in ? answer.member : null;
}

async function start() {
  try {
    await loadStrings();
  } catch (err) {
    // Without its words the interface cannot draw: say so in both languages.
    replace(document.getElementById("main"), h("p", { class: "error", role: "alert", text: `Lingxi could not load its texts. 灵犀无法加载界面文字。(${err.message})` }));
    return;
  }
  setLang(initialLang(), { remember: false });
  for (const btn of document.querySelectorAll("[data-lang]")) {
    btn.addEventListener("click", () => {
      if (btn.dataset.lang === lang()) return;
      setLang(btn.dataset.lang);
      toast(t("lang.switched"));
    });
  }
  onLangChange(() => route({ focus: false }));
  document.getElementById("signout").addEventListener("click", async () => {
    try {
      await api("/api/auth/logout", { method: "POST" });
    } catch (err) {
      console.warn("sign-out failed", err);
    }
    toast(t("signin.out"));
    signedOut();
  });
  window.addEventListener("hashchange", () => route());
  window.addEventListener("resize", () => setNav(state.member ? document.body.dataset.view : null));
  document.getElementById("mainnav").addEventListener("click", (ev) => {
    const link = ev.target.closest("a");
    if (link && link.getAttribute("href") === location.hash) {
      // Already here: no hashchange, so move focus to the view's heading ourselves.
      ev.preventDefault();
      document.querySelector("#main h1")?.focus({ preventScroll: true });
    }
  });
  try {
    state.member = await loadMember();
  } catch (err) {
    replace(
      document.getElementById("main"),
      h("p", { class: "error", role: "alert", text: t("error", { message: err.message }) }),
    );
    return;
  }
  await route({ focus: false });
  document.documentElement.dataset.ready = "true";
  performance.mark("lingxi-ready");
}

start();
