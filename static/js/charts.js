/* Chart.js set-up shared by the pages: sizes follow the page's (large-text) font size,
 * one palette, and a mark on each canvas once its chart is drawn. */
(function () {
  "use strict";

  const PALETTE = ["#b3322b", "#1a5fb4", "#2f7d4f", "#c77c02", "#6a1b9a", "#00838f", "#5d4037", "#455a64"];

  function setup() {
    if (!window.Chart) { return false; }
    const root = parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
    Chart.defaults.font.size = Math.round(root * 0.9);
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.color = "#1f2a2e";
    Chart.defaults.maintainAspectRatio = false;
    return true;
  }

  function draw(canvas, config) {
    if (!canvas || !window.Chart) { return null; }
    const existing = Chart.getChart(canvas);
    if (existing) { existing.destroy(); }
    const chart = new Chart(canvas, config);
    canvas.dataset.chartReady = "1";
    return chart;
  }

  function readData(id) {
    const el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  window.jiayuanCharts = {
    palette: PALETTE,
    colour: (i) => PALETTE[i % PALETTE.length],
    setup: setup,
    draw: draw,
    readData: readData,
  };
})();
