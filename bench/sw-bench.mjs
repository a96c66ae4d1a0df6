// Benchmarks the Rust service worker (/sw.js: manifest, wasm-bindgen glue
// and JS bootstrap; its wasm a precached file of its own) against the same
// routes in plain JavaScript (bench/plain-sw.js), and prints:
//   1. the bytes of each worker (raw and gzip -9; the Rust one as its
//      script and its wasm);
//   2. cold start, Rust vs plain, interleaved: the workers stopped (CDP)
//      before a) each navigation to "/" (time to its first byte; the
//      navigation preload runs alongside the worker's start) and b) each
//      fetch of a precached file by the page (no network: the worker's
//      start and its cache read only);
//   3. the Rust worker, warm: "/" online vs offline (from its cache).
//
// Usage (from the repository root, after `cargo leptos build --release --split`):
//   node bench/sw-bench.mjs
// Env: MOZI_SERVER_BIN (default $HOME/.cache/mozi-target/release/server,
// then target/release/server), LEPTOS_SITE_ROOT (default target/site),
// SW_BENCH_RUNS (default 15), SW_BENCH_SETTLE_MS (default 1000).
// A benchmark, not a test: it exits non-zero only when it cannot set up.
//
// Each variant gets its own server, temporary site copy and browser context
// (one Chromium, driven one step at a time). The plain worker is registered
// by the app's own code: an init script rewrites the page's
// `register("/sw.js")` into `register("/plain-sw.js")`, so no request is
// intercepted in either variant (Playwright's route() would pause every
// request of the context, the workers' included, and disable the HTTP cache).

import { chromium } from "@playwright/test";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { get as httpGet } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
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
  stats,
  until,
} from "./harness.mjs";

const RUNS = Number(process.env.SW_BENCH_RUNS ?? 15);
// Pause after each page has hydrated, for the page's own work to finish.
// (Chromium re-fetches the worker script about 2 s after each navigation
// to check for an update; with this pause that lands after the next
// step's first byte.)
const SETTLE_MS = Number(process.env.SW_BENCH_SETTLE_MS ?? 1000);
const WATCHDOG_MS = 6 * 60_000;

// ----------------------------------------------------------------- servers

async function startVariant(variant, binary) {
  const { url, log } = await startServer(binary, variant.site, variant.data);
  Object.assign(variant, { url, log });
}

/** Bytes of `path` as the server sends them to a browser (compressed). */
function wireBytes(url, path) {
  return new Promise((done, fail) => {
    const request = httpGet(
      `${url}${path}`,
      { headers: { "accept-encoding": "gzip, deflate, br, zstd" } },
      (response) => {
        let bytes = 0;
        response.on("data", (chunk) => (bytes += chunk.length));
        response.on("end", () =>
          done({ bytes, encoding: response.headers["content-encoding"] ?? "identity" }),
        );
      },
    );
    request.setTimeout(10_000, () => request.destroy(new Error("timeout")));
    request.on("error", fail);
  });
}

// ----------------------------------------------------------------- figures

const gzip = (bytes) => gzipSync(bytes, { level: 9 }).length;
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
const ms = (value) => (value === null || value === undefined ? "-" : value.toFixed(1));

function workerSizes(source, wasm) {
  if (wasm.subarray(0, 4).toString("latin1") !== "\0asm") {
    throw new SetupError("the worker's wasm file is not a wasm module");
  }
  const script = Buffer.from(source);
  return {
    script: [script.length, gzip(script)],
    wasm: [wasm.length, gzip(wasm)],
  };
}

// ----------------------------------------------------------------- browser

/** Runs in the plain variant's pages: the app registers the plain worker. */
function registerPlainWorker() {
  if (typeof ServiceWorkerContainer === "undefined") return; // not a window
  const register = ServiceWorkerContainer.prototype.register;
  ServiceWorkerContainer.prototype.register = function (url, options) {
    const path = new URL(url, location.href).pathname;
    return register.call(this, path === "/sw.js" ? "/plain-sw.js" : url, options);
  };
}

async function activeWorkerUrl(page) {
  return page.evaluate(async () => {
    const registration = await navigator.serviceWorker.ready;
    const worker = registration.active;
    if (worker.state !== "activated") {
      await new Promise((done) =>
        worker.addEventListener("statechange", () => worker.state === "activated" && done()),
      );
    }
    return worker.scriptURL;
  });
}

/** What the running worker is, asked inside the worker itself. */
async function workerKind(context) {
  await until(() => context.serviceWorkers().length > 0, 10_000, "a service worker target");
  const kinds = await Promise.all(
    context
      .serviceWorkers()
      .map((worker) =>
        worker
          .evaluate(() =>
            self.__MOZI_PLAIN === true ? "plain" : typeof self.__MOZI?.wasm === "string" ? "rust" : "?",
          )
          .catch(() => "gone"),
      ),
  );
  return kinds.filter((kind) => kind !== "gone").join(",");
}

async function cacheReport(page, manifestLength) {
  return page.evaluate(async (expected) => {
    const names = await caches.keys();
    const precache = names.find((name) => name.startsWith("mozi-precache-"));
    const precached = precache ? (await (await caches.open(precache)).keys()).length : 0;
    const pages = names.includes("mozi-pages")
      ? (await (await caches.open("mozi-pages")).keys()).map((r) => new URL(r.url).pathname)
      : [];
    return { names, precached, expected, pages };
  }, manifestLength);
}

/** Navigation timing of the page now shown, relative to its startTime. */
function navigationTiming(page) {
  return page.evaluate(() => {
    const entry = performance.getEntriesByType("navigation")[0];
    const at = (value) => (value > 0 ? value - entry.startTime : null);
    return {
      ttfb: entry.responseStart - entry.startTime,
      workerStart: at(entry.workerStart),
      status: entry.responseStatus,
      contentType: document.contentType,
      // The Rust worker marks pages it answers from mozi-pages; looked for
      // in the text too, in case the page is not rendered as HTML.
      fromCache:
        document.querySelector("meta[name=mozi-offline]") !== null ||
        (document.body?.textContent ?? "").includes('<meta name="mozi-offline"'),
    };
  });
}

/** A precached file fetched by the page: the worker's cache-only route. */
function precachedFetch(page) {
  return page.evaluate(async () => {
    const start = performance.now();
    const response = await fetch("/pkg/mozi.css");
    const headers = performance.now() - start;
    await response.arrayBuffer();
    return { ttfb: headers, ok: response.ok };
  });
}

async function setUpVariant(browser, variant, manifestLength) {
  const context = await browser.newContext({ baseURL: variant.url });
  atExit(() => context.close());
  variant.context = context;
  variant.messages = [];
  const note = (source, type, text) => variant.messages.push(`${source} ${type}: ${text}`);
  // Console messages of the pages and of the service worker.
  context.on("console", (message) => {
    const fromWorker = !message.page();
    if (fromWorker || ["error", "warning"].includes(message.type())) {
      note(fromWorker ? "worker" : "page", message.type(), message.text().slice(0, 300));
    }
  });
  context.on("weberror", (error) => note("page", "uncaught", String(error.error()).slice(0, 300)));
  if (variant.plain) await context.addInitScript(registerPlainWorker);

  const page = await context.newPage();
  variant.page = page;
  await page.goto("/", { timeout: 30_000 });
  if (!(await hydrated(page))) throw new SetupError(`${variant.name}: the app did not hydrate`);
  const scriptUrl = await Promise.race([
    activeWorkerUrl(page),
    sleep(30_000).then(() => {
      throw new SetupError(`${variant.name}: no active worker after 30 s`);
    }),
  ]);
  // The worker does not claim clients: a reload puts the page under it, and
  // that navigation, through the worker, stores "/" in mozi-pages.
  await page.reload();
  await hydrated(page);
  const controller = await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL);
  const kind = await workerKind(context);
  let report = await cacheReport(page, manifestLength);
  try {
    await until(
      async () => (report = await cacheReport(page, manifestLength)).pages.includes("/"),
      5000,
      "/ in mozi-pages",
    );
  } catch {
    // Reported below rather than worked around.
  }
  variant.setup = { scriptUrl, controller, kind, report };
  if (!controller || !controller.endsWith(variant.script)) {
    throw new SetupError(`${variant.name}: page controlled by ${controller}, not ${variant.script}`);
  }

  const cdp = await context.newCDPSession(page);
  variant.cdp = cdp;
  variant.versions = new Map();
  cdp.on("ServiceWorker.workerVersionUpdated", ({ versions }) => {
    for (const version of versions) variant.versions.set(version.versionId, version);
  });
  await cdp.send("ServiceWorker.enable");
  await sleep(SETTLE_MS);
}

async function stopWorkers(variant) {
  await variant.cdp.send("ServiceWorker.stopAllWorkers");
  await until(
    () =>
      variant.versions.size > 0 &&
      [...variant.versions.values()].every((version) => version.runningStatus === "stopped"),
    10_000,
    `${variant.name}: workers to stop`,
  );
}

async function measureNavigation(variant) {
  await variant.page.goto("/", { waitUntil: "load", timeout: 20_000 });
  const timing = await navigationTiming(variant.page);
  // A page not shown as HTML runs no script: nothing to wait for.
  timing.hydrated = timing.contentType === "text/html" && (await hydrated(variant.page, 10_000));
  await sleep(SETTLE_MS);
  return timing;
}

// -------------------------------------------------------------------- main

async function main() {
  const binary = serverBinary();
  const site = builtSite();
  const plainTemplate = readFileSync(join(repo, "bench/plain-sw.js"), "utf8");
  const root = mkdtempSync(join(tmpdir(), "mozi-sw-bench-"));
  atExit(() => rmSync(root, { recursive: true, force: true }));

  // The Rust variant first: its /sw.js gives the manifest both workers use.
  const rust = { name: "Rust (wasm)", script: "/sw.js", plain: false, timings: [], fileTimings: [] };
  const plain = { name: "Plain JS", script: "/plain-sw.js", plain: true, timings: [], fileTimings: [] };
  for (const variant of [rust, plain]) {
    variant.site = join(root, variant.plain ? "plain-site" : "rust-site");
    variant.data = join(root, variant.plain ? "plain-db" : "rust-db");
    cpSync(site, variant.site, { recursive: true });
    mkdirSync(variant.data);
  }
  await startVariant(rust, binary);
  const rustSource = await (await fetch(`${rust.url}/sw.js`)).text();
  const manifestLine = rustSource.split("\n")[1] ?? "";
  if (!manifestLine.startsWith("self.__MOZI = {")) {
    throw new SetupError("the second line of /sw.js is not `self.__MOZI = {...};`");
  }
  const config = JSON.parse(manifestLine.slice("self.__MOZI = ".length, -1));
  const manifestLength = config.precache.split("\n").length;
  const plainSource = plainTemplate.replace(/^self\.__MOZI = null;.*$/m, manifestLine);
  if (plainSource === plainTemplate) throw new SetupError("no manifest placeholder in plain-sw.js");
  // Written after the Rust server started, into the plain copy only: both
  // workers precache the same files.
  writeFileSync(join(plain.site, "plain-sw.js"), plainSource);
  await startVariant(plain, binary);
  const plainServed = await (await fetch(`${plain.url}/plain-sw.js`)).text();
  if (plainServed !== plainSource) throw new SetupError("/plain-sw.js is not served as written");

  const wasmBytes = Buffer.from(await (await fetch(`${rust.url}${config.wasm}`)).arrayBuffer());
  const sizes = workerSizes(rustSource, wasmBytes);
  const plainBytes = Buffer.from(plainSource);
  const plainManifestFree = Buffer.from(plainTemplate);
  const rustWire = await wireBytes(rust.url, "/sw.js");
  const wasmWire = await wireBytes(rust.url, config.wasm);
  const outboxWasmWire = await wireBytes(rust.url, config.outbox);
  const plainWire = await wireBytes(plain.url, "/plain-sw.js");

  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
  atExit(() => browser.close());

  // Does Playwright's route() see the worker script's fetch? (Checked in a
  // throw-away context; not used for the measurements, see the top.)
  const routeProbe = { handled: 0 };
  {
    const context = await browser.newContext({ baseURL: rust.url });
    try {
      await context.route("**/sw.js", (route) => {
        routeProbe.handled += 1;
        return route.fulfill({
          status: 200,
          contentType: "text/javascript",
          headers: { "cache-control": "no-cache" },
          body: plainSource,
        });
      });
      const page = await context.newPage();
      await page.goto("/");
      await hydrated(page);
      routeProbe.scriptUrl = await Promise.race([activeWorkerUrl(page), sleep(20_000).then(() => "none")]);
      routeProbe.kind = await workerKind(context).catch(() => "none");
    } catch (error) {
      routeProbe.error = error.message;
    } finally {
      await context.close();
    }
  }

  await setUpVariant(browser, rust, manifestLength);
  await setUpVariant(browser, plain, manifestLength);

  // 2. Cold starts, interleaved (order alternating) so that load from
  // elsewhere on the machine weighs on both alike; one discarded warm-up.
  // Each step: stop the workers, navigate to "/"; stop them again, fetch a
  // precached file from the page (no network at all on that route).
  for (let run = -1; run < RUNS; run++) {
    const order = run % 2 === 0 ? [rust, plain] : [plain, rust];
    for (const variant of order) {
      await stopWorkers(variant);
      const timing = await measureNavigation(variant);
      await stopWorkers(variant);
      const file = await precachedFetch(variant.page);
      await sleep(200);
      if (run >= 0) {
        variant.timings.push(timing);
        variant.fileTimings.push(file);
      }
    }
  }

  // 3. The Rust worker warm, online then offline.
  const warm = { online: [], offline: [] };
  await measureNavigation(rust); // starts the worker
  for (let run = 0; run < RUNS; run++) warm.online.push(await measureNavigation(rust));
  await rust.context.setOffline(true);
  try {
    await measureNavigation(rust);
    for (let run = 0; run < RUNS; run++) warm.offline.push(await measureNavigation(rust));
  } finally {
    await rust.context.setOffline(false);
  }
  const stillRunning = [...rust.versions.values()].some((v) => v.runningStatus === "running");

  // ------------------------------------------------------------- report
  const row = (label, [raw, gz]) =>
    console.log(`  ${label.padEnd(40)} ${kb(raw).padStart(10)} ${kb(gz).padStart(10)}`);
  console.log(`MOZI service-worker benchmark — ${browser.version()}, ${RUNS} runs per figure`);
  console.log(`server ${binary}`);
  console.log("");
  console.log(`1. Worker script bytes${" ".repeat(29)}raw    gzip -9`);
  row("Rust /sw.js (manifest + glue + bootstrap)", sizes.script);
  row("Rust worker wasm (precached file)", sizes.wasm);
  row("Plain worker, manifest inlined", [plainBytes.length, gzip(plainBytes)]);
  row("  without the manifest line", [plainManifestFree.length, gzip(plainManifestFree)]);
  console.log(
    `  as served: /sw.js ${kb(rustWire.bytes)} (${rustWire.encoding}), ` +
      `worker wasm ${kb(wasmWire.bytes)} (${wasmWire.encoding}), ` +
      `outbox replayer wasm (loaded only to send) ${kb(outboxWasmWire.bytes)} (${outboxWasmWire.encoding}), ` +
      `plain-sw.js ${kb(plainWire.bytes)} (${plainWire.encoding}); manifest: ${manifestLength} files`,
  );
  console.log("");

  // One line of a timing table: median, p90, min, max of `values`.
  const timingRow = (label, values, extra = "") => {
    const t = stats(values);
    console.log(
      `  ${label.padEnd(14)} ${ms(t?.median).padStart(7)} ${ms(t?.p90).padStart(7)} ${ms(t?.min).padStart(7)} ${ms(t?.max).padStart(7)}${extra}`,
    );
    return t;
  };
  const ratio = (label, r, p) =>
    r && p &&
    console.log(
      `  ${label}: median ×${(r.median / p.median).toFixed(2)}, p90 ×${(r.p90 / p.p90).toFixed(2)}` +
        ` (median Rust − plain: ${(r.median - p.median).toFixed(1)} ms)`,
    );
  const header = (first, extra = "") =>
    console.log(`  ${first.padEnd(14)} ${"median".padStart(7)} ${"p90".padStart(7)} ${"min".padStart(7)} ${"max".padStart(7)}${extra}`);

  console.log("2. Cold start (all workers stopped through CDP before each step), ms");
  console.log('  a) navigate to "/" (network first + navigation preload): responseStart − startTime');
  header("", "   workerStart median   via worker");
  const coldNav = {};
  for (const variant of [rust, plain]) {
    const workerStart = stats(variant.timings.map((t) => t.workerStart));
    const viaWorker = variant.timings.filter((t) => t.workerStart !== null).length;
    coldNav[variant.name] = timingRow(
      variant.name,
      variant.timings.map((t) => t.ttfb),
      `   ${ms(workerStart?.median).padStart(18)}   ${viaWorker}/${variant.timings.length}`,
    );
  }
  ratio("Rust / plain", coldNav[rust.name], coldNav[plain.name]);
  console.log("  b) the page fetches /pkg/mozi.css (precached, cache only; no network): ms to headers");
  header("", "   ok");
  const coldFile = {};
  for (const variant of [rust, plain]) {
    const ok = variant.fileTimings.filter((t) => t.ok).length;
    coldFile[variant.name] = timingRow(
      variant.name,
      variant.fileTimings.map((t) => t.ttfb),
      `   ${ok}/${variant.fileTimings.length}`,
    );
  }
  ratio("Rust / plain", coldFile[rust.name], coldFile[plain.name]);
  console.log("");

  console.log('3. Rust worker, warm: navigate to "/", responseStart − startTime, ms');
  header("", "   status  from cache  rendered as");
  for (const [label, timings] of Object.entries(warm)) {
    const statuses = [...new Set(timings.map((t) => t.status))].join(",");
    const fromCache = timings.filter((t) => t.fromCache).length;
    const types = [...new Set(timings.map((t) => t.contentType))].join(",");
    timingRow(
      label,
      timings.map((t) => t.ttfb),
      `   ${statuses.padEnd(6)}  ${`${fromCache}/${timings.length}`.padStart(10)}  ${types}`,
    );
  }
  console.log(`  worker still running after the warm runs: ${stillRunning ? "yes" : "no"}`);
  console.log("");

  console.log("Checks");
  console.log(
    `  Playwright route("**/sw.js") probe: handler called ${routeProbe.handled}×, ` +
      `active worker ${routeProbe.scriptUrl ?? "none"} running ${routeProbe.kind ?? "?"}` +
      (routeProbe.error ? `, error: ${routeProbe.error}` : ""),
  );
  for (const variant of [rust, plain]) {
    const { controller, kind, report } = variant.setup;
    const unhydrated = variant.timings.filter((t) => !t.hydrated).length;
    console.log(
      `  ${variant.name}: controller ${new URL(controller).pathname} (${kind}), ` +
        `precache ${report.precached}/${report.expected}, mozi-pages [${report.pages.join(" ")}], ` +
        `caches [${report.names.join(" ")}]${unhydrated ? `, ${unhydrated} cold runs not hydrated` : ""}`,
    );
    const counts = new Map();
    for (const message of variant.messages) counts.set(message, (counts.get(message) ?? 0) + 1);
    for (const [message, count] of counts) console.log(`    ${count}× ${message}`);
  }
  const warnings = [...rust.log, ...plain.log];
  if (warnings.length) {
    console.log(`  server log (${warnings.length} lines, last 10):`);
    for (const line of warnings.slice(-10)) console.log(`    ${line.slice(0, 300)}`);
  }
}

await run(main, WATCHDOG_MS);
