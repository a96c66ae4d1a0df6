// What every benchmark script under bench/ needs: clean-up on exit and on
// a watchdog, the release server on 127.0.0.1 (the end-to-end tests' own
// ServerProcess), the test suite's Chromium flags, and summary statistics.

import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import serverProcess from "../end2end/support/server-process.cjs";

const { freePort, ServerProcess } = serverProcess;

export const repo = resolve(import.meta.dirname, "..");
export const CHROMIUM_ARGS = JSON.parse(readFileSync(join(repo, "end2end/chromium-flags.json"), "utf8"));

/** The benchmark could not get to measuring: reported without a stack. */
export class SetupError extends Error {}

export const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

export async function until(condition, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await sleep(20);
  }
  throw new SetupError(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

// ---------------------------------------------------------------- cleanup

const cleanups = [];
let cleaning = null;

/** Runs `step` when the script ends, last registered first. */
export function atExit(step) {
  cleanups.push(step);
}

function cleanUp() {
  cleaning ??= (async () => {
    for (const step of cleanups.reverse()) {
      try {
        await step();
      } catch (error) {
        console.error(`cleanup: ${error.message}`);
      }
    }
  })();
  return cleaning;
}

/**
 * Runs `main`, then every clean-up step, and exits: 0 when `main` returned
 * true (or nothing), 1 when it returned false or threw, 2 when it ran past
 * `watchdogMs`.
 */
export async function run(main, watchdogMs) {
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.on(signal, () => cleanUp().then(() => process.exit(130)));
  }
  setTimeout(() => {
    console.error(`gave up after ${watchdogMs / 1000} s`);
    cleanUp().then(() => process.exit(2));
  }, watchdogMs).unref();
  let status = 0;
  try {
    status = (await main()) === false ? 1 : 0;
  } catch (error) {
    console.error(error instanceof SetupError ? `setup failed: ${error.message}` : error);
    status = 1;
  } finally {
    await cleanUp();
  }
  process.exit(status);
}

// ----------------------------------------------------------------- servers

export function serverBinary() {
  const candidates = [
    process.env.MOZI_SERVER_BIN,
    process.env.MOZI_TARGET_DIR && join(process.env.MOZI_TARGET_DIR, "release/server"),
    join(homedir(), ".cache/mozi-target/release/server"),
    join(repo, "target/release/server"),
  ].filter(Boolean);
  const found = candidates.find((path) => existsSync(path));
  if (!found) throw new SetupError(`no server binary (tried ${candidates.join(", ")})`);
  return found;
}

/** The built site: LEPTOS_SITE_ROOT, else target/site. */
export function builtSite() {
  const site = resolve(repo, process.env.LEPTOS_SITE_ROOT ?? "target/site");
  if (!existsSync(join(site, "pkg"))) throw new SetupError(`no built site at ${site}`);
  return site;
}

/** The release server (killable, startable again), stopped when the script ends. */
export async function startServer(binary, siteRoot, dataDir, { logLevel = "warn", databaseUrl } = {}) {
  const server = new ServerProcess({ binary, siteRoot, dataDir, port: await freePort(), logLevel, databaseUrl });
  atExit(() => server.stop());
  await server.start();
  return server;
}

// ----------------------------------------------------------------- browser

export async function hydrated(page, timeout = 15_000) {
  try {
    await page.locator("body[data-hydrated]").waitFor({ state: "attached", timeout });
    return true;
  } catch {
    return false;
  }
}

// ----------------------------------------------------------------- figures

export function stats(values) {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (!sorted.length) return null;
  const rank = (p) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
  const middle = sorted.length / 2;
  const median =
    sorted.length % 2 ? sorted[Math.floor(middle)] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { n: sorted.length, median, p90: rank(0.9), p99: rank(0.99), min: sorted[0], max: sorted.at(-1) };
}
