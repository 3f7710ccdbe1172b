// Fleet: the active city (imported OSM extracts), its depots, vehicles and service areas, on
// the city's own road map (no tiles). Staff only, like the operations board.

import { api, fillPath } from "../api.js";
import { add, h, replace, toast } from "../dom.js";
import { ENDPOINTS, resetRoadNetwork, roadNetwork } from "../engines.js";
import { t } from "../i18n.js";
import { drawMap, legend } from "../map.js";

const AREA_COLOR = "#7c3aed";

function field(id, label, attrs = {}) {
  return h("label", { for: id, class: "field" }, h("span", { text: label }), h("input", { id, name: id, type: "text", ...attrs }));
}

function selectOf(id, label, options, { blank = null } = {}) {
  const opts = (blank ? [h("option", { value: "", text: blank })] : []).concat(options.map((o) => h("option", { value: o, text: o })));
  return h("label", { for: id, class: "field" }, h("span", { text: label }), h("select", { id, name: id }, opts));
}

function values(form) {
  return Object.fromEntries(new FormData(form).entries());
}

export async function render(container, ctx) {
  add(container, h("header", {}, h("h1", { text: t("fleet.title") }), h("p", { class: "muted", text: t("fleet.lead") })));
  if (ctx.member.role !== "staff") {
    add(container, h("p", { class: "notice", text: t("fleet.staffOnly") }));
    return null;
  }
  const cityBox = h("section", { class: "card", "aria-labelledby": "city-h" });
  const mapBox = h("section", { class: "card", "aria-labelledby": "fleet-map-h" });
  const depotBox = h("section", { class: "card", "aria-labelledby": "depots-h" });
  const vehicleBox = h("section", { class: "card", "aria-labelledby": "vehicles-h" });
  const areaBox = h("section", { class: "card", "aria-labelledby": "areas-h" });
  add(container, h("div", { class: "ops-layout" }, mapBox, h("div", { class: "stack" }, cityBox, depotBox)), h("div", { class: "grid-2" }, vehicleBox, areaBox));

  let fleet = null;

  const act = async (fn, done) => {
    try {
      await fn();
      toast(done);
      await load();
    } catch (err) {
      toast(t("error", { message: err.message }), "error");
    }
  };
  const post = (op, body) => api(fillPath(ENDPOINTS[op], {}), { method: "POST", body });
  const remove = (op, ref) => api(fillPath(ENDPOINTS[op], { ref }), { method: "DELETE" });

  const drawCity = (cities) => {
    const active = cities.data.find((c) => c.active);
    const choice = h("select", { id: "fleet-city" }, cities.data.map((c) => h("option", { value: c.name, text: c.name + (c.builtin ? ` (${t("fleet.demo")})` : ""), selected: c.active })));
    replace(
      cityBox,
      h("h2", { id: "city-h", text: t("fleet.city") }),
      h("p", { "data-testid": "active-city", text: t("fleet.active", { name: active ? active.name : "?" }) }),
      h("p", { class: "muted small", "data-testid": "import-hint" }, t("fleet.importHint"), " ", h("code", { text: t("fleet.importCommand") })),
      h(
        "form",
        {
          class: "inline-form",
          onsubmit: (ev) => {
            ev.preventDefault();
            act(async () => {
              await api(fillPath(ENDPOINTS.fleetCityUse, {}), { method: "PUT", body: { name: choice.value } });
              resetRoadNetwork();
            }, t("fleet.cityChosen", { name: choice.value }));
          },
        },
        h("label", { for: "fleet-city", class: "field" }, h("span", { text: t("fleet.city") }), choice),
        h("button", { type: "submit", class: "btn-ghost", text: t("fleet.use") }),
      ),
    );
  };

  const drawMapBox = async () => {
    const roads = await roadNetwork();
    const markers = fleet.depots.map((d) => ({ kind: "depot", lon: d.lon, lat: d.lat, label: d.name, text: d.name }));
    const areas = fleet.areas.map((a) => ({ coords: [...a.polygon, a.polygon[0]], color: AREA_COLOR, dashed: true, label: a.name }));
    const map = drawMap({ roads, routes: areas, markers, title: t("fleet.map") });
    map.svg.dataset.testid = "fleet-map";
    replace(mapBox, h("h2", { id: "fleet-map-h", text: `${t("fleet.map")} · ${fleet.city}` }), map.svg, legend([["#1c2421", t("fleet.depots")], [AREA_COLOR, t("fleet.areas")]]));
  };

  const table = (testid, cols, rows, onRemove) =>
    rows.length
      ? h(
          "div",
          { class: "table-scroll" },
          h(
          "table",
          { class: "route-table", "data-testid": testid },
          h("thead", {}, h("tr", {}, cols.map(([, label]) => h("th", { scope: "col", text: label })), h("th", { scope: "col", text: "" }))),
          h("tbody", {}, rows.map((r) => h("tr", {}, cols.map(([key]) => h("td", { text: String(r[key] ?? "–") })), h("td", {}, h("button", { type: "button", class: "btn-small", "aria-label": `${t("fleet.remove")} ${r.name}`, onclick: () => onRemove(r), text: t("fleet.remove") }))))),
          ),
        )
      : h("p", { class: "muted", text: t("fleet.none") });

  const drawLists = () => {
    const depotNames = fleet.depots.map((d) => d.name);
    const depotForm = h(
      "form",
      { class: "fleet-form", id: "depot-form", onsubmit: (ev) => { ev.preventDefault(); const v = values(ev.target); act(() => post("fleetDepots", { name: v.name, lat: Number(v.lat), lon: Number(v.lon), opens: v.opens, closes: v.closes }), t("fleet.added", { name: v.name })); } },
      field("name", t("fleet.name"), { required: true }),
      field("lat", t("fleet.lat"), { required: true, inputmode: "decimal" }),
      field("lon", t("fleet.lon"), { required: true, inputmode: "decimal" }),
      field("opens", t("fleet.opens"), { value: "06:00" }),
      field("closes", t("fleet.closes"), { value: "22:00" }),
      h("button", { type: "submit", class: "btn-primary", text: t("fleet.addDepot") }),
    );
    replace(
      depotBox,
      h("h2", { id: "depots-h", text: t("fleet.depots") }),
      table("depots", [["name", t("fleet.name")], ["lat", t("fleet.lat")], ["lon", t("fleet.lon")], ["opens", t("fleet.opens")], ["closes", t("fleet.closes")]], fleet.depots, (d) => act(() => remove("fleetDepot", d.name), t("fleet.removed", { name: d.name }))),
      depotForm,
    );
    const vehicleForm = h(
      "form",
      { class: "fleet-form", id: "vehicle-form", onsubmit: (ev) => { ev.preventDefault(); const v = values(ev.target); act(() => post("fleetVehicles", { name: v.vname, capacity: Number(v.capacity), start_depot: v.start_depot, end_depot: v.end_depot || null, shift_start: v.shift_start, shift_end: v.shift_end }), t("fleet.added", { name: v.vname })); } },
      field("vname", t("fleet.name"), { required: true }),
      field("capacity", t("fleet.capacity"), { required: true, type: "number", step: "1" }),
      selectOf("start_depot", t("fleet.startDepot"), depotNames),
      selectOf("end_depot", t("fleet.endDepot"), depotNames, { blank: t("fleet.sameDepot") }),
      field("shift_start", t("fleet.shiftStart"), { value: "08:00" }),
      field("shift_end", t("fleet.shiftEnd"), { value: "18:00" }),
      h("button", { type: "submit", class: "btn-primary", text: t("fleet.addVehicle") }),
    );
    replace(
      vehicleBox,
      h("h2", { id: "vehicles-h", text: t("fleet.vehicles") }),
      table("vehicles", [["name", t("fleet.name")], ["capacity", t("fleet.capacity")], ["shift_start", t("fleet.shiftStart")], ["shift_end", t("fleet.shiftEnd")], ["start_depot", t("fleet.startDepot")], ["end_depot", t("fleet.endDepot")]], fleet.vehicles, (v) => act(() => remove("fleetVehicle", v.name), t("fleet.removed", { name: v.name }))),
      depotNames.length ? vehicleForm : h("p", { class: "muted", text: t("fleet.depotFirst") }),
    );
    const areaForm = h(
      "form",
      { class: "fleet-form", id: "area-form", onsubmit: (ev) => { ev.preventDefault(); const v = values(ev.target); act(() => post("fleetAreas", { name: v.aname, bbox: v.bbox.split(",").map(Number), depot: v.depot || null }), t("fleet.added", { name: v.aname })); } },
      field("aname", t("fleet.name"), { required: true }),
      field("bbox", t("fleet.bbox"), { required: true, placeholder: t("fleet.bboxHint") }),
      selectOf("depot", t("fleet.areaDepot"), depotNames, { blank: t("fleet.wholeCity") }),
      h("button", { type: "submit", class: "btn-primary", text: t("fleet.addArea") }),
    );
    replace(
      areaBox,
      h("h2", { id: "areas-h", text: t("fleet.areas") }),
      h("p", { class: "muted small", text: t("fleet.areasHelp") }),
      table("areas", [["name", t("fleet.name")], ["depot", t("fleet.areaDepot")], ["kind", t("fleet.kind")]], fleet.areas, (a) => act(() => remove("fleetArea", a.name), t("fleet.removed", { name: a.name }))),
      areaForm,
    );
  };

  const load = async () => {
    const [cities, current] = await Promise.all([api(fillPath(ENDPOINTS.fleetCities, {})), api(fillPath(ENDPOINTS.fleet, {}))]);
    fleet = current;
    drawCity(cities);
    drawLists();
    await drawMapBox();
  };

  try {
    await load();
  } catch (err) {
    add(container, h("p", { class: "error", role: "alert", text: t("error", { message: err.message }) }));
  }
  return null;
}
