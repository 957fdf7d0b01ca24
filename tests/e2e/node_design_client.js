#!/usr/bin/env node
/*
 * The reference client in a draft: the npm registry's socket.io-client (pinned in
 * package.json, the one the browser is served) joins a proposal's draft on Jiayuan's
 * /design namespace with a bearer token, sends each feature it is given as a draft_op
 * upsert (base_seq: the last seq it has seen), and prints what the server answered as
 * one JSON object on stdout: {join, ops: [ack, ...], heard: [draft_op broadcast, ...]}.
 *
 *     node tests/e2e/node_design_client.js --url http://127.0.0.1:5000 --token T \
 *         --proposal 3 --features '[{"type": "Feature", "id": "f1", ...}]'
 *
 * It exits 0 once every ack has come (refusals included: they are printed), 1 when the
 * connection is refused or an ack does not come within --timeout ms (default 10000),
 * 2 when socket.io-client is not installed (tools/setup.sh: npm ci).
 */
"use strict";

let io;
try {
  ({ io } = require("socket.io-client"));
} catch (error) {
  console.error(`node_design_client.js needs socket.io-client: run npm ci (${error.message})`);
  process.exit(2);
}

const NAMESPACE = "/design";

function option(name, fallback) {
  const at = process.argv.indexOf(name);
  return at >= 0 && at + 1 < process.argv.length ? process.argv[at + 1] : fallback;
}

function fail(message) {
  console.error(message);
  process.exit(1);
}

async function main() {
  const url = option("--url");
  const token = option("--token");
  const proposalId = Number(option("--proposal"));
  const features = JSON.parse(option("--features", "[]"));
  const timeout = Number(option("--timeout", "10000"));
  if (!url || !token || !Number.isInteger(proposalId)) {
    fail("usage: node_design_client.js --url URL --token TOKEN --proposal ID [--features JSON]");
  }
  const socket = io(url + NAMESPACE, { auth: { token }, reconnection: false, timeout });
  const heard = [];
  socket.on("draft_op", (op) => heard.push(op));
  await new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", (error) => reject(new Error(`connect_error: ${error.message}`)));
  });
  const call = (event, payload) => socket.timeout(timeout).emitWithAck(event, payload);
  const join = await call("draft_join", { proposal_id: proposalId });
  let seen = join.ok ? join.seq : 0;
  const ops = [];
  for (const [index, feature] of features.entries()) {
    const ack = await call("draft_op", {
      proposal_id: proposalId,
      op_id: `node-${process.pid}-${index}`,
      base_seq: seen,
      action: "upsert",
      feature_id: feature.id,
      feature,
    });
    if (ack.ok) seen = Math.max(seen, ack.seq);
    ops.push(ack);
  }
  // Its own changes come back as broadcasts too: wait for them (bounded) before leaving.
  const wanted = new Set(ops.filter((ack) => ack.ok).map((ack) => ack.seq));
  const deadline = Date.now() + timeout;
  while ([...wanted].some((seq) => !heard.some((op) => op.seq === seq)) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  socket.disconnect();
  process.stdout.write(JSON.stringify({ join, ops, heard }) + "\n");
}

main().catch((error) => fail(error.message));
