/* The ballot page: put the proposals in order with big up/down buttons (keyboard
 * friendly), leave some out, and save the ranking with PUT /api/v1/rounds/{id}/ballot. */
(function () {
  "use strict";

  const el = document.getElementById("ballot-data");
  if (!el) { return; }
  const data = JSON.parse(el.textContent);
  const S = data.strings;
  const api = window.jiayuanApi;
  const form = document.getElementById("ballot-form");
  const ranking = document.getElementById("ranking");
  const leftOut = document.getElementById("left-out");
  const announce = document.getElementById("ranking-announce");
  const message = form.querySelector("[data-testid=ballot-message]");

  const fill = (template, values) => template.replace(/\{(\w+)\}/g, (m, key) => (key in values ? String(values[key]) : m));

  function refresh() {
    const items = Array.from(ranking.children);
    items.forEach((item, index) => {
      item.querySelector(".rank-number").textContent = String(index + 1);
      item.querySelector(".rank-up").disabled = index === 0;
      item.querySelector(".rank-down").disabled = index === items.length - 1;
      item.querySelector(".rank-out").textContent = S.leave_out;
    });
    Array.from(leftOut.children).forEach((item) => {
      item.querySelector(".rank-number").textContent = "–";
      item.querySelector(".rank-up").disabled = true;
      item.querySelector(".rank-down").disabled = true;
      item.querySelector(".rank-out").textContent = S.rank_in;
    });
    document.getElementById("left-out-empty").hidden = leftOut.children.length > 0;
  }

  function keepFocus(item, move) {
    // Stay on the button just pressed; at the top or bottom it is disabled, so take the other one.
    const same = item.querySelector('[data-move="' + move + '"]');
    const other = item.querySelector('[data-move="' + (move === "up" ? "down" : "up") + '"]');
    (same.disabled ? (other.disabled ? item.querySelector(".rank-out") : other) : same).focus();
  }

  form.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-move]");
    if (!button) { return; }
    const item = button.closest("li");
    const title = item.dataset.title;
    const move = button.dataset.move;
    if (move === "up" && item.previousElementSibling) {
      ranking.insertBefore(item, item.previousElementSibling);
    } else if (move === "down" && item.nextElementSibling) {
      ranking.insertBefore(item.nextElementSibling, item);
    } else if (move === "out") {
      if (item.parentElement === ranking) {
        leftOut.append(item);
        refresh();
        announce.textContent = fill(S.left_out, { title: title });
      } else {
        ranking.append(item);
        refresh();
        announce.textContent = fill(S.put_back, { title: title });
      }
      item.querySelector(".rank-out").focus();
      return;
    }
    refresh();
    const position = Array.from(ranking.children).indexOf(item) + 1;
    announce.textContent = fill(S.moved_to, { title: title, n: position });
    keepFocus(item, move);
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const ids = Array.from(ranking.children).map((item) => Number(item.dataset.proposalId));
    if (!ids.length) {
      message.textContent = S.empty;
      message.dataset.kind = "error";
      return;
    }
    const submit = form.querySelector("button[type=submit]");
    submit.disabled = true;
    try {
      const saved = await api.put(data.ballot_url, { ranking: ids });
      const titles = {};
      form.querySelectorAll("li[data-proposal-id]").forEach((item) => { titles[item.dataset.proposalId] = item.dataset.title; });
      const current = document.getElementById("current-ranking");
      current.replaceChildren(...saved.ranking.map((id) => {
        const li = document.createElement("li");
        li.dataset.proposalId = String(id);
        li.textContent = titles[String(id)] || "#" + id;
        return li;
      }));
      document.getElementById("no-ballot").hidden = true;
      message.textContent = S.saved;
      message.dataset.kind = "ok";
    } catch (error) {
      message.textContent = error instanceof api.ApiError ? error.message : S.error;
      message.dataset.kind = "error";
    } finally {
      submit.disabled = false;
    }
  });

  refresh();
})();
