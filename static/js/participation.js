/* Participation by age band: grouped bars (one group per age band, one bar per way of
 * taking part) for every block the _participation.html macro rendered on the page. */
(function () {
  "use strict";

  const charts = window.jiayuanCharts;
  if (!charts || !charts.setup()) { return; }
  document.querySelectorAll("[data-participation]").forEach((block) => {
    const id = block.dataset.participation;
    const data = charts.readData(id + "-data");
    if (!data) { return; }
    charts.draw(document.getElementById(id + "-chart"), {
      type: "bar",
      data: {
        labels: data.bands.map((band) => data.band_names[band]),
        datasets: data.ways.map((way, i) => ({
          label: data.way_names[way],
          data: data.bands.map((band) => data.table[way][band]),
          backgroundColor: charts.colour(i),
        })),
      },
      options: {
        scales: {
          y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: data.people } },
        },
      },
    });
  });
})();
