/* Who took part: one stacked bar per way of taking part, its segments the age groups that
 * way could be shown by (each of five or more people), for every block the
 * _participation.html macro rendered on the page. */
(function () {
  "use strict";

  const charts = window.jiayuanCharts;
  if (!charts || !charts.setup()) { return; }
  document.querySelectorAll("[data-participation]").forEach((block) => {
    const id = block.dataset.participation;
    const data = charts.readData(id + "-data");
    if (!data) { return; }
    const groups = Object.keys(data.group_names);
    const datasets = groups.map((group, i) => ({
      label: data.group_names[group],
      data: data.ways.map((way) => data.table[way].by_age_band[group] || 0),
      backgroundColor: charts.colour(i),
    }));
    // People a way could not be shown by age for (too few): one grey segment.
    datasets.push({
      label: data.ungrouped,
      data: data.ways.map((way) => (Object.keys(data.table[way].by_age_band).length ? 0 : data.table[way].people)),
      backgroundColor: "#9aa5a9",
    });
    charts.draw(document.getElementById(id + "-chart"), {
      type: "bar",
      data: { labels: data.ways.map((way) => data.way_names[way]), datasets: datasets },
      options: {
        indexAxis: "y",
        scales: {
          x: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: data.people } },
          y: { stacked: true },
        },
      },
    });
  });
})();
