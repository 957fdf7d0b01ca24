/* The decision page: the secretary closes the round; members object in the notice period;
 * the secretary answers objections, reopens the round or marks the space as in use.
 * Everything goes through the JSON API; the server decides who may do what, this script
 * only shows its answers. URLs, the rationale rule's numbers and the strings come from
 * the page's JSON data island (#decision-data). */
(function () {
  "use strict";

  const island = document.getElementById("decision-data");
  if (!island || !window.jiayuanApi) { return; }
  const data = JSON.parse(island.textContent);
  const S = data.strings;
  const api = window.jiayuanApi;

  function show(message, text, kind) {
    if (!message) { return; }
    message.textContent = text;
    if (kind) { message.dataset.kind = kind; } else { delete message.dataset.kind; }
  }

  function errorText(error) {
    if (error instanceof api.ApiError) {
      if (error.status === 403 && !error.error.message) { return S.status_403; }
      return error.message || S.error;
    }
    return S.error;
  }

  // Counted as the server counts: code points of the trimmed text.
  function length(text) { return Array.from(text.trim()).length; }

  async function send(form, message, action) {
    const buttons = form.querySelectorAll("button");
    buttons.forEach((b) => { b.disabled = true; });
    show(message, S.sending);
    try {
      await action();
      return true;
    } catch (error) {
      show(message, errorText(error), "error");
      return false;
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  }

  // --- deciding ---------------------------------------------------------------------------
  const decideForm = document.getElementById("decide-form");
  if (decideForm) {
    const rationale = decideForm.querySelector("#rationale");
    const count = decideForm.querySelector("#rationale-count");
    const warning = decideForm.querySelector("#against-tally");
    const message = decideForm.querySelector(".form-message");

    const chosenId = () => {
      const checked = decideForm.querySelector("input[name=proposal_id]:checked");
      return checked ? Number(checked.value) : null;
    };
    const againstTally = () => {
      const chosen = chosenId();
      return data.tally_winner !== null && chosen !== null && chosen !== data.tally_winner;
    };
    const needed = () => (againstTally() ? data.min_rationale_against_tally : data.min_rationale);

    function refresh() {
      const against = againstTally();
      if (warning) { warning.hidden = !against; }
      decideForm.querySelectorAll(".plan-choice").forEach((row) => {
        row.classList.toggle("chosen", Number(row.dataset.proposalId) === chosenId());
      });
      const n = length(rationale.value);
      count.textContent = S.count.replace("{n}", String(n)).replace("{min}", String(needed()));
      count.classList.toggle("short", n < needed());
    }

    decideForm.addEventListener("change", refresh);
    rationale.addEventListener("input", refresh);
    refresh();

    decideForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const chosen = chosenId();
      if (chosen === null) { show(message, S.choose, "error"); return; }
      const select = decideForm.querySelector(`select[data-version-of="${chosen}"]`);
      const body = {
        proposal_id: chosen,
        version: select ? Number(select.value) : null,
        rationale: rationale.value,
      };
      const ok = await send(decideForm, message, () => api.post(data.urls.decide, body));
      if (ok) {
        show(message, S.decided, "ok");
        window.location.reload();
      }
    });
  }

  // --- objections -------------------------------------------------------------------------
  const objectForm = document.getElementById("object-form");
  if (objectForm) {
    objectForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = objectForm.querySelector("textarea").value;
      const message = objectForm.querySelector(".form-message");
      if (await send(objectForm, message, () => api.post(data.urls.object, { text: text }))) {
        window.location.reload();
      }
    });
  }

  document.querySelectorAll("form.answer-form").forEach((form) => {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const url = data.urls.answer.replace("{id}", form.dataset.objectionId);
      const answer = form.querySelector("textarea").value;
      const message = form.querySelector(".form-message");
      if (await send(form, message, () => api.post(url, { answer: answer }))) {
        window.location.reload();
      }
    });
  });

  // --- reopening, with a confirmation step in the page ------------------------------------
  const reopenForm = document.getElementById("reopen-form");
  if (reopenForm) {
    const confirmBox = reopenForm.querySelector(".confirm-box");
    const message = reopenForm.querySelector(".form-message");
    reopenForm.addEventListener("submit", (event) => {
      event.preventDefault();
      confirmBox.hidden = false;
      confirmBox.querySelector("[data-confirm=yes]").focus();
    });
    confirmBox.querySelector("[data-confirm=no]").addEventListener("click", () => {
      confirmBox.hidden = true;
      reopenForm.querySelector("textarea").focus();
    });
    confirmBox.querySelector("[data-confirm=yes]").addEventListener("click", async () => {
      const reason = reopenForm.querySelector("textarea").value;
      const ok = await send(reopenForm, message, () => api.post(data.urls.reopen, { reason: reason }));
      confirmBox.hidden = true;
      if (ok) { window.location.reload(); }
    });
  }

  // --- the space is in use ----------------------------------------------------------------
  const inUse = document.getElementById("in-use-button");
  if (inUse) {
    const section = inUse.closest("section");
    inUse.addEventListener("click", async () => {
      if (await send(section, section.querySelector(".form-message"), () => api.post(data.urls.in_use))) {
        window.location.reload();
      }
    });
  }
})();
