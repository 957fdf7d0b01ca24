/* Asking before something that cannot be undone, in the page itself: no pop-up window (the
   aging-friendly rules ask for none), a box under the button with the question, "Yes" and
   "Cancel". The focus goes to "Yes"; "Cancel" brings it back to the button.

   window.jiayuanConfirm(trigger, question) resolves to true or false. A form with
   data-confirm asks before it is sent (closing the ballots, say). */
(function () {
  "use strict";

  const labels = document.body.dataset;

  function jiayuanConfirm(trigger, question) {
    const anchor = trigger.closest("form") || trigger;
    const previous = anchor.nextElementSibling;
    if (previous && previous.classList.contains("confirm-box")) previous.remove();
    const box = document.createElement("div");
    box.className = "confirm-box";
    box.setAttribute("role", "group");
    box.dataset.testid = "confirm-box";
    const text = document.createElement("p");
    text.id = `confirm-${Date.now()}`;
    text.textContent = question;
    box.setAttribute("aria-labelledby", text.id);
    const yes = document.createElement("button");
    yes.type = "button";
    yes.className = "button primary";
    yes.dataset.testid = "confirm-yes";
    yes.textContent = labels.confirmYes || "Yes";
    const no = document.createElement("button");
    no.type = "button";
    no.className = "button";
    no.dataset.testid = "confirm-no";
    no.textContent = labels.confirmNo || "Cancel";
    box.append(text, yes, no);
    anchor.after(box);
    yes.focus();
    return new Promise((resolve) => {
      const answer = (value) => {
        box.remove();
        if (!value) trigger.focus();
        resolve(value);
      };
      yes.addEventListener("click", () => answer(true));
      no.addEventListener("click", () => answer(false));
      box.addEventListener("keydown", (event) => {
        if (event.key === "Escape") answer(false);
      });
    });
  }

  window.jiayuanConfirm = jiayuanConfirm;

  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    let confirmed = false;
    form.addEventListener("submit", async (event) => {
      if (confirmed) return;
      event.preventDefault();
      const button = event.submitter || form.querySelector("[type=submit]");
      if (await jiayuanConfirm(button, form.dataset.confirm)) {
        confirmed = true;
        form.requestSubmit(event.submitter || undefined);
      }
    });
  });
})();
