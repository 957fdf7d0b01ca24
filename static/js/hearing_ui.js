/* Jiayuan hearing widgets shared by the hearing page, the big screen and the console:
 * the slot bar with its countdown, comment threads, the questions list, poll results and
 * the hearing map (which proposal shows, comment anchors, clicks to anchor a comment).
 * All user text goes in with textContent (jiayuanLive.el), never as HTML. */
(function () {
  "use strict";

  const { el, format, formatClock } = window.jiayuanLive;

  // --- the running pitch slot and its countdown -------------------------------------------

  class SlotBar {
    constructor(root, config, clock) {
      this.root = root;
      this.config = config;
      this.clock = clock;
      this.slot = null;
      this.slotText = "";
      this.title = root.querySelector("[data-testid=slot-title]");
      this.position = root.querySelector("[data-role=slot-position]");
      this.countdown = root.querySelector("[data-testid=countdown]");
      this.timer = setInterval(() => this.tick(), 250);
    }

    set(slot) {
      this.slot = slot;
      const text = this.config.text;
      const running = slot && slot.proposal_id !== null && slot.ends_at;
      if (running) {
        const proposal = this.config.proposals[String(slot.proposal_id)];
        this.title.textContent = proposal ? proposal.title : "";
        this.slotText = format(text.slot_of, { n: slot.position + 1, total: this.config.slots.length });
      } else {
        this.title.textContent = slot && slot.state === "ended" ? text.ended : text.no_slot;
        this.slotText = "";
      }
      this.tick();
    }

    tick() {
      const slot = this.slot;
      const left = slot && slot.ends_at ? this.clock.until(slot.ends_at) : null;
      let state = "idle";
      if (left !== null) state = left > 0 ? (left <= 30000 ? "ending" : "running") : "over";
      this.root.dataset.state = state;
      this.countdown.dataset.state = state;
      this.countdown.textContent = left === null ? "--:--" : formatClock(left);
      const position = state === "over" ? this.config.text.time_up : this.slotText || "";
      if (this.position.textContent !== position) this.position.textContent = position;
      if (state !== this.state) {
        this.state = state;
        if (this.onState) this.onState(state);
      }
    }
  }

  // --- what a screen reader hears ---------------------------------------------------------------

  /* One polite live region per page, fed a few words at a time: the comments that arrive while
   * the page is open (never the history a join loads, nor earlier pages shown on request), a
   * pitch starting, its time running out, a poll opening or closing. What comes within
   * ANNOUNCE_AFTER_MS is said together, and several comments are summed up ("5 new
   * comments") rather than read out one by one. Focus is never moved. */
  const ANNOUNCE_AFTER_MS = 1500;
  const SAY_COMMENTS_UP_TO = 2;

  class Announcer {
    constructor(node, config) {
      this.node = node;
      this.config = config;
      this.ready = false;  // until the first join is in, every comment is history
      this.upTo = 0;       // the highest comment seq accounted for
      this.arrived = [];  // comments waiting to be said
      this.messages = [];
      this.timer = null;
      this.pitch = null;
      this.pollState = null;
    }

    /** The first join is in: from now on, what arrives is news. */
    start(state) {
      this.pitch = state && state.slot ? state.slot.proposal_id : null;
      this.pollState = state && state.poll ? state.poll.id + ":" + state.poll.state : null;
      this.ready = true;
    }

    comments(changed) {
      const fresh = changed.filter((c) => c.seq > this.upTo);
      for (const comment of fresh) this.upTo = Math.max(this.upTo, comment.seq);
      if (!this.ready) return;
      const mine = (c) => c.author && c.author.id === this.config.user_id;
      this.arrived.push(...fresh.filter((c) => !c.hidden && !mine(c)));
      this._later();
    }

    slot(slot) {
      const pitch = slot && slot.ends_at ? slot.proposal_id : null;
      if (!this.ready || pitch === this.pitch) { this.pitch = pitch; return; }
      this.pitch = pitch;
      const proposal = pitch !== null ? this.config.proposals[String(pitch)] : null;
      if (proposal) this.say(this.config.text.now_pitching + ": " + proposal.title);
    }

    slotState(state) {
      if (this.ready && state === "over") this.say(this.config.text.time_up);
    }

    poll(poll) {
      const key = poll ? poll.id + ":" + poll.state : null;
      if (!this.ready || key === this.pollState) { this.pollState = key; return; }
      this.pollState = key;
      if (!poll) return;
      const text = this.config.text;
      if (poll.state === "open") this.say(format(text.poll_opened, { question: poll.question }));
      else this.say(text.poll_closed + " " + poll.options.map((label, index) =>
        label + " " + ((poll.votes[index] || 0) + (poll.hands[index] || 0))).join(", "));
    }

    say(message) {
      this.messages.push(message);
      this._later();
    }

    _later() {
      if (!this.timer && (this.messages.length || this.arrived.length)) {
        this.timer = setTimeout(() => this._flush(), ANNOUNCE_AFTER_MS);
      }
    }

    _flush() {
      const text = this.config.text;
      const comments = this.arrived.length > SAY_COMMENTS_UP_TO
        ? [format(text.new_comments, { n: this.arrived.length })]
        : this.arrived.map((c) => format(text.new_comment, {
          name: c.on_behalf_of || (c.author ? c.author.name : text.a_neighbour),
          body: (c.body || "").slice(0, 160),
        }));
      const words = [...this.messages, ...comments].join(" ");
      this.messages = [];
      this.arrived = [];
      this.timer = null;
      if (this.node && words) this.node.textContent = words;
    }
  }

  // --- comments -----------------------------------------------------------------------------

  function timeOf(iso) {
    const at = new Date(iso);
    return Number.isNaN(at.getTime()) ? ""
      : at.toLocaleTimeString(document.documentElement.lang || undefined, { hour: "2-digit", minute: "2-digit" });
  }

  /** The words saying where a comment points: a feature of a proposal, a spot, or a proposal. */
  function anchorText(comment, config) {
    const text = config.text;
    const proposal = comment.proposal_id !== null ? config.proposals[String(comment.proposal_id)] : null;
    const anchor = comment.anchor || {};
    if (anchor.feature_id) {
      const name = (proposal && proposal.features[anchor.feature_id]) || anchor.feature_id;
      return format(text.anchor_feature, { feature: name, proposal: proposal ? proposal.title : "" });
    }
    if (anchor.point) {
      const place = anchor.place && config.places ? config.places[anchor.place] : null;
      return (place ? format(text.anchor_place, { place: place }) : text.anchor_point)
        + (proposal ? " (" + proposal.title + ")" : "");
    }
    return proposal ? proposal.title : null;
  }

  function authorLine(comment, config, extra) {
    const text = config.text;
    const author = comment.author || {};
    const name = comment.on_behalf_of
      ? format(text.on_behalf, { name: comment.on_behalf_of, moderator: author.name })
      : author.name || text.a_neighbour;  // names are for the community's members only
    const stakeholder = author.stakeholder && !comment.on_behalf_of ? config.stakeholders[author.stakeholder] : null;
    return el("div", { class: "comment-meta" },
      el("span", { class: "comment-author", text: name }),
      stakeholder ? el("span", { class: "tag stakeholder", "data-testid": "stakeholder", text: stakeholder }) : null,
      comment.is_question ? el("span", { class: "tag question", text: text.question }) : null,
      el("time", { class: "comment-time", datetime: comment.created_at, text: timeOf(comment.created_at) }),
      extra || null);
  }

  function commentBody(comment, config) {
    if (comment.hidden) {
      const note = el("p", {
        class: "comment-hidden", "data-testid": "hidden-note",
        text: format(config.text.hidden, { reason: comment.hidden_reason || "" }),
      });
      // The moderator still sees what was hidden.
      return comment.body ? [note, el("p", { class: "comment-body was-hidden", text: comment.body })] : [note];
    }
    // Read aloud (in the elder mode) as "who: what".
    const who = comment.on_behalf_of || (comment.author || {}).name || config.text.a_neighbour;
    return [el("p", {
      class: "comment-body", "data-testid": "comment-body", "data-read-aloud": who + ":", text: comment.body || "",
    })];
  }

  /**
   * A thread of comments: replies indented under their parent, each comment updated in place.
   * actions: {react(comment, kind), reply(comment), upvote(comment), hide(comment, reason),
   *           focus(comment), reacted(comment, kind), upvoted(comment), own(comment), sentHere(comment)}
   */
  class Thread {
    constructor(root, config, options) {
      this.root = root;
      this.config = config;
      this.options = Object.assign({ newestFirst: true, actions: {} }, options || {});
      this.nodes = new Map();
      this.orphans = new Map();
    }

    upsert(comment) {
      let node = this.nodes.get(comment.id);
      if (!node) {
        node = el("li", { class: "comment", "data-testid": "comment" });
        node.replies = el("ol", { class: "replies plain" });
        node.seq = comment.seq;
        this.nodes.set(comment.id, node);
        this._place(node, comment);
      }
      this._fill(node, comment);
      return node;
    }

    _place(node, comment) {
      const parent = comment.parent_id !== null ? this.nodes.get(comment.parent_id) : null;
      if (comment.parent_id !== null && !parent) {
        const waiting = this.orphans.get(comment.parent_id) || [];
        waiting.push(node);
        this.orphans.set(comment.parent_id, waiting);
      }
      const container = parent ? parent.replies : this.root;
      const newestFirst = !parent && this.options.newestFirst;
      const before = Array.from(container.children).find((child) =>
        newestFirst ? child.seq < comment.seq : child.seq > comment.seq);
      container.insertBefore(node, before || null);
      const children = this.orphans.get(comment.id);
      if (children) {
        this.orphans.delete(comment.id);
        for (const child of children) {
          const at = Array.from(node.replies.children).find((c) => c.seq > child.seq);
          node.replies.insertBefore(child, at || null);
        }
      }
    }

    _fill(node, comment) {
      const config = this.config;
      const text = config.text;
      const actions = this.options.actions;
      node.dataset.commentId = String(comment.id);
      node.dataset.seq = String(comment.seq);
      node.classList.toggle("is-hidden", Boolean(comment.hidden));
      node.classList.toggle("is-question", Boolean(comment.is_question));
      node.classList.toggle("is-reply", comment.parent_id !== null);
      const sent = actions.sentHere && actions.sentHere(comment)
        ? el("span", { class: "send-state", "data-state": "sent", text: "✓ " + text.sent }) : null;
      const where = anchorText(comment, config);
      const anchor = where ? el(actions.focus ? "button" : "span", {
        type: actions.focus ? "button" : null,
        class: "anchor-chip", "data-testid": "anchor",
        "data-feature-id": comment.anchor && comment.anchor.feature_id ? comment.anchor.feature_id : null,
        title: actions.focus ? text.show_on_map : null,
        onclick: actions.focus ? () => actions.focus(comment) : null,
      }, where) : null;
      const bar = el("div", { class: "comment-actions" });
      if (!comment.hidden) {
        if (actions.react) {
          for (const reaction of config.reactions) {
            const count = (comment.reactions || {})[reaction.kind] || 0;
            const mine = actions.reacted && actions.reacted(comment, reaction.kind);
            bar.append(el("button", {
              type: "button", class: "react" + (mine ? " mine" : ""), "aria-pressed": mine ? "true" : "false",
              // the name starts with what the button shows (its symbol, then the count), then says it
              title: reaction.label, "data-kind": reaction.kind,
              "aria-label": [reaction.symbol, count || "", reaction.label].filter(Boolean).join(" "),
              onclick: () => actions.react(comment, reaction.kind),
            }, el("span", { "aria-hidden": "true", text: reaction.symbol }), count ? " " + count : ""));
          }
        } else {
          for (const reaction of config.reactions) {
            const count = (comment.reactions || {})[reaction.kind] || 0;
            if (count) bar.append(el("span", { class: "react static", title: reaction.label }, reaction.symbol + " " + count));
          }
        }
        if (comment.is_question) {
          const mine = actions.upvoted && actions.upvoted(comment);
          const own = actions.own && actions.own(comment);  // nobody upvotes their own question
          bar.append(actions.upvote && !own
            ? el("button", {
              type: "button", class: "upvote" + (mine ? " mine" : ""), disabled: mine ? true : null,
              "data-testid": "upvote", "aria-label": text.upvote,
              onclick: () => actions.upvote(comment),
            }, "▲ " + (comment.upvotes || 0))
            : el("span", { class: "upvote static" }, "▲ " + (comment.upvotes || 0)));
        }
        if (actions.reply) {
          bar.append(el("button", { type: "button", class: "reply", "data-testid": "reply",
            onclick: () => actions.reply(comment), text: text.reply }));
        }
        if (actions.hide) bar.append(this._hideControl(comment));
      }
      const replies = node.replies;
      const parts = [authorLine(comment, config, sent), anchor, ...commentBody(comment, config), bar, replies];
      node.replaceChildren(...parts.filter(Boolean));
    }

    _hideControl(comment) {
      const text = this.config.text;
      const box = el("span", { class: "hide-control" });
      const open = el("button", { type: "button", class: "hide", "data-testid": "hide", text: text.hide });
      open.addEventListener("click", () => {
        const reason = el("input", { type: "text", maxlength: "500", "aria-label": text.hide_reason,
          placeholder: text.hide_reason, "data-testid": "hide-reason" });
        const form = el("form", { class: "hide-form" }, reason,
          el("button", { type: "submit", class: "button danger small", text: text.confirm_hide }),
          el("button", { type: "button", class: "button small", text: text.cancel,
            onclick: () => box.replaceChildren(open) }));
        form.addEventListener("submit", (event) => {
          event.preventDefault();
          if (reason.value.trim()) this.options.actions.hide(comment, reason.value.trim());
        });
        box.replaceChildren(form);
        reason.focus();
      });
      box.append(open);
      return box;
    }

    get size() { return this.nodes.size; }
  }

  /** The questions, most upvoted first (then oldest first). */
  function renderQuestions(root, comments, config, actions) {
    const questions = comments.filter((c) => c.is_question && !c.hidden)
      .sort((a, b) => (b.upvotes || 0) - (a.upvotes || 0) || a.seq - b.seq);
    root.replaceChildren(...questions.map((comment) => {
      const mine = actions.upvoted && actions.upvoted(comment);
      const own = actions.own && actions.own(comment);
      return el("li", { class: "question-item", "data-testid": "question", "data-comment-id": String(comment.id) },
        el("button", {
          type: "button", class: "upvote big" + (mine ? " mine" : ""),
          disabled: mine || own || !actions.upvote ? true : null,
          "aria-label": config.text.upvote, "data-testid": "upvote",
          onclick: () => actions.upvote(comment),
        }, el("span", { "aria-hidden": "true", text: "▲" }), el("b", { text: String(comment.upvotes || 0) })),
        el("div", { class: "question-text" }, authorLine(comment, config), el("p", { text: comment.body || "" })));
    }));
    return questions.length;
  }

  // --- the straw poll --------------------------------------------------------------------------

  /** Poll results as bars; with onVote, each option is a button while the poll is open. */
  function renderPoll(root, poll, config, options) {
    const text = config.text;
    const opts = options || {};
    if (!poll) {
      root.replaceChildren(el("p", { class: "muted", text: text.no_poll }));
      root.dataset.state = "none";
      return;
    }
    root.dataset.state = poll.state;
    root.dataset.pollId = String(poll.id);
    const open = poll.state === "open";
    const total = Math.max(1, poll.total);
    const rows = poll.options.map((label, index) => {
      const count = (poll.votes[index] || 0) + (poll.hands[index] || 0);
      const share = Math.round((count / total) * 100);
      const mine = opts.myVote === index;
      const detail = [format(text.votes, { n: poll.votes[index] || 0 })];
      if (poll.hands[index]) detail.push(format(text.hands, { n: poll.hands[index] }));
      const inner = [
        el("span", { class: "poll-label" }, label, mine ? el("span", { class: "tag", text: text.your_vote }) : null),
        el("span", { class: "poll-count", "data-testid": "poll-count", text: String(count) }),
        el("span", { class: "poll-bar", "aria-hidden": "true" }, el("span", { style: "width:" + share + "%" })),
        el("span", { class: "poll-detail muted", text: detail.join(" · ") }),
      ];
      return opts.onVote && open
        ? el("button", { type: "button", class: "poll-option" + (mine ? " mine" : ""), "data-option": String(index),
          "aria-pressed": mine ? "true" : "false", onclick: () => opts.onVote(poll, index) }, ...inner)
        : el("div", { class: "poll-option", "data-option": String(index) }, ...inner);
    });
    const parts = [
      el("h3", { class: "poll-question", text: poll.question }),
      el("div", { class: "poll-options" }, ...rows),
      open ? null : el("p", { class: "muted", text: text.poll_closed }),
    ];
    root.replaceChildren(...parts.filter(Boolean));
  }

  // --- the map ----------------------------------------------------------------------------------

  const ANCHORED_STYLE = { color: "#b3322b", weight: 5, dashArray: null };
  const SELECTED_STYLE = { color: "#1a5fb4", weight: 6, dashArray: "6 3" };

  /**
   * The hearing map: one proposal shown at a time (the running pitch unless the reader chose
   * another), features that comments point at drawn in the accent colour, spots as markers.
   * handlers: onFeature(proposalId, featureId, latlng), onPoint([lon, lat]) to anchor a comment.
   */
  class HearingMap {
    constructor(config, handlers) {
      const entry = window.jiayuanMaps && window.jiayuanMaps[config.map_name];
      this.ok = Boolean(entry);
      if (!this.ok) return;
      this.config = config;
      this.entry = entry;
      this.map = entry.map;
      this.shown = null;
      this.anchored = new Map();
      this.selected = null;
      this.points = L.layerGroup().addTo(this.map);
      this.draft = L.layerGroup().addTo(this.map);
      const handle = handlers || {};
      for (const [pid, proposal] of Object.entries(config.proposals)) {
        const group = entry.groups[proposal.group];
        if (!group) continue;
        this.map.removeLayer(group);
        if (handle.onFeature) {
          group.on("click", (event) => {
            L.DomEvent.stopPropagation(event);
            const layer = event.propagatedFrom || event.layer;
            const props = layer && layer.feature && layer.feature.properties;
            if (props && props.id !== null && props.id !== undefined) {
              handle.onFeature(Number(pid), String(props.id), event.latlng);
            }
          });
        }
      }
      if (handle.onPoint) {
        this.map.on("click", (event) => {
          handle.onPoint([Number(event.latlng.lng.toFixed(7)), Number(event.latlng.lat.toFixed(7))]);
        });
      }
      const first = Object.keys(config.proposals)[0];
      if (first) this.show(Number(first));
    }

    _group(pid) {
      const proposal = this.config.proposals[String(pid)];
      return proposal ? this.entry.groups[proposal.group] : null;
    }

    _layers(pid) {
      const proposal = this.config.proposals[String(pid)];
      return proposal ? this.entry.layers[proposal.group] || {} : {};
    }

    show(pid) {
      if (!this.ok || !this._group(pid)) return;
      for (const other of Object.keys(this.config.proposals)) {
        const group = this._group(other);
        if (group && Number(other) !== pid) this.map.removeLayer(group);
      }
      this.map.addLayer(this._group(pid));
      this.shown = pid;
      this.map.getContainer().dataset.shownProposal = String(pid);
      this.refresh();
    }

    /** Take the anchors of these comments (every comment of the hearing). */
    setAnchors(comments) {
      if (!this.ok) return;
      this.anchored = new Map();
      this.points.clearLayers();
      for (const comment of comments) {
        if (comment.hidden || !comment.anchor) continue;
        if (comment.anchor.feature_id && comment.proposal_id !== null) {
          const key = comment.proposal_id + "/" + comment.anchor.feature_id;
          this.anchored.set(key, (this.anchored.get(key) || 0) + 1);
        } else if (comment.anchor.point) {
          const [lon, lat] = comment.anchor.point;
          L.circleMarker([lat, lon], { radius: 9, color: "#ffffff", weight: 3, fillColor: "#b3322b",
            fillOpacity: 0.95, interactive: false, className: "comment-point" }).addTo(this.points);
        }
      }
      this.refresh();
    }

    /** The anchor the reader is composing: {proposal_id, feature_id} or {point}, or null. */
    select(anchor) {
      if (!this.ok) return;
      this.selected = anchor;
      this.draft.clearLayers();
      if (anchor && anchor.point) {
        L.circleMarker([anchor.point[1], anchor.point[0]], { radius: 10, color: "#1a5fb4", weight: 4,
          fillColor: "#ffffff", fillOpacity: 0.9, interactive: false, className: "draft-point" }).addTo(this.draft);
      }
      this.refresh();
    }

    refresh() {
      if (!this.ok || this.shown === null) return;
      const layers = this._layers(this.shown);
      for (const [fid, layer] of Object.entries(layers)) {
        const props = layer.feature.properties || {};
        const count = this.anchored.get(this.shown + "/" + fid) || 0;
        const selected = this.selected && this.selected.feature_id === fid && this.selected.proposal_id === this.shown;
        if (layer.setStyle) {
          layer.setStyle(Object.assign({}, props.style || {}, count ? ANCHORED_STYLE : {}, selected ? SELECTED_STYLE : {}));
        }
        const node = layer.getElement && layer.getElement();
        if (node) {
          node.classList.toggle("is-anchored", count > 0);
          node.classList.toggle("is-selected", Boolean(selected));
          if (count) node.setAttribute("data-comments", String(count));
          else node.removeAttribute("data-comments");
        }
      }
      this.points.eachLayer((layer) => layer.bringToFront());
      this.draft.eachLayer((layer) => layer.bringToFront());
    }

    /** Show where a comment points. */
    focus(comment) {
      if (!this.ok || !comment.anchor) return;
      if (comment.anchor.feature_id && comment.proposal_id !== null) {
        this.show(comment.proposal_id);
        const layer = this._layers(comment.proposal_id)[comment.anchor.feature_id];
        const node = layer && layer.getElement && layer.getElement();
        if (layer && layer.getBounds) this.map.panTo(layer.getBounds().getCenter());
        else if (layer && layer.getLatLng) this.map.panTo(layer.getLatLng());
        if (node) {
          node.classList.add("is-focused");
          setTimeout(() => node.classList.remove("is-focused"), 2400);
        }
      } else if (comment.anchor.point) {
        this.map.panTo([comment.anchor.point[1], comment.anchor.point[0]]);
      }
    }

    /** Fit the site again whenever the map's box changes size (the big screen). */
    keepFitted() {
      if (!this.ok || !window.ResizeObserver) return;
      // The boundary's own bounds: a circle's (a tree canopy) depend on the zoom being animated.
      const bounds = L.latLngBounds([]);
      const site = this.entry.groups.site;
      if (site) {
        site.eachLayer((layer) => {
          const kind = layer.feature && layer.feature.properties && layer.feature.properties.kind;
          if (kind === "site_boundary" && layer.getBounds) bounds.extend(layer.getBounds());
        });
      }
      const fit = () => {
        // Leaflet would finish an animated zoom (the page's first fit) after ours: wait for it.
        if (this.map._animatingZoom) { this.map.once("zoomend", fit); return; }
        this.map.invalidateSize();
        if (bounds.isValid()) this.map.fitBounds(bounds, { padding: [24, 24], animate: false });
      };
      new ResizeObserver(fit).observe(this.map.getContainer());
    }
  }

  // --- tabs -------------------------------------------------------------------------------------

  function tabs(list, onChange) {
    const buttons = Array.from(list.querySelectorAll("[role=tab]"));
    function select(button) {
      for (const other of buttons) {
        const chosen = other === button;
        other.setAttribute("aria-selected", chosen ? "true" : "false");
        other.tabIndex = chosen ? 0 : -1;
        document.getElementById(other.getAttribute("aria-controls")).hidden = !chosen;
      }
      if (onChange) onChange(button.getAttribute("aria-controls"));
    }
    buttons.forEach((button, index) => {
      button.addEventListener("click", () => select(button));
      button.addEventListener("keydown", (event) => {
        const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
        if (!step) return;
        const next = buttons[(index + step + buttons.length) % buttons.length];
        select(next);
        next.focus();
      });
    });
    return { select: (id) => select(buttons.find((b) => b.getAttribute("aria-controls") === id)) };
  }

  /** What this person did in this browser (reactions, upvotes, votes), so buttons show it. */
  class Memory {
    constructor(config) {
      this.key = "jiayuan-mine:" + config.hearing_id + ":" + config.user_id;
      try { this.data = JSON.parse(window.localStorage.getItem(this.key) || "{}"); } catch (e) { this.data = {}; }
    }
    get(name) { return this.data[name]; }
    set(name, value) {
      if (value === undefined || value === false) delete this.data[name];
      else this.data[name] = value;
      try { window.localStorage.setItem(this.key, JSON.stringify(this.data)); } catch (e) { /* memory only */ }
    }
  }

  function showBanner(config, message) {
    document.querySelectorAll("[data-testid=banner]").forEach((node) => {
      node.textContent = message;
      node.hidden = !message;
    });
  }

  /** The banners for the round's phase and closing, and the hearing's end. */
  function bannerHandlers(config) {
    return {
      phase: (data) => {
        if (data.round_id !== config.round_id) return;
        showBanner(config, format(config.text.phase_changed, { phase: config.phases[data.phase] || data.phase }));
      },
      closed: (data) => {
        if (data && data.round_id !== undefined && data.round_id !== config.round_id) return;
        const decision = data && data.decision;
        if (!decision) {
          showBanner(config, config.text.round_closed);
          return;
        }
        // The decision itself, in the room, without reloading: the plan, the reasons, a link.
        showBanner(config, format(config.text.round_decided, {
          title: decision.proposal_title, rationale: decision.rationale,
        }));
        document.querySelectorAll("[data-testid=banner]").forEach((node) => {
          node.appendChild(document.createTextNode(" "));
          node.appendChild(el("a", { href: config.urls.decision, text: config.text.see_decision }));
        });
      },
    };
  }

  window.jiayuanHearingUI = {
    SlotBar: SlotBar,
    Announcer: Announcer,
    Thread: Thread,
    HearingMap: HearingMap,
    Memory: Memory,
    anchorText: anchorText,
    authorLine: authorLine,
    commentBody: commentBody,
    renderQuestions: renderQuestions,
    renderPoll: renderPoll,
    tabs: tabs,
    showBanner: showBanner,
    bannerHandlers: bannerHandlers,
  };
})();
