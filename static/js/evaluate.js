/* Ask how well: rate the built space (1 to 5 on each criterion, changeable) and see the
 * residents' results charted. The criteria, their names, the results and the strings come
 * from the page's JSON data island (#evaluate-data); people's comments are shown as text. */
(function () {
  "use strict";

  const charts = window.jiayuanCharts;
  const data = charts && charts.readData("evaluate-data");
  if (!data) { return; }
  const S = data.strings;
  const criteria = data.criteria;
  const names = criteria.map((c) => data.names[c]);
  const STAR_COLOURS = ["#b3322b", "#e07b39", "#c9a227", "#7aa95c", "#2f7d4f"];

  function drawCharts(results) {
    if (!charts.setup()) { return; }
    charts.draw(document.getElementById("averages-chart"), {
      type: "bar",
      data: {
        labels: names,
        datasets: [{
          label: S.average,
          data: criteria.map((c) => results.criteria[c].average),
          backgroundColor: criteria.map((c, i) => charts.colour(i)),
        }],
      },
      options: {
        indexAxis: "y",
        plugins: { legend: { display: false } },
        scales: { x: { min: 0, max: 5, ticks: { stepSize: 1 }, title: { display: true, text: S.average } } },
      },
    });
    charts.draw(document.getElementById("distribution-chart"), {
      type: "bar",
      data: {
        labels: names,
        datasets: [1, 2, 3, 4, 5].map((stars) => ({
          label: S.stars.replace("{n}", String(stars)),
          data: criteria.map((c) => results.criteria[c].distribution[stars - 1]),
          backgroundColor: STAR_COLOURS[stars - 1],
        })),
      },
      options: {
        scales: {
          x: { stacked: true },
          y: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: S.people } },
        },
      },
    });
  }

  function cell(tag, text) {
    const el = document.createElement(tag);
    el.textContent = text;
    return el;
  }

  function showResults(results) {
    document.getElementById("evaluation-count").textContent = String(results.count);
    document.getElementById("no-ratings").hidden = results.count > 0;
    const rows = document.getElementById("evaluation-rows");
    rows.replaceChildren(...criteria.map((c, i) => {
      const tr = document.createElement("tr");
      tr.dataset.criterion = c;
      const th = cell("th", names[i]);
      th.scope = "row";
      const average = results.criteria[c].average;
      tr.append(th, cell("td", average === null ? "–" : String(average)));
      results.criteria[c].distribution.forEach((n) => tr.append(cell("td", String(n))));
      return tr;
    }));
    const list = document.getElementById("evaluation-comments");
    if (results.comments.length) {
      list.replaceChildren(...results.comments.map((item) => {
        const li = document.createElement("li");
        li.append(cell("p", item.comment));
        if (item.author) {  // named to the community's members only
          const author = cell("p", item.author);
          author.className = "muted";
          li.append(author);
        }
        return li;
      }));
    } else {
      const li = cell("li", S.none);
      li.className = "muted";
      list.replaceChildren(li);
    }
    drawCharts(results);
  }

  drawCharts(data.results);

  const form = document.getElementById("evaluate-form");
  if (!form || !window.jiayuanApi) { return; }
  const message = form.querySelector(".form-message");

  function fill(fieldset) {
    const checked = fieldset.querySelector("input:checked");
    const value = checked ? Number(checked.value) : 0;
    fieldset.querySelectorAll("label.star").forEach((label, i) => {
      label.classList.toggle("filled", i < value);
    });
  }
  form.querySelectorAll("fieldset.stars").forEach((fieldset) => {
    fieldset.addEventListener("change", () => fill(fieldset));
    fill(fieldset);
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const ratings = {};
    for (const c of criteria) {
      const checked = form.querySelector(`input[name="${c}"]:checked`);
      if (!checked) {
        message.textContent = S.rate_all;
        message.dataset.kind = "error";
        form.querySelector(`input[name="${c}"]`).focus();
        return;
      }
      ratings[c] = Number(checked.value);
    }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    message.textContent = S.sending;
    delete message.dataset.kind;
    try {
      const results = await window.jiayuanApi.post(data.url, {
        ratings: ratings,
        comment: form.querySelector("textarea").value,
      });
      message.textContent = S.saved;
      message.dataset.kind = "ok";
      showResults(results);
    } catch (error) {
      message.textContent = (error && error.message) || S.error;
      message.dataset.kind = "error";
    } finally {
      button.disabled = false;
    }
  });
})();
