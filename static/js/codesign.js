/* Co-design: a proposal's team draws in one shared draft, live, on the /design namespace.
 *
 * The map editor (editor.js) draws; this script keeps its map in step with the server's draft:
 * - Every local change (a feature added, moved, reshaped, relabelled, deleted) is found by
 *   comparing each feature with what was last in sync, and becomes a `draft_op` with an op id
 *   made here and the last seq seen (`base_seq`). Changes wait in a queue kept in
 *   localStorage (per proposal and person), and go out one at a time, in order, with the same
 *   op id after any reconnect or reload, until acknowledged: the server stores each once.
 * - Teammates' changes (`draft_op` broadcasts, in seq order) are drawn as they come, unless
 *   a change of one's own to that feature is still queued (it goes after, and wins).
 *   A seq that jumps, or a `draft_sync` above the seq held, opens the draft again with
 *   `after_seq`: the changes missed are replayed, nothing twice.
 * - A change that replaced a teammate's newer one is shown to both, with Restore
 *   (`draft_restore`); "Undo my last change" is the server's `draft_undo`.
 * - Presence: who is here, what each has selected and where each points, in their colour.
 * Every string comes from the page's data island (D.live.strings), every event name from
 * D.live.events. */
(function () {
  "use strict";

  const island = document.getElementById("editor-data");
  const editor = window.jiayuanEditor;
  if (!island || !editor || typeof window.io !== "function") { return; }
  const D = JSON.parse(island.textContent);
  const C = D.live;
  if (!C) { return; }
  const T = C.strings;
  const EV = C.events;
  const map = editor.map;
  const format = editor.format;
  const $ = function (id) { return document.getElementById(id); };
  const panel = $("codesign");
  const statusLine = $("codesign-status");
  const pendingLine = $("codesign-pending");
  const peopleList = $("codesign-people");
  const notices = $("codesign-notices");
  const undoButton = $("draft-undo");

  const SEND_TIMEOUT_MS = 10000;
  const JOIN_TIMEOUT_MS = 15000;
  const PRESENCE_EVERY_MS = 200;     // the server relays at most 5 a second
  const PRESENCE_BEAT_MS = 15000;    // silent for 30 s, one is forgotten
  const COLOURS = ["#1a5fb4", "#a51d2d", "#613583", "#26714a", "#9c4221", "#0b6e69", "#8a2c6b", "#3d4a5c"];
  const storageKey = "jiayuan-draft:" + C.proposalId + ":" + C.userId;

  let team = [];                     // [{id, name}] as the server lists it
  const server = {};                 // feature id -> {feature, seq, by}: the draft as the server holds it
  let lastSeq = null;                // the highest seq held with no gap before it
  const shadow = {};                 // feature id -> editor.canon(id) when last in step
  let queue = [];                    // changes not yet in `server`, in order (see enqueue)
  let inflight = null;
  let joined = false;
  let joining = false;
  let ended = false;
  let diffTimer = null;
  let wanted = 0;                    // the highest seq heard of (a jump: the draft is opened again)
  const done = new Set();            // op ids this page saw answered (stored, or refused)
  let early = [];                    // changes heard before the draft's first answer
  const deferred = new Set();        // teammates' changes to a feature being dragged here, for after
  const people = new Map();          // user id -> {user, selected, cursor}
  const presenceGroup = L.layerGroup().addTo(map);

  /* ---- small helpers ------------------------------------------------------ */

  function newOpId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      try { return window.crypto.randomUUID(); } catch (e) { /* not a secure context */ }
    }
    const b = window.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, function (x) { return x.toString(16).padStart(2, "0"); }).join("");
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
  }

  function nameOfUser(id) {
    if (id === C.userId) { return C.userName; }
    const person = team.find(function (p) { return p.id === id; }) || (people.get(id) || {}).user;
    return person ? person.name : T.someone;
  }

  function colourOf(id) {
    const index = team.findIndex(function (p) { return p.id === id; });
    return COLOURS[(index >= 0 ? index : Math.abs(id)) % COLOURS.length];
  }

  /* A feature in words: its kind and label ("Bench: by the gate"). */
  function featureWords(feature) {
    if (!feature || !feature.properties) { return T.aFeature; }
    const kind = editor.kindName(feature.properties.kind);
    return feature.properties.label ? kind + ": " + feature.properties.label : kind;
  }

  function wordsFor(featureId, fallback) {
    const here = editor.featureOf(featureId);
    if (here) { return featureWords(here); }
    if (server[featureId]) { return featureWords(server[featureId].feature); }
    return featureWords(fallback);
  }

  function setStatus(state, text) {
    panel.dataset.state = state;
    statusLine.textContent = text;
  }

  /* ---- the queue -------------------------------------------------------------
   * An item: {op_id, kind: "op"|"undo"|"restore", payload, feature_id?, seq?}; `seq` is set
   * once acknowledged, and the item stays until the draft held here has reached it. */

  function unacked() { return queue.filter(function (item) { return item.seq === undefined; }); }

  /* Keep the changes not answered yet in localStorage: this page's, and those another tab of
   * the same person left there (sent by whichever page opens next; the server stores each once). */
  function save() {
    try {
      const mine = new Set(queue.map(function (item) { return item.op_id; }));
      const others = JSON.parse(window.localStorage.getItem(storageKey) || "[]").filter(function (item) {
        return item && !mine.has(item.op_id) && !done.has(item.op_id);
      });
      const keep = others.concat(unacked().map(function (item) {
        return { op_id: item.op_id, kind: item.kind, payload: item.payload, feature_id: item.feature_id };
      }));
      if (keep.length) {
        window.localStorage.setItem(storageKey, JSON.stringify(keep));
      } else {
        window.localStorage.removeItem(storageKey);
      }
    } catch (e) { /* no storage: the queue still lives in memory */ }
    showPending();
  }

  function restoreQueue() {
    try {
      const saved = JSON.parse(window.localStorage.getItem(storageKey) || "[]");
      if (Array.isArray(saved)) {
        // Each may have reached the server before the page went: never change one now.
        queue = saved.filter(function (item) { return item && item.op_id && item.payload; })
          .map(function (item) { return Object.assign(item, { sent: true }); });
      }
    } catch (e) { queue = []; }
  }

  function showPending() {
    const n = unacked().length;
    pendingLine.dataset.count = String(n);
    pendingLine.textContent = n ? format(T.pending, { n: n }) : (joined ? T.allSent : "");
  }

  /* Whether a change of one's own to this feature is not in `server` yet. */
  function hasPending(featureId) {
    return queue.some(function (item) { return item.kind === "op" && item.feature_id === featureId; });
  }

  function enqueue(kind, payload, featureId) {
    const item = { op_id: newOpId(), kind: kind, payload: payload, feature_id: featureId };
    queue.push(item);
    save();
    pump();
    return item;
  }

  /* Compare the map with what was last in step: each difference is one change to send. */
  function diffLocal() {
    clearTimeout(diffTimer);
    diffTimer = null;
    if (lastSeq === null) { return; }  // not opened yet: nothing drawn here is known to differ
    const here = editor.order();
    here.forEach(function (id) {
      const now = editor.canon(id);
      if (shadow[id] === now) { return; }
      shadow[id] = now;
      const feature = editor.featureOf(id);
      // Typing a label makes many changes: one not sent yet takes the newest content.
      const last = queue[queue.length - 1];
      if (last && last !== inflight && !last.sent && last.kind === "op" && last.feature_id === id &&
          last.payload.action === "upsert") {
        last.payload.feature = feature;
        save();
        return;
      }
      enqueue("op", { base_seq: lastSeq, action: "upsert", feature_id: id, feature: feature }, id);
    });
    Object.keys(shadow).forEach(function (id) {
      if (here.indexOf(id) >= 0) { return; }
      delete shadow[id];
      enqueue("op", { base_seq: lastSeq, action: "delete", feature_id: id }, id);
    });
    // Let go of unchanged: a teammate's change that came meanwhile is drawn now.
    deferred.forEach(function (id) {
      if (editor.busy() === id) { return; }
      deferred.delete(id);
      show(id);
    });
  }

  /* A local change not compared yet is queued now (before a teammate's change is drawn). */
  function flushLocal() {
    if (diffTimer !== null) { diffLocal(); }
  }

  editor.hooks.changed = function () {
    clearTimeout(diffTimer);
    diffTimer = setTimeout(diffLocal, 60);
  };

  /* Send the first change not acknowledged yet; the next goes once it is answered. */
  function pump() {
    if (!joined || inflight || !socket.connected) { return; }
    const item = queue.find(function (each) { return each.seq === undefined; });
    if (!item) { showPending(); return; }
    inflight = item;
    item.sent = true;
    const connection = socket.id;
    const event = item.kind === "op" ? EV.client.draft_op
      : item.kind === "undo" ? EV.client.draft_undo : EV.client.draft_restore;
    const payload = Object.assign({}, item.payload, { proposal_id: C.proposalId, op_id: item.op_id });
    socket.timeout(SEND_TIMEOUT_MS).emit(event, payload, function (err, ack) {
      if (inflight === item) { inflight = null; }
      if (queue.indexOf(item) < 0 || item.seq !== undefined) { pump(); return; }  // answered already
      if (err || !ack) {
        // No answer: the same op id again (stored once), on this connection or the next.
        setTimeout(function () { if (socket.id === connection) { pump(); } }, 1000);
        return;
      }
      if (answered(item, ack)) { pump(); }
    });
  }

  /* An answer to a queued change; whether the next may go now. */
  function answered(item, ack) {
    if (ack.ok) {
      done.add(item.op_id);
      item.seq = ack.seq;
      if (item.kind !== "op") { applyOp(ack); }  // an undo or restore: the new change itself
      settle();
      save();
      // A retry answered with a change stored long ago (before a reload): the draft may hold
      // a newer version of the feature since, which the map shows now.
      if (item.kind === "op" && item.seq <= lastSeq) { show(item.feature_id); }
      return true;
    }
    const error = ack.error || {};
    if (error.code === "too_many_requests") {  // nothing stored: the same change again, later
      setTimeout(pump, 2500);
      return false;
    }
    done.add(item.op_id);
    queue.splice(queue.indexOf(item), 1);
    save();
    if (item.kind === "op") {
      notice("refused-" + item.op_id, format(T.refusedOp, {
        feature: wordsFor(item.feature_id, item.payload.feature), message: error.message || error.code,
      }), null);
      revert(item.feature_id);
    } else {
      notice("refused-" + item.op_id, error.message || error.code, null);
    }
    // The draft may have moved on in ways this page missed (a seq it has not seen): catch up.
    if (error.code === "conflict") { rejoin(); }
    return true;
  }

  /* Drop acknowledged changes the draft held here has reached. */
  function settle() {
    queue = queue.filter(function (item) { return item.seq === undefined || item.seq > lastSeq; });
  }

  /* ---- the map from the draft ------------------------------------------------ */

  /* Draw a feature as the server holds it (or take it away), unless a change of one's own
   * to it is still on its way. */
  function show(featureId) {
    if (hasPending(featureId)) { return; }
    if (editor.busy() === featureId) { deferred.add(featureId); return; }  // drawn once let go
    const entry = server[featureId];
    if (entry && entry.feature) {
      if (editor.canon(featureId) !== null && shadowOf(entry.feature) === editor.canon(featureId)) {
        shadow[featureId] = editor.canon(featureId);
        return;
      }
      if (editor.put(entry.feature)) { shadow[featureId] = editor.canon(featureId); }
    } else {
      editor.drop(featureId);
      delete shadow[featureId];
    }
    editor.recheck();
    drawPresence();
  }

  /* What editor.canon would say of this feature once drawn (null if it differs in shape). */
  function shadowOf(feature) {
    const sorted = function (value) {
      if (Array.isArray(value)) { return value.map(sorted); }
      if (value && typeof value === "object") {
        const out = {};
        Object.keys(value).sort().forEach(function (key) { out[key] = sorted(value[key]); });
        return out;
      }
      return value;
    };
    const props = Object.assign({}, feature.properties || {}, { id: String(feature.id) });
    return JSON.stringify(sorted({ g: feature.geometry, p: props }));
  }

  function revert(featureId) {
    if (hasPending(featureId)) { return; }
    show(featureId);
    if (!server[featureId]) { editor.drop(featureId); delete shadow[featureId]; }
  }

  /* Draw a change of one's own that is still queued (after a reload, say). */
  function showQueued(item) {
    if (item.kind !== "op") { return; }
    if (item.payload.action === "upsert") {
      if (editor.put(item.payload.feature)) { shadow[item.feature_id] = editor.canon(item.feature_id); }
    } else {
      editor.drop(item.feature_id);
      delete shadow[item.feature_id];
    }
  }

  /* One change of the draft, in seq order (a broadcast, a replay, an undo's answer). */
  function applyOp(op) {
    if (op.proposal_id !== undefined && op.proposal_id !== C.proposalId) { return; }
    if (lastSeq === null) { early.push(op); return; }  // heard before the draft opened: kept for then
    if (op.seq <= lastSeq) { return; }  // held already
    if (op.seq > lastSeq + 1) {  // one is missing: fetch what was missed
      wanted = Math.max(wanted, op.seq);
      rejoin();
      return;
    }
    flushLocal();  // a local change not queued yet goes first, so it is not lost under this one
    lastSeq = op.seq;
    if (op.action === "upsert") {
      server[op.feature_id] = { feature: op.feature, seq: op.seq, by: op.by };
    } else {
      delete server[op.feature_id];
    }
    // One's own change, answered on another connection or before its ack: it is in.
    queue.forEach(function (item) {
      if (item.op_id === op.op_id && item.seq === undefined) {
        item.seq = op.seq;
        done.add(item.op_id);
      }
    });
    settle();
    save();
    show(op.feature_id);
    tell(op);
  }

  function flat(coordinates) {
    return Array.isArray(coordinates[0]) ? coordinates.reduce(function (all, c) { return all.concat(flat(c)); }, [])
      : [coordinates];
  }

  /* How a change changed a feature: "delete", "move" (shifted whole, nothing else), or "change". */
  function howChanged(before, after) {
    if (!after) { return "delete"; }
    if (!before || !before.geometry || !after.geometry || before.geometry.type !== after.geometry.type ||
        shadowOf(Object.assign({}, before, { geometry: null })) !==
        shadowOf(Object.assign({}, after, { id: before.id, geometry: null }))) {
      return "change";
    }
    const a = flat(before.geometry.coordinates);
    const b = flat(after.geometry.coordinates);
    if (a.length !== b.length || !a.length) { return "change"; }
    const dx = b[0][0] - a[0][0];
    const dy = b[0][1] - a[0][1];
    const shifted = a.every(function (p, i) {
      return Math.abs(b[i][0] - p[0] - dx) < 1e-7 && Math.abs(b[i][1] - p[1] - dy) < 1e-7;
    });
    return shifted && (dx || dy) ? "move" : "change";
  }

  const OVERWRITES = {
    theirs: { change: "overwroteYours", move: "overwroteYoursMove", delete: "overwroteYoursDelete" },
    mine: { change: "youOverwrote", move: "youOverwroteMove", delete: "youOverwroteDelete" },
    others: { change: "othersOverwrote", move: "othersOverwroteMove", delete: "othersOverwroteDelete" },
  };

  /* What a change means to the people in the draft: overwrites (both sides see them, and the
   * rest of the team too, since any of them may restore), restores. */
  function tell(op) {
    const what = featureWords(op.feature || (op.overwrote && op.overwrote.feature));
    if (op.overwrote && op.overwrote.by !== op.by) {
      const how = howChanged(op.overwrote.feature, op.feature);
      if (op.overwrote.by === C.userId) {
        notice("overwrite-" + op.seq, format(T[OVERWRITES.theirs[how]], { name: nameOfUser(op.by), feature: what }),
          op.seq);
      } else if (op.by === C.userId) {
        notice("overwrite-" + op.seq,
          format(T[OVERWRITES.mine[how]], { name: nameOfUser(op.overwrote.by), feature: what }), op.seq);
      } else {
        notice("overwrite-" + op.seq, format(T[OVERWRITES.others[how]], {
          name: nameOfUser(op.by), other: nameOfUser(op.overwrote.by), feature: what,
        }), op.seq);
      }
    }
    if (op.cause === "restore") {
      // Put back: the notices about that overwrite have done their work, everywhere.
      removeNotice("overwrite-" + op.restores);
      if (op.by !== C.userId) { editor.say(format(T.restored, { name: nameOfUser(op.by), feature: what })); }
    } else if (op.cause === "undo" && op.by === C.userId) {
      editor.say(format(T.undone, { feature: what }));
    }
  }

  /* ---- notices ------------------------------------------------------------ */

  function removeNotice(key) {
    const node = notices.querySelector('[data-key="' + CSS.escape(key) + '"]');
    if (node) { node.remove(); }
  }

  /* A notice in the panel (read out: the region is aria-live); with Restore when `seq` is
   * the change whose replaced version can be put back. */
  function notice(key, text, seq) {
    removeNotice(key);
    const box = document.createElement("div");
    box.className = "codesign-notice" + (seq ? " overwrite" : "");
    box.dataset.key = key;
    box.dataset.kind = key.split("-")[0];  // overwrite, refused, submitted
    box.dataset.testid = seq ? "overwrite-notice" : "codesign-notice";
    const words = document.createElement("p");
    words.textContent = text;
    const actions = document.createElement("p");
    actions.className = "actions";
    if (seq) {
      const restore = document.createElement("button");
      restore.type = "button";
      restore.className = "button";
      restore.dataset.action = "restore";
      restore.textContent = T.restore;
      restore.addEventListener("click", function () {
        restore.disabled = true;
        enqueue("restore", { seq: seq });
      });
      actions.appendChild(restore);
    }
    const dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.className = "button small";
    dismiss.dataset.action = "dismiss";
    dismiss.textContent = T.dismiss;
    dismiss.addEventListener("click", function () {
      box.remove();
      undoButton.focus();
    });
    actions.appendChild(dismiss);
    box.append(words, actions);
    notices.prepend(box);
  }

  undoButton.addEventListener("click", function () {
    flushLocal();
    enqueue("undo", {});
  });

  /* ---- the connection --------------------------------------------------------- */

  const socket = window.io(C.namespace, { path: C.socketPath });

  function rejoin() {
    if (joined && !joining && socket.connected) { join(); }
  }

  /* Open the draft (again): its features, or the changes since the last seq held. */
  function join() {
    const connection = socket.id;
    joining = true;
    const payload = { proposal_id: C.proposalId };
    if (lastSeq !== null) { payload.after_seq = lastSeq; }
    socket.timeout(JOIN_TIMEOUT_MS).emit(EV.client.draft_join, payload, function (err, ack) {
      joining = false;
      if (socket.id !== connection || !socket.connected) { return; }
      if (err || !ack) {
        setTimeout(function () { if (socket.id === connection && socket.connected) { join(); } }, 2000);
        return;
      }
      if (!ack.ok) {
        setStatus("refused", format(T.refused, { message: (ack.error && ack.error.message) || "" }));
        return;
      }
      team = ack.team || team;
      flushLocal();
      if (ack.ops) {
        ack.ops.forEach(applyOp);
      } else {
        takeFeatures(ack.features || {}, ack.seq);
      }
      const heard = early.sort(function (a, b) { return a.seq - b.seq; });
      early = [];
      heard.forEach(applyOp);
      joined = true;
      if (lastSeq < wanted) { join(); return; }  // more came while this answer was on its way
      setStatus("connected", T.connected);
      editor.recheck();  // a check that failed offline, or teammates' changes: check the draft again
      (ack.presence || []).forEach(function (p) { seen(p, false); });
      showPeople();
      sendPresence(true);
      pump();
      showPending();
    });
  }

  /* The draft's features as they stand: the map follows, but for one's own queued changes. */
  function takeFeatures(features, seq) {
    const first = lastSeq === null;
    Object.keys(server).forEach(function (id) { delete server[id]; });
    Object.keys(features).forEach(function (id) { server[id] = features[id]; });
    lastSeq = seq;
    settle();
    // (What was drawn here before the draft first opened is not known to the server: it is sent.)
    if (!first) { editor.order().forEach(function (id) { if (!server[id]) { show(id); } }); }
    Object.keys(features).forEach(show);
    // Changes made here and not sent yet (kept across a reload) are drawn over the draft.
    queue.forEach(function (item) { if (item.seq === undefined) { showQueued(item); } });
    editor.recheck();
    if (first) {
      const bounds = L.featureGroup(Object.values(editor.layers)).getBounds();
      if (bounds.isValid() && !map.getBounds().intersects(bounds)) { map.fitBounds(bounds); }
    }
  }

  socket.on("connect", join);
  socket.on("disconnect", function (reason) {
    joined = false;
    inflight = null;
    if (ended) { return; }
    if (reason === "io server disconnect") { socket.connect(); }
    setStatus("offline", T.offline);
    showPending();
    // Who is here is known again on the way back (the join's answer, their next word).
    people.clear();
    showPeople();
    drawPresence();
  });
  socket.on("connect_error", function () {
    joined = false;
    setStatus(socket.active ? "offline" : "refused", socket.active ? T.offline : format(T.refused, { message: "" }));
  });
  socket.on(EV.server.session_ended, function () {
    ended = true;
    socket.disconnect();
    window.location.reload();
  });
  socket.on(EV.server.draft_op, applyOp);
  socket.on(EV.server.draft_sync, function (data) {
    if (data.proposal_id === C.proposalId && lastSeq !== null && data.seq > lastSeq) { rejoin(); }
  });
  socket.on(EV.server.draft_submitted, function (data) {
    if (data.proposal_id !== C.proposalId || data.by === C.userId) { return; }
    notice("submitted-" + data.version, format(T.submitted, { name: nameOfUser(data.by), n: data.version }), null);
  });
  socket.on(EV.server.draft_presence, function (data) {
    if (data.proposal_id !== C.proposalId) { return; }
    seen(data, true);
    showPeople();
    drawPresence();
  });
  // The phone knows first when it loses the network: queue at once, and come back with it.
  window.addEventListener("offline", function () {
    if (socket.connected) { socket.disconnect(); }
    setStatus("offline", T.offline);
  });
  window.addEventListener("online", function () { if (!socket.connected) { socket.connect(); } });

  /* ---- presence ------------------------------------------------------------ */

  function seen(data, announce) {
    const id = data.user && data.user.id;
    if (!id || id === C.userId) { return; }
    if (data.left) {
      if (people.delete(id) && announce) { editor.say(format(T.left, { name: data.user.name })); }
      return;
    }
    const arrived = !people.has(id);
    people.set(id, { user: data.user, selected: data.selected || [], cursor: data.cursor || null });
    if (arrived && announce) {
      editor.say(format(T.joined, { name: data.user.name }));
      sendPresence(true);  // so that they see this page too
    }
  }

  function showPeople() {
    const here = [{ id: C.userId, name: C.userName, self: true }].concat(
      Array.from(people.values()).map(function (p) { return { id: p.user.id, name: p.user.name }; }));
    peopleList.replaceChildren();
    here.forEach(function (person) {
      const item = document.createElement("li");
      item.dataset.userId = String(person.id);
      const dot = document.createElement("i");
      dot.className = "codesign-dot";
      dot.setAttribute("aria-hidden", "true");
      dot.style.backgroundColor = colourOf(person.id);
      const name = document.createElement("span");
      name.textContent = person.self ? person.name + " (" + T.you + ")" : person.name;
      item.append(dot, name);
      const selected = person.self ? [] : (people.get(person.id) || {}).selected || [];
      if (selected.length) {
        const what = document.createElement("span");
        what.className = "muted codesign-selected";
        what.textContent = " · " + selected.map(function (fid) { return wordsFor(fid); }).join(", ");
        item.appendChild(what);
      }
      peopleList.appendChild(item);
    });
  }

  /* Teammates' selections outlined and their pointers, each in their colour with their name. */
  function drawPresence() {
    presenceGroup.clearLayers();
    people.forEach(function (p) {
      const colour = colourOf(p.user.id);
      p.selected.forEach(function (fid) {
        const feature = editor.featureOf(fid);
        if (!feature) { return; }
        const outline = L.geoJSON(feature, {
          pmIgnore: true,
          interactive: false,
          style: function () {
            return { color: colour, weight: 4, dashArray: "6 4", fill: false, className: "presence-selection" };
          },
          pointToLayer: function (_f, latlng) {
            return L.circleMarker(latlng, {
              radius: 13, color: colour, weight: 3, fill: false, interactive: false, pmIgnore: true,
              className: "presence-selection",
            });
          },
        });
        outline.eachLayer(function (layer) {
          layer.options.pmIgnore = true;
          layer.options.snapIgnore = true;
          layer.on("add", function () {
            const el = layer.getElement && layer.getElement();
            if (el) {
              el.setAttribute("data-user-id", String(p.user.id));
              el.setAttribute("data-feature-id", fid);
              el.setAttribute("data-presence", "selection");
            }
          });
        });
        presenceGroup.addLayer(outline);
      });
      if (p.cursor) {
        const label = document.createElement("span");
        label.className = "presence-cursor-label";
        label.dataset.userId = String(p.user.id);
        label.style.backgroundColor = colour;
        label.textContent = p.user.name;
        const marker = L.marker([p.cursor[1], p.cursor[0]], {
          icon: L.divIcon({ className: "presence-cursor", html: label, iconSize: null, iconAnchor: [0, 0] }),
          interactive: false,
          keyboard: false,
          pmIgnore: true,
          snapIgnore: true,
        });
        presenceGroup.addLayer(marker);
      }
    });
  }

  let cursor = null;
  let presenceTimer = null;
  let presenceSentAt = 0;

  /* Tell the team this page's selection and pointer: at most 5 a second, the latest last. */
  function sendPresence(now) {
    if (!joined || !socket.connected) { return; }
    const wait = presenceSentAt + PRESENCE_EVERY_MS - Date.now();
    if (!now && wait > 0) {
      if (!presenceTimer) { presenceTimer = setTimeout(function () { presenceTimer = null; sendPresence(true); }, wait); }
      return;
    }
    presenceSentAt = Date.now();
    const selected = editor.selected();
    socket.emit(EV.client.draft_presence, {
      proposal_id: C.proposalId, selected: selected ? [selected] : [], cursor: cursor,
    });
  }

  editor.hooks.selected = function () { sendPresence(false); };
  // A finger has no hover: where it last touched the map is where it points.
  map.on("mousemove click", function (e) {
    cursor = [Math.round(e.latlng.lng * 1e7) / 1e7, Math.round(e.latlng.lat * 1e7) / 1e7];
    sendPresence(false);
  });
  map.getContainer().addEventListener("mouseleave", function () {
    cursor = null;
    sendPresence(false);
  });
  setInterval(function () { sendPresence(true); }, PRESENCE_BEAT_MS);

  /* ---- submitting ------------------------------------------------------------ */

  /* The draft becomes the next version, once every change made here has gone in. */
  editor.hooks.submit = function (body) {
    return new Promise(function (resolve, reject) {
      flushLocal();
      const go = function () {
        if (unacked().length || !joined || !socket.connected) {
          editor.say(T.submitBusy);
          setTimeout(go, 300);
          return;
        }
        socket.timeout(SEND_TIMEOUT_MS * 3).emit(EV.client.draft_submit, {
          proposal_id: C.proposalId, note: body.note, needs: body.needs,
        }, function (err, ack) {
          if (err || !ack) {
            reject({ message: T.offline });
          } else if (ack.ok) {
            resolve(ack);
          } else {
            const error = ack.error || {};
            reject({ message: error.message || error.code, error: error });
          }
        });
      };
      go();
    });
  };

  /* ---- start ------------------------------------------------------------ */

  restoreQueue();
  showPending();
  setStatus("connecting", T.connecting);

  // For tests and the curious: the draft as this page holds it.
  window.jiayuanCodesign = {
    socket: socket,
    seq: function () { return lastSeq; },
    joined: function () { return joined; },
    pending: function () { return unacked().length; },
    queued: function () { return queue.length; },
    server: function () { return server; },
    people: function () { return Array.from(people.values()); },
  };
})();
