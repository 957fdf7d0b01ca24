#!/usr/bin/env node
/*
 * Node's floor for bench/hearing_load.py: a bare socket.io (the npm package, pinned in
 * package.json's devDependencies) broadcast server, doing what bench/bare_broadcast_server.py
 * does. No database, no authentication, no presence: on the /hearing namespace,
 * `join {hearing_id}` puts the connection in the hearing's room and answers an ack shaped
 * like Jiayuan's; `comment {hearing_id, client_id, body}` broadcasts a payload shaped (and
 * so sized) like Jiayuan's stored comment to that room, sender included, and acks the
 * sender with it. Engine.IO's defaults otherwise (ping 25 s, timeout 20 s), and no
 * per-message deflate, as the Python servers.
 *
 *     node bench/node_broadcast_server.js --host 127.0.0.1 --port 5123
 *
 * GET /healthz answers 200 once the server is up.
 */
"use strict";

const http = require("node:http");

let Server;
try {
  ({ Server } = require("socket.io"));
} catch (error) {
  console.error(
    "node_broadcast_server.js needs the socket.io package: run tools/setup.sh --dev (npm ci) " +
      `in the project's folder (${error.message})`,
  );
  process.exit(2);
}

const NAMESPACE = "/hearing";

function option(name, fallback) {
  const at = process.argv.indexOf(name);
  return at >= 0 && at + 1 < process.argv.length ? process.argv[at + 1] : fallback;
}

function invalid() {
  return { ok: false, error: { code: "invalid_input", message: "hearing_id" } };
}

// Python's datetime.isoformat() with microseconds and +00:00, so the payload is as long.
function isoNow() {
  return new Date().toISOString().replace("Z", "000+00:00");
}

function main() {
  const host = option("--host", "127.0.0.1");
  const port = Number.parseInt(option("--port", ""), 10);
  if (!Number.isInteger(port)) {
    console.error("usage: node bench/node_broadcast_server.js [--host HOST] --port PORT");
    process.exit(2);
  }
  const server = http.createServer((request, response) => {
    const found = request.url === "/healthz";
    response.writeHead(found ? 200 : 404, { "Content-Type": "text/plain" });
    response.end(found ? "ok" : "not found");
  });
  const io = new Server(server, { perMessageDeflate: false, serveClient: false });
  let seq = 0;
  io.of(NAMESPACE).on("connection", (socket) => {
    socket.on("join", (data, ack) => {
      const hearingId = data && data.hearing_id;
      let answer;
      if (Number.isInteger(hearingId)) {
        socket.join(`hearing:${hearingId}`);
        const state = { hearing_id: hearingId, phase: "hearing", slot: null, poll: null, presence: 0 };
        answer = { ok: true, state, comments: [], has_more: false };
      } else {
        answer = invalid();
      }
      if (typeof ack === "function") ack(answer);
    });
    socket.on("comment", (data, ack) => {
      if (!data || !Number.isInteger(data.hearing_id)) {
        if (typeof ack === "function") ack(invalid());
        return;
      }
      seq += 1;
      // The same fields as Jiayuan's comment_dict, so the broadcast is comparably sized.
      const payload = {
        id: seq,
        seq,
        prev_seq: seq > 1 ? seq - 1 : null,
        hearing_id: data.hearing_id,
        client_id: data.client_id === undefined ? null : data.client_id,
        body: data.body === undefined ? null : data.body,
        author: { id: 1, name: "居民 Bench Resident", stakeholder: null },
        parent_id: null,
        proposal_id: null,
        anchor: null,
        is_question: false,
        on_behalf_of: null,
        hidden: false,
        hidden_reason: null,
        reactions: {},
        upvotes: 0,
        created_at: isoNow(),
      };
      io.of(NAMESPACE).to(`hearing:${data.hearing_id}`).emit("comment", payload);
      if (typeof ack === "function") ack({ ok: true, comment: payload });
    });
  });
  server.listen(port, host);
  // The bench stops it with SIGTERM: exit at once, as the Python servers do.
  process.on("SIGTERM", () => process.exit(0));
}

main();
