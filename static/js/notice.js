/* The decision notice: a Print button (the notice itself needs no script). */
(function () {
  "use strict";
  const button = document.getElementById("print-notice");
  if (!button) { return; }
  button.hidden = false;
  button.addEventListener("click", () => window.print());
})();
