/* The big screen for the projector: the running pitch on the map, the big countdown, the
 * latest comments scrolling by, the poll as bars, presence and the QR code to join. */
(function () {
  "use strict";

  const { readConfig, el, LiveHearing } = window.jiayuanLive;
  const ui = window.jiayuanHearingUI;
  const config = readConfig("hearing-config");
  const $ = (selector) => document.querySelector(selector);
  const FEED_SIZE = 40;

  const hearingMap = config.map_name ? new ui.HearingMap(config, {}) : null;
  if (hearingMap) hearingMap.keepFitted();
  const feed = $("[data-testid=feed]");
  const pollRoot = $("[data-testid=poll]");
  const slotBar = new ui.SlotBar($("[data-testid=slot]"), config, null);
  const nodes = new Map();

  function feedItem(original) {
    // The projector never shows what the moderator hid, even on a moderator's login.
    const comment = original.hidden ? Object.assign({}, original, { body: null }) : original;
    const where = ui.anchorText(comment, config);
    return el("li", { class: "feed-item" + (comment.hidden ? " is-hidden" : ""), "data-testid": "comment",
      "data-comment-id": String(comment.id), "data-seq": String(comment.seq) },
    ui.authorLine(comment, config),
    where ? el("p", { class: "anchor-chip", "data-testid": "anchor" }, where) : null,
    ...ui.commentBody(comment, config));
  }

  function showComments(changed) {
    for (const comment of changed) {
      const fresh = feedItem(comment);
      const old = nodes.get(comment.id);
      if (old) {
        old.replaceWith(fresh);
      } else {
        const after = Array.from(feed.children).find((child) => Number(child.dataset.seq) > comment.seq);
        feed.insertBefore(fresh, after || null);
      }
      nodes.set(comment.id, fresh);
    }
    while (feed.children.length > FEED_SIZE) {
      nodes.delete(Number(feed.firstElementChild.dataset.commentId));
      feed.firstElementChild.remove();
    }
    box.scrollTo({ top: box.scrollHeight, behavior: "smooth" });
  }

  // The newest comment stays in sight when the poll below grows or shrinks the feed.
  const box = feed.parentElement;
  if (window.ResizeObserver) new ResizeObserver(() => { box.scrollTop = box.scrollHeight; }).observe(box);

  // The map in words, on request: the layout on the map now, for whoever cannot see it.
  const wordsButton = $("[data-testid=screen-words-toggle]");
  const wordsPanel = $("[data-testid=screen-words]");
  let proposalShown = config.slots.length ? config.slots[0].proposal_id : Object.keys(config.proposals)[0];
  function showWords() {
    const proposal = config.proposals[String(proposalShown)];
    wordsPanel.querySelector("[data-role=title]").textContent = proposal ? proposal.title : "";
    wordsPanel.querySelector("[data-role=sentences]").replaceChildren(
      ...(proposal ? proposal.words : []).map((sentence) => el("li", { text: sentence })));
  }
  if (wordsButton) {
    wordsButton.addEventListener("click", () => {
      const open = wordsPanel.hidden;
      wordsPanel.hidden = !open;
      wordsButton.setAttribute("aria-expanded", String(open));
      if (open) showWords();
    });
  }

  function showSlot(slot) {
    slotBar.set(slot);
    if (slot && slot.proposal_id !== null) {
      proposalShown = slot.proposal_id;
      if (wordsPanel && !wordsPanel.hidden) showWords();
    }
    if (hearingMap && slot && slot.proposal_id !== null) hearingMap.show(slot.proposal_id);
    if (slot && slot.state === "ended") ui.showBanner(config, config.text.ended);
  }

  const live = new LiveHearing(config, Object.assign(ui.bannerHandlers(config), {
    state: (state) => { showSlot(state.slot); ui.renderPoll(pollRoot, state.poll, config); },
    comments: (changed) => {
      showComments(changed);
      if (hearingMap) hearingMap.setAnchors(live.allComments());
    },
    slot: showSlot,
    poll: (poll) => ui.renderPoll(pollRoot, poll, config),
  }));
  slotBar.clock = live.clock;
})();
