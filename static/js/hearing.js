/* The hearing page (phone first): the running pitch on the map, comments anchored to the
 * map, questions, reactions, the straw poll, presence and the countdown. */
(function () {
  "use strict";

  const { readConfig, format, el, LiveHearing } = window.jiayuanLive;
  const ui = window.jiayuanHearingUI;
  const config = readConfig("hearing-config");
  const text = config.text;
  const memory = new ui.Memory(config);
  const $ = (selector) => document.querySelector(selector);

  let live = null;
  let chosenProposal = null;   // a proposal the reader picked; the running pitch otherwise
  let runningProposal = null;
  let draftAnchor = null;      // {proposal_id, feature_id} or {point}
  let replyTo = null;
  let ended = Boolean(config.ended);

  // --- the map and the proposal switch ---------------------------------------------------------

  const canWrite = config.can_take_part;
  const hearingMap = config.map_name ? new ui.HearingMap(config, canWrite ? {
    onFeature: (proposalId, featureId) => setAnchor({ proposal_id: proposalId, feature_id: featureId }),
    onPoint: (point) => setAnchor({ point: point }),
  } : {}) : null;
  const switchButtons = Array.from(document.querySelectorAll(".proposal-switch [data-proposal-id]"));

  function showProposal(pid) {
    if (!hearingMap || pid === null || pid === undefined) return;
    hearingMap.show(pid);
    for (const button of switchButtons) {
      const id = Number(button.dataset.proposalId);
      button.setAttribute("aria-pressed", id === pid ? "true" : "false");
      button.classList.toggle("is-live", id === runningProposal);
    }
  }

  for (const button of switchButtons) {
    button.addEventListener("click", () => {
      const pid = Number(button.dataset.proposalId);
      chosenProposal = pid === runningProposal ? null : pid;
      showProposal(pid);
    });
  }

  // --- composing --------------------------------------------------------------------------------

  const form = $("[data-testid=compose]");
  const body = $("[data-testid=compose-body]");
  const question = $("[data-testid=compose-question]");
  const anchorBox = $("[data-testid=compose-anchor]");
  const outbox = $("[data-testid=outbox]");

  function setAnchor(anchor) {
    if (!form || ended) return;
    draftAnchor = anchor;
    const label = anchor ? ui.anchorText({ anchor: anchor.feature_id ? { feature_id: anchor.feature_id } : anchor,
      proposal_id: anchor.proposal_id !== undefined ? anchor.proposal_id : (hearingMap && hearingMap.shown) }, config) : null;
    anchorBox.dataset.state = anchor ? (anchor.feature_id ? "feature" : "point") : "none";
    anchorBox.querySelector("[data-role=anchor-text]").textContent = label || text.anchor_none;
    anchorBox.querySelector("[data-role=anchor-clear]").hidden = !anchor;
    if (hearingMap) hearingMap.select(anchor);
    if (anchor) panels.select("panel-comments");
  }

  function setReply(comment) {
    if (!form) return;
    replyTo = comment;
    const box = form.querySelector("[data-role=reply]");
    box.hidden = !comment;
    box.querySelector("[data-role=reply-text]").textContent = comment
      ? format(text.replying_to, { name: comment.on_behalf_of || comment.author.name || text.a_neighbour }) : "";
    if (comment) {
      panels.select("panel-comments");
      form.scrollIntoView({ block: "nearest", behavior: "smooth" });
      body.focus();
    }
  }

  function renderOutbox(items) {
    if (!outbox) return;
    outbox.replaceChildren(...items.filter((item) => !item.payload.on_behalf_of).map((item) => {
      let state = item.state;
      if (state === "pending" && item.waiting) state = "waiting";
      const label = state === "failed"
        ? text.failed + ": " + ((item.error && item.error.message) || "") : text[state];
      const row = el("li", { class: "outbox-item", "data-state": state, "data-client-id": item.client_id },
        el("span", { class: "outbox-body", text: item.payload.body }),
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

  if (form) {
    anchorBox.querySelector("[data-role=anchor-clear]").addEventListener("click", () => setAnchor(null));
    form.querySelector("[data-role=reply-cancel]").addEventListener("click", () => setReply(null));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const value = body.value.trim();
      if (!value || ended) { body.focus(); return; }
      const fields = { body: value, is_question: question.checked };
      if (replyTo) fields.parent_id = replyTo.id;
      if (draftAnchor && draftAnchor.feature_id) {
        fields.proposal_id = draftAnchor.proposal_id;
        fields.anchor = { feature_id: draftAnchor.feature_id };
      } else if (draftAnchor && draftAnchor.point) {
        fields.anchor = { point: draftAnchor.point };
        if (hearingMap && hearingMap.shown !== null) fields.proposal_id = hearingMap.shown;
      } else if (runningProposal !== null) {
        fields.proposal_id = runningProposal;  // about the pitch under way
      }
      live.send(fields);
      body.value = "";
      question.checked = false;
      setAnchor(null);
      setReply(null);
    });
  }

  // --- refusals the server acknowledges (a closed poll, a dropped connection, ...) ------------

  const errorBox = $("[data-testid=hearing-error]");
  let errorTimer = null;
  function showError(ack) {
    if (ack.ok) return true;
    errorBox.textContent = format(text.error, { message: (ack.error && ack.error.message) || "" });
    errorBox.hidden = false;
    clearTimeout(errorTimer);
    errorTimer = setTimeout(() => { errorBox.hidden = true; }, 6000);
    return false;
  }

  // --- threads, questions, poll -----------------------------------------------------------------

  const actions = {
    sentHere: (comment) => live && live.sentHere(comment),
    reacted: (comment, kind) => Boolean(memory.get("r:" + comment.id + ":" + kind)),
    upvoted: (comment) => Boolean(memory.get("u:" + comment.id)),
    own: (comment) => Boolean(comment.author && comment.author.id === config.user_id && !comment.on_behalf_of),
    focus: (comment) => { if (hearingMap) { chosenProposal = comment.proposal_id; hearingMap.focus(comment); showProposal(hearingMap.shown); } },
  };
  if (canWrite) {
    Object.assign(actions, {
      reply: (comment) => setReply(comment),
      react: async (comment, kind) => {
        const key = "r:" + comment.id + ":" + kind;
        const remove = Boolean(memory.get(key));
        const ack = await live.emit("react", { comment_id: comment.id, kind: kind, remove: remove });
        if (showError(ack)) { memory.set(key, !remove); refreshComment(comment.id); }
      },
      upvote: async (comment) => {
        const ack = await live.emit("upvote", { comment_id: comment.id });
        if (showError(ack)) { memory.set("u:" + comment.id, true); refreshComment(comment.id); refreshQuestions(); }
      },
    });
  }

  const thread = new ui.Thread($("[data-testid=thread]"), config, { newestFirst: true, actions: actions });
  const panels = ui.tabs($("[role=tablist]"), (panel) => {
    if (panel === "panel-questions") refreshQuestions();
  });

  function refreshComment(id) {
    const comment = live.comments.get(id);
    if (comment) thread.upsert(comment);
  }

  function refreshQuestions() {
    const count = ui.renderQuestions($("[data-testid=questions]"), live.allComments(), config, actions);
    $("[data-role=count-questions]").textContent = String(count);
    $("[data-role=no-questions]").hidden = count > 0;
  }

  function refreshCounts() {
    const visible = live.allComments().filter((c) => !c.hidden).length;
    $("[data-role=count-comments]").textContent = String(visible);
    $("[data-role=no-comments]").hidden = live.comments.size > 0;
    $("[data-role=load-earlier]").hidden = !live.hasOlder;
  }

  const pollRoot = $("[data-testid=poll]");
  function showPoll(poll) {
    const myVote = poll ? memory.get("v:" + poll.id) : undefined;
    ui.renderPoll(pollRoot, poll, config, {
      myVote: myVote,
      onVote: canWrite && !ended ? async (current, option) => {
        const ack = await live.emit("vote", { poll_id: current.id, option: option });
        if (showError(ack)) { memory.set("v:" + current.id, option); showPoll(ack.poll); }
      } : null,
    });
    $("[data-role=poll-dot]").hidden = !(poll && poll.state === "open");
  }

  // --- the slot --------------------------------------------------------------------------------

  const slotBar = new ui.SlotBar($("[data-testid=slot]"), config, null);

  function showSlot(slot) {
    slotBar.set(slot);
    const previous = runningProposal;
    runningProposal = slot && slot.proposal_id !== null ? slot.proposal_id : null;
    if (runningProposal !== previous) chosenProposal = null;  // a new pitch: follow it
    showProposal(chosenProposal !== null ? chosenProposal : (runningProposal !== null ? runningProposal : hearingMap && hearingMap.shown));
    if (slot && slot.state === "ended") endHearing();
  }

  function endHearing() {
    ended = true;
    ui.showBanner(config, text.ended);
    if (form) form.querySelectorAll("textarea, input, button").forEach((node) => { node.disabled = true; });
  }

  // --- the connection -----------------------------------------------------------------------------

  const announcer = new ui.Announcer($("[data-testid=announcer]"), config);
  slotBar.onState = (state) => announcer.slotState(state);
  live = new LiveHearing(config, Object.assign(ui.bannerHandlers(config), {
    state: (state) => { showSlot(state.slot); showPoll(state.poll); refreshCounts(); announcer.start(state); },
    comments: (changed) => {
      announcer.comments(changed);
      for (const comment of changed) thread.upsert(comment);
      if (hearingMap) hearingMap.setAnchors(live.allComments());
      refreshQuestions();
      refreshCounts();
    },
    slot: (slot) => { showSlot(slot); announcer.slot(slot); },
    poll: (poll) => { showPoll(poll); announcer.poll(poll); },
    outbox: renderOutbox,
  }));
  slotBar.clock = live.clock;
  renderOutbox(live.outboxItems());
  if (ended) endHearing();

  $("[data-role=load-earlier]").addEventListener("click", async () => {
    await live.loadOlder();
    refreshCounts();
  });
})();
