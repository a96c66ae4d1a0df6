// One server against two on one PostgreSQL database, in one run:
//   - requests per second and p99 of `GET /` (server-rendered) and of a
//     message send (`POST /api/send_message`, 20 people each in their own
//     conversation), 200 connections from wrk; with two servers the
//     connections are split between them, as a load balancer would;
//   - the fan-out delay: from a send on server 1 to its arrival on an open
//     event stream on server 2 (p50, p99 of 200 sends, one at a time).
// Needs MOZI_POSTGRES_URL: run it as `bench/with-postgres node
// bench/servers-bench.mjs` (a throw-away cluster, default durable settings).
// Env: SERVERS_BENCH_SECONDS (default 10), SERVERS_BENCH_CONNECTIONS (200).
// A benchmark, not a test: it prints figures and fails only on set-up.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import serverProcess from "../end2end/support/server-process.cjs";
import { atExit, builtSite, run, serverBinary, SetupError, startServer, stats } from "./harness.mjs";
import { brief, post, signUp, wrk } from "./http.mjs";

const { scratchPostgres } = serverProcess;
const SECONDS = Number(process.env.SERVERS_BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.SERVERS_BENCH_CONNECTIONS ?? 200);
const SENDERS = 20;
const FAN_OUT_SENDS = 200;

/**
 * Runs wrk against each server at once, the connections split between
 * them; the throughputs add up, the p99 is the worse of the servers'.
 */
async function load(servers, path, script) {
  const share = Math.floor(CONNECTIONS / servers.length);
  const runs = await Promise.all(
    servers.map(({ url }, index) => {
      const args = ["-t1", `-c${share}`, `-d${SECONDS}s`, "--latency", "-H", "Accept-Encoding: gzip, br"];
      if (script) args.push("-s", script.file, `${url}${path}`, "--", script.data, String(index));
      else args.push(`${url}${path}`);
      return wrk(args);
    }),
  );
  return {
    perSecond: runs.reduce((sum, one) => sum + one.perSecond, 0),
    p99: Math.max(...runs.map((one) => one.p99)),
    notOk: runs.reduce((sum, one) => sum + one.notOk, 0),
  };
}

/** A POST that must succeed; its JSON answer. */
async function postOk(server, path, cookie, form) {
  const reply = await post(server, path, { form, cookie });
  if (reply.status !== 200) throw new SetupError(`${path}: ${reply.status} ${brief(reply.text)}`);
  return JSON.parse(reply.text);
}

/**
 * The wrk script for sends: each request is one of the senders' messages
 * under a new id (unique per server, wrk thread and request).
 */
function sendScript(dir, senders) {
  const data = join(dir, "senders.txt");
  writeFileSync(data, senders.map(({ cookie, conversation }) => `${cookie} ${conversation}`).join("\n") + "\n");
  const file = join(dir, "send.lua");
  writeFileSync(
    file,
    `local senders, server, n = {}, 0, 0
function init(args)
  for line in io.lines(args[1]) do
    local cookie, conversation = line:match("(%S+) (%S+)")
    senders[#senders + 1] = { cookie = cookie, conversation = conversation }
  end
  server = tonumber(args[2])
  math.randomseed(os.time() + server)
end
local run = math.random(0, 0xffff)
function request()
  n = n + 1
  local who = senders[(n % #senders) + 1]
  local id = string.format("%08x-%04x-4000-8000-%012x", server, run, n)
  local body = "conversation=" .. who.conversation .. "&id=" .. id .. "&body=load+" .. n
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Accept"] = "application/json",
    ["Cookie"] = who.cookie,
  }, body)
end
`,
  );
  return { file, data };
}

/** Milliseconds from each send on `from` to its event on `to`'s open stream. */
async function fanOut(from, to, ada, bob, conversation) {
  const stream = await fetch(`${to.url}/api/events`, { headers: { cookie: bob } });
  if (!stream.ok) throw new SetupError(`event stream: ${stream.status}`);
  const reader = stream.body.getReader();
  const decoder = new TextDecoder();
  const arrived = new Map();
  let buffer = "";
  const reading = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      for (const match of buffer.matchAll(/fan out (\d+)/g)) {
        if (!arrived.has(Number(match[1]))) arrived.set(Number(match[1]), performance.now());
      }
      buffer = buffer.slice(Math.max(0, buffer.length - 64));
    }
  })();
  await new Promise((next) => setTimeout(next, 500));
  const delays = [];
  for (let n = 0; n < FAN_OUT_SENDS; n += 1) {
    const sent = performance.now();
    const id = `fa000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
    await postOk(from, "/api/send_message", ada, { conversation, id, body: `fan out ${n}` });
    const deadline = performance.now() + 10_000;
    while (!arrived.has(n)) {
      if (performance.now() > deadline) throw new SetupError(`send ${n} never reached the other server's stream`);
      await new Promise((next) => setTimeout(next, 1));
    }
    delays.push(arrived.get(n) - sent);
  }
  await reader.cancel();
  await reading.catch(() => {});
  return stats(delays);
}

run(async () => {
  if (spawnSync("wrk", ["--version"]).error) throw new SetupError("wrk is missing: source scripts/setup.sh");
  const dir = mkdtempSync(join(tmpdir(), "mozi-servers-bench-"));
  atExit(() => rmSync(dir, { recursive: true, force: true }));
  const databaseUrl = scratchPostgres();
  const start = () => startServer(serverBinary(), builtSite(), dir, { databaseUrl, logLevel: "info" });
  const one = await start();
  const two = await start();

  const senders = [];
  for (let n = 0; n < SENDERS; n += 1) {
    const { cookie } = await signUp(one, `sender${n}`);
    await signUp(one, `reader${n}`);
    const conversation = await postOk(one, "/api/start_conversation", cookie, { usernames: `reader${n}` });
    senders.push({ cookie, conversation });
  }
  const script = sendScript(dir, senders);
  const { cookie: ada } = await signUp(one, "ada");
  const { cookie: bob } = await signUp(one, "bob");
  const conversation = await postOk(one, "/api/start_conversation", ada, { usernames: "bob" });

  // Warm-up, then each measured run in turn.
  await load([one, two], "/");
  const rows = [];
  for (const [label, servers] of [
    ["one server", [one]],
    ["two servers", [one, two]],
  ]) {
    const page = await load(servers, "/");
    const send = await load(servers, "/api/send_message", script);
    rows.push({ label, page, send });
  }
  const fan = await fanOut(one, two, ada, bob, conversation);

  const figure = ({ perSecond, p99, notOk }) =>
    `${perSecond.toFixed(0).padStart(6)} req/s, p99 ${p99.toFixed(1).padStart(6)} ms${notOk ? `, ${notOk} not 2xx` : ""}`;
  console.log(`Servers on one PostgreSQL, ${CONNECTIONS} connections, ${SECONDS} s each (wrk), request log on`);
  for (const { label, page, send } of rows) {
    console.log(`  ${label.padEnd(12)} GET /              ${figure(page)}`);
    console.log(`  ${"".padEnd(12)} POST send_message  ${figure(send)}`);
  }
  console.log(`  fan-out, send on server 1 to event on server 2's stream (${FAN_OUT_SENDS} sends): p50 ${fan.median.toFixed(1)} ms, p99 ${fan.p99.toFixed(1)} ms`);
  return true;
}, 10 * 60_000);
