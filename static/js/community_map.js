/* The community map: a numbered label on each site (matching the list, also on paper)
 * and a popup with links to the site and its current round. */
(function () {
  "use strict";

  const printButton = document.getElementById("print-map");
  if (printButton) { printButton.addEventListener("click", () => window.print()); }

  const el = document.getElementById("community-data");
  if (!el) { return; }
  const data = JSON.parse(el.textContent);
  const entry = window.jiayuanMaps && window.jiayuanMaps[data.map_name];
  if (!entry) { return; }
  const layers = entry.layers.sites || {};

  function link(href, text) {
    const a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    return a;
  }

  Object.keys(layers).forEach((id) => {
    const layer = layers[id];
    const p = layer.feature.properties;
    const popup = document.createElement("div");
    popup.className = "site-popup";
    const title = document.createElement("strong");
    title.textContent = p.number + ". " + p.name;
    popup.append(title);
    if (p.round_url) {
      const round = document.createElement("p");
      round.append(link(p.round_url, p.round_title));
      const phase = document.createElement("span");
      phase.className = "phase";
      phase.textContent = p.phase;
      round.append(" ", phase);
      popup.append(round);
    }
    const site = document.createElement("p");
    site.append(link(p.site_url, data.strings.site));
    popup.append(site);
    layer.bindPopup(popup);

    const number = document.createElement("span");
    number.textContent = String(p.number);
    L.marker(layer.getBounds().getCenter(), {
      icon: L.divIcon({ className: "site-number" + (p.open ? " open" : ""), html: number, iconSize: [28, 28] }),
      keyboard: false,
      interactive: false,
    }).addTo(entry.map);
  });
})();
