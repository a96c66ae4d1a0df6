// Storms the release server over plain HTTP (no browser) and prints what
// it costs everyone else:
//   sign-in storm  one account, then 1,000 wrong-password sign-ins at
//                  concurrency 64 while one anonymous visitor loads `GET /`
//                  over and over: when the first 429 came, the statuses,
//                  the server's peak resident memory, `GET /` latency
//                  during the storm against before it; then, after the last
//                  429's Retry-After, whether the right password works
//                  (retried after each Retry-After, for up to 2 minutes).
//   batch storm    a fresh account sends 16 concurrent mutation batches of
//                  100 items (start_conversation only, then a mix with
//                  send_message) while `GET /` is measured the same way:
//                  batch and item statuses, `GET /` latency.
// Targets are printed next to the figures and never fail the run: it exits
// 1 only on broken behaviour (the server exiting, the right password never
// accepted, a phase that cannot set up).
//
// Usage (from the repository root, after `cargo leptos build --release --split`):
//   node bench/auth-storm.mjs
// Env: MOZI_SERVER_BIN or MOZI_TARGET_DIR (the server binary, see
// harness.mjs), LEPTOS_SITE_ROOT (default target/site).

import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { atExit, builtSite, run, serverBinary, SetupError, sleep, startServer, stats } from "./harness.mjs";
import { accepted, brief, PASSWORD, post, retryAfterMs, signUp } from "./http.mjs";

const ATTEMPTS = 1000;
const CONCURRENCY = 64;
const BASELINE_REQUESTS = 200;
const BATCHES = 16;
const BATCH_ITEMS = 100;
/** How long the right password may stay blocked. */
const BLOCKED_BUDGET_MS = 2 * 60_000;
const MEMORY_POLL_MS = 50;
const WATCHDOG_MS = 12 * 60_000;

const TARGETS = {
  peakRssMiB: 300,
  stormGetP99Ms: 100,
  batchGetP99Ms: 200,
};

// ------------------------------------------------------------------- HTTP

async function currentUser(server, cookie) {
  const response = await fetch(`${server.url}/api/current_user`, { headers: { Cookie: cookie } });
  const text = await response.text();
  const user = response.ok ? JSON.parse(text) : null;
  if (!user?.id) throw new SetupError(`current_user answered ${response.status}: ${brief(text)}`);
  return user;
}

// --------------------------------------------------------------- measuring

/**
 * What the visitor runs, in a worker thread of its own: timed on the main
 * thread, its latencies would include the storm's own event-loop queueing.
 */
const VISITOR = `
const { parentPort, workerData } = require("node:worker_threads");
let stopping = false;
parentPort.on("message", () => { stopping = true; });
(async () => {
  const latencies = [];
  const statuses = [];
  while (!stopping) {
    const start = performance.now();
    try {
      const response = await fetch(workerData.url + "/");
      await response.arrayBuffer();
      latencies.push(performance.now() - start);
      statuses.push(response.status);
    } catch (error) {
      statuses.push("error (" + (error.cause?.code ?? error.message) + ")");
      await new Promise((next) => setTimeout(next, 20));
    }
  }
  parentPort.postMessage({ latencies, statuses });
})();
`;

/**
 * An anonymous visitor loading `GET /` one request after another until
 * stopped, from its own thread: every latency, and the statuses.
 */
function visitorLoop(server) {
  const worker = new Worker(VISITOR, { eval: true, workerData: { url: server.url } });
  const finished = new Promise((done, fail) => {
    worker.once("message", done);
    worker.once("error", fail);
  });
  return {
    latencies: [],
    statuses: new Counter(),
    async stop() {
      worker.postMessage("stop");
      const { latencies, statuses } = await finished;
      await worker.terminate();
      this.latencies.push(...latencies);
      for (const status of statuses) this.statuses.add(status);
      return this;
    },
  };
}

/** `GET /` one at a time, `count` times, after a short warm-up. */
async function baseline(server, count) {
  for (let i = 0; i < 10; i += 1) await (await fetch(`${server.url}/`)).arrayBuffer();
  const latencies = [];
  const statuses = new Counter();
  for (let i = 0; i < count; i += 1) {
    const start = performance.now();
    const response = await fetch(`${server.url}/`);
    await response.arrayBuffer();
    latencies.push(performance.now() - start);
    statuses.add(response.status);
  }
  return { latencies, statuses };
}

/** The server's VmRSS, polled, and VmHWM from /proc (Linux). */
class Memory {
  constructor(pid) {
    this.pid = pid;
    this.peakKiB = 0;
    this.timer = setInterval(() => this.poll(), MEMORY_POLL_MS);
    atExit(() => clearInterval(this.timer));
  }

  read(field) {
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, "utf8");
      const match = status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
      return match ? Number(match[1]) : null;
    } catch {
      return null;
    }
  }

  poll() {
    const rss = this.read("VmRSS");
    if (rss !== null) this.peakKiB = Math.max(this.peakKiB, rss);
  }

  /** The highest VmRSS polled since the last call (then starts afresh). */
  takePeak() {
    this.poll();
    const peak = this.peakKiB;
    this.peakKiB = 0;
    return peak || null;
  }
}

class Counter extends Map {
  add(key, by = 1) {
    this.set(key, (this.get(key) ?? 0) + by);
  }

  toString() {
    if (this.size === 0) return "none";
    return [...this.entries()]
      .sort(([a], [b]) => String(a).localeCompare(String(b)))
      .map(([key, count]) => `${key} ×${count}`)
      .join(", ");
  }
}

// ---------------------------------------------------------------- printing

const ms = (value) => (value === undefined || value === null ? "-" : `${value.toFixed(1)} ms`);
const mib = (kib) => (kib ? `${(kib / 1024).toFixed(1)} MiB` : "- (no /proc)");
const seconds = (value) => `${(value / 1000).toFixed(1)} s`;

function latencyLine(label, latencies) {
  const s = stats(latencies);
  if (!s) return `  ${label}: no answers`;
  return `  ${label}: p50 ${ms(s.median)}, p99 ${ms(s.p99)}, max ${ms(s.max)} (${s.n} requests)`;
}

/** "target … met/MISSED", or that it could not be judged. */
function target(value, limit, unit) {
  if (value === null || value === undefined) return `target under ${limit} ${unit}: not measured`;
  return `target under ${limit} ${unit}: ${value < limit ? "met" : "MISSED"}`;
}

/** Fails the run (broken behaviour) when the server is gone. */
function checkAlive(server, when) {
  const child = server.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) {
    console.log(`  THE SERVER EXITED ${when} (code ${child?.exitCode}, signal ${child?.signalCode}); last log lines:`);
    for (const line of server.log.slice(-20)) console.log(`    ${line}`);
    return false;
  }
  return true;
}

function reportServerLog(server) {
  const worrying = server.log.filter((line) => /ERROR|panick/i.test(line));
  if (worrying.length) {
    console.log(`  server log: ${worrying.length} error line(s), the last ones:`);
    for (const line of worrying.slice(-5)) console.log(`    ${line.slice(0, 300)}`);
  }
  return worrying.some((line) => /panick/i.test(line));
}

// ------------------------------------------------------- phase 1: sign-in

async function signInStorm(server, memory) {
  const username = "storm_target";
  await signUp(server, username);

  const before = await baseline(server, BASELINE_REQUESTS);
  const restingKiB = memory.takePeak();

  const statuses = new Counter();
  let sent = 0;
  let answered = 0;
  let first429 = null;
  let last429 = null;
  const start = performance.now();
  const visitor = visitorLoop(server);
  const attacker = async () => {
    while (sent < ATTEMPTS) {
      sent += 1;
      const attempt = sent;
      let reply;
      try {
        reply = await post(server, "/api/sign_in", { form: { username, password: `wrong password ${attempt}` } });
      } catch (error) {
        answered += 1;
        statuses.add(`error (${error.cause?.code ?? error.message})`);
        continue;
      }
      answered += 1;
      statuses.add(reply.status);
      if (reply.status === 429) {
        const at = performance.now() - start;
        first429 ??= { at, attempt, answeredBefore: answered - 1 };
        last429 = { at, attempt, retryAfter: reply.headers.get("retry-after"), waitMs: retryAfterMs(reply) };
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, attacker));
  const stormMs = performance.now() - start;
  const during = await visitor.stop();
  const peakKiB = memory.takePeak();
  const hwmKiB = memory.read("VmHWM");

  console.log(`Sign-in storm: ${ATTEMPTS} wrong-password sign-ins to one account, ${CONCURRENCY} at a time`);
  console.log(`  took ${seconds(stormMs)}; statuses: ${statuses}`);
  if (first429) {
    console.log(
      `  first 429 after ${ms(first429.at)}, on attempt #${first429.attempt} (${first429.answeredBefore} attempts answered before it)`,
    );
    console.log(`  last 429 after ${ms(last429.at)} (attempt #${last429.attempt}), Retry-After: ${last429.retryAfter ?? "(none)"}`);
  } else {
    console.log(`  no 429 in ${ATTEMPTS} attempts`);
  }
  console.log(`  server memory: ${mib(restingKiB)} before the storm, peak VmRSS ${mib(peakKiB)} (polled every ${MEMORY_POLL_MS} ms), VmHWM ${mib(hwmKiB)}`);
  console.log(`    ${target(peakKiB && Math.max(peakKiB, hwmKiB ?? 0) / 1024, TARGETS.peakRssMiB, "MiB")} (higher of peak VmRSS and VmHWM)`);
  console.log(latencyLine("GET / before the storm", before.latencies) + `; statuses ${before.statuses}`);
  console.log(latencyLine("GET / during the storm", during.latencies) + `; statuses ${during.statuses}`);
  console.log(`    ${target(stats(during.latencies)?.p99, TARGETS.stormGetP99Ms, "ms")} (p99 during the storm)`);
  if (!checkAlive(server, "during the sign-in storm")) return { ok: false, alive: false, username };

  // The right password, once the last 429's Retry-After has passed.
  let firstWait = last429?.waitMs ?? 0;
  if (last429 && last429.waitMs === null) {
    console.log("  the last 429 had no readable Retry-After: trying at once");
  }
  if (firstWait > BLOCKED_BUDGET_MS) {
    console.log(`  Retry-After ${seconds(firstWait)} is beyond the ${seconds(BLOCKED_BUDGET_MS)} budget: waiting ${seconds(BLOCKED_BUDGET_MS)} only`);
    firstWait = BLOCKED_BUDGET_MS;
  }
  if (firstWait > 0) {
    console.log(`  waiting ${seconds(firstWait)} (Retry-After of the last 429), then the right password`);
  }
  await sleep(firstWait);
  const tries = [];
  const firstTry = performance.now();
  let worked = false;
  for (;;) {
    const reply = await post(server, "/api/sign_in", { form: { username, password: PASSWORD } });
    const wait = retryAfterMs(reply);
    tries.push({ at: performance.now() - firstTry, status: reply.status, retryAfter: reply.headers.get("retry-after") });
    if (accepted(reply)) {
      worked = true;
      break;
    }
    if (reply.status !== 429) tries.at(-1).text = brief(reply.text);
    const next = Math.max(250, wait ?? 2000);
    if (performance.now() - firstTry + next > BLOCKED_BUDGET_MS) break;
    await sleep(next);
  }
  const [once] = tries;
  if (worked && tries.length === 1) {
    console.log(`  right password after the wait: worked (${once.status}, ${SESSION_COOKIE} set)`);
  } else {
    console.log(
      `  right password after the wait: blocked (${once.status}${once.retryAfter ? `, Retry-After ${once.retryAfter}` : ""}${once.text ? `: ${once.text}` : ""})`,
    );
    const told = tries.map((t) => `${t.status}${t.retryAfter ? ` (Retry-After ${t.retryAfter})` : ""} at +${seconds(t.at)}`);
    const story = told.length > 6 ? [...told.slice(0, 3), `… ${told.length - 5} more …`, ...told.slice(-2)].join(", ") : told.join(", ");
    console.log(`    attempts: ${story}`);
    console.log(
      worked
        ? `    worked ${seconds(tries.at(-1).at)} after the first try, on try ${tries.length}`
        : `    NEVER WORKED within ${seconds(BLOCKED_BUDGET_MS)}: the right password is locked out`,
    );
  }
  const panicked = reportServerLog(server);
  const alive = checkAlive(server, "after the sign-in storm");
  console.log("");
  return { ok: alive && worked && !panicked, alive, username };
}

// -------------------------------------------------------- phase 2: batches

function startConversations(count, peer) {
  return Array.from({ length: count }, () => ({
    key: randomUUID(),
    mutation: { kind: "start_conversation", conversation: randomUUID(), usernames: peer },
  }));
}

/**
 * Groups of one new conversation and four messages. The messages go into
 * conversations that exist (`existing`, taken in turn) when there are any,
 * since the server may refuse most new conversations (a per-user rate);
 * otherwise into the group's new one, after it.
 */
function mixedItems(count, peer, batch, existing) {
  const items = [];
  while (items.length < count) {
    const started = randomUUID();
    items.push({ key: randomUUID(), mutation: { kind: "start_conversation", conversation: started, usernames: peer } });
    for (let i = 0; i < 4 && items.length < count; i += 1) {
      const conversation = existing.length ? existing[(batch * count + items.length) % existing.length] : started;
      items.push({
        key: randomUUID(),
        mutation: {
          kind: "send_message",
          conversation,
          id: randomUUID(),
          body: `storm ${batch}.${items.length}`,
          created_at: Date.now(),
        },
      });
    }
  }
  return items;
}

async function batchRound(server, memory, label, cookie, user, makeItems) {
  const batches = Array.from({ length: BATCHES }, (_, index) => ({ user: user.id, items: makeItems(index) }));
  const statuses = new Counter();
  const itemStatuses = new Counter();
  const roundTrips = [];
  const firstErrors = [];
  const conversations = [];
  const visitor = visitorLoop(server);
  const start = performance.now();
  await Promise.all(
    batches.map(async (batch) => {
      const sentAt = performance.now();
      let reply;
      try {
        reply = await post(server, "/api/mutations", { json: batch, cookie });
      } catch (error) {
        statuses.add(`error (${error.cause?.code ?? error.message})`);
        return;
      }
      roundTrips.push(performance.now() - sentAt);
      statuses.add(reply.status);
      if (reply.status !== 200) {
        if (reply.status !== 429 && firstErrors.length < 3) firstErrors.push(`${reply.status}: ${brief(reply.text)}`);
        return;
      }
      for (const result of JSON.parse(reply.text).results) {
        itemStatuses.add(result.status);
        if (result.status === 200 && result.applied?.kind === "conversation") conversations.push(result.applied.conversation);
      }
    }),
  );
  const wallMs = performance.now() - start;
  const during = await visitor.stop();
  const peakKiB = memory.takePeak();
  const p99 = stats(during.latencies)?.p99;
  const none500 = !statuses.has(500);
  const times = stats(roundTrips);

  console.log(`  ${label}: ${BATCHES} batches of ${BATCH_ITEMS} at once, all answered after ${seconds(wallMs)}`);
  const others = [...statuses.entries()].filter(([status]) => ![200, 429, 500].includes(status));
  const counts = [200, 429, 500].map((status) => `${status} ×${statuses.get(status) ?? 0}`);
  console.log(`    batch statuses: ${[...counts, ...others.map(([status, n]) => `${status} ×${n}`)].join(", ")}`);
  console.log(`    item statuses: ${itemStatuses}; batch round trip p50 ${ms(times?.median)}, max ${ms(times?.max)}`);
  for (const error of firstErrors) console.log(`    e.g. ${error}`);
  console.log(`  ${latencyLine("GET / during the batches", during.latencies).trim()}; statuses ${during.statuses}`);
  console.log(`    peak VmRSS ${mib(peakKiB)}`);
  console.log(
    `    targets: no 500s: ${none500 ? "met" : "MISSED"}; ${target(p99, TARGETS.batchGetP99Ms, "ms")} (p99 during the batches)`,
  );
  return conversations;
}

async function batchStorm(server, memory, peer) {
  const username = "storm_batcher";
  const { cookie, blockedMs } = await signUp(server, username);
  const user = await currentUser(server, cookie);
  console.log(`Batch storm: ${username} (id ${user.id}) starting conversations with ${peer}`);
  if (blockedMs > 1000) console.log(`  (its sign-up was refused with 429 for ${seconds(blockedMs)} first)`);
  const started = await batchRound(server, memory, "start_conversation only", cookie, user, () =>
    startConversations(BATCH_ITEMS, peer),
  );
  if (!checkAlive(server, "during the first batch round")) return false;
  const into = started.length ? `into the ${started.length} conversations started above` : "into each new one";
  await batchRound(server, memory, `mixed (1 start_conversation, 4 send_message ${into})`, cookie, user, (batch) =>
    mixedItems(BATCH_ITEMS, peer, batch, started),
  );
  const panicked = reportServerLog(server);
  return checkAlive(server, "during the batch storm") && !panicked;
}

// -------------------------------------------------------------------- main

async function main() {
  const binary = serverBinary();
  const site = builtSite();
  const data = mkdtempSync(join(tmpdir(), "mozi-auth-storm-"));
  atExit(() => rmSync(data, { recursive: true, force: true }));
  const server = await startServer(binary, site, data);
  const memory = new Memory(server.child.pid);
  console.log(`MOZI auth storm — server ${binary} at ${server.url}, Node ${process.version}`);
  console.log("");
  const signIn = await signInStorm(server, memory);
  if (!signIn.alive) return false;
  const batches = await batchStorm(server, memory, signIn.username);
  return signIn.ok && batches;
}

await run(main, WATCHDOG_MS);
