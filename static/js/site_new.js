/* Drawing a new site: its boundary, what must stay and its context, with Leaflet-Geoman;
 * saved through the JSON API (POST /api/v1/sites), which checks it first and answers the
 * findings when it is not valid. */
(function () {
  "use strict";

  const D = JSON.parse(document.getElementById("site-data").textContent);
  const S = D.strings;
  const C = D.config;
  const status = document.getElementById("site-status");
  const drawnList = document.getElementById("drawn");
  const findings = document.getElementById("site-findings");
  const SHAPES = { Polygon: "Polygon", Point: "CircleMarker", LineString: "Line" };

  const map = L.map("site-map", { center: C.center || [31.263, 121.496], zoom: C.zoom || 19, maxZoom: 22 });
  if (C.tile_url) { L.tileLayer(C.tile_url, { maxZoom: 22, maxNativeZoom: 19 }).addTo(map); }
  (C.context || []).forEach((feature) => L.geoJSON(feature, { style: { color: "#9aa5a9", weight: 1 } }).addTo(map));
  map.pm.setGlobalOptions({ allowSelfIntersection: false, snappable: true, snapDistance: 12 });

  const drawn = [];  // {kind, layer, properties}
  let current = null;
  window.jiayuanSiteEditor = { map: map, drawn: drawn };  // for scripts and tests, as the editor does

  function format(template, params) {
    return template.replace(/%\((\w+)\)[sd]/g, (whole, key) => (params[key] !== undefined ? String(params[key]) : whole));
  }

  function styleOf(kind) {
    return kind === "boundary"
      ? { color: "#1f2a2e", weight: 3, fillOpacity: 0.05 }
      : { color: "#455a64", weight: 2, fillColor: D.colours[kind] || "#9e9e9e", fillOpacity: 0.6, radius: 6 };
  }

  document.querySelectorAll("[data-testid=site-palette] button").forEach((button) => {
    button.addEventListener("click", () => {
      document.querySelectorAll("[data-testid=site-palette] button").forEach((b) => b.setAttribute("aria-pressed", "false"));
      button.setAttribute("aria-pressed", "true");
      current = { kind: button.dataset.kind, geometry: button.dataset.geometry };
      map.pm.disableDraw();
      map.pm.enableDraw(SHAPES[current.geometry], { pathOptions: styleOf(current.kind), templineStyle: styleOf(current.kind) });
      status.textContent = format(S.drawing, { kind: D.names[current.kind] });
    });
  });

  function add(kind, layer, properties) {
    if (kind === "boundary") {
      drawn.filter((d) => d.kind === "boundary").forEach((d) => remove(d));
    }
    layer.setStyle && layer.setStyle(styleOf(kind));
    const item = { kind: kind, layer: layer, properties: properties || (kind === "tree_existing" ? { keep: true } : {}) };
    drawn.push(item);
    render();
    return item;
  }

  map.on("pm:create", (event) => {
    if (!current) { event.layer.remove(); return; }
    add(current.kind, event.layer);
    map.pm.disableDraw();
    document.querySelectorAll("[data-testid=site-palette] button").forEach((b) => b.setAttribute("aria-pressed", "false"));
    current = null;
  });

  // A GeoJSON file instead of drawing: a FeatureCollection whose features carry a "kind"
  // (one of the palette's, "boundary" for the boundary); a lone polygon without a kind is
  // taken as the boundary. The API checks it all on saving, as for a drawn site.
  const upload = document.getElementById("site-file");
  upload.addEventListener("change", async () => {
    const file = upload.files && upload.files[0];
    if (!file) { return; }
    let doc;
    try {
      doc = JSON.parse(await file.text());
    } catch (error) {
      status.textContent = S.bad_file;
      return;
    }
    const features = doc && doc.type === "FeatureCollection" ? doc.features
      : doc && doc.type === "Feature" ? [doc]
        : doc && doc.type ? [{ type: "Feature", geometry: doc, properties: {} }] : null;
    if (!Array.isArray(features) || !features.length) { status.textContent = S.bad_file; return; }
    let added = 0;
    let skipped = 0;
    features.forEach((f) => {
      const props = Object.assign({}, (f && f.properties) || {});
      const geometry = f && f.geometry;
      let kind = props.kind;
      if (!kind && geometry && geometry.type === "Polygon" && !drawn.some((d) => d.kind === "boundary")) { kind = "boundary"; }
      if (!geometry || !(kind in D.names)) { skipped += 1; return; }
      let layer = null;
      try {
        L.geoJSON(geometry, { pointToLayer: (_f, latlng) => L.circleMarker(latlng) }).eachLayer((l) => { layer = l; });
      } catch (error) {
        skipped += 1;
        return;
      }
      if (!layer) { skipped += 1; return; }
      layer.addTo(map);
      delete props.kind;
      delete props.id;
      add(kind, layer, kind === "tree_existing" ? Object.assign({ keep: true }, props) : props);
      added += 1;
    });
    const bounds = L.featureGroup(drawn.map((d) => d.layer)).getBounds();
    if (bounds.isValid()) { map.fitBounds(bounds, { maxZoom: 20 }); }
    status.textContent = format(S.loaded, { n: added, skipped: skipped });
    upload.value = "";
  });

  function remove(item) {
    item.layer.remove();
    drawn.splice(drawn.indexOf(item), 1);
  }

  function render() {
    drawnList.replaceChildren(...drawn.map((item, index) => {
      const li = document.createElement("li");
      li.dataset.kind = item.kind;
      const name = document.createElement("span");
      name.textContent = D.names[item.kind] + " ";
      li.append(name);
      if (item.kind !== "boundary") {
        const label = document.createElement("input");
        label.setAttribute("aria-label", S.label);
        label.placeholder = S.label;
        label.maxLength = 80;
        label.value = item.properties.label || "";
        label.addEventListener("input", () => { item.properties.label = label.value; });
        li.append(label);
      }
      if (item.kind === "tree_existing") {
        const keep = document.createElement("label");
        const box = document.createElement("input");
        box.type = "checkbox";
        box.checked = item.properties.keep === true;
        box.addEventListener("change", () => { item.properties.keep = box.checked; });
        keep.append(box, " " + S.keep);
        li.append(keep);
      }
      const button = document.createElement("button");
      button.type = "button";
      button.className = "button small";
      button.textContent = S.remove;
      button.addEventListener("click", () => { remove(item); render(); });
      li.append(button);
      li.id = "drawn-" + index;
      return li;
    }));
  }

  function feature(item, index) {
    const geometry = item.layer.toGeoJSON().geometry;
    const properties = Object.assign({ kind: item.kind, id: item.kind + "-" + (index + 1) }, item.properties);
    if (!properties.label) { delete properties.label; }
    return { type: "Feature", id: properties.id, geometry: geometry, properties: properties };
  }

  document.getElementById("save-site").addEventListener("click", async () => {
    findings.replaceChildren();
    const name = document.getElementById("site-name").value.trim();
    const boundary = drawn.find((d) => d.kind === "boundary");
    if (!name) { status.textContent = S.need_name; return; }
    if (!boundary) { status.textContent = S.need_boundary; return; }
    status.textContent = S.saving;
    const constraints = drawn.filter((d) => d.kind !== "boundary").map(feature);
    try {
      const site = await window.jiayuanApi.post(C.create_url, {
        community_id: C.community_id,
        name: name,
        kind: document.getElementById("site-kind").value,
        boundary: boundary.layer.toGeoJSON().geometry,
        constraints: { type: "FeatureCollection", features: constraints },
      });
      window.location.assign(C.site_url.replace("{id}", String(site.id || (site.properties && site.properties.id))));
    } catch (error) {
      const report = error.error && error.error.report;
      status.textContent = report ? S.invalid : (error.message || S.error);
      showFindings(report);
    }
  });

  // The findings on the map too: what each one is about is drawn in red, dashed.
  function showFindings(report) {
    drawn.forEach((item) => item.layer.setStyle && item.layer.setStyle(styleOf(item.kind)));
    const ids = {};
    drawn.forEach((item, index) => { ids[feature(item, index).properties.id] = item; });
    [["error", (report && report.errors) || []], ["warning", (report && report.warnings) || []]].forEach(([severity, list]) => {
      list.forEach((finding) => {
        const li = document.createElement("li");
        li.className = "finding finding-" + severity;
        li.textContent = finding.message;
        findings.append(li);
        const about = [finding.feature_id].concat(finding.feature_ids || []).filter((id) => id !== null && id !== undefined);
        const items = about.length ? about.map((id) => ids[id]).filter(Boolean) : drawn.filter((d) => d.kind === "boundary");
        items.forEach((item) => {
          if (item.layer.setStyle) {
            item.layer.setStyle({ color: severity === "error" ? "#c62828" : "#ef6c00", weight: 4, dashArray: "6 4" });
          }
        });
      });
    });
  }
})();
