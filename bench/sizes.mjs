// Prints what a browser downloads for the app, as the release server sends
// it (identity, gzip, brotli: the bytes on the wire), next to the file's
// best brotli size, and with --check fails when a download is over its
// budget or is sent larger than its best compression.
// Usage: node bench/sizes.mjs [--check]   (after `cargo leptos build --release`)

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliCompressSync, constants } from "node:zlib";
import { atExit, builtSite, run, serverBinary, startServer } from "./harness.mjs";

// Budgets in brotli bytes on the wire, in bench/budgets.json (the update
// test reads the one of /sw.js too). A budget only ever goes down: a file
// over it is a regression to fix, never a number to raise. `url: null` is
// the worker's wasm, whose name /sw.js gives.
const budgets = Object.entries(JSON.parse(readFileSync(join(import.meta.dirname, "budgets.json"), "utf8"))).map(
  ([name, { url, brotli }]) => ({ name, url, brotliBudget: brotli }),
);

/** The body exactly as sent for `encoding`, undecoded. */
function download(origin, path, encoding) {
  return new Promise((done, fail) => {
    const headers = encoding ? { "accept-encoding": encoding } : {};
    request(`${origin}${path}`, { headers }, (response) => {
      const chunks = [];
      response.on("data", (chunk) => chunks.push(chunk));
      response.on("end", () =>
        done({ status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks) }),
      );
      response.on("error", fail);
    })
      .on("error", fail)
      .end();
  });
}

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;

run(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "mozi-sizes-"));
  atExit(() => rmSync(dataDir, { recursive: true, force: true }));
  const server = await startServer(serverBinary(), builtSite(), dataDir);

  const script = (await download(server.url, "/sw.js", null)).body.toString();
  const workerWasm = /"wasm":"([^"]+)"/.exec(script)?.[1];
  if (!workerWasm) throw new Error("/sw.js does not name its wasm");

  let failed = false;
  console.log("download         raw        gzip       brotli     best brotli  budget (brotli)");
  for (const file of budgets) {
    const url = file.url ?? workerWasm;
    const identity = await download(server.url, url, null);
    const gzip = await download(server.url, url, "gzip");
    const brotli = await download(server.url, url, "br");
    if (identity.status !== 200 || brotli.headers["content-encoding"] !== "br") {
      console.error(`${url}: answered ${identity.status}, brotli as ${brotli.headers["content-encoding"]}`);
      failed = true;
      continue;
    }
    const best = brotliCompressSync(identity.body, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_LGWIN]: 24 },
    }).length;
    const sent = brotli.body.length;
    const problems = [];
    if (sent > file.brotliBudget) problems.push("OVER BUDGET");
    // Sent at a lower level than the best: compressed per request again.
    if (sent > best * 1.01) problems.push("NOT PRECOMPRESSED");
    failed ||= problems.length > 0;
    console.log(
      `${file.name.padEnd(16)} ${kb(identity.body.length).padEnd(10)} ${kb(gzip.body.length).padEnd(10)} ` +
        `${kb(sent).padEnd(10)} ${kb(best).padEnd(12)} ${kb(file.brotliBudget)}  ${problems.join(" ")}`,
    );
  }
  if (failed && process.argv.includes("--check")) {
    console.error("A download is over its budget or not precompressed.");
    return false;
  }
  return true;
}, 120_000);
