/* The map editor: draw a layout with Leaflet-Geoman on the folium map of the page,
 * check it against the site as it changes, and submit it through the JSON API.
 *
 * Everything the script needs comes from the page's data island (#editor-data):
 * the kinds of features (geo.kinds), the layout to start from, the API's URLs and
 * every string it shows, already translated. Each feature is a Leaflet layer that
 * carries its GeoJSON properties in layer.feature; layers are kept by feature id in
 * window.jiayuanMaps[mapName].layers.layout, as geo.maps does for its own layers.
 *
 * A new version is drawn by the proposal's team together (D.live): codesign.js then brings
 * the shared draft's features in (put, drop), hears of every local change through `hooks`,
 * and submits the draft; ids of new features are random, since teammates draw at once.
 */
(function () {
  "use strict";

  const island = document.getElementById("editor-data");
  if (!island) { return; }
  const D = JSON.parse(island.textContent);
  const S = D.strings;
  // Co-design (static/js/codesign.js): the team's shared draft, live. The draft's script
  // brings the features in and hears of every local change through these hooks.
  const live = D.live || null;
  const hooks = { changed: null, selected: null, submit: null };
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

  let busyId = null;       // the feature being dragged, turned or reshaped by hand right now
  let drawing = null;      // {kind, shape} while a draw mode is on
  let mode = null;         // one of MODES while a global mode is on
  let selectedId = null;
  let dirty = false;
  let timer = null;
  let sequence = 0;
  let marked = {};         // feature id -> severity currently shown on the map
  let order = [];          // feature ids in the layout's order: later ones are drawn on top
  const undoStack = [];    // deleted features, last one last: {id, index, feature, name}

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

  function randomHex(n) {
    const bytes = window.crypto.getRandomValues(new Uint8Array(Math.ceil(n / 2)));
    return Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("").slice(0, n);
  }

  function newId(kind) {
    const stem = String(kind || "feature");
    // Teammates draw at the same time: an id made here must not be one they make too.
    if (live) {
      let id = stem + "-" + randomHex(12);
      while (byId[id]) { id = stem + "-" + randomHex(12); }
      return id;
    }
    let n = 1;
    // An id that "Undo delete" may bring back is still taken.
    const taken = function (id) {
      return byId[id] || undoStack.some(function (gone) { return gone.id === id; });
    };
    while (taken(stem + "-" + n)) { n += 1; }
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
    if (order.indexOf(id) < 0) { order.push(id); }
    const tip = document.createElement("span");
    tip.textContent = tooltipOf(layer.feature.properties);
    layer.bindTooltip(tip, { sticky: true });
    layer.on("click", function (e) {
      if (drawing || mode === "remove") { return; }
      select(id);
      // Leaflet tells only the topmost layer: ask which one was meant when others lie under it.
      const here = mode ? [] : featuresAt(e.latlng);
      if (here.length > 1) { offerChoice(e.latlng, here); }
    });
    layer.on("add", function () { paint(layer); });
    layer.on("pm:dragstart pm:rotatestart pm:markerdragstart", function () { busyId = id; });
    layer.on("pm:dragend pm:rotateend pm:markerdragend", function () {
      if (busyId === id) { busyId = null; }
    });
    layer.on("pm:edit pm:dragend pm:rotateend pm:vertexremoved", changed);
    layer.on("pm:edit pm:dragend pm:rotateend pm:vertexremoved", function () {
      if (selectedId === id) { fillShape(); }
    });
    paint(layer);
    listChanged();
    return layer;
  }

  function forget(id) {
    const layer = byId[id];
    if (!layer) { return; }
    delete byId[id];
    delete marked[id];
    order = order.filter(function (other) { return other !== id; });
    group.removeLayer(layer);
    if (selectedId === id) { select(null); }
    listChanged();
  }

  /* The layers stacked as the list orders them, the last one on top. */
  function restack() {
    order.forEach(function (id) {
      const layer = byId[id];
      if (layer && layer._map && layer.bringToFront) { layer.bringToFront(); }
    });
  }

  function collection() {
    const features = order.map(function (id) {
      const layer = byId[id];
      const feature = layer.toGeoJSON(8);
      feature.id = id;
      feature.properties = Object.assign({}, layer.feature.properties, { id: id });
      return feature;
    });
    return { type: "FeatureCollection", features: features };
  }

  /* The Leaflet layers of one GeoJSON feature (none for a malformed geometry). */
  function layersOf(feature) {
    try {
      return L.geoJSON(feature, {
        pointToLayer: function (_f, latlng) { return L.circleMarker(latlng); },
      }).getLayers();
    } catch (e) {
      return [];
    }
  }

  /* Layers for the features of a GeoJSON document; ids are kept unless taken. */
  function load(doc, keepIds) {
    let count = 0;
    const features = doc.type === "Feature" ? [doc] : doc.features;
    features.forEach(function (feature) {
      if (!feature || typeof feature !== "object" || !feature.geometry) { return; }
      const layers = layersOf(feature);  // a malformed geometry gives none: it is left out
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
    restack();
    return count;
  }

  /* ---- selection and properties -------------------------------------- */

  function select(id) {
    const previous = selectedId;
    selectedId = id && byId[id] ? id : null;
    [previous, selectedId].forEach(function (fid) { if (fid && byId[fid]) { paint(byId[fid]); } });
    if (previous !== selectedId) { listChanged(); }
    const panel = $("selected-panel");
    if (previous !== selectedId && hooks.selected) { hooks.selected(selectedId); }
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
    $("move-form").reset();
    shapeError("");
    fillShape();
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
      listChanged();
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
    if (!selectedId) { return; }
    deleteFeature(selectedId);
    undoTarget().focus();  // the panel is gone with the feature: the way back is next
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

  /* ---- the feature list ------------------------------------------------ */

  const featureList = $("feature-list");
  let listQueued = false;
  let focusAfterList = null;  // {id, action}: where focus goes once the list is drawn again

  function nameOf(id) {
    const props = byId[id].feature.properties;
    return props.label ? kindName(props.kind) + ": " + props.label : kindName(props.kind) + " " + id;
  }

  // Many changes come at once (a file loads, a layout is replaced): draw the list once after them.
  function listChanged() {
    if (listQueued) { return; }
    listQueued = true;
    Promise.resolve().then(function () {
      listQueued = false;
      renderList();
    });
  }

  function rowButton(action, glyph, label) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "tool icon-tool";
    button.dataset.action = action;
    button.setAttribute("aria-label", label);
    button.title = label;
    const mark = document.createElement("span");
    mark.setAttribute("aria-hidden", "true");
    mark.textContent = glyph;
    button.appendChild(mark);
    return button;
  }

  function renderList() {
    // Drawing the list again must not lose the keyboard's place in it.
    const active = document.activeElement;
    let focus = focusAfterList;
    focusAfterList = null;
    if (!focus && active && featureList.contains(active)) {
      const row = active.closest("[data-feature-id]");
      focus = row ? { id: row.dataset.featureId, action: active.dataset.action } : null;
    }
    featureList.replaceChildren();
    order.forEach(function (id, index) {
      const props = byId[id].feature.properties;
      const name = nameOf(id);
      const item = document.createElement("li");
      item.className = "feature-row";
      item.dataset.featureId = id;
      item.classList.toggle("is-selected", id === selectedId);
      const pick = document.createElement("button");
      pick.type = "button";
      pick.className = "feature-pick";
      pick.dataset.action = "select";
      if (id === selectedId) { pick.setAttribute("aria-current", "true"); }
      const swatch = document.createElement("i");
      swatch.className = "swatch";
      const k = kinds[props.kind];
      if (k) { swatch.style.backgroundColor = k.fill; swatch.style.borderColor = k.stroke; }
      const kind = document.createElement("span");
      kind.className = "feature-kind";
      kind.textContent = kindName(props.kind);
      const label = document.createElement("span");
      label.className = "feature-label";
      label.textContent = props.label || "";
      const code = document.createElement("code");
      code.className = "feature-id";
      code.textContent = id;
      pick.append(swatch, kind, " ", label, " ", code);
      const up = rowButton("up", "↑", format(S.moveUp, { name: name }));
      const down = rowButton("down", "↓", format(S.moveDown, { name: name }));
      up.disabled = index === 0;
      down.disabled = index === order.length - 1;
      // The shared draft keeps the order in which features were first drawn.
      up.hidden = down.hidden = Boolean(live);
      const actions = document.createElement("span");
      actions.className = "feature-actions";
      actions.append(
        rowButton("rename", "✎", format(S.rename, { name: name })),
        up,
        down,
        rowButton("delete", "✕", format(S.deleteFeature, { name: name })));
      item.append(pick, actions);
      featureList.appendChild(item);
    });
    $("feature-count").textContent = order.length ? "(" + order.length + ")" : "";
    $("features-empty").hidden = order.length > 0;
    if (focus) {
      const row = featureList.querySelector('[data-feature-id="' + CSS.escape(focus.id) + '"]');
      let target = row && row.querySelector('[data-action="' + focus.action + '"]');
      if (target && target.disabled) { target = row.querySelector('[data-action="select"]'); }
      if (target) { target.focus(); }
    }
  }

  function moveInOrder(id, step) {
    const from = order.indexOf(id);
    const to = from + step;
    if (from < 0 || to < 0 || to >= order.length) { return; }
    order.splice(from, 1);
    order.splice(to, 0, id);
    restack();
    listChanged();
    changed();
    say(format(S.reordered, { name: nameOf(id), n: to + 1, count: order.length }));
  }

  featureList.addEventListener("click", function (e) {
    const button = e.target.closest("button[data-action]");
    const row = button && button.closest("[data-feature-id]");
    const id = row && row.dataset.featureId;
    if (!id || !byId[id]) { return; }
    const action = button.dataset.action;
    if (action === "select") {
      select(id);
    } else if (action === "rename") {
      select(id);
      $("f-label").focus();
      $("f-label").select();
    } else if (action === "up" || action === "down") {
      moveInOrder(id, action === "up" ? -1 : 1);
    } else if (action === "delete") {
      const next = order[order.indexOf(id) + 1] || order[order.indexOf(id) - 1];
      deleteFeature(id);
      focusAfterList = next ? { id: next, action: "select" } : null;
      if (!next) { undoTarget().focus(); }
    }
  });

  /* ---- deleting and undoing it ----------------------------------------- */

  const undoButton = $("undo-delete");

  // In the shared draft "Undo my last change" (the server's undo) takes its place.
  function showUndo() { undoButton.hidden = Boolean(live) || undoStack.length === 0; }
  const undoTarget = function () { return live ? $("draft-undo") : undoButton; };

  /* Delete a feature, keeping what "Undo delete" needs to bring it back as it was. */
  function deleteFeature(id) {
    const layer = byId[id];
    if (!layer) { return; }
    const name = nameOf(id);
    const feature = layer.toGeoJSON(false);
    feature.id = id;
    feature.properties = Object.assign({}, layer.feature.properties, { id: id });
    undoStack.push({ id: id, index: order.indexOf(id), feature: feature, name: name });
    forget(id);
    changed();
    say(format(S.deleted, { name: name }));
    showUndo();
  }

  function undoDelete() {
    const hadFocus = document.activeElement === undoButton;
    const gone = undoStack.pop();
    showUndo();
    if (!gone) { return; }
    const layers = layersOf(gone.feature);
    if (layers.length !== 1) { return; }
    // Its id was kept free for it, unless a file brought in a feature of that id meanwhile.
    const id = byId[gone.id] ? newId(gone.feature.properties.kind) : gone.id;
    adopt(layers[0], Object.assign({}, gone.feature.properties, { id: id }));
    order = order.filter(function (other) { return other !== id; });
    order.splice(Math.min(gone.index, order.length), 0, id);
    restack();
    select(id);
    changed();
    say(format(S.restored, { name: nameOf(id) }));
    // The button goes once nothing is left to undo: the keyboard goes to what came back.
    if (hadFocus && undoButton.hidden) { focusAfterList = { id: id, action: "select" }; }
  }

  undoButton.addEventListener("click", undoDelete);

  /* ---- which feature, where several overlap ---------------------------- */

  let chooser = null;

  function rings(latlngs) {
    if (!latlngs.length) { return []; }
    if (!Array.isArray(latlngs[0])) { return [latlngs]; }
    return latlngs.reduce(function (all, part) { return all.concat(rings(part)); }, []);
  }

  function nearLine(p, points, closed, tolerance) {
    for (let i = 0; i + 1 < points.length + (closed ? 1 : 0); i += 1) {
      const a = points[i];
      const b = points[(i + 1) % points.length];
      if (L.LineUtil.pointToSegmentDistance(p, a, b) <= tolerance) { return true; }
    }
    return points.length === 1 && p.distanceTo(points[0]) <= tolerance;
  }

  function insideRing(p, points) {
    let inside = false;
    for (let i = 0, j = points.length - 1; i < points.length; j = i, i += 1) {
      const a = points[i];
      const b = points[j];
      if ((a.y > p.y) !== (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x) {
        inside = !inside;
      }
    }
    return inside;
  }

  /* Whether a click at latlng lands on a layer: inside a polygon, or within a few pixels
   * of a line, an outline or a point. */
  function covers(layer, latlng) {
    const p = map.latLngToLayerPoint(latlng);
    const tolerance = 4 + (layer.options.weight || 2) / 2;
    if (layer.getLatLng) {
      const radius = layer.getRadius ? layer.getRadius() : 8;
      return p.distanceTo(map.latLngToLayerPoint(layer.getLatLng())) <= radius + tolerance;
    }
    const parts = rings(layer.getLatLngs()).map(function (ring) {
      return ring.map(function (ll) { return map.latLngToLayerPoint(ll); });
    });
    const closed = layer instanceof L.Polygon;
    if (closed) {
      // Even-odd over every ring: holes are outside, the parts of a multipolygon inside.
      const inside = parts.reduce(function (acc, ring) { return insideRing(p, ring) ? !acc : acc; }, false);
      if (inside) { return true; }
    }
    return parts.some(function (ring) { return nearLine(p, ring, closed, tolerance); });
  }

  /* The layout's features under a point, the topmost first. */
  function featuresAt(latlng) {
    return order.slice().reverse().filter(function (id) { return covers(byId[id], latlng); });
  }

  function closeChooser(refocus) {
    if (chooser) {
      const popup = chooser;
      chooser = null;
      map.closePopup(popup);
    }
    if (refocus) { map.getContainer().focus({ preventScroll: true }); }
  }

  function offerChoice(latlng, ids) {
    closeChooser(false);
    const box = document.createElement("div");
    box.className = "feature-chooser";
    box.dataset.testid = "feature-chooser";
    const title = document.createElement("p");
    title.className = "chooser-title";
    title.id = "chooser-title";
    title.textContent = S.chooseFeature;
    const list = document.createElement("ul");
    list.className = "chooser-list";
    list.setAttribute("aria-labelledby", "chooser-title");
    ids.forEach(function (id) {
      const item = document.createElement("li");
      const option = document.createElement("button");
      option.type = "button";
      option.className = "tool chooser-option";
      option.dataset.featureId = id;
      option.textContent = nameOf(id);
      if (id === selectedId) { option.setAttribute("aria-current", "true"); }
      option.addEventListener("click", function () {
        closeChooser(true);
        select(id);
      });
      item.appendChild(option);
      list.appendChild(item);
    });
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "link-button chooser-cancel";
    cancel.textContent = S.closeChooser;
    cancel.addEventListener("click", function () { closeChooser(true); });
    box.append(title, list, cancel);
    box.addEventListener("keydown", function (e) {
      const options = Array.prototype.slice.call(box.querySelectorAll(".chooser-option"));
      const at = options.indexOf(document.activeElement);
      if (e.key === "Escape") {
        e.preventDefault();
        e.stopPropagation();
        closeChooser(true);
      } else if ((e.key === "ArrowDown" || e.key === "ArrowUp") && options.length) {
        e.preventDefault();
        e.stopPropagation();
        const step = e.key === "ArrowDown" ? 1 : -1;
        options[(at + step + options.length) % options.length].focus();
      }
    });
    chooser = L.popup({
      closeButton: false,
      className: "feature-chooser-popup",
      autoPanPadding: [24, 24],
      minWidth: 160,
      maxWidth: 280,
    }).setLatLng(latlng).setContent(box);
    chooser.on("remove", function (e) { if (chooser === e.target) { chooser = null; } });
    chooser.openOn(map);
    const first = box.querySelector(".chooser-option");
    if (first) { first.focus({ preventScroll: true }); }
  }

  /* ---- moving, turning and sizing without dragging ----------------------- */

  const STEP_M = 0.5;
  const BIG_STEP_M = 5;
  const ARROWS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
  const NUDGES = { west: [-1, 0], east: [1, 0], north: [0, 1], south: [0, -1] };
  const DEG = Math.PI / 180;

  /* Metres per degree at a latitude, on the WGS84 ellipsoid (the usual series; the sphere's
   * 111,320 m would be 0.4% long north-south here). Over a court-sized site a flat local
   * plane is exact to millimetres. */
  function metresPerDegree(lat) {
    const f = lat * DEG;
    return {
      lat: 111132.954 - 559.822 * Math.cos(2 * f) + 1.175 * Math.cos(4 * f),
      lng: 111412.84 * Math.cos(f) - 93.5 * Math.cos(3 * f),
    };
  }

  function verticesOf(layer) {
    if (layer.getLatLng) { return [layer.getLatLng()]; }
    return rings(layer.getLatLngs()).reduce(function (all, ring) { return all.concat(ring); }, []);
  }

  /* A flat plane in metres (x east, y north) around a layer's vertices. */
  function planeOf(layer) {
    const points = verticesOf(layer);
    let lat0 = 0;
    let lng0 = 0;
    points.forEach(function (ll) { lat0 += ll.lat / points.length; lng0 += ll.lng / points.length; });
    const k = metresPerDegree(lat0);
    return {
      xy: function (ll) { return [(ll.lng - lng0) * k.lng, (ll.lat - lat0) * k.lat]; },
      latLng: function (p) { return L.latLng(lat0 + p[1] / k.lat, lng0 + p[0] / k.lng); },
    };
  }

  function hull(points) {
    const sorted = points.slice().sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
    const cross = function (o, a, b) { return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]); };
    const half = function (list) {
      const out = [];
      list.forEach(function (p) {
        while (out.length >= 2 && cross(out[out.length - 2], out[out.length - 1], p) <= 0) { out.pop(); }
        out.push(p);
      });
      out.pop();
      return out;
    };
    return half(sorted).concat(half(sorted.slice().reverse()));
  }

  function ringCentroid(ring) {
    let area = 0;
    let cx = 0;
    let cy = 0;
    ring.forEach(function (a, i) {
      const b = ring[(i + 1) % ring.length];
      const f = a[0] * b[1] - b[0] * a[1];
      area += f / 2;
      cx += (a[0] + b[0]) * f;
      cy += (a[1] + b[1]) * f;
    });
    return Math.abs(area) < 1e-9 ? null : { area: Math.abs(area), c: [cx / (6 * area), cy / (6 * area)] };
  }

  function wrapDegrees(degrees, half) {
    let a = degrees;
    while (a > half) { a -= 2 * half; }
    while (a <= -half) { a += 2 * half; }
    return a;
  }

  /* A layer's shape in metres: for a polygon its oriented bounding rectangle (length along
   * the longer side, the angle of that side anticlockwise from east, -90..90) and its area
   * centroid; for a line its length along it and the angle from its first to its last point. */
  function measure(layer) {
    const geometry = geometryOf(layer);
    if (geometry !== "Polygon" && geometry !== "LineString") { return null; }
    const plane = planeOf(layer);
    const parts = rings(layer.getLatLngs()).map(function (ring) { return ring.map(plane.xy); });
    const points = parts.reduce(function (all, ring) { return all.concat(ring); }, []);
    if (points.length < 2) { return null; }
    if (geometry === "LineString") {
      let length = 0;
      parts.forEach(function (ring) {
        for (let i = 1; i < ring.length; i += 1) {
          length += Math.hypot(ring[i][0] - ring[i - 1][0], ring[i][1] - ring[i - 1][1]);
        }
      });
      const first = points[0];
      let last = points[points.length - 1];
      if (Math.hypot(last[0] - first[0], last[1] - first[1]) < 1e-6) { last = points[1]; }
      const centre = [0, 0];
      points.forEach(function (p) { centre[0] += p[0] / points.length; centre[1] += p[1] / points.length; });
      const angle = Math.atan2(last[1] - first[1], last[0] - first[0]) / DEG;
      return { plane: plane, geometry: geometry, length: length, angle: wrapDegrees(angle, 180), centre: centre };
    }
    const outline = hull(points);
    if (outline.length < 3) { return null; }
    let best = null;
    outline.forEach(function (a, i) {
      const b = outline[(i + 1) % outline.length];
      const theta = Math.atan2(b[1] - a[1], b[0] - a[0]);
      const c = Math.cos(theta);
      const s = Math.sin(theta);
      let minU = Infinity; let maxU = -Infinity; let minV = Infinity; let maxV = -Infinity;
      outline.forEach(function (p) {
        const u = p[0] * c + p[1] * s;
        const v = -p[0] * s + p[1] * c;
        minU = Math.min(minU, u); maxU = Math.max(maxU, u);
        minV = Math.min(minV, v); maxV = Math.max(maxV, v);
      });
      const area = (maxU - minU) * (maxV - minV);
      if (!best || area < best.area * (1 - 1e-9)) {
        best = { area: area, theta: theta, du: maxU - minU, dv: maxV - minV };
      }
    });
    let angle = best.theta / DEG;
    let length = best.du;
    let width = best.dv;
    if (width > length) { angle += 90; length = best.dv; width = best.du; }
    let centroid = null;
    parts.forEach(function (ring) {
      const c = ringCentroid(ring);
      if (c && (!centroid || c.area > centroid.area)) { centroid = c; }
    });
    return {
      plane: plane,
      geometry: geometry,
      length: length,
      width: width,
      angle: wrapDegrees(angle, 90),
      centre: centroid ? centroid.c : [0, 0],
    };
  }

  function mapLatLngs(latlngs, fn) {
    return Array.isArray(latlngs) ? latlngs.map(function (each) { return mapLatLngs(each, fn); }) : fn(latlngs);
  }

  /* Move every vertex of a layer by fn (metres to metres), then treat it as a drag's end:
   * the layout is checked again and the feature stays selected. */
  function reshape(layer, plane, fn) {
    if (mode === "edit" || mode === "rotate") { stopAll(); }  // their handles would be left behind
    const move = function (ll) { return plane.latLng(fn(plane.xy(ll))); };
    if (layer.getLatLng) {
      layer.setLatLng(move(layer.getLatLng()));
    } else {
      layer.setLatLngs(mapLatLngs(layer.getLatLngs(), move));
      if (layer instanceof L.Rectangle && layer.pm && layer.pm.setInitAngle) {
        // Geoman keeps a rectangle's turn, clockwise on the screen from its first side's north.
        const ring = layer.getLatLngs()[0];
        const a = map.latLngToContainerPoint(ring[0]);
        const b = map.latLngToContainerPoint(ring[1]);
        layer.pm.setInitAngle((Math.atan2(b.y - a.y, b.x - a.x) / DEG + 450) % 360);
      }
    }
    paint(layer);
    changed();
    if (layer.feature.properties.id === selectedId) { fillShape(); }
  }

  function moveSelected(east, north) {
    if (!selectedId) { return; }
    const layer = byId[selectedId];
    reshape(layer, planeOf(layer), function (p) { return [p[0] + east, p[1] + north]; });
    say(format(S.moved, { name: nameOf(selectedId), east: numbers.format(east), north: numbers.format(north) }));
  }

  function shapeError(text) { $("shape-error").textContent = text || ""; }

  function rounded(value, digits) {
    const f = Math.pow(10, digits);
    return String(Math.round(value * f) / f + 0);
  }

  /* Show a value in a field, remembering it exactly: applied unchanged, it changes nothing. */
  function show(input, value, digits) {
    input.value = rounded(value, digits);
    input.dataset.shown = input.value;
    input.dataset.exact = String(value);
    input.removeAttribute("aria-invalid");
  }

  function read(input, min, max) {
    const raw = input.value.trim();
    const value = raw === input.dataset.shown ? parseFloat(input.dataset.exact) : parseFloat(raw);
    if (raw === "" || !isFinite(value) || value < min || value > max) {
      input.setAttribute("aria-invalid", "true");
      const text = document.querySelector('label[for="' + input.id + '"]').textContent.trim();
      shapeError(format(S.badNumber, { field: text, min: numbers.format(min), max: numbers.format(max) }));
      input.focus();
      return null;
    }
    input.removeAttribute("aria-invalid");
    return value;
  }

  function fillShape() {
    if (!selectedId) { return; }
    const layer = byId[selectedId];
    const m = measure(layer);
    $("f-size").hidden = !m;
    $("f-size-width-field").hidden = !m || m.geometry !== "Polygon";
    if (!m) { return; }
    show($("f-size-length"), m.length, 2);
    if (m.geometry === "Polygon") { show($("f-size-width"), m.width, 2); }
    show($("f-size-angle"), m.angle, 1);
  }

  $("move-form").addEventListener("submit", function (e) {
    e.preventDefault();
    if (!selectedId) { return; }
    shapeError("");
    const east = read($("f-move-east"), -1000, 1000);
    const north = east === null ? null : read($("f-move-north"), -1000, 1000);
    if (east === null || north === null) { return; }
    if (east || north) { moveSelected(east, north); }
    $("move-form").reset();
  });

  $("size-form").addEventListener("submit", function (e) {
    e.preventDefault();
    if (!selectedId) { return; }
    shapeError("");
    const layer = byId[selectedId];
    const m = measure(layer);
    if (!m) { return; }
    const length = read($("f-size-length"), 0.1, 1000);
    const width = length === null || m.geometry !== "Polygon" ? null : read($("f-size-width"), 0.1, 1000);
    const angle = length === null || (m.geometry === "Polygon" && width === null)
      ? null : read($("f-size-angle"), -360, 360);
    if (angle === null) { return; }
    const c = m.centre;
    const a0 = m.angle * DEG;
    const a1 = angle * DEG;
    if (m.geometry === "Polygon") {
      if (m.length < 1e-6 || m.width < 1e-6) { return; }
      // In the shape's own frame (u along its length, v across), scale each way, then turn it.
      const sl = length / m.length;
      const sw = width / m.width;
      reshape(layer, m.plane, function (p) {
        const dx = p[0] - c[0];
        const dy = p[1] - c[1];
        const u = (dx * Math.cos(a0) + dy * Math.sin(a0)) * sl;
        const v = (-dx * Math.sin(a0) + dy * Math.cos(a0)) * sw;
        return [c[0] + u * Math.cos(a1) - v * Math.sin(a1), c[1] + u * Math.sin(a1) + v * Math.cos(a1)];
      });
      say(format(S.resized, {
        name: nameOf(selectedId), length: numbers.format(length), width: numbers.format(width),
        angle: numbers.format(angle),
      }));
    } else {
      if (m.length < 1e-6) { return; }
      const scale = length / m.length;
      const turn = a1 - a0;
      reshape(layer, m.plane, function (p) {
        const dx = (p[0] - c[0]) * scale;
        const dy = (p[1] - c[1]) * scale;
        return [c[0] + dx * Math.cos(turn) - dy * Math.sin(turn), c[1] + dx * Math.sin(turn) + dy * Math.cos(turn)];
      });
      say(format(S.resizedLine, {
        name: nameOf(selectedId), length: numbers.format(length), angle: numbers.format(angle),
      }));
    }
  });

  /* Arrow keys move the selected feature (Shift: further), on the map or the nudge buttons. */
  function arrowMoves(e) {
    const step = ARROWS[e.key];
    if (!step || !selectedId || drawing || e.altKey || e.ctrlKey || e.metaKey) { return false; }
    e.preventDefault();
    e.stopPropagation();  // Leaflet would pan the map as well
    const d = e.shiftKey ? BIG_STEP_M : STEP_M;
    moveSelected(step[0] * d, step[1] * d);
    return true;
  }

  // A click on a shape focuses the shape itself (Leaflet listens for its focus, for the
  // tooltip), so keys count from the map or from any of the layout's shapes.
  map.getContainer().addEventListener("keydown", function (e) {
    const onShape = e.target.getAttribute && e.target.getAttribute("data-layer-group") === "layout";
    if (e.target !== map.getContainer() && !onShape) { return; }
    if (arrowMoves(e)) { return; }
    // Escape lets go of the feature, and the arrow keys pan the map again.
    if (e.key === "Escape" && selectedId && !drawing && !mode && !chooser) { select(null); }
  });

  $("nudge").addEventListener("keydown", arrowMoves);
  $("nudge").querySelectorAll("[data-nudge]").forEach(function (button) {
    button.addEventListener("click", function (e) {
      const step = NUDGES[button.dataset.nudge];
      const d = e.shiftKey ? BIG_STEP_M : STEP_M;
      moveSelected(step[0] * d, step[1] * d);
    });
  });

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
    if (props && byId[props.id] === e.layer) { deleteFeature(props.id); }
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
    if (hooks.changed) { hooks.changed(); }
    recheck();
  }

  /* Check the layout again soon (a teammate's change came in, or one's own). */
  function recheck() {
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
    if (how === "replace") {
      Object.keys(byId).forEach(forget);
      undoStack.length = 0;  // a replaced layout has nothing left to undo into
      showUndo();
    }
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
      const answer = hooks.submit ? await hooks.submit(body) : await window.jiayuanApi.post(D.urls.submit, body);
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
    if (dirty && !live) {  // the shared draft keeps every change (queued ones on this device)
      e.preventDefault();
      e.returnValue = S.leaveUnsaved;
    }
  });

  /* ---- start ---------------------------------------------------------- */

  if (!live) {
    load(D.layout || { type: "FeatureCollection", features: [] }, true);
    dirty = false;
    findingsPanel.dataset.state = "pending";
    check();
  }
  showUndo();

  /* ---- for the shared draft (codesign.js) ------------------------------- */

  /* A feature as this page would send it; null if it is not on the map. */
  function featureOf(id) {
    const layer = byId[id];
    if (!layer) { return null; }
    const feature = layer.toGeoJSON(8);
    feature.id = id;
    feature.properties = Object.assign({}, layer.feature.properties, { id: id });
    return feature;
  }

  function sortedKeys(value) {
    if (Array.isArray(value)) { return value.map(sortedKeys); }
    if (value && typeof value === "object") {
      const out = {};
      Object.keys(value).sort().forEach(function (key) { out[key] = sortedKeys(value[key]); });
      return out;
    }
    return value;
  }

  /* A feature's content as one string, to tell whether it changed (null: not on the map). */
  function canon(id) {
    const feature = featureOf(id);
    return feature ? JSON.stringify(sortedKeys({ g: feature.geometry, p: feature.properties })) : null;
  }

  /* Put a feature on the map as given (a teammate's change): added, or replacing its layer
   * in its place in the list. False if its geometry cannot be drawn. */
  function put(feature) {
    const id = String(feature.id !== undefined && feature.id !== null ? feature.id : feature.properties.id);
    const layers = layersOf(feature);
    if (layers.length !== 1) { return false; }
    const old = byId[id];
    if (old) {
      old.off();
      if (old.pm && old.pm.disable) { old.pm.disable(); }
      group.removeLayer(old);
      delete byId[id];
    }
    // (In a global mode, Geoman takes the new layer into it by itself.)
    adopt(layers[0], Object.assign({}, feature.properties || {}, { id: id }));
    restackSoon();
    if (selectedId === id) { refreshSelected(); }
    return true;
  }

  // Many changes come at once (a teammate back from offline): stack the layers once after them.
  let restackQueued = false;
  function restackSoon() {
    if (restackQueued) { return; }
    restackQueued = true;
    Promise.resolve().then(function () {
      restackQueued = false;
      restack();
    });
  }

  /* Take a feature off the map (a teammate deleted it). */
  function drop(id) {
    if (byId[id]) { forget(id); }
  }

  /* The selected feature changed under the panel: show it, but not over what is being typed. */
  function refreshSelected() {
    const layer = byId[selectedId];
    if (!layer) { return; }
    paint(layer);
    const panel = $("selected-panel");
    const props = layer.feature.properties;
    if (!panel.contains(document.activeElement)) {
      $("f-label").value = props.label || "";
      $("f-width").value = props.width_m !== undefined ? props.width_m : "";
      $("f-seats").value = props.seats !== undefined ? props.seats : "";
    }
    fillShape();
  }

  // For tests and the curious: the editor's state.
  window.jiayuanEditor = {
    map: map,
    layers: byId,
    collection: collection,
    check: check,
    order: function () { return order.slice(); },
    selected: function () { return selectedId; },
    // for codesign.js
    hooks: hooks,
    featureOf: featureOf,
    canon: canon,
    put: put,
    drop: drop,
    recheck: recheck,
    busy: function () { return busyId; },
    select: select,
    say: say,
    format: format,
    kindName: kindName,
    nameOf: function (id) { return byId[id] ? nameOf(id) : null; },
    showReport: showReport,
  };
})();
