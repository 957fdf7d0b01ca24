/* Scheduling a hearing: the form's local date and time plus this browser's time zone become an
 * aware ISO timestamp; the hearing is created over the API, then the console opens. */
(function () {
  "use strict";

  const { readConfig, format } = window.jiayuanLive;
  const config = readConfig("schedule-config");
  const form = document.querySelector("[data-testid=schedule-form]");
  const errorBox = form.querySelector("[data-role=error]");
  const starts = form.querySelector("[name=starts_at]");

  function pad(n) { return String(n).padStart(2, "0"); }

  /** "+08:00" for Shanghai: the zone offset of that local moment, as ISO 8601 spells it. */
  function zoneOffset(date) {
    const minutes = -date.getTimezoneOffset();
    const sign = minutes >= 0 ? "+" : "-";
    return sign + pad(Math.floor(Math.abs(minutes) / 60)) + ":" + pad(Math.abs(minutes) % 60);
  }

  function localValue(date) {
    return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) +
      "T" + pad(date.getHours()) + ":" + pad(date.getMinutes());
  }

  // Default: today at 19:00 (the usual evening talk), or tomorrow if that has passed.
  if (!starts.value) {
    const at = new Date();
    if (at.getHours() >= 19) at.setDate(at.getDate() + 1);
    at.setHours(19, 0, 0, 0);
    starts.value = localValue(at);
  }
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  form.querySelector("[data-role=timezone]").textContent =
    format(config.text.timezone, { zone: (zone ? zone + " " : "") + "UTC" + zoneOffset(new Date()) });

  function showError(message) {
    errorBox.textContent = message || "";
    errorBox.hidden = !message;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const local = new Date(starts.value);
    if (!starts.value || Number.isNaN(local.getTime())) { starts.focus(); return; }
    const slots = [];
    form.querySelectorAll(".slot-row").forEach((row) => {
      if (!row.querySelector("[name=include]").checked) return;
      const minutes = Number(row.querySelector("[name=minutes]").value) || 0;
      slots.push({ proposal_id: Number(row.dataset.proposalId), seconds: Math.round(minutes * 60) });
    });
    if (!slots.length) { showError(config.text.needs_slot); return; }
    const body = {
      title: form.querySelector("[name=title]").value.trim(),
      starts_at: (starts.value.length === 16 ? starts.value + ":00" : starts.value) + zoneOffset(local),
      place: form.querySelector("[name=place]").value.trim(),
      slots: slots,
    };
    try {
      const hearing = await window.jiayuanApi.post(config.create_url, body);
      window.location.assign(config.console_url.replace("{id}", String(hearing.id)));
    } catch (error) {
      showError(format(config.text.error, { message: error.message }));
    }
  });
})();
