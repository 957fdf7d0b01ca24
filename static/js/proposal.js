/* The proposal page: withdrawing goes through the JSON API after a confirmation. */
(function () {
  "use strict";

  const button = document.getElementById("withdraw");
  if (!button) { return; }
  const status = document.getElementById("withdraw-status");
  button.addEventListener("click", async function () {
    if (!(await window.jiayuanConfirm(button, button.dataset.confirm))) { return; }
    button.disabled = true;
    try {
      await window.jiayuanApi.post(button.dataset.url);
      window.location.reload();
    } catch (error) {
      button.disabled = false;
      status.textContent = error.message;
    }
  });
})();
