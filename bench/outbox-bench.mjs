// Benchmarks and soaks the device outbox in real Chromium against the
// release server, through end2end/support/faulty-proxy.cjs:
//   replay  1,000 messages queued offline through the composer, then the
//           network comes back: wall time until the server acknowledged
//           them all and until the device queue is empty, round trips
//           (batches), how often the open thread rendered meanwhile, and
//           what queueing one message costs with an empty queue and with
//           900 queued.
//   soak    1,000 messages sent from two tabs (two conversations) while
//           about 30 % of the batches fail (503, dropped connections before
//           and after the server applied them, the server killed and
//           restarted); then, read from the server's database in the order
//           it stored them: lost, doubled and out-of-order messages, all
//           expected 0, and what is left on the device (expected nothing).
//   soak-two-servers
//           the same with two servers on one PostgreSQL database
//           (MOZI_POSTGRES_URL, as scripts/test sets it), the proxy
//           spreading batches over both and killing each in turn; the
//           order is read from the recipient's live events, which count
//           up in commit order.
//
// Usage (from the repository root, after `cargo leptos build --release --split`):
//   node bench/outbox-bench.mjs [replay|soak|soak-two-servers]
//   (replay and soak by default)
// Env: MOZI_SERVER_BIN, LEPTOS_SITE_ROOT (as for sw-bench.mjs),
// OUTBOX_BENCH_MESSAGES (default 1000), OUTBOX_SOAK_FAILURE_RATE (default
// 0.3), OUTBOX_SOAK_SEED (default random; printed, to repeat a run).
// Exits 1 when the soak loses, doubles or reorders a message or leaves the
// queue undrained, or when a phase cannot set up.

import { chromium } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import faultyProxy from "../end2end/support/faulty-proxy.cjs";
import serverProcess from "../end2end/support/server-process.cjs";
import {
  atExit,
  builtSite,
  CHROMIUM_ARGS,
  hydrated,
  run,
  serverBinary,
  SetupError,
  startServer,
  stats,
  until,
} from "./harness.mjs";

const { FaultyProxy, FAULTS, seededRandom } = faultyProxy;
const { scratchPostgres } = serverProcess;

const MESSAGES = Number(process.env.OUTBOX_BENCH_MESSAGES ?? 1000);
const FAILURE_RATE = Number(process.env.OUTBOX_SOAK_FAILURE_RATE ?? 0.3);
const SEED = Number(process.env.OUTBOX_SOAK_SEED ?? Math.floor(Math.random() * 2 ** 31));
// Batches failing several times in a row back off for up to a minute or two.
const DRAIN_TIMEOUT_MS = 10 * 60_000;
const WATCHDOG_MS = 30 * 60_000;
const PASSWORD = "correct horse battery";

// ------------------------------------------------------------------- setup

/**
 * A fresh database, its servers and the fault-injecting proxy in front of
 * them: one server on SQLite, or two on one PostgreSQL database with the
 * proxy spreading requests over them.
 */
async function startStack(binary, site, { twoServers = false } = {}) {
  const data = mkdtempSync(join(tmpdir(), "mozi-outbox-bench-"));
  atExit(() => rmSync(data, { recursive: true, force: true }));
  const databaseUrl = twoServers ? scratchPostgres() : undefined;
  const servers = [];
  for (let n = 0; n < (twoServers ? 2 : 1); n += 1) {
    servers.push(await startServer(binary, site, data, { databaseUrl }));
  }
  const proxy = await FaultyProxy.start(servers, seededRandom(SEED), { spread: twoServers });
  atExit(() => proxy.close());
  const stored = twoServers
    ? (recipient, prefix) => storedInPostgres(databaseUrl, recipient, prefix)
    : (_recipient, prefix) => storedInSqlite(data, prefix);
  return { servers, proxy, stored };
}

async function open(page, path) {
  await page.goto(path);
  if (!(await hydrated(page))) throw new SetupError(`${path} did not hydrate`);
}

async function signUp(browser, url, username) {
  const context = await browser.newContext({ baseURL: url });
  const page = await context.newPage();
  await open(page, "/signup");
  await page.getByRole("textbox", { name: "Username" }).fill(username);
  await page.getByRole("textbox", { name: "Display name" }).fill(username.toUpperCase());
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
  return { context, page };
}

/** Reloads once the worker is active, so the page is under it. */
async function becomeControlled(page) {
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.reload();
  await hydrated(page);
  if (!(await page.evaluate(() => navigator.serviceWorker.controller !== null))) {
    throw new SetupError("the page is not controlled by the service worker");
  }
}

/** Starts a conversation and waits until its first message is delivered; returns its path. */
async function startConversation(page, username, firstMessage) {
  await open(page, "/messages");
  await page.getByRole("textbox", { name: "Usernames" }).fill(username);
  await page.getByRole("button", { name: "Start conversation" }).click();
  await page.waitForURL(/\/messages\/[0-9a-f-]{36}$/);
  await hydrated(page);
  // A page reached inside the app renders once its module has loaded.
  await page.locator("#message-body").waitFor();
  await sendAll(page, [firstMessage]);
  await page
    .getByRole("list", { name: "Messages" })
    .getByRole("listitem")
    .filter({ hasText: new RegExp(`${firstMessage}.*Sent`) })
    .waitFor({ timeout: 30_000 });
  return new URL(page.url()).pathname;
}

/**
 * Sends each text through the thread's composer, inside the page (as fast
 * as a person could not): fills the box, submits, and waits until the box
 * empties, which it does once the message is in the device queue. Returns
 * the milliseconds each one took.
 */
function sendAll(page, texts) {
  return page.evaluate(async (texts) => {
    const box = document.getElementById("message-body");
    // Yields to the page's other tasks and comes back at once: a posted
    // message is not clamped to 4 ms as a nested setTimeout is, which made
    // every figure a multiple of 4 ms.
    const channel = new MessageChannel();
    const yieldToPage = () =>
      new Promise((next) => {
        channel.port1.onmessage = next;
        channel.port2.postMessage(null);
      });
    const took = [];
    for (const text of texts) {
      const start = performance.now();
      box.value = text;
      box.dispatchEvent(new Event("input", { bubbles: true }));
      box.form.requestSubmit();
      while (box.value !== "") await yieldToPage();
      took.push(performance.now() - start);
    }
    return took;
  }, texts);
}

/** How many records the device queue holds, read from IndexedDB. */
function queuedOnDevice(page) {
  return page.evaluate(
    () =>
      new Promise((done, fail) => {
        const opening = indexedDB.open("mozi");
        opening.onerror = () => fail(opening.error);
        opening.onsuccess = () => {
          const db = opening.result;
          const counting = db.transaction("outbox").objectStore("outbox").count();
          counting.onsuccess = () => {
            db.close();
            done(counting.result);
          };
          counting.onerror = () => fail(counting.error);
        };
      }),
  );
}

/**
 * Counts, from now on, the thread's renders: DOM updates that build
 * message rows (a MutationObserver callback adding any `li.message`), and
 * the rows built. Read them with `threadRenders`.
 */
function countThreadRenders(page) {
  return page.evaluate(() => {
    const counts = { renders: 0, rows: 0 };
    window.__moziThreadRenders = counts;
    new MutationObserver((mutations) => {
      let rows = 0;
      for (const mutation of mutations) {
        for (const node of mutation.addedNodes) {
          if (node.nodeType !== Node.ELEMENT_NODE) continue;
          rows += node.matches("li.message") ? 1 : node.querySelectorAll("li.message").length;
        }
      }
      if (rows > 0) {
        counts.renders += 1;
        counts.rows += rows;
      }
    }).observe(document.body, { childList: true, subtree: true });
  });
}

const threadRenders = (page) => page.evaluate(() => ({ ...window.__moziThreadRenders }));

/** Bodies starting with `prefix`, in the order the server stored them. */
function storedInSqlite(dataDir, prefix) {
  try {
    const out = execFileSync(
      "sqlite3",
      ["-batch", "-noheader", join(dataDir, "mozi.db"), `SELECT body FROM messages WHERE body LIKE '${prefix}%' ORDER BY rowid`],
      { encoding: "utf8" },
    );
    return out.split("\n").filter(Boolean);
  } catch (error) {
    throw new SetupError(`cannot read the database with sqlite3 (apt-get install sqlite3): ${error.message}`);
  }
}

/**
 * Bodies starting with `prefix` of the messages `recipient` was told of, in
 * the order the servers committed them (the recipient's event ids).
 */
function storedInPostgres(databaseUrl, recipient, prefix) {
  const body = "(event::json -> 'message' ->> 'body')";
  try {
    const out = execFileSync(
      "psql",
      [
        databaseUrl,
        "--no-align",
        "--tuples-only",
        "--command",
        `SELECT ${body} FROM events WHERE user_id = (SELECT id FROM users WHERE username = '${recipient}')
           AND ${body} LIKE '${prefix}%' ORDER BY id`,
      ],
      { encoding: "utf8" },
    );
    return out.split("\n").filter(Boolean);
  } catch (error) {
    throw new SetupError(`cannot read the database with psql: ${error.message}`);
  }
}

/** Lost, doubled and out-of-order messages of one conversation. */
function audit(sent, stored) {
  const position = new Map(sent.map((text, index) => [text, index]));
  const seen = new Map();
  let outOfOrder = 0;
  let latest = -1;
  for (const text of stored) {
    seen.set(text, (seen.get(text) ?? 0) + 1);
    const index = position.get(text);
    if (seen.get(text) > 1 || index === undefined) continue;
    if (index < latest) outOfOrder += 1;
    latest = Math.max(latest, index);
  }
  const lost = sent.filter((text) => !seen.has(text)).length;
  const doubled = [...seen.values()].reduce((sum, count) => sum + count - 1, 0);
  const unknown = stored.filter((text) => !position.has(text)).length;
  return { lost, doubled, outOfOrder, unknown };
}

const numbered = (prefix, count) =>
  Array.from({ length: count }, (_, index) => `${prefix}${String(index + 1).padStart(4, "0")}`);

const ms = (value) => (value === undefined ? "-" : `${value.toFixed(1)} ms`);
const seconds = (value) => `${(value / 1000).toFixed(2)} s`;

// ------------------------------------------------------------------ replay

async function replay(browser, binary, site) {
  const { proxy, stored } = await startStack(binary, site);
  await (await signUp(browser, proxy.url, "bob")).context.close();
  const { context, page } = await signUp(browser, proxy.url, "ada");
  await becomeControlled(page);
  // Not "replay …": the audit reads every message with that prefix.
  const thread = await startConversation(page, "bob", "before the replay");
  await open(page, thread);

  await context.setOffline(true);
  const texts = numbered("replay ", MESSAGES);
  const enqueueStart = performance.now();
  const took = await sendAll(page, texts);
  const enqueueWall = performance.now() - enqueueStart;
  const queued = await queuedOnDevice(page);
  if (queued !== MESSAGES) throw new SetupError(`${queued} records queued, ${MESSAGES} expected`);

  const batchesBefore = proxy.batches;
  const sentBefore = proxy.itemsSent;
  const acknowledgedBefore = proxy.itemsAcknowledged;
  await countThreadRenders(page);
  const start = performance.now();
  await context.setOffline(false);
  await until(() => proxy.itemsAcknowledged - acknowledgedBefore >= MESSAGES, DRAIN_TIMEOUT_MS, "the server to acknowledge every message");
  const acknowledged = performance.now() - start;
  await until(async () => (await queuedOnDevice(page)) === 0, DRAIN_TIMEOUT_MS, "the device queue to empty");
  const drained = performance.now() - start;
  await page.getByRole("status").filter({ hasText: /pending$/ }).waitFor({ state: "detached" });
  const settled = performance.now() - start;
  const renders = await threadRenders(page);
  const found = audit(texts, stored("bob", "replay "));
  await context.close();

  const batches = proxy.batches - batchesBefore;
  // Queueing message n finds n - 1 queued: the first 100 with an empty
  // queue (0 to 99 queued), the last 100 with 900 (900 to 999).
  const empty = stats(took.slice(0, 100));
  const full = stats(took.slice(-100));
  console.log(`Replay: ${MESSAGES} messages queued offline in one conversation, then online`);
  console.log(`  round trips (POST /api/mutations)       ${batches}, ${((proxy.itemsSent - sentBefore) / batches).toFixed(1)} messages each`);
  console.log(`  server acknowledged every message after ${seconds(acknowledged)} (${Math.round(MESSAGES / (acknowledged / 1000))} messages/s)`);
  console.log(`  device queue empty after                ${seconds(drained)}`);
  console.log(`  "N pending" gone from the page after    ${seconds(settled)}`);
  console.log(`  the open thread rendered meanwhile      ${renders.renders} times (${renders.rows} message rows built)`);
  console.log(`  queueing one message through the composer, median (p90):`);
  console.log(`    with an empty queue (0 to 99 queued)  ${ms(empty?.median)} (${ms(empty?.p90)})`);
  console.log(`    with 900 queued (900 to 999)          ${ms(full?.median)} (${ms(full?.p90)}), ${(full?.median / empty?.median).toFixed(2)}x; ${seconds(enqueueWall)} for all ${MESSAGES}`);
  console.log(`  lost ${found.lost}, doubled ${found.doubled}, out of order ${found.outOfOrder}`);
  console.log("");
  return found.lost + found.doubled + found.outOfOrder + found.unknown === 0;
}

// -------------------------------------------------------------------- soak

async function soak(browser, binary, site, { twoServers = false } = {}) {
  const { servers, proxy, stored } = await startStack(binary, site, { twoServers });
  for (const name of ["bob", "cat"]) await (await signUp(browser, proxy.url, name)).context.close();
  const { context, page } = await signUp(browser, proxy.url, "ada");
  await becomeControlled(page);
  const toBob = await startConversation(page, "bob", "soak start");
  const toCat = await startConversation(page, "cat", "soak start");
  const tabs = [page, await context.newPage()];
  await open(tabs[0], toBob);
  await open(tabs[1], toCat);
  const half = Math.floor(MESSAGES / 2);
  const sent = [numbered("soak b ", half), numbered("soak c ", MESSAGES - half)];

  const batchesBefore = proxy.batches;
  const start = performance.now();
  proxy.failureRate = FAILURE_RATE;
  await Promise.all(tabs.map((tab, index) => sendAll(tab, sent[index])));
  const typed = performance.now() - start;
  let left = MESSAGES;
  let drainedInTime = true;
  try {
    await until(async () => (left = await queuedOnDevice(page)) === 0, DRAIN_TIMEOUT_MS, "the device queue to empty");
  } catch {
    drainedInTime = false;
  }
  const drained = performance.now() - start;
  proxy.failureRate = 0;
  await proxy.restarting;
  const failedShown = await Promise.all(
    tabs.map((tab) => tab.getByRole("list", { name: "Messages" }).getByText("Failed", { exact: true }).count()),
  );
  const found = [audit(sent[0], stored("bob", "soak b ")), audit(sent[1], stored("cat", "soak c "))];
  await context.close();

  const sum = (key) => found.reduce((total, one) => total + one[key], 0);
  const batches = proxy.batches - batchesBefore;
  const injected = FAULTS.map((fault) => `${fault} ${proxy.injected[fault]}`).join(", ");
  const faults = FAULTS.reduce((total, fault) => total + proxy.injected[fault], 0);
  const where = twoServers ? "two servers on PostgreSQL, batches spread over both" : "one server on SQLite";
  console.log(`Soak: ${MESSAGES} messages from two tabs, ${where}, ${Math.round(FAILURE_RATE * 100)} % of batches failing (seed ${SEED})`);
  console.log(`  batches ${batches}, failed on purpose ${faults} (${((100 * faults) / batches).toFixed(0)} %): ${injected}`);
  console.log(`  server restarts ${proxy.restarts}; messages sent including resends ${proxy.itemsSent}`);
  console.log(`  all queued after ${seconds(typed)}; device queue ${drainedInTime ? "empty" : `still holding ${left}`} after ${seconds(drained)}`);
  console.log(`  lost ${sum("lost")}, doubled ${sum("doubled")}, out of order ${sum("outOfOrder")}, unknown ${sum("unknown")}; shown as Failed ${failedShown[0] + failedShown[1]}`);
  console.log(`  server log lines: ${servers.map((server) => server.log.length).join(", ")}`);
  return drainedInTime && sum("lost") + sum("doubled") + sum("outOfOrder") + sum("unknown") === 0 && failedShown.every((count) => count === 0);
}

// -------------------------------------------------------------------- main

async function main() {
  const phases = process.argv.slice(2);
  const wanted = (phase) => (phases.length === 0 && phase !== "soak-two-servers") || phases.includes(phase);
  const binary = serverBinary();
  const site = builtSite();
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
  atExit(() => browser.close());
  console.log(`MOZI outbox benchmark — ${browser.version()}, server ${binary}`);
  console.log("");
  let ok = true;
  if (wanted("replay")) ok = (await replay(browser, binary, site)) && ok;
  if (wanted("soak")) ok = (await soak(browser, binary, site)) && ok;
  if (wanted("soak-two-servers")) ok = (await soak(browser, binary, site, { twoServers: true })) && ok;
  return ok;
}

await run(main, WATCHDOG_MS);
