// Prints the size of what a browser downloads for the app (raw, gzip,
// brotli) and, with --check, fails when one is over its budget.
// Usage: node bench/sizes.mjs [--check]   (after `cargo leptos build --release`)

import { readFileSync, existsSync } from "node:fs";
import { gzipSync, brotliCompressSync, constants } from "node:zlib";

const site = process.env.LEPTOS_SITE_ROOT ?? "target/site";
// The service worker's build output (server/build.rs), inlined into /sw.js.
const worker = `${process.env.MOZI_TARGET_DIR ?? "target"}/service-worker/pkg`;

// Budgets in compressed (brotli) bytes: what a first visit costs on the wire.
const files = [
  // Raised from 340 KB with the outbox (its views, IndexedDB layer and record JSON).
  { name: "app wasm", path: `${site}/pkg/mozi.wasm`, brotliBudget: 420 * 1024 },
  { name: "app JS glue", path: `${site}/pkg/mozi.js`, brotliBudget: 12 * 1024 },
  { name: "stylesheet", path: `${site}/pkg/mozi.css`, brotliBudget: 6 * 1024 },
  // Raised from 70 KB with the outbox replayer: serde-derived JSON for its
  // records is most of the growth.
  { name: "worker wasm", path: `${worker}/mozi_sw_bg.wasm`, brotliBudget: 135 * 1024 },
  { name: "worker JS glue", path: `${worker}/mozi_sw.js`, brotliBudget: 8 * 1024 },
  { name: "worker bootstrap", path: "service-worker/bootstrap.js", brotliBudget: 2 * 1024 },
];

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
let over = false;
console.log("file             raw        gzip       brotli     budget (brotli)");
// (/sw.js carries the worker wasm base64-encoded, about a third larger before compression.)
for (const file of files) {
  if (!existsSync(file.path)) {
    console.error(`missing ${file.path}: build first (cargo leptos build --release)`);
    process.exit(1);
  }
  const bytes = readFileSync(file.path);
  const gzip = gzipSync(bytes, { level: 9 }).length;
  const brotli = brotliCompressSync(bytes, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11 },
  }).length;
  const fits = brotli <= file.brotliBudget;
  over ||= !fits;
  console.log(
    `${file.name.padEnd(16)} ${kb(bytes.length).padEnd(10)} ${kb(gzip).padEnd(10)} ${kb(brotli).padEnd(10)} ${kb(file.brotliBudget)}${fits ? "" : "  OVER BUDGET"}`,
  );
}
if (process.argv.includes("--check") && over) {
  console.error("A file is over its size budget.");
  process.exit(1);
}
