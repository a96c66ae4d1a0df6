// What every benchmark script under bench/ needs: clean-up on exit and on
// a watchdog, the release server on 127.0.0.1 with a throw-away database
// (which can be killed and started again on the same port and data), the
// test suite's Chromium flags, and summary statistics.

import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { homedir } from "node:os";
import { join, resolve } from "node:path";

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

export async function freePort() {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once("error", fail);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => done(port));
    });
  });
}

/** The release server, stopped when the script ends. */
export class BenchServer {
  /** Every line it printed, across restarts. */
  log = [];
  child = null;
  exited = Promise.resolve();

  constructor(binary, siteRoot, dataDir, port, logLevel) {
    Object.assign(this, { binary, siteRoot, dataDir, port, logLevel });
    this.url = `http://127.0.0.1:${port}`;
    atExit(() => this.stop());
  }

  static async start(binary, siteRoot, dataDir, { logLevel = "warn" } = {}) {
    const server = new BenchServer(binary, siteRoot, dataDir, await freePort(), logLevel);
    await server.restart();
    return server;
  }

  /** Starts the process (again) on the same port and database. */
  async restart() {
    const child = spawn(this.binary, [], {
      cwd: repo,
      env: {
        ...process.env,
        LEPTOS_SITE_ADDR: `127.0.0.1:${this.port}`,
        LEPTOS_SITE_ROOT: this.siteRoot,
        LEPTOS_OUTPUT_NAME: "mozi",
        DATABASE_URL: `sqlite://${join(this.dataDir, "mozi.db")}`,
        RUST_LOG: this.logLevel,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const keep = (chunk) => this.log.push(...chunk.toString().split("\n").filter(Boolean));
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    this.exited = new Promise((done) => child.once("exit", done));
    this.child = child;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new SetupError(`server exited:\n${this.log.join("\n")}`);
      try {
        if ((await fetch(`${this.url}/api/current_user`)).status === 200) return;
      } catch {
        // Not listening yet.
      }
      await sleep(50);
    }
    throw new SetupError(`server did not answer within 30 s:\n${this.log.join("\n")}`);
  }

  /** SIGKILL: gone at once, whatever it was doing. */
  async kill() {
    if (!this.child) return;
    this.child.kill("SIGKILL");
    await this.exited;
    this.child = null;
  }

  /** SIGTERM, SIGKILL after 5 s. */
  async stop() {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const killer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await this.exited;
    clearTimeout(killer);
    this.child = null;
  }
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
  return { n: sorted.length, median, p90: rank(0.9), min: sorted[0], max: sorted.at(-1) };
}
