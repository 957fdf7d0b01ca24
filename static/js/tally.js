/* The tally page's charts: first preferences, the instant-runoff rounds and the age bands.
 * The numbers are the same as the page's tables (from the JSON data island). */
(function () {
  "use strict";

  const charts = window.jiayuanCharts;
  const data = charts.readData("tally-data");
  if (!data || !charts.setup()) { return; }
  const S = data.strings;
  const tally = data.tally;
  const ids = tally.candidates.map(String);
  const name = (id) => data.names[id] || "#" + id;
  const integerAxis = { beginAtZero: true, ticks: { precision: 0 } };

  charts.draw(document.getElementById("first-chart"), {
    type: "bar",
    data: {
      labels: ids.map(name),
      datasets: [{
        label: S.first,
        data: ids.map((id) => tally.first_preferences[id] || 0),
        backgroundColor: ids.map((id, i) => charts.colour(i)),
      }],
    },
    options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: integerAxis } },
  });

  if (tally.rounds.length) {
    charts.draw(document.getElementById("rounds-chart"), {
      type: "bar",
      data: {
        labels: tally.rounds.map((r, i) => S.round.replace("{n}", String(i + 1))),
        datasets: ids.map((id, i) => ({
          label: name(id),
          data: tally.rounds.map((r) => (id in r.counts ? r.counts[id] : null)),
          backgroundColor: charts.colour(i),
        })),
      },
      options: { scales: { y: Object.assign({ title: { display: true, text: S.votes } }, integerAxis) } },
    });
  }

  const bands = data.bands;  // the domain's order (JSON objects come back with sorted keys)
  charts.draw(document.getElementById("bands-chart"), {
    type: "bar",
    data: {
      labels: bands.map((band) => data.age_band_names[band] || S.age_unknown),
      datasets: ids.map((id, i) => ({
        label: name(id),
        data: bands.map((band) => tally.by_age_band[band].first_preferences[id] || 0),
        backgroundColor: charts.colour(i),
      })),
    },
    options: { scales: { x: { stacked: true }, y: Object.assign({ stacked: true }, integerAxis) } },
  });
})();
