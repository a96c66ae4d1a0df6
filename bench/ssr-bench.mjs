// Server-side rendering against a static file of the same server, in one
// run: requests per second and latency of `GET /` (rendered per request)
// and of `GET /pkg/mozi.css` (served from memory), 200 connections each,
// with the request log on (INFO, one line per request, as in production).
// The load comes from `wrk` (Debian's package; scripts/setup.sh installs it).
//
// Usage (after `cargo leptos build --release`): node bench/ssr-bench.mjs
// Env: SSR_BENCH_SECONDS (default 10), SSR_BENCH_CONNECTIONS (default 200).
// A benchmark, not a test: it prints figures and fails only on set-up.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { atExit, builtSite, run, serverBinary, SetupError, sleep, startServer } from "./harness.mjs";
import { wrk } from "./http.mjs";

const SECONDS = Number(process.env.SSR_BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.SSR_BENCH_CONNECTIONS ?? 200);
// What a browser sends: the answers are compressed as they would be.
const HEADERS = ["-H", "Accept-Encoding: gzip, deflate, br"];

function load(url) {
  return wrk(["-t2", `-c${CONNECTIONS}`, `-d${SECONDS}s`, "--latency", ...HEADERS, url]);
}

run(async () => {
  if (spawnSync("wrk", ["--version"]).error) {
    throw new SetupError("wrk is missing: source scripts/setup.sh (it installs Debian's wrk)");
  }
  const dataDir = mkdtempSync(join(tmpdir(), "mozi-ssr-bench-"));
  atExit(() => rmSync(dataDir, { recursive: true, force: true }));
  const server = await startServer(serverBinary(), builtSite(), dataDir, { logLevel: "info" });

  // A short warm-up of each, then the measured runs, one after the other.
  for (const path of ["/", "/pkg/mozi.css"]) {
    await wrk(["-t1", "-c10", "-d2s", ...HEADERS, `${server.url}${path}`]);
  }
  const before = server.log.length;
  const page = await load(`${server.url}/`);
  const file = await load(`${server.url}/pkg/mozi.css`);
  await sleep(500);
  const logged = server.log.slice(before).filter((line) => line.includes("finished processing request")).length;

  const row = (label, figures) =>
    console.log(
      `${label.padEnd(22)} ${figures.perSecond.toFixed(0).padStart(8)} ${figures.p50.toFixed(2).padStart(9)} ` +
        `${figures.p99.toFixed(2).padStart(9)}  ${figures.notOk}`,
    );
  console.log(`SSR vs static, ${CONNECTIONS} connections, ${SECONDS} s each, request log on (wrk)`);
  console.log(`${"".padEnd(22)} ${"req/s".padStart(8)} ${"p50 ms".padStart(9)} ${"p99 ms".padStart(9)}  non-2xx`);
  row("GET / (SSR)", page);
  row("GET /pkg/mozi.css", file);
  console.log(`SSR / static: ×${(page.perSecond / file.perSecond).toFixed(2)}`);
  const requests = Math.round((page.perSecond + file.perSecond) * SECONDS);
  console.log(`request log: ${logged} lines for about ${requests} requests`);
  return true;
}, 5 * 60_000);
