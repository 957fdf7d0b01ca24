/* Jiayuan live hearings: the /hearing Socket.IO connection shared by the hearing page,
 * the big screen and the moderator's console.
 *
 * - On every 'connect' (the first and each automatic reconnect) it emits `join` with the
 *   highest comment seq seen so far, so the server replays exactly what was missed; comments
 *   are merged by id, so nothing shows twice.
 * - Comments go out through an outbox: each carries a client id made once, and is sent again
 *   with that same id after a reconnect until an acknowledgement (or its broadcast) arrives.
 * - The server's clock: countdowns are computed from the slot's `ends_at` deadline, corrected
 *   by `server_now`, never from ticks sent by the server.
 * Every string shown comes from the page's JSON data island (config.text), every event
 * name from config.events (deliberation.publish.Event and the namespace's handlers). */
(function () {
  "use strict";

  function readConfig(id) {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  /** Fill %(name)s placeholders of a translated string. */
  function format(template, values) {
    return String(template).replace(/%\((\w+)\)s/g, (match, key) =>
      values && key in values ? String(values[key]) : match);
  }

  /** Build an element; strings become text nodes, never HTML. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key === "dataset") Object.assign(node.dataset, value);
      else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  /** A random client id; crypto.randomUUID needs a secure context, getRandomValues does not. */
  function newClientId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      try { return window.crypto.randomUUID(); } catch (e) { /* fall through */ }
    }
    const bytes = window.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  /** The server's clock as this browser best knows it. */
  class ServerClock {
    constructor() { this.offset = 0; }
    sync(serverNow) {
      const at = Date.parse(serverNow || "");
      if (!Number.isNaN(at)) this.offset = at - Date.now();
    }
    now() { return Date.now() + this.offset; }
    /** Milliseconds until a deadline (ISO string), or null without one. */
    until(deadline) {
      const at = Date.parse(deadline || "");
      return Number.isNaN(at) ? null : at - this.now();
    }
  }

  function formatClock(ms) {
    const total = Math.max(0, Math.ceil(ms / 1000));
    const hours = Math.floor(total / 3600);
    const mm = String(Math.floor((total % 3600) / 60)).padStart(2, "0");
    const ss = String(total % 60).padStart(2, "0");
    return hours ? hours + ":" + mm + ":" + ss : mm + ":" + ss;
  }

  /** Show <time data-local-time datetime="..."> in the reader's own time zone. */
  function localTimes(root) {
    const formatter = new Intl.DateTimeFormat(document.documentElement.lang || undefined,
      { dateStyle: "medium", timeStyle: "short" });
    (root || document).querySelectorAll("time[data-local-time]").forEach((node) => {
      const at = new Date(node.getAttribute("datetime"));
      if (!Number.isNaN(at.getTime())) node.textContent = formatter.format(at);
    });
  }

  const SEND_TIMEOUT_MS = 10000;
  const JOIN_TIMEOUT_MS = 15000;
  const RATE_RETRY_MS = 2500;

  class LiveHearing {
    /**
     * handlers: state(state), comments(changed), slot(slot), poll(poll), presence(count),
     * phase(data), closed(data), outbox(items), status(state), error(error) — all optional.
     */
    constructor(config, handlers) {
      this.config = config;
      this.handlers = handlers || {};
      this.events = config.events;
      this.hearingId = config.hearing_id;
      this.comments = new Map();
      // The newest seq up to which this page holds every comment of the hearing (no gap).
      this.lastSeq = null;
      this.joining = false;
      this.minSeq = null;
      this.hasOlder = false;
      this.clock = new ServerClock();
      this.state = null;
      this.joined = false;
      this.status = "connecting";
      this.outbox = new Map();
      this.storageKey = "jiayuan-outbox:" + config.hearing_id + ":" + config.user_id;
      this._restoreOutbox();
      this.socket = window.io(config.namespace, { path: config.socket_path });
      this._wire();
      this._setStatus("connecting");
      window.jiayuanLive.current = this;
    }

    _call(name, ...args) {
      const handler = this.handlers[name];
      if (typeof handler === "function") handler(...args);
    }

    _wire() {
      const socket = this.socket;
      const on = this.events.server;
      socket.on("connect", () => this._join());
      // Logged out (here or on another device): this page's session is over.
      socket.on(on.session_ended, () => {
        this.ended = true;
        socket.disconnect();
        window.location.reload();
      });
      socket.on("disconnect", (reason) => {
        this.joined = false;
        if (this.ended) return;
        if (reason === "io server disconnect") socket.connect();
        this._setStatus("reconnecting");
        this._call("outbox", this.outboxItems());
      });
      socket.on("connect_error", () => {
        this.joined = false;
        // An inactive socket was refused by the server (no identity): it will not retry.
        this._setStatus(socket.active ? "reconnecting" : "refused");
      });
      socket.on(on.comment, (comment) => {
        if (comment.hearing_id !== this.hearingId) return;
        // A comment whose predecessor this page never got: something was missed (a
        // message-queue outage, say). Show it, and join again to fetch the gap.
        const gap = this.lastSeq !== null && comment.prev_seq !== null && comment.prev_seq > this.lastSeq;
        this._merge([comment], !gap);
        if (gap) this._rejoin();
      });
      // The server's word on the latest comment, every few seconds and after an outage.
      socket.on(on.sync, (data) => {
        if (data.hearing_id !== this.hearingId || data.latest_seq === null) return;
        if (this.lastSeq === null || data.latest_seq > this.lastSeq) this._rejoin();
      });
      socket.on(on.comment_hidden, (data) => this._hide([data]));
      socket.on(on.reactions, (data) => {
        const comment = this.comments.get(data.id);
        if (!comment) return;
        comment.reactions = data.reactions;
        comment.upvotes = data.upvotes;
        this._call("comments", [comment]);
      });
      socket.on(on.slot, (slot) => {
        if (slot.hearing_id !== this.hearingId) return;
        this.clock.sync(slot.server_now);
        if (this.state) this.state.slot = slot;
        this._call("slot", slot);
      });
      socket.on(on.poll, (poll) => {
        if (poll.hearing_id !== this.hearingId) return;
        if (this.state) this.state.poll = poll;
        this._call("poll", poll);
      });
      socket.on(on.presence, (data) => {
        if (data.hearing_id !== this.hearingId) return;
        this._showPresence(data.count);
        this._call("presence", data.count);
      });
      socket.on(on.phase, (data) => this._call("phase", data));
      socket.on(on.closed, (data) => this._call("closed", data));
    }

    _setStatus(state, message) {
      this.status = state;
      const text = this.config.text;
      document.querySelectorAll("[data-testid=connection]").forEach((node) => {
        node.dataset.state = state;
        node.textContent = message || text[state] || state;
      });
      this._call("status", state);
    }

    _showPresence(count) {
      document.querySelectorAll("[data-testid=presence]").forEach((node) => {
        node.dataset.count = String(count);
        node.textContent = format(this.config.text.presence, { n: count });
      });
    }

    /** Join again to catch up (once at a time), if this page is joined at all. */
    _rejoin() {
      if (this.joined && !this.joining && this.socket.connected) this._join();
    }

    /** Join (again): the state, and the comments after the last seq seen. */
    _join() {
      const socket = this.socket;
      const connection = socket.id;
      this.joining = true;
      const payload = { hearing_id: this.hearingId };
      if (this.lastSeq !== null) payload.after_seq = this.lastSeq;
      socket.timeout(JOIN_TIMEOUT_MS).emit(this.events.client.join, payload, (err, ack) => {
        this.joining = false;
        if (socket.id !== connection || !socket.connected) return; // a newer connection joins itself
        if (err || !ack) {
          setTimeout(() => { if (socket.id === connection && socket.connected) this._join(); }, 2000);
          return;
        }
        if (!ack.ok) {
          this._setStatus("refused", ack.error && ack.error.message);
          this._call("error", ack.error);
          return;
        }
        const first = payload.after_seq === undefined;
        this.joined = true;
        this.state = ack.state;
        if (ack.state.slot) this.clock.sync(ack.state.slot.server_now);
        if (this.lastSeq === null) this.lastSeq = 0;
        this._merge(ack.comments);
        this._hide(ack.hidden || []); // hidden by the moderator while this page was away
        if (first) this.hasOlder = Boolean(ack.has_more);
        this._setStatus("connected");
        this._showPresence(ack.state.presence);
        this._call("state", ack.state);
        if (!first && ack.has_more) this._catchUp();
        this._flushOutbox();
      });
    }

    /** Comments the moderator hid: keep their place, drop their text (moderators keep it). */
    _hide(items) {
      const changed = [];
      for (const data of items) {
        const comment = this.comments.get(data.id);
        if (!comment || (comment.hidden && comment.hidden_reason === data.reason)) continue;
        comment.hidden = true;
        comment.hidden_reason = data.reason;
        if (!this.config.moderator) comment.body = null;
        changed.push(comment);
      }
      if (changed.length) this._call("comments", changed);
    }

    /** More was missed than one replay holds: page through the rest over HTTP. */
    async _catchUp() {
      try {
        let more = true;
        while (more) {
          const page = await window.jiayuanApi.get(this.config.urls.comments + "?after_seq=" + this.lastSeq);
          this._merge(page.comments);
          more = page.has_more && page.comments.length > 0;
        }
      } catch (error) {
        this._call("error", error);
      }
    }

    /** Older comments than the first page, for a long hearing. */
    async loadOlder() {
      if (this.minSeq === null) return;
      const page = await window.jiayuanApi.get(this.config.urls.comments + "?before_seq=" + this.minSeq);
      this.hasOlder = Boolean(page.has_more);
      this._merge(page.comments);
    }

    /** Take comments in; ``contiguous`` (a replay, or a broadcast whose predecessor is held)
     * lets the last seq held without a gap move on. */
    _merge(list, contiguous = true) {
      const changed = [];
      for (const comment of list || []) {
        this.comments.set(comment.id, comment);
        if (contiguous && (this.lastSeq === null || comment.seq > this.lastSeq)) this.lastSeq = comment.seq;
        if (this.minSeq === null || comment.seq < this.minSeq) this.minSeq = comment.seq;
        const item = comment.author && comment.author.id === this.config.user_id
          ? this.outbox.get(comment.client_id) : null;
        if (item && item.state !== "sent") {
          item.state = "sent";
          item.comment_id = comment.id;
          this._saveOutbox();
          this._call("outbox", this.outboxItems());
        }
        changed.push(comment);
      }
      if (changed.length) this._call("comments", changed);
    }

    /** Comments in seq order. */
    allComments() {
      return Array.from(this.comments.values()).sort((a, b) => a.seq - b.seq);
    }

    /** Whether this browser sent the comment (it came back through the outbox). */
    sentHere(comment) {
      const item = this.outbox.get(comment.client_id);
      return Boolean(item && comment.author && comment.author.id === this.config.user_id);
    }

    // --- the outbox ---------------------------------------------------------------------

    /** Send a comment: {body, is_question?, parent_id?, proposal_id?, anchor?, on_behalf_of?}. */
    send(fields) {
      const clientId = newClientId();
      const item = {
        client_id: clientId,
        payload: Object.assign({}, fields, { hearing_id: this.hearingId, client_id: clientId }),
        state: "pending",
        error: null,
        inflight: null,
      };
      this.outbox.set(clientId, item);
      this._saveOutbox();
      this._call("outbox", this.outboxItems());
      this._flush(item);
      return item;
    }

    /** Send a failed comment again, with the same client id. */
    retry(clientId) {
      const item = this.outbox.get(clientId);
      if (!item || item.state === "sent") return;
      item.state = "pending";
      item.error = null;
      this._call("outbox", this.outboxItems());
      this._flush(item);
    }

    discard(clientId) {
      this.outbox.delete(clientId);
      this._saveOutbox();
      this._call("outbox", this.outboxItems());
    }

    outboxItems() {
      return Array.from(this.outbox.values()).map((item) => Object.assign({}, item, {
        waiting: item.state === "pending" && !this.joined,
      }));
    }

    _flushOutbox() {
      for (const item of this.outbox.values()) this._flush(item);
    }

    _flush(item) {
      const socket = this.socket;
      if (!this.joined || !socket.connected || item.state !== "pending" || item.inflight === socket.id) return;
      const connection = socket.id;
      item.inflight = connection;
      this._call("outbox", this.outboxItems());
      socket.timeout(SEND_TIMEOUT_MS).emit(this.events.client.comment, item.payload, (err, ack) => {
        if (item.inflight === connection) item.inflight = null;
        if (item.state !== "pending") return; // its broadcast (or a replay) answered already
        if (err || !ack) {
          // No acknowledgement: send again with the same client id (the server stores it once).
          setTimeout(() => this._flush(item), 1000);
          this._call("outbox", this.outboxItems());
          return;
        }
        if (ack.ok) {
          this._merge([ack.comment], ack.comment.prev_seq === null || ack.comment.prev_seq <= this.lastSeq);
        } else if (ack.error && ack.error.code === "too_many_requests") {
          // Many comments written offline go out together: wait for the limit, then go on.
          setTimeout(() => this._flush(item), RATE_RETRY_MS);
        } else {
          item.state = "failed";
          item.error = ack.error || {};
          this._saveOutbox();
          this._call("outbox", this.outboxItems());
        }
      });
    }

    _saveOutbox() {
      try {
        const unsent = Array.from(this.outbox.values())
          .filter((item) => item.state !== "sent")
          .map((item) => ({ client_id: item.client_id, payload: item.payload }));
        window.sessionStorage.setItem(this.storageKey, JSON.stringify(unsent));
      } catch (e) { /* storage may be unavailable: the outbox still lives in memory */ }
    }

    _restoreOutbox() {
      try {
        const saved = JSON.parse(window.sessionStorage.getItem(this.storageKey) || "[]");
        for (const entry of saved) {
          this.outbox.set(entry.client_id, {
            client_id: entry.client_id, payload: entry.payload, state: "pending", error: null, inflight: null,
          });
        }
      } catch (e) { /* nothing to restore */ }
    }

    // --- other events ---------------------------------------------------------------------

    /** Emit a client event and resolve with its acknowledgement ({ok: false, error} on failure). */
    emit(name, payload) {
      return new Promise((resolve) => {
        if (!this.socket.connected) {
          resolve({ ok: false, error: { code: "offline", message: this.config.text.reconnecting } });
          return;
        }
        this.socket.timeout(SEND_TIMEOUT_MS).emit(this.events.client[name], payload, (err, ack) => {
          if (err || !ack) resolve({ ok: false, error: { code: "timeout", message: this.config.text.reconnecting } });
          else resolve(ack);
        });
      });
    }
  }

  window.jiayuanLive = {
    current: null,
    readConfig: readConfig,
    format: format,
    el: el,
    newClientId: newClientId,
    formatClock: formatClock,
    localTimes: localTimes,
    ServerClock: ServerClock,
    LiveHearing: LiveHearing,
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => localTimes());
  else localTimes();
})();
