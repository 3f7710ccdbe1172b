// Placeholder until the engine's routes land.
import { h } from "../dom.js";
import { t } from "../i18n.js";

export async function render(container) {
  container.append(h("header", {}, h("h1", { text: t("home.title") })), h("p", { class: "notice", text: t("notAvailable") }));
}
