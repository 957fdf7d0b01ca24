/* The moderator's console: runs the pitch slots, opens and closes straw polls, records a show
 * of hands, hides comments with a reason, enters comments for people without a phone, and
 * ends the hearing. Every refusal the server acknowledges is shown as it says it. */
(function () {
  "use strict";

  const { readConfig, format, el, LiveHearing } = window.jiayuanLive;
  const ui = window.jiayuanHearingUI;
  const config = readConfig("hearing-config");
  const text = config.text;
  const $ = (selector) => document.querySelector(selector);
  const errorBox = $("[data-testid=console-error]");
  const MAX_OPTIONS = 8;
  const EXTEND_SECONDS = 60;

  function showError(error) {
    errorBox.textContent = error ? format(text.error, { message: (error && error.message) || "" }) : "";
    errorBox.hidden = !error;
  }

  /** Emit a moderator event; show a refusal; resolve with the ack. */
  async function act(name, payload) {
    const ack = await live.emit(name, payload);
    showError(ack.ok ? null : ack.error);
    return ack;
  }

  // --- slots ------------------------------------------------------------------------------------

  const slotBar = new ui.SlotBar($("[data-testid=slot]"), config, null);
  function showSlot(slot) {
    slotBar.set(slot);
    document.querySelectorAll("[data-testid=running-order] li[data-position]").forEach((row) => {
      row.classList.toggle("is-current", slot && slot.position !== null && Number(row.dataset.position) === slot.position);
    });
    if (slot && slot.state === "ended") endedView();
  }
  document.querySelectorAll("[data-slot-action]").forEach((button) => {
    button.addEventListener("click", () => {
      const action = button.dataset.slotAction;
      const payload = { hearing_id: config.hearing_id, action: action };
      if (action === "extend") payload.seconds = EXTEND_SECONDS;
      act("slot", payload);
    });
  });

  // --- polls ------------------------------------------------------------------------------------

  const pollRoot = $("[data-testid=poll]");
  const pollForm = $("[data-role=poll-form]");
  const pollRunning = $("[data-role=poll-running]");
  const handsForm = $("[data-testid=hands-form]");
  let currentPoll = null;

  function showPoll(poll) {
    ui.renderPoll(pollRoot, poll, config);
    const open = Boolean(poll && poll.state === "open");
    pollRunning.hidden = !open;
    pollForm.hidden = open;
    if (open && (!currentPoll || currentPoll.id !== poll.id)) {
      const fields = handsForm.querySelector("[data-role=hands-fields]");
      fields.replaceChildren(...poll.options.map((label, index) => el("label", { class: "hands-field" },
        el("span", { text: label }),
        el("input", { type: "number", min: "0", step: "1", inputmode: "numeric", name: String(index),
          value: String(poll.hands[index] || 0) }))));
    }
    currentPoll = open ? poll : null;
  }

  $("[data-role=option-add]").addEventListener("click", () => {
    const box = pollForm.querySelector("[data-role=option-fields]");
    if (box.children.length >= MAX_OPTIONS) return;
    const n = box.children.length + 1;
    box.append(el("input", { type: "text", name: "option", maxlength: "100", "aria-label": format(text.option, { n: n }) }));
    box.lastElementChild.focus();
  });

  pollForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const question = pollForm.querySelector("[name=question]").value.trim();
    const options = Array.from(pollForm.querySelectorAll("[name=option]"))
      .map((input) => input.value.trim()).filter(Boolean);
    const ack = await act("poll", { hearing_id: config.hearing_id, action: "open", question: question, options: options });
    if (ack.ok) showPoll(ack.poll);
  });

  handsForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const counts = {};
    handsForm.querySelectorAll("input[type=number]").forEach((input) => {
      counts[input.name] = Math.max(0, parseInt(input.value, 10) || 0);
    });
    const ack = await act("poll", { hearing_id: config.hearing_id, action: "hands", counts: counts });
    if (ack.ok) showPoll(ack.poll);
  });

  $("[data-testid=poll-close]").addEventListener("click", async () => {
    const ack = await act("poll", { hearing_id: config.hearing_id, action: "close" });
    if (ack.ok) showPoll(ack.poll);
  });

  // --- comments: the thread with hiding, and entries for people in the room --------------------

  const thread = new ui.Thread($("[data-testid=thread]"), config, {
    newestFirst: true,
    actions: {
      hide: async (comment, reason) => {
        const ack = await act("hide", { comment_id: comment.id, reason: reason });
        if (ack.ok) {
          live.comments.set(ack.comment.id, ack.comment);
          thread.upsert(ack.comment);
        }
      },
      sentHere: (comment) => live && live.sentHere(comment),
    },
  });

  const behalf = $("[data-testid=behalf-form]");
  const outbox = behalf.querySelector("[data-testid=outbox]");
  behalf.addEventListener("submit", (event) => {
    event.preventDefault();
    const name = behalf.querySelector("[name=name]");
    const body = behalf.querySelector("[name=body]");
    const question = behalf.querySelector("[name=is_question]");
    if (!name.value.trim() || !body.value.trim()) {
      (name.value.trim() ? body : name).focus();
      return;
    }
    live.send({ body: body.value.trim(), on_behalf_of: name.value.trim(), is_question: question.checked });
    body.value = "";
    question.checked = false;
  });

  function renderOutbox(items) {
    outbox.replaceChildren(...items.map((item) => {
      let state = item.state;
      if (state === "pending" && item.waiting) state = "waiting";
      const label = state === "failed" ? text.failed + ": " + ((item.error && item.error.message) || "") : text[state];
      const row = el("li", { class: "outbox-item", "data-state": state },
        el("span", { class: "outbox-body", text: (item.payload.on_behalf_of || "") + ": " + item.payload.body }),
        el("span", { class: "outbox-state", text: label }));
      if (state === "failed") {
        row.append(
          el("button", { type: "button", class: "chip small", text: text.retry, onclick: () => live.retry(item.client_id) }),
          el("button", { type: "button", class: "chip small", text: text.discard, onclick: () => live.discard(item.client_id) }));
      }
      if (state === "sent") setTimeout(() => live.discard(item.client_id), 2500);
      return row;
    }));
  }

  function refreshCounts() {
    $("[data-role=count-comments]").textContent = String(live.comments.size);
    $("[data-role=no-comments]").hidden = live.comments.size > 0;
    $("[data-role=load-earlier]").hidden = !live.hasOlder;
  }

  // --- ending -------------------------------------------------------------------------------

  function endedView() {
    ui.showBanner(config, text.ended);
    document.querySelectorAll("[data-slot-action], [data-testid=end-hearing], [data-role=poll-form] button")
      .forEach((button) => { button.disabled = true; });
  }

  $("[data-testid=end-form]").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!(await window.jiayuanConfirm(event.submitter || $("[data-testid=end-hearing]"), text.confirm_end))) return;
    try {
      await window.jiayuanApi.post(config.urls.end);
      showError(null);
      endedView();
    } catch (error) {
      showError(error);
    }
  });

  // --- the connection -----------------------------------------------------------------------------

  const announcer = new ui.Announcer($("[data-testid=announcer]"), config);
  slotBar.onState = (state) => announcer.slotState(state);
  const live = new LiveHearing(config, Object.assign(ui.bannerHandlers(config), {
    state: (state) => { showSlot(state.slot); showPoll(state.poll); refreshCounts(); announcer.start(state); },
    comments: (changed) => {
      announcer.comments(changed);
      for (const comment of changed) thread.upsert(comment);
      refreshCounts();
    },
    slot: (slot) => { showSlot(slot); announcer.slot(slot); },
    poll: (poll) => { showPoll(poll); announcer.poll(poll); },
    outbox: renderOutbox,
    error: showError,
  }));
  slotBar.clock = live.clock;
  renderOutbox(live.outboxItems());
  if (config.ended) endedView();

  $("[data-role=load-earlier]").addEventListener("click", async () => {
    await live.loadOlder();
    refreshCounts();
  });
})();
