// The development loop reaches the service worker: under `cargo leptos
// watch`, an edit to the worker's sources rebuilds it, and the open page
// moves to the new worker by itself. Prints how long that took, and how long
// the same loop takes for a stylesheet edit, for the README's figures.
//
// Usage (from the repository root): node end2end/dev-loop.mjs
// It edits one string in service-worker/src/lib.rs and one rule in
// style/main.css, and puts both back whatever happens. Its own site folder
// (target/dev-loop-site) and ports keep it apart from the release build.

import { chromium } from "@playwright/test";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import serverProcess from "./support/server-process.cjs";

const { freePort, workspaceRoot } = serverProcess;
const CHROMIUM_ARGS = JSON.parse(readFileSync(join(workspaceRoot, "end2end/chromium-flags.json"), "utf8"));
// The first start builds the debug app and server from cold: minutes.
const FIRST_BUILD_MS = 20 * 60_000;
const EDIT_MS = 5 * 60_000;

const WORKER_SOURCE = join(workspaceRoot, "service-worker/src/lib.rs");
const WORKER_STRING = "precache ready";
const STYLESHEET = join(workspaceRoot, "style/main.css");
const SITE_ROOT = "target/dev-loop-site";

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

async function until(what, timeoutMs, condition) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (watch?.exitCode !== null) throw new Error("cargo leptos watch exited");
    try {
      if (await condition()) return;
    } catch {
      // Not there yet (a page reloading, a server restarting).
    }
    await sleep(200);
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
}

/** Edits `file` and returns what puts it back. */
function edit(file, change) {
  const original = readFileSync(file, "utf8");
  const changed = change(original);
  if (changed === original) throw new Error(`the edit changes nothing in ${file}`);
  writeFileSync(file, changed);
  return () => writeFileSync(file, original);
}

const restores = [];
let watch = null;
let browser = null;
const dataDir = mkdtempSync(join(tmpdir(), "mozi-dev-loop-"));
const log = [];

async function cleanUp() {
  for (const restore of restores.splice(0)) restore();
  await browser?.close().catch(() => {});
  if (watch && watch.exitCode === null) {
    // cargo-leptos and the server it runs: the whole process group.
    process.kill(-watch.pid, "SIGTERM");
    await new Promise((done) => {
      const timer = setTimeout(() => {
        process.kill(-watch.pid, "SIGKILL");
        done();
      }, 5000);
      watch.once("exit", () => {
        clearTimeout(timer);
        done();
      });
    });
  }
  rmSync(dataDir, { recursive: true, force: true });
}

async function main() {
  const port = await freePort();
  const reloadPort = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // From an empty site: the split wasm's module names follow the code.
  rmSync(join(workspaceRoot, SITE_ROOT), { recursive: true, force: true });
  watch = spawn("cargo", ["leptos", "watch", "--split"], {
    cwd: workspaceRoot,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_RELOAD_PORT: String(reloadPort),
      LEPTOS_SITE_ROOT: SITE_ROOT,
      MOZI_DATA_DIR: dataDir,
      MOZI_INSECURE_HTTP: "1",
      RUST_LOG: "warn",
    },
  });
  for (const stream of [watch.stdout, watch.stderr]) {
    stream.on("data", (chunk) => log.push(...chunk.toString().split("\n").filter(Boolean)));
  }
  await until("the first build to serve the app", FIRST_BUILD_MS, async () =>
    (await fetch(`${url}/api/current_user`)).ok,
  );

  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
  const context = await browser.newContext();
  // What the page and its worker said, for a failure to show.
  context.on("console", (message) => log.push(`console ${message.type()}: ${message.text()}`));
  const page = await context.newPage();
  await page.goto(url);
  const shownVersion = () => page.locator("code.version").textContent({ timeout: 1000 });
  await until("the worker to be active", 60_000, () =>
    page.evaluate(async () => (await navigator.serviceWorker.ready).active !== null),
  );
  await page.reload();
  await until("the page to show its worker's version", 60_000, async () => (await shownVersion()) !== "");
  const firstVersion = await shownVersion();

  // A worker edit: the open page moves to the rebuilt worker by itself.
  let started = Date.now();
  restores.push(edit(WORKER_SOURCE, (source) => source.replace(WORKER_STRING, `${WORKER_STRING}, edited`)));
  await until("the open page to move to the rebuilt worker", EDIT_MS, async () => {
    const version = await shownVersion();
    return version && version !== firstVersion;
  });
  const workerSeconds = (Date.now() - started) / 1000;
  const workerVersion = await shownVersion();
  const controlled = await page.evaluate(() => navigator.serviceWorker.controller !== null);
  if (!controlled) throw new Error("the page is not controlled by the new worker");
  // The new worker runs the edited code: its install says so.
  if (!log.some((line) => line.includes(`${WORKER_STRING}, edited`))) {
    throw new Error("the new worker did not log the edited string");
  }

  // A stylesheet edit: the open page gets the new rule.
  started = Date.now();
  restores.push(edit(STYLESHEET, (css) => `${css}\nbody { outline: 1px solid rgb(1, 2, 3); }\n`));
  await until("the stylesheet edit to reach the page", EDIT_MS, async () =>
    (await page.evaluate(() => getComputedStyle(document.body).outlineColor)) === "rgb(1, 2, 3)",
  );
  const styleSeconds = (Date.now() - started) / 1000;

  console.log("cargo leptos watch, edit saved → the open page shows it:");
  console.log(`  stylesheet rule         ${styleSeconds.toFixed(1)} s`);
  console.log(`  service worker string   ${workerSeconds.toFixed(1)} s (version ${firstVersion} → ${workerVersion})`);
}

let failed = false;
try {
  await main();
} catch (error) {
  console.error(`dev loop: ${error.message}`);
  console.error(log.slice(-40).join("\n"));
  failed = true;
} finally {
  await cleanUp();
}
process.exit(failed ? 1 : 0);
