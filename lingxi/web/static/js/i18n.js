// The interface's words in English and Chinese. They are data, one file per language
// (/static/lang/<language>.json), loaded by `loadStrings()` before the first view draws;
// `t(key, vars)` looks a key up in the current language, falling back to English.

import { SHOP_STRINGS } from "./i18n_shop.js";

/** The languages the interface speaks. */
export const LANGUAGES = ["en", "zh"];
const STRINGS = Object.fromEntries(LANGUAGES.map((language) => [language, {}]));

/** Load every language's table (all of them: Chinese falls back to English key by key). The
 * product pages' strings (i18n_shop.js) still live in code and are laid over the files. */
export async function loadStrings() {
  await Promise.all(
    LANGUAGES.map(async (language) => {
      const resp = await fetch(`/static/lang/${language}.json`, { credentials: "same-origin" });
      if (!resp.ok) throw new Error(`/static/lang/${language}.json: HTTP ${resp.status}`);
      Object.assign(STRINGS[language], await resp.json(), SHOP_STRINGS[language]);
    }),
  );
}

const listeners = new Set();
let current = "en";

/** The current language, "en" or "zh". */
export function lang() {
  return current;
}

/** Translate `key`, filling `{name}` placeholders from `vars`. */
export function t(key, vars = {}) {
  const table = STRINGS[current];
  let text = table[key] ?? STRINGS.en[key] ?? key;
  for (const [name, value] of Object.entries(vars)) text = text.split(`{${name}}`).join(String(value));
  return text;
}

/** Translate `key` if there is a string for it, else return `fallback`. */
export function tOr(key, fallback) {
  return key in STRINGS[current] ? t(key) : fallback;
}

/** Every key of every language (tests check both tables have the same keys). */
export function keys(language) {
  return Object.keys(STRINGS[language]);
}

/** Translate the static markup: `data-i18n` (text) and `data-i18n-aria` (aria-label). */
export function translateStatic(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-aria]")) el.setAttribute("aria-label", t(el.dataset.i18nAria));
}

/** Switch language, remember it, and tell the listeners (views re-render). */
export function setLang(next, { remember = true } = {}) {
  if (!STRINGS[next]) return;
  current = next;
  document.documentElement.lang = next === "zh" ? "zh-CN" : "en";
  if (remember) localStorage.setItem("lingxi.lang", next);
  for (const btn of document.querySelectorAll("[data-lang]")) {
    btn.setAttribute("aria-pressed", String(btn.dataset.lang === next));
  }
  translateStatic();
  for (const fn of listeners) fn(next);
}

/** The person's own choice (the switch remembers it), else the first of the browser's preferred
 * languages that the app speaks; never the account's stored locale, so signing in switches nothing. */
export function initialLang() {
  const saved = localStorage.getItem("lingxi.lang");
  if (saved && STRINGS[saved]) return saved;
  const wanted = navigator.languages?.length ? navigator.languages : [navigator.language || "en"];
  for (const tag of wanted) {
    const base = String(tag).toLowerCase().split("-")[0];
    if (STRINGS[base]) return base;
  }
  return "en";
}

/** Call `fn(lang)` after every switch. */
export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
