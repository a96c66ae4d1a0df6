// Lighthouse (npm `lighthouse`, mobile preset: its default form factor and
// simulated throttling; the performance category only) against the release
// server, on three pages:
//   1. "/" (the schedule);
//   2. "/sessions/1" (one session);
//   3. a thread, "/messages/<id>", signed in: two users are signed up
//      through the app's HTTP API and exchange a few messages first;
//      Lighthouse sends the session cookie (its `extraHeaders`).
// Each page gets its own Chromium and fresh profile, and is measured
//   a) cold: the fresh profile, Lighthouse's storage reset (no service
//      worker, empty caches);
//   b) warm, a repeat visit: the same profile after one visit by hand (the
//      service worker installed and activated, its precache full, the page
//      reloaded under it), measured with `disableStorageReset`.
// For each run it prints the performance score, FCP, LCP, TBT, CLS, Speed
// Index, the bytes transferred (Lighthouse's total byte weight), the
// requests (and how many of them the service worker answered).
//
// Usage (from the repository root, after `cargo leptos build --release`
// and `npm ci`): node bench/lighthouse.mjs
// Env: MOZI_SERVER_BIN (default $HOME/.cache/mozi-target/release/server,
// then target/release/server), LEPTOS_SITE_ROOT (default target/site),
// CHROME_PATH (default /usr/bin/chromium; Lighthouse never downloads a
// browser), LIGHTHOUSE_MESSAGES (messages in the thread, default 6).
// A benchmark, not a test: it exits non-zero only when it cannot set up.
//
// The server runs with MOZI_INSECURE_HTTP=1 (plain HTTP on 127.0.0.1: the
// session cookie without `Secure`). The warm-up visit goes through
// Playwright connected to the same Chromium over CDP; for the thread the
// cookie is put in the profile's cookie jar first, as a browser that signed
// in has it. The checks at the end say whether the warm-up showed the
// thread signed in and whether the copy the worker stored from the warm
// run's navigation is the signed-in thread.

import { chromium } from "@playwright/test";
import { launch } from "chrome-launcher";
import lighthouse from "lighthouse";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  atExit,
  builtSite,
  CHROMIUM_ARGS,
  hydrated,
  repo,
  run,
  serverBinary,
  SetupError,
  sleep,
  startServer,
  until,
} from "./harness.mjs";

const CHROME = process.env.CHROME_PATH ?? "/usr/bin/chromium";
const MESSAGES = Number(process.env.LIGHTHOUSE_MESSAGES ?? 6);
const CHROME_FLAGS = [...new Set(["--headless=new", "--no-sandbox", "--disable-gpu", ...CHROMIUM_ARGS])];
const SESSION_COOKIE = "mozi_session";
const WATCHDOG_MS = 8 * 60_000;

// ------------------------------------------------------------ the app's API

/** POSTs to the app as its own pages do (same-origin: the server refuses cross-site POSTs). */
async function post(server, path, form, cookie) {
  const response = await fetch(`${server.url}${path}`, {
    method: "POST",
    redirect: "manual",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      accept: "application/json",
      origin: server.url,
      "sec-fetch-site": "same-origin",
      ...(cookie ? { cookie } : {}),
    },
    body: new URLSearchParams(form).toString(),
  });
  const text = await response.text();
  if (response.status >= 400) {
    throw new SetupError(`POST ${path}: ${response.status} ${text.slice(0, 200)}`);
  }
  return { response, text };
}

/** Signs `username` up; returns the session cookie as `name=value`. */
async function signUp(server, username) {
  const { response } = await post(server, "/api/sign_up", {
    username,
    display_name: username.toUpperCase(),
    password: "correct horse",
  });
  const cookie = response.headers
    .getSetCookie()
    .find((line) => line.startsWith(`${SESSION_COOKIE}=`))
    ?.split(";")[0];
  if (!cookie) throw new SetupError(`sign-up of ${username} set no ${SESSION_COOKIE} cookie`);
  return cookie;
}

/** Two users and a conversation between them; returns the thread's path and a reader's cookie. */
async function seedThread(server) {
  const alice = await signUp(server, "lh_alice");
  const bob = await signUp(server, "lh_bob");
  const { text } = await post(server, "/api/start_conversation", { usernames: "lh_bob" }, alice);
  const conversation = JSON.parse(text);
  if (typeof conversation !== "string") throw new SetupError(`start_conversation answered ${text}`);
  for (let n = 0; n < MESSAGES; n++) {
    const body =
      n % 2 === 0
        ? `Message ${n + 1}: are you going to the keynote after lunch? Let's meet at the entrance.`
        : `Message ${n + 1}: yes, I'll be there. I saved us two seats near the front.`;
    await post(
      server,
      "/api/send_message",
      { conversation, id: crypto.randomUUID(), body },
      n % 2 === 0 ? alice : bob,
    );
  }
  const path = `/messages/${conversation}`;
  const page = await fetch(`${server.url}${path}`, { headers: { cookie: alice }, redirect: "manual" });
  const html = await page.text();
  if (page.status !== 200 || !html.includes(`Message ${MESSAGES}:`)) {
    throw new SetupError(`GET ${path} signed in: ${page.status}, the last message not on the page`);
  }
  return { path, cookie: alice, marker: `Message ${MESSAGES}:` };
}

/** The number of files the worker precaches (its manifest, line 2 of /sw.js). */
async function precacheLength(server) {
  const line = (await (await fetch(`${server.url}/sw.js`)).text()).split("\n")[1] ?? "";
  if (!line.startsWith("self.__MOZI = {")) {
    throw new SetupError("the second line of /sw.js is not `self.__MOZI = {...};`");
  }
  return JSON.parse(line.slice("self.__MOZI = ".length, -1)).precache.split("\n").length;
}

// ----------------------------------------------------------------- browser

/**
 * One visit by hand in the profile of `chrome`: the page, the worker
 * activated and its precache full, then a reload (the worker does not
 * claim clients: the reload goes through it and stores the page).
 */
async function warmUp(chrome, url, target, expected) {
  const browser = await chromium.connectOverCDP(`http://127.0.0.1:${chrome.port}`);
  try {
    const context = browser.contexts()[0];
    if (target.cookie) {
      const [name, value] = target.cookie.split("=");
      await context.addCookies([{ name, value, url, httpOnly: true, sameSite: "Lax" }]);
    }
    const page = await context.newPage();
    await page.goto(`${url}${target.path}`, { timeout: 30_000 });
    if (!(await hydrated(page))) throw new SetupError(`${target.path}: the app did not hydrate`);
    await page.evaluate(async () => {
      const worker = (await navigator.serviceWorker.ready).active;
      if (worker.state !== "activated") {
        await new Promise((done) =>
          worker.addEventListener("statechange", () => worker.state === "activated" && done()),
        );
      }
    });
    const cacheState = () =>
      page.evaluate(async (path) => {
        const names = await caches.keys();
        const precache = names.find((name) => name.startsWith("mozi-precache-"));
        const pages = names.includes("mozi-pages")
          ? (await (await caches.open("mozi-pages")).keys()).map((r) => new URL(r.url).pathname)
          : [];
        return {
          precached: precache ? (await (await caches.open(precache)).keys()).length : 0,
          pagePresent: pages.includes(path),
          names,
        };
      }, target.path);
    await until(async () => (await cacheState()).precached >= expected, 30_000, "the precache to fill");
    await page.reload();
    await hydrated(page);
    const controller = await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL ?? null);
    const signedIn = target.marker ? (await page.textContent("body")).includes(target.marker) : null;
    let state = await cacheState();
    try {
      await until(async () => (state = await cacheState()).pagePresent, 5000, `${target.path} in mozi-pages`);
    } catch {
      // Reported, not worked around.
    }
    await sleep(1000);
    await page.close();
    return { controller, signedIn, ...state };
  } finally {
    await browser.close(); // connected over CDP: disconnects, Chromium goes on
  }
}

/** The worker's copy of `path` in mozi-pages (stored from the last navigation to it), or null. */
async function workerCopy(chrome, url, path) {
  const browser = await chromium.connectOverCDP(`http://127.0.0.1:${chrome.port}`);
  try {
    const page = await browser.contexts()[0].newPage();
    // Any page of the origin that is not `path`, so as not to store it again.
    await page.goto(`${url}/manifest.webmanifest`);
    const copy = await page.evaluate(async (path) => {
      const cache = (await caches.has("mozi-pages")) ? await caches.open("mozi-pages") : null;
      const response = cache && (await cache.match(path));
      return response ? response.text() : null;
    }, path);
    await page.close();
    return copy;
  } finally {
    await browser.close();
  }
}

/** One Lighthouse run in `chrome`'s profile. */
async function measure(chrome, url, target, warm) {
  const result = await lighthouse(`${url}${target.path}`, {
    port: chrome.port,
    output: "json",
    logLevel: "error",
    onlyCategories: ["performance"],
    disableStorageReset: warm,
    extraHeaders: target.cookie ? { Cookie: target.cookie } : undefined,
  });
  if (!result) throw new SetupError(`${target.path}: Lighthouse returned nothing`);
  const { lhr, artifacts } = result;
  const audit = (id) => lhr.audits[id]?.numericValue ?? null;
  const requests = lhr.audits["network-requests"]?.details?.items ?? [];
  const responses = artifacts.DevtoolsLog.filter((entry) => entry.method === "Network.responseReceived");
  const documentRequest = requests.find((item) => item.resourceType === "Document");
  return {
    score: lhr.categories.performance.score,
    fcp: audit("first-contentful-paint"),
    lcp: audit("largest-contentful-paint"),
    tbt: audit("total-blocking-time"),
    cls: audit("cumulative-layout-shift"),
    si: audit("speed-index"),
    bytes: audit("total-byte-weight"),
    requests: requests.length,
    fromWorker: responses.filter((entry) => entry.params.response.fromServiceWorker).length,
    finalUrl: lhr.finalDisplayedUrl,
    documentStatus: documentRequest?.statusCode ?? null,
    lighthouse: lhr.lighthouseVersion,
    userAgent: lhr.environment?.hostUserAgent ?? "",
    longTasks: (lhr.audits["long-tasks"]?.details?.items ?? []).map((task) => ({
      url: task.url,
      start: task.startTime,
      duration: task.duration,
    })),
    breakdown: (lhr.audits["mainthread-work-breakdown"]?.details?.items ?? []).map((item) => ({
      group: item.groupLabel ?? item.group,
      duration: item.duration,
    })),
    warnings: lhr.runWarnings ?? [],
    error: lhr.runtimeError?.message ?? null,
  };
}

/** Cold then warm, in one Chromium with a fresh profile. */
async function measureTarget(root, url, target, expected) {
  const userDataDir = join(root, `profile-${target.name}`);
  mkdirSync(userDataDir);
  const chrome = await launch({ chromePath: CHROME, chromeFlags: CHROME_FLAGS, userDataDir, logLevel: "silent" });
  atExit(() => chrome.kill());
  try {
    const cold = await measure(chrome, url, target, false);
    const warmUpState = await warmUp(chrome, url, target, expected);
    const warm = await measure(chrome, url, target, true);
    const copy = target.marker ? await workerCopy(chrome, url, target.path) : null;
    warm.signedIn = copy === null ? null : copy.includes(target.marker);
    return { cold, warm, warmUpState };
  } finally {
    await chrome.kill();
  }
}

// -------------------------------------------------------------------- main

const seconds = (value) => (value === null ? "-" : `${(value / 1000).toFixed(2)} s`);

async function main() {
  const binary = serverBinary();
  const site = builtSite();
  const root = mkdtempSync(join(tmpdir(), "mozi-lighthouse-"));
  atExit(() => rmSync(root, { recursive: true, force: true }));
  const data = join(root, "db");
  mkdirSync(data);
  // The harness passes its own environment on: cookies over plain HTTP.
  process.env.MOZI_INSECURE_HTTP = "1";
  process.env.CHROME_PATH = CHROME;
  const server = await startServer(binary, site, data);
  const expected = await precacheLength(server);
  const thread = await seedThread(server);

  const targets = [
    { name: "schedule", path: "/" },
    { name: "session", path: "/sessions/1" },
    { name: "thread", path: thread.path, cookie: thread.cookie, marker: thread.marker, label: "/messages/<id>" },
  ];
  const results = [];
  for (const target of targets) {
    results.push({ target, ...(await measureTarget(root, server.url, target, expected)) });
  }

  // ------------------------------------------------------------- report
  const first = results[0].cold;
  const version = JSON.parse(readFileSync(join(repo, "node_modules/lighthouse/package.json"), "utf8")).version;
  console.log(
    `MOZI Lighthouse benchmark — Lighthouse ${version}, mobile preset (simulated throttling), performance only`,
  );
  console.log(`browser ${first.userAgent}`);
  console.log(`server ${binary}, site ${site}`);
  console.log(`thread ${thread.path}: 2 users, ${MESSAGES} messages, read signed in (cookie in extraHeaders)`);
  console.log("");
  const columns = ["score", "FCP", "LCP", "TBT", "CLS", "SI", "bytes", "requests", "from SW"];
  const widths = [5, 8, 8, 7, 6, 8, 9, 8, 7];
  const line = (label, visit, cells) =>
    console.log(
      `  ${label.padEnd(16)} ${visit.padEnd(5)} ${cells.map((cell, i) => String(cell).padStart(widths[i])).join(" ")}`,
    );
  line("page", "visit", columns);
  for (const { target, cold, warm } of results) {
    for (const [visit, r] of [["cold", cold], ["warm", warm]]) {
      line(target.label ?? target.path, visit, [
        r.score === null ? "-" : Math.round(r.score * 100),
        seconds(r.fcp),
        seconds(r.lcp),
        r.tbt === null ? "-" : `${Math.round(r.tbt)} ms`,
        r.cls === null ? "-" : r.cls.toFixed(3),
        seconds(r.si),
        r.bytes === null ? "-" : `${(r.bytes / 1024).toFixed(1)} KB`,
        r.requests,
        r.fromWorker,
      ]);
    }
  }
  console.log("  (bytes: transferred, Lighthouse's total-byte-weight; requests: its network-requests, the");
  console.log("   page's only; from SW: of those, the responses the service worker answered)");
  console.log("");

  // Where the blocking time comes from: Lighthouse's long tasks (main
  // thread, over 50 ms once throttled) and its main-thread breakdown.
  console.log("Long tasks (simulated mobile CPU): start ms +duration ms, script");
  for (const { target, cold, warm } of results) {
    for (const [visit, r] of [["cold", cold], ["warm", warm]]) {
      const tasks = r.longTasks
        .map((task) => `${Math.round(task.start)} +${Math.round(task.duration)} ${task.url.replace(server.url, "") || "-"}`)
        .join("; ");
      const work = r.breakdown.map((item) => `${item.group} ${Math.round(item.duration)}`).join(", ");
      console.log(`  ${(target.label ?? target.path).padEnd(16)} ${visit.padEnd(5)} ${tasks || "none"}`);
      console.log(`  ${"".padEnd(16)} ${"".padEnd(5)} main thread ms: ${work}`);
    }
  }
  console.log("");

  console.log("Checks");
  for (const { target, cold, warm, warmUpState } of results) {
    const controller = warmUpState.controller ? new URL(warmUpState.controller).pathname : "none";
    console.log(
      `  ${target.label ?? target.path}: warm-up controller ${controller}, precache ` +
        `${warmUpState.precached}/${expected}, page in mozi-pages ${warmUpState.pagePresent ? "yes" : "no"}` +
        (target.marker ? `, signed in ${warmUpState.signedIn ? "yes" : "NO"}` : ""),
    );
    for (const [visit, r] of [["cold", cold], ["warm", warm]]) {
      const path = new URL(r.finalUrl).pathname;
      const notes = [`document ${r.documentStatus ?? "?"} at ${path === target.path ? "the page" : path}`];
      if (typeof r.signedIn === "boolean") {
        notes.push(`the worker's stored copy of it ${r.signedIn ? "signed in" : "NOT signed in"}`);
      }
      if (r.error) notes.push(`error: ${r.error}`);
      console.log(`    ${visit}: ${notes.join(", ")}`);
      for (const warning of r.warnings) console.log(`      warning: ${warning.replace(/\s+/g, " ")}`);
    }
  }
  if (server.log.length) {
    console.log(`  server log (${server.log.length} lines, last 10):`);
    for (const entry of server.log.slice(-10)) console.log(`    ${entry.slice(0, 300)}`);
  }
}

await run(main, WATCHDOG_MS);
