/* The round page: the ask-whether poll, pinning and supporting needs, moving the round
 * on (moderators), and the live tally while deciding. Strings come from the page's
 * JSON data island; user text is only ever set with textContent. */
(function () {
  "use strict";

  const charts = window.jiayuanCharts;
  const data = charts.readData("round-data");
  if (!data) { return; }
  const S = data.strings;
  const api = window.jiayuanApi;
  const entry = window.jiayuanMaps && window.jiayuanMaps[data.map_name];
  const map = entry && entry.map;

  function say(el, text, kind) {
    if (!el) { return; }
    el.textContent = text || "";
    el.dataset.kind = kind || "";
  }

  function messageOf(error) {
    if (error instanceof api.ApiError) {
      const findings = (error.error.report && error.error.report.errors) || [];
      return [error.message].concat(findings.map((f) => f.message)).join(" ");
    }
    return S.error;
  }

  /* ---- ask whether ---------------------------------------------------- */
  const whetherPanel = document.querySelector("[data-testid=whether-panel]");
  let whetherChart = null;

  function bandLabel(band) {
    return data.age_band_names[band] || S.age_unknown;
  }

  function showWhether(results) {
    if (!whetherPanel || !results) { return; }
    const pct = (v) => (v === null || v === undefined ? "–" : Math.round(v * 100) + "%");
    whetherPanel.querySelector("[data-testid=whether-answers]").textContent = String(results.answers);
    whetherPanel.querySelector("[data-testid=whether-turnout]").textContent = pct(results.turnout);
    // While the question is open the answers are secret: turnout only.
    if (results.sealed) { return; }
    const support = whetherPanel.querySelector("[data-testid=whether-support]");
    if (support) { support.textContent = pct(results.support); }
    const bands = data.bands.filter((band) => band in results.by_age_band);  // groups, youngest first
    if (!bands.length) { return; }
    bands.forEach((band) => {
      const row = whetherPanel.querySelector('tr[data-band="' + band + '"]');
      if (row) {
        row.cells[1].textContent = String(results.by_age_band[band].yes);
        row.cells[2].textContent = String(results.by_age_band[band].no);
      }
    });
    const config = {
      type: "bar",
      data: {
        labels: bands.map(bandLabel),
        datasets: [
          { label: S.yes, data: bands.map((b) => results.by_age_band[b].yes), backgroundColor: "#2f7d4f" },
          { label: S.no, data: bands.map((b) => results.by_age_band[b].no), backgroundColor: "#b3322b" },
        ],
      },
      options: {
        indexAxis: "y",
        scales: { x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }, y: { stacked: true } },
      },
    };
    if (whetherChart) {
      whetherChart.data = config.data;
      whetherChart.update();
    } else {
      whetherChart = charts.draw(document.getElementById("whether-chart"), config);
    }
  }

  if (whetherPanel) {
    charts.setup();
    showWhether(data.whether);
    const message = whetherPanel.querySelector("[data-testid=whether-message]");
    whetherPanel.querySelectorAll("button[data-answer]").forEach((button) => {
      button.addEventListener("click", async () => {
        const support = button.dataset.answer === "yes";
        try {
          const results = await api.put(data.api.whether, { support: support });
          whetherPanel.querySelectorAll("button[data-answer]").forEach((b) => {
            const chosen = b === button;
            b.classList.toggle("chosen", chosen);
            b.setAttribute("aria-pressed", chosen ? "true" : "false");
          });
          showWhether(results);
          say(message, S.answer_saved, "ok");
        } catch (error) {
          say(message, messageOf(error), "error");
        }
      });
    });
  }

  /* ---- needs: the map layer, the list, pinning and support ------------- */
  const needsGroup = entry && entry.groups && entry.groups.needs;

  function needOnMap(feature) {
    if (!needsGroup || !feature.geometry) { return; }
    const p = feature.properties;
    const colour = data.need_colours[p.category] || data.need_colours.other;
    needsGroup.addData({
      type: "Feature",
      id: p.id,
      geometry: feature.geometry,
      properties: {
        id: p.id, kind: "need", category: p.category, tooltip: (p.text || "").slice(0, 200),
        style: { color: colour, fillColor: colour, fillOpacity: 0.35, weight: 2, radius: 8 },
      },
    });
    needsGroup.setStyle((f) => f.properties.style);
  }

  function needItem(feature) {
    const p = feature.properties;
    const li = document.createElement("li");
    li.className = "need";
    li.dataset.needId = String(p.id);
    const dot = document.createElement("span");
    dot.className = "need-dot";
    dot.style.borderColor = data.need_colours[p.category] || data.need_colours.other;
    const body = document.createElement("div");
    body.className = "need-body";
    body.dataset.readAloud = "";  // the elder mode's read-aloud button follows it
    const tag = document.createElement("span");
    tag.className = "tag";
    tag.textContent = data.category_names[p.category] || p.category;
    const text = document.createElement("span");
    text.className = "need-text";
    text.textContent = p.text;
    body.append(tag, " ", text);
    const where = document.createElement("span");
    where.className = "muted need-where";
    where.textContent = " (" + (p.place || S.whole_site) + ")";
    body.append(where);
    const support = document.createElement("span");
    support.className = "need-support";
    const count = document.createElement("span");
    count.className = "support-count";
    count.setAttribute("aria-label", S.supporters);
    count.textContent = String(p.supports);
    support.append(count);
    if (data.can.pin && p.mine) {
      const own = document.createElement("span");
      own.className = "tag";
      own.textContent = S.your_need;
      support.append(own);
    } else if (data.can.pin) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "button small support-button";
      button.dataset.needId = String(p.id);
      button.textContent = p.supported_by_me ? S.supported : S.support;
      if (p.supported_by_me) {
        button.disabled = true;
        button.setAttribute("aria-pressed", "true");
      }
      support.append(button);
    }
    li.append(dot, body, support);
    return li;
  }

  function showNeeds(layer) {
    const list = document.getElementById("needs-list");
    if (!list) { return; }
    list.replaceChildren(...layer.features.map(needItem));
    const empty = document.getElementById("needs-empty");
    if (empty) { empty.hidden = layer.features.length > 0; }
    const count = document.getElementById("needs-count");
    if (count) { count.textContent = String(layer.features.length); }
  }

  const needsList = document.getElementById("needs-list");
  if (needsList && data.can.pin) {
    needsList.addEventListener("click", async (event) => {
      const button = event.target.closest("button.support-button");
      if (!button || button.disabled) { return; }
      button.disabled = true;
      try {
        const feature = await api.post(data.api.support.replace("/0/support", "/" + button.dataset.needId + "/support"));
        const item = button.closest("li");
        item.querySelector(".support-count").textContent = String(feature.properties.supports);
        button.textContent = S.supported;
        button.setAttribute("aria-pressed", "true");
      } catch (error) {
        button.disabled = false;
        say(document.querySelector("[data-testid=need-message]"), messageOf(error), "error");
      }
    });
  }

  const needForm = document.getElementById("need-form");
  if (needForm && map) {
    const status = document.getElementById("place-status");
    const message = needForm.querySelector("[data-testid=need-message]");
    const pending = L.featureGroup().addTo(map);
    const pendingStyle = { color: "#111", weight: 3, dashArray: "4 3", fillColor: "#ffeb3b", fillOpacity: 0.5 };
    const canDraw = Boolean(map.pm);
    let mode = "point";
    let geometry = null;

    const round7 = (n) => Math.round(n * 1e7) / 1e7;
    const roundCoordinates = (c) => (typeof c[0] === "number" ? c.map(round7) : c.map(roundCoordinates));

    if (canDraw) {
      // Geoman's own hints (e.g. "click to place the first vertex") in the page's language.
      map.pm.setLang(document.documentElement.lang.toLowerCase().startsWith("zh") ? "zh" : "en");
    } else {
      needForm.querySelectorAll('input[name=place][value=rectangle], input[name=place][value=polygon]')
        .forEach((input) => { input.closest("label").hidden = true; });
    }

    function setMode(next) {
      mode = next;
      geometry = null;
      pending.clearLayers();
      if (canDraw) { map.pm.disableDraw(); }
      map.getContainer().classList.toggle("picking", mode === "point");
      partField.hidden = mode !== "part";
      if (mode === "point") {
        say(status, S.click_map);
      } else if (mode === "rectangle") {
        map.pm.enableDraw("Rectangle", { pathOptions: pendingStyle });
        say(status, S.draw_rectangle);
      } else if (mode === "polygon") {
        map.pm.enableDraw("Polygon", { allowSelfIntersection: false, pathOptions: pendingStyle });
        say(status, S.draw_polygon);
      } else if (mode === "part") {
        placePart();
      } else {
        say(status, S.site_chosen);
      }
    }

    // Without a pointer: a part of the site from a list puts the pin in the middle of that part.
    const partField = document.getElementById("need-part-field");
    const partSelect = needForm.elements.part;
    function placePart() {
      const point = data.place_points[partSelect.value];
      pending.clearLayers();
      geometry = { type: "Point", coordinates: point };
      L.circleMarker([point[1], point[0]], Object.assign({ radius: 10 }, pendingStyle)).addTo(pending);
      say(status, S.part_chosen.replace("{place}", partSelect.selectedOptions[0].textContent), "ok");
      needForm.dataset.placed = "part";
    }
    partSelect.addEventListener("change", placePart);

    needForm.querySelectorAll("input[name=place]").forEach((input) => {
      input.addEventListener("change", () => { if (input.checked) { setMode(input.value); } });
    });

    map.on("click", (event) => {
      if (mode !== "point") { return; }
      pending.clearLayers();
      L.circleMarker(event.latlng, Object.assign({ radius: 10 }, pendingStyle)).addTo(pending);
      geometry = { type: "Point", coordinates: [round7(event.latlng.lng), round7(event.latlng.lat)] };
      say(status, S.point_set, "ok");
      needForm.dataset.placed = "point";
    });

    if (canDraw) {
      map.on("pm:create", (event) => {
        const drawn = event.layer;
        geometry = drawn.toGeoJSON().geometry;
        geometry.coordinates = roundCoordinates(geometry.coordinates);
        map.removeLayer(drawn);
        pending.clearLayers();
        L.geoJSON(geometry, { style: pendingStyle }).addTo(pending);
        say(status, S.area_set, "ok");
        needForm.dataset.placed = "area";
      });
    }

    needForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = needForm.elements.text.value.trim();
      if (mode !== "site" && !geometry) { say(message, S.need_place_missing, "error"); return; }
      if (!text) { say(message, S.need_text_missing, "error"); needForm.elements.text.focus(); return; }
      const submit = needForm.querySelector("button[type=submit]");
      submit.disabled = true;
      try {
        const feature = await api.post(data.api.needs, {
          text: text, category: needForm.elements.category.value, geometry: mode === "site" ? null : geometry,
        });
        needOnMap(feature);
        showNeeds(await api.get(data.api.needs));
        needForm.elements.text.value = "";
        needForm.querySelector("input[name=place][value=point]").checked = true;
        setMode("point");
        say(message, S.need_saved, "ok");
      } catch (error) {
        say(message, messageOf(error), "error");
      } finally {
        submit.disabled = false;
      }
    });

    setMode("point");
  }

  /* ---- moderators: move the round on ----------------------------------- */
  const phaseForm = document.getElementById("phase-form");
  if (phaseForm) {
    const message = phaseForm.querySelector("[data-testid=phase-message]");
    phaseForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const chosen = phaseForm.querySelector("input[name=phase]:checked");
      if (!chosen) { return; }
      const reason = phaseForm.elements.reason.value.trim();
      if (chosen.dataset.needsReason === "true" && !reason) {
        say(message, S.reason_missing, "error");
        phaseForm.elements.reason.focus();
        return;
      }
      // Say what the move does and ask before making it.
      confirmBox.querySelector("[data-role=confirm-target]").textContent =
        S.confirm_move.replace("{phase}", data.phase_names[chosen.value] || chosen.value);
      confirmBox.querySelector("[data-role=confirm-effect]").textContent = chosen.dataset.effect || "";
      confirmBox.hidden = false;
      confirmBox.querySelector("[data-confirm=yes]").focus();
    });
    const confirmBox = phaseForm.querySelector(".confirm-box");
    const submitButton = phaseForm.querySelector("[data-testid=move-phase]");
    confirmBox.querySelector("[data-confirm=no]").addEventListener("click", () => {
      confirmBox.hidden = true;
      submitButton.focus();
    });
    confirmBox.querySelector("[data-confirm=yes]").addEventListener("click", async () => {
      const chosen = phaseForm.querySelector("input[name=phase]:checked");
      confirmBox.hidden = true;
      // "from" is the phase this page shows: a second press, or a colleague's move in the
      // meantime, is refused by the server instead of skipping a phase.
      const body = { phase: chosen.value, reason: phaseForm.elements.reason.value.trim(), from: data.phase };
      const deadline = phaseForm.elements.deadline.value;
      if (deadline) { body.deadline = new Date(deadline).toISOString(); }
      say(message, S.moving);
      submitButton.disabled = true;
      try {
        await api.post(data.api.phase, body);
        window.location.reload();
      } catch (error) {
        submitButton.disabled = false;
        say(message, messageOf(error), "error");
      }
    });
  }

  /* ---- live: the round's phase changes and its closing, pushed by the server */
  if (window.io && data.live) {
    const banner = document.getElementById("live-banner");
    const announce = (text) => {
      document.getElementById("live-banner-text").textContent = text;
      banner.hidden = false;
    };
    document.getElementById("live-reload").addEventListener("click", () => window.location.reload());
    const socket = window.io(data.live.namespace, { path: data.live.socket_path });
    // Watch again after every reconnect: a new connection is in no room.
    socket.on("connect", () => { socket.emit(data.live.watch, { round_id: data.live.round_id }, () => {}); });
    socket.on(data.live.events.phase, (event) => {
      if (event.round_id !== data.live.round_id || event.phase === data.phase) { return; }
      announce(S.phase_changed.replace("{phase}", data.phase_names[event.phase] || event.phase));
    });
    socket.on(data.live.events.closed, () => { announce(S.closed); });
  }

  /* ---- deciding: how many have ranked (the count itself once ballots close) ---- */
  const liveBallots = document.getElementById("live-ballots");
  if (liveBallots) {
    const refresh = async () => {
      if (document.hidden) { return; }
      try {
        const tally = await api.get(data.api.tally);
        liveBallots.textContent = String(tally.ballots);
        document.querySelectorAll("#live-first tr[data-proposal-id]").forEach((row) => {
          row.cells[1].textContent = String(tally.first_preferences[row.dataset.proposalId] || 0);
        });
      } catch (error) { /* keep the last numbers; the next refresh tries again */ }
    };
    window.setInterval(refresh, 15000);
  }
})();
