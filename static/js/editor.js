/* The map editor: draw a layout with Leaflet-Geoman on the folium map of the page,
 * check it against the site as it changes, and submit it through the JSON API.
 *
 * Everything the script needs comes from the page's data island (#editor-data):
 * the kinds of features (geo.kinds), the layout to start from, the API's URLs and
 * every string it shows, already translated. Each feature is a Leaflet layer that
 * carries its GeoJSON properties in layer.feature; layers are kept by feature id in
 * window.jiayuanMaps[mapName].layers.layout, as geo.maps does for its own layers.
 */
(function () {
  "use strict";

  const island = document.getElementById("editor-data");
  if (!island) { return; }
  const D = JSON.parse(island.textContent);
  const S = D.strings;
  const entry = window.jiayuanMaps[D.mapName];
  const map = entry.map;
  const group = entry.groups.layout;
  const byId = entry.layers.layout = entry.layers.layout || {};
  const kinds = {};
  D.kinds.forEach(function (k) { kinds[k.kind] = k; });
  const numbers = new Intl.NumberFormat(D.language, { maximumFractionDigits: 1 });
  const percent = new Intl.NumberFormat(D.language, { style: "percent", maximumFractionDigits: 1 });
  const money = new Intl.NumberFormat(D.language, { maximumFractionDigits: 0 });

  const $ = function (id) { return document.getElementById(id); };
  const statusLine = $("editor-status");
  const findingsPanel = $("findings");
  const findingsList = $("findings-list");
  const findingsSummary = $("findings-summary");
  const metricsBody = $("metrics-body");
  const drawingBar = $("drawing-bar");

  const FINDING_STYLES = {
    error: { color: "#c62828", weight: 4, dashArray: "6 4" },
    warning: { color: "#ef6c00", weight: 3, dashArray: "2 5" },
  };
  const GEOMAN_SHAPES = { Rectangle: "Rectangle", Polygon: "Polygon", Point: "CircleMarker", LineString: "Line" };
  const MODES = {
    move: ["enableGlobalDragMode", "disableGlobalDragMode", "globalDragModeEnabled"],
    rotate: ["enableGlobalRotateMode", "disableGlobalRotateMode", "globalRotateModeEnabled"],
    edit: ["enableGlobalEditMode", "disableGlobalEditMode", "globalEditModeEnabled"],
    remove: ["enableGlobalRemovalMode", "disableGlobalRemovalMode", "globalRemovalModeEnabled"],
  };

  let drawing = null;      // {kind, shape} while a draw mode is on
  let mode = null;         // one of MODES while a global mode is on
  let selectedId = null;
  let dirty = false;
  let timer = null;
  let sequence = 0;
  let marked = {};         // feature id -> severity currently shown on the map

  function format(template, params) {
    return template.replace(/%\((\w+)\)[sd]/g, function (whole, key) {
      return params[key] !== undefined ? String(params[key]) : whole;
    });
  }

  function say(text) { statusLine.textContent = text || ""; }

  /* ---- Geoman set-up ---------------------------------------------------- */

  map.pm.setLang("jiayuan", {
    tooltips: {
      placeMarker: S.tooltipPlaceMarker,
      placeMarkerTouch: S.tooltipPlaceMarker,
      placeCircleMarker: S.tooltipPlaceMarker,
      firstVertex: S.tooltipFirstVertex,
      continueLine: S.tooltipContinueLine,
      finishLine: S.tooltipFinishLine,
      finishPoly: S.tooltipFinishPoly,
      finishRect: S.tooltipFinishRect,
    },
  }, "en");
  map.pm.setGlobalOptions({
    layerGroup: group,
    allowSelfIntersection: false,
    allowSelfIntersectionEdit: false,
    snappable: true,
    snapDistance: 15,
    exitModeOnEscape: true,
    markerEditable: false,
  });

  // The site and the needs are for looking at: Geoman must not move or delete them.
  // The site's outline and features stay snapping targets.
  function readOnly(name, snap) {
    const layers = entry.groups[name];
    if (!layers) { return; }
    layers.eachLayer(function (layer) {
      layer.options.pmIgnore = true;
      layer.options.snapIgnore = !snap;
    });
  }
  // Say on the map's element when it pans or zooms, so that a test waits for it to settle.
  map.on("movestart", function () { map.getContainer().dataset.moving = "true"; });
  map.on("moveend", function () { delete map.getContainer().dataset.moving; });
  readOnly("site", true);
  readOnly("needs", false);
  // The boundary's tooltip would follow the pointer over the whole site while drawing:
  // the boundary stops taking the pointer (it still snaps).
  if (entry.groups.site) {
    entry.groups.site.eachLayer(function (layer) {
      if (!layer.feature || layer.feature.properties.kind !== "site_boundary") { return; }
      layer.closeTooltip();
      layer.options.interactive = false;
      const el = layer.getElement && layer.getElement();
      if (el) { el.classList.remove("leaflet-interactive"); }
    });
  }
  if (entry.legend) { entry.legend.remove(); }  // the palette shows the colours

  /* ---- features ------------------------------------------------------- */

  function geometryOf(layer) {
    if (layer instanceof L.CircleMarker || layer instanceof L.Marker) { return "Point"; }
    if (layer instanceof L.Polygon) { return "Polygon"; }
    if (layer instanceof L.Polyline) { return "LineString"; }
    return null;
  }

  function baseStyle(kind, geometry) {
    const k = kinds[kind];
    const style = k
      ? { color: k.stroke, fillColor: k.fill, weight: 2, fillOpacity: 0.55, dashArray: null, opacity: 1 }
      : { color: "#455a64", fillColor: "#90a4ae", weight: 2, fillOpacity: 0.4, dashArray: null, opacity: 1 };
    if (k && k.overhead) { style.fillOpacity = 0.25; style.dashArray = "5 3"; }
    if (geometry === "Point") { style.fillOpacity = 0.9; style.radius = 8; }
    if (geometry === "LineString") { style.weight = kind === "path" ? 6 : 4; }
    return style;
  }

  function kindName(kind) { return kinds[kind] ? kinds[kind].name : String(kind || "?"); }

  function newId(kind) {
    const stem = String(kind || "feature");
    let n = 1;
    while (byId[stem + "-" + n]) { n += 1; }
    return stem + "-" + n;
  }

  function paint(layer) {
    const props = layer.feature.properties;
    const style = baseStyle(props.kind, geometryOf(layer));
    const severity = marked[props.id];
    if (severity) { Object.assign(style, FINDING_STYLES[severity]); }
    if (layer.setStyle) { layer.setStyle(style); }
    const el = layer.getElement && layer.getElement();
    if (el) {
      el.setAttribute("data-feature-id", props.id);
      el.setAttribute("data-layer-group", "layout");
      el.setAttribute("data-kind", props.kind || "");
      el.classList.toggle("finding-error", severity === "error");
      el.classList.toggle("finding-warning", severity === "warning");
      el.classList.toggle("is-selected", props.id === selectedId);
      if (severity) { el.setAttribute("data-finding", severity); } else { el.removeAttribute("data-finding"); }
    }
  }

  function tooltipOf(props) {
    return props.label ? kindName(props.kind) + ": " + props.label : kindName(props.kind);
  }

  function adopt(layer, props) {
    const id = String(props.id);
    layer.feature = { type: "Feature", id: id, properties: Object.assign({}, props, { id: id }) };
    if (!group.hasLayer(layer)) { group.addLayer(layer); }
    byId[id] = layer;
    const tip = document.createElement("span");
    tip.textContent = tooltipOf(layer.feature.properties);
    layer.bindTooltip(tip, { sticky: true });
    layer.on("click", function () {
      if (!drawing && mode !== "remove") { select(id); }
    });
    layer.on("add", function () { paint(layer); });
    layer.on("pm:edit pm:dragend pm:rotateend pm:vertexremoved", changed);
    paint(layer);
    return layer;
  }

  function forget(id) {
    const layer = byId[id];
    if (!layer) { return; }
    delete byId[id];
    delete marked[id];
    group.removeLayer(layer);
    if (selectedId === id) { select(null); }
  }

  function collection() {
    const features = Object.keys(byId).map(function (id) {
      const layer = byId[id];
      const feature = layer.toGeoJSON(8);
      feature.id = id;
      feature.properties = Object.assign({}, layer.feature.properties, { id: id });
      return feature;
    });
    return { type: "FeatureCollection", features: features };
  }

  /* Layers for the features of a GeoJSON document; ids are kept unless taken. */
  function load(doc, keepIds) {
    let count = 0;
    const features = doc.type === "Feature" ? [doc] : doc.features;
    features.forEach(function (feature) {
      if (!feature || typeof feature !== "object" || !feature.geometry) { return; }
      let layers;
      try {
        layers = L.geoJSON(feature, {
          pointToLayer: function (_f, latlng) { return L.circleMarker(latlng); },
        }).getLayers();
      } catch (e) {
        return;  // a malformed geometry: leave it out
      }
      const props = Object.assign({}, feature.properties || {});
      layers.forEach(function (layer) {
        let id = feature.id !== undefined && feature.id !== null ? feature.id : props.id;
        if (id === undefined || id === null || id === "" || byId[String(id)] || !keepIds || layers.length > 1) {
          id = newId(props.kind);
        }
        adopt(layer, Object.assign({}, props, { id: String(id) }));
        count += 1;
      });
    });
    return count;
  }

  /* ---- selection and properties -------------------------------------- */

  function select(id) {
    const previous = selectedId;
    selectedId = id && byId[id] ? id : null;
    [previous, selectedId].forEach(function (fid) { if (fid && byId[fid]) { paint(byId[fid]); } });
    const panel = $("selected-panel");
    if (!selectedId) { panel.hidden = true; return; }
    const layer = byId[selectedId];
    const props = layer.feature.properties;
    const geometry = geometryOf(layer);
    panel.hidden = false;
    $("selected-title").textContent = format(S.selected, { kind: kindName(props.kind) });
    $("selected-id").textContent = selectedId;
    $("f-label").value = props.label || "";
    const isLinePath = props.kind === "path" && geometry === "LineString";
    $("f-width-field").hidden = !isLinePath;
    $("f-width").value = isLinePath && props.width_m !== undefined ? props.width_m : "";
    const isBench = props.kind === "bench";
    $("f-seats-field").hidden = !isBench;
    $("f-seats").value = isBench && props.seats !== undefined ? props.seats : "";
  }

  function setProperty(name, value) {
    if (!selectedId) { return; }
    const layer = byId[selectedId];
    const props = layer.feature.properties;
    if (value === null || value === "" || (typeof value === "number" && !isFinite(value))) {
      delete props[name];
    } else {
      props[name] = value;
    }
    if (name === "label") {
      const tip = layer.getTooltip();
      if (tip) { tip.getContent().textContent = tooltipOf(props); }
    }
    changed();
  }

  $("f-label").addEventListener("input", function (e) { setProperty("label", e.target.value.trim()); });
  $("f-width").addEventListener("input", function (e) {
    setProperty("width_m", e.target.value === "" ? null : parseFloat(e.target.value));
  });
  $("f-seats").addEventListener("input", function (e) {
    setProperty("seats", e.target.value === "" ? null : parseInt(e.target.value, 10));
  });
  $("f-delete").addEventListener("click", function () {
    if (selectedId && window.confirm(S.confirmDelete)) {
      forget(selectedId);
      changed();
    }
  });
  $("f-zoom").addEventListener("click", function () { if (selectedId) { zoomTo(selectedId); } });

  function layerFor(id) {
    if (byId[id]) { return byId[id]; }
    const site = entry.layers.site || {};
    return site[id] || null;
  }

  function zoomTo(id) {
    const layer = layerFor(id);
    if (!layer) { return; }
    if (layer.getBounds) {
      map.fitBounds(layer.getBounds(), { maxZoom: 21, padding: [48, 48] });
    } else if (layer.getLatLng) {
      map.setView(layer.getLatLng(), Math.max(map.getZoom(), 20));
    }
    if (byId[id]) { select(id); }
    map.getContainer().scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  /* ---- modes and drawing ---------------------------------------------- */

  function pressed(selector, test) {
    document.querySelectorAll(selector).forEach(function (button) {
      button.setAttribute("aria-pressed", test(button) ? "true" : "false");
    });
  }

  function resetUi() {
    mode = null;
    drawing = null;
    drawingBar.hidden = true;
    pressed(".editor-tools [data-mode]", function () { return false; });
    pressed(".palette .kind", function () { return false; });
    say("");
  }

  function stopAll() {
    map.pm.disableDraw();
    Object.keys(MODES).forEach(function (name) {
      if (mode === name) { map.pm[MODES[name][1]](); }
    });
    resetUi();
  }

  // Geoman also leaves a mode by itself (Escape, a finished shape): follow it.
  map.on("pm:drawend pm:globaldragmodetoggled pm:globalrotatemodetoggled " +
         "pm:globaleditmodetoggled pm:globalremovalmodetoggled", function () {
    setTimeout(function () {
      const drawingOn = map.pm.globalDrawModeEnabled();
      const modeOn = mode && map.pm[MODES[mode][2]]();
      if ((drawing && !drawingOn) || (mode && !modeOn)) { resetUi(); }
    }, 0);
  });

  function setMode(name) {
    const again = mode === name;
    stopAll();
    if (!name || again) { return; }
    map.pm[MODES[name][0]]();
    mode = name;
    pressed(".editor-tools [data-mode]", function (b) { return b.dataset.mode === name; });
  }

  function shapesOf(kind) {
    const shapes = [];
    (kinds[kind] ? kinds[kind].geometries : ["Polygon"]).forEach(function (geometry) {
      if (geometry === "Polygon") { shapes.push("Rectangle", "Polygon"); } else { shapes.push(geometry); }
    });
    return shapes;
  }

  function startDrawing(kind, shape) {
    stopAll();
    const shapes = shapesOf(kind);
    shape = shapes.indexOf(shape) >= 0 ? shape : shapes[0];
    drawing = { kind: kind, shape: shape };
    const geometry = shape === "Rectangle" ? "Polygon" : shape;
    const style = baseStyle(kind, geometry);
    map.pm.enableDraw(GEOMAN_SHAPES[shape], {
      pathOptions: style,
      templineStyle: { color: style.color, weight: 2 },
      hintlineStyle: { color: style.color, dashArray: [5, 5] },
      continueDrawing: shape === "Point",
      snappable: $("snapping").checked,
    });
    pressed(".palette .kind", function (b) { return b.dataset.kind === kind; });
    drawingBar.hidden = false;
    drawingBar.querySelectorAll("[data-shape]").forEach(function (button) {
      button.hidden = shapes.indexOf(button.dataset.shape) < 0 || shapes.length < 2;
      button.setAttribute("aria-pressed", button.dataset.shape === shape ? "true" : "false");
    });
    const multi = shape === "Polygon" || shape === "LineString";
    $("draw-undo").hidden = !multi;
    $("draw-finish").hidden = !multi;
    say(format(S.drawing, { kind: kindName(kind) }));
  }

  function activeDraw() {
    return drawing ? map.pm.Draw[GEOMAN_SHAPES[drawing.shape]] : null;
  }

  map.on("pm:create", function (e) {
    if (!drawing) { return; }
    const props = { id: newId(drawing.kind), kind: drawing.kind };
    if (drawing.kind === "path" && geometryOf(e.layer) === "LineString") { props.width_m = D.pathWidth; }
    adopt(e.layer, props);
    select(props.id);
    changed();
    if (drawing.shape !== "Point") {
      // One shape at a time; points keep coming until the designer stops.
      stopAll();
    }
  });

  map.on("pm:remove", function (e) {
    const props = e.layer && e.layer.feature && e.layer.feature.properties;
    if (props && byId[props.id] === e.layer) {
      forget(props.id);
      changed();
    }
  });

  document.querySelectorAll(".palette .kind").forEach(function (button) {
    button.addEventListener("click", function () {
      if (drawing && drawing.kind === button.dataset.kind) { stopAll(); return; }
      startDrawing(button.dataset.kind);
    });
  });
  drawingBar.querySelectorAll("[data-shape]").forEach(function (button) {
    button.addEventListener("click", function () {
      if (drawing) { startDrawing(drawing.kind, button.dataset.shape); }
    });
  });
  $("draw-stop").addEventListener("click", stopAll);
  $("draw-undo").addEventListener("click", function () {
    const draw = activeDraw();
    if (draw && draw._removeLastVertex) { draw._removeLastVertex(); }
  });
  $("draw-finish").addEventListener("click", function () {
    const draw = activeDraw();
    if (draw && draw._finishShape) { draw._finishShape(); }
  });
  document.querySelectorAll(".editor-tools [data-mode]").forEach(function (button) {
    button.addEventListener("click", function () { setMode(button.dataset.mode); });
  });
  $("snapping").addEventListener("change", function (e) {
    map.pm.setGlobalOptions({ snappable: e.target.checked });
  });
  $("fit-site").addEventListener("click", function () {
    const site = entry.groups.site;
    if (site) { map.fitBounds(site.getBounds(), { padding: [12, 12] }); }
  });

  /* ---- live findings ------------------------------------------------- */

  function changed() {
    dirty = true;
    findingsPanel.dataset.state = "pending";
    clearTimeout(timer);
    timer = setTimeout(check, 300);
  }

  async function check() {
    const mine = ++sequence;
    findingsPanel.dataset.state = "checking";
    try {
      const report = await window.jiayuanApi.post(D.urls.validate, collection());
      if (mine === sequence) { showReport(report); }
    } catch (error) {
      if (mine === sequence) {
        findingsPanel.dataset.state = "failed";
        findingsSummary.textContent = format(S.checkFailed, { message: error.message });
      }
    }
  }

  function idsOf(finding) {
    const ids = (finding.feature_ids && finding.feature_ids.length) ? finding.feature_ids : [finding.feature_id];
    return ids.filter(function (id) { return id !== null && id !== undefined; }).map(String);
  }

  function showReport(report) {
    const findings = (report.errors || []).concat(report.warnings || []);
    const before = marked;
    marked = {};
    findings.forEach(function (finding) {
      idsOf(finding).forEach(function (id) {
        if (marked[id] !== "error") { marked[id] = finding.severity === "error" ? "error" : "warning"; }
      });
    });
    Object.keys(Object.assign({}, before, marked)).forEach(function (id) {
      if (byId[id]) { paint(byId[id]); }
    });

    findingsList.replaceChildren();
    findings.forEach(function (finding) {
      const item = document.createElement("li");
      item.className = "finding " + finding.severity;
      item.dataset.code = finding.code;
      item.dataset.severity = finding.severity;
      const ids = idsOf(finding);
      if (ids.length) { item.dataset.featureIds = ids.join(" "); }
      const badge = document.createElement("span");
      badge.className = "severity";
      badge.textContent = finding.severity === "error" ? S.error : S.warning;
      const text = document.createElement("span");
      text.textContent = finding.message;
      const target = ids.find(function (id) { return layerFor(id); });
      let holder = item;
      if (target) {
        holder = document.createElement("button");
        holder.type = "button";
        holder.className = "finding-link";
        holder.title = S.showOnMap;
        holder.addEventListener("click", function () { zoomTo(target); });
        item.appendChild(holder);
      }
      holder.append(badge, " ", text);
      findingsList.appendChild(item);
    });
    const errors = (report.errors || []).length;
    const warnings = (report.warnings || []).length;
    if (!Object.keys(byId).length) {
      findingsSummary.textContent = S.empty;
    } else if (!findings.length) {
      findingsSummary.textContent = S.noFindings;
    } else {
      findingsSummary.textContent = format(S.errorsCount, { errors: errors, warnings: warnings });
    }
    findingsPanel.dataset.valid = report.valid ? "true" : "false";
    findingsPanel.dataset.state = "done";
    showMetrics(report.metrics);
  }

  /* ---- metrics -------------------------------------------------------- */

  function row(table, name, value, extra) {
    const tr = document.createElement("tr");
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = name;
    const td = document.createElement("td");
    td.textContent = value;
    if (extra) { td.append(" ", extra); }
    tr.append(th, td);
    table.appendChild(tr);
    return tr;
  }

  function showMetrics(m) {
    if (!m) { return; }
    const table = document.createElement("table");
    table.className = "metrics-table";
    row(table, S["metric.site_area_m2"], numbers.format(m.site_area_m2));
    Object.keys(m.area_by_kind_m2 || {}).forEach(function (kind) {
      row(table, kindName(kind) + " (m²)", numbers.format(m.area_by_kind_m2[kind])).className = "sub";
    });
    Object.keys(m.length_by_kind_m || {}).forEach(function (kind) {
      row(table, kindName(kind) + " (m)", numbers.format(m.length_by_kind_m[kind])).className = "sub";
    });
    row(table, S["metric.green_ratio"], percent.format(m.green_ratio || 0));
    row(table, S["metric.hard_surface_ratio"], percent.format(m.hard_surface_ratio || 0));
    row(table, S["metric.shaded_ratio"], percent.format(m.shaded_ratio || 0));
    row(table, S["metric.seats"], String(m.seats));
    const trees = m.trees || {};
    row(table, S["metric.trees.kept"], String(trees.kept || 0));
    row(table, S["metric.trees.removed"], String(trees.removed || 0));
    row(table, S["metric.trees.new"], String(trees.new || 0));
    const cost = "¥" + money.format(m.estimated_cost_cny || 0);
    if (D.budget) {
      const over = (m.estimated_cost_cny || 0) > D.budget;
      const note = document.createElement("span");
      note.className = over ? "over-budget" : "within-budget";
      note.textContent = "/ " + S.budget + " ¥" + money.format(D.budget) + " (" + (over ? S.overBudget : S.withinBudget) + ")";
      row(table, S["metric.estimated_cost_cny"], cost, note);
    } else {
      row(table, S["metric.estimated_cost_cny"], cost);
    }
    metricsBody.replaceChildren(table);
  }

  /* ---- import and export ---------------------------------------------- */

  let pending = null;
  const importChoice = $("import-choice");

  $("import-file").addEventListener("change", function (e) {
    const file = e.target.files && e.target.files[0];
    if (!file) { return; }
    const reader = new FileReader();
    reader.onload = function () {
      let doc = null;
      try { doc = JSON.parse(String(reader.result)); } catch (err) { doc = null; }
      e.target.value = "";
      const ok = doc && (doc.type === "FeatureCollection" ? Array.isArray(doc.features) : doc.type === "Feature");
      if (!ok) { say(S.importBadFile); return; }
      if (!Object.keys(byId).length) { finishImport(doc, "replace"); return; }
      pending = doc;
      const count = doc.type === "Feature" ? 1 : doc.features.length;
      $("import-question").textContent = format(S.importReplaceOrMerge, { count: count });
      importChoice.hidden = false;
    };
    reader.readAsText(file);
  });

  importChoice.querySelectorAll("[data-import]").forEach(function (button) {
    button.addEventListener("click", function () {
      importChoice.hidden = true;
      const doc = pending;
      pending = null;
      if (doc && button.dataset.import !== "cancel") { finishImport(doc, button.dataset.import); }
    });
  });

  function finishImport(doc, how) {
    stopAll();
    if (how === "replace") { Object.keys(byId).forEach(forget); }
    const count = load(doc, true);
    say(format(S.importDone, { count: count }));
    const bounds = group.getBounds();
    if (bounds.isValid()) { map.fitBounds(bounds.extend(entry.groups.site.getBounds()), { padding: [12, 12] }); }
    changed();
  }

  $("export").addEventListener("click", function () {
    const blob = new Blob([JSON.stringify(collection(), null, 2)], { type: "application/geo+json" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = "jiayuan-layout-round-" + D.roundId + ".geojson";
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(link.href); }, 1000);
  });

  /* ---- submission ----------------------------------------------------- */

  const form = $("submit-form");
  const formStatus = $("submit-status");

  function checkedValues(name) {
    return Array.prototype.map.call(
      form.querySelectorAll("input[name=" + name + "]:checked"),
      function (input) { return parseInt(input.value, 10); });
  }

  form.addEventListener("submit", async function (e) {
    e.preventDefault();
    formStatus.textContent = "";
    const body = {
      layout: collection(),
      note: form.elements.note.value,
      needs: checkedValues("needs"),
    };
    if (D.mode === "new") {
      body.title = form.elements.title.value.trim();
      body.summary = form.elements.summary.value;
      body.co_designers = checkedValues("co_designers");
      if (!body.title) {
        formStatus.textContent = S.titleMissing;
        form.elements.title.focus();
        return;
      }
    }
    const button = $("submit");
    button.disabled = true;
    formStatus.textContent = S.submitting;
    try {
      const answer = await window.jiayuanApi.post(D.urls.submit, body);
      dirty = false;
      const id = D.mode === "new" ? answer.id : D.proposalId;
      window.location.assign(D.urls.proposal.replace("{id}", String(id)));
    } catch (error) {
      button.disabled = false;
      if (error.error && error.error.report) {
        clearTimeout(timer);
        sequence += 1;  // a check still under way must not overwrite the submission's report
        showReport(error.error.report);
        formStatus.textContent = S.submitHasErrors;
        findingsPanel.scrollIntoView({ block: "nearest", behavior: "smooth" });
      } else {
        formStatus.textContent = format(S.submitFailed, { message: error.message });
      }
    }
  });

  window.addEventListener("beforeunload", function (e) {
    if (dirty) {
      e.preventDefault();
      e.returnValue = S.leaveUnsaved;
    }
  });

  /* ---- start ---------------------------------------------------------- */

  load(D.layout || { type: "FeatureCollection", features: [] }, true);
  dirty = false;
  findingsPanel.dataset.state = "pending";
  check();

  // For tests and the curious: the editor's state.
  window.jiayuanEditor = { map: map, layers: byId, collection: collection, check: check };
})();
