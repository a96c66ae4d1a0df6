// Prints the size of what a browser downloads for the app (raw, gzip,
// brotli) and, with --check, fails when one is over its budget.
// Usage: node bench/sizes.mjs [--check]   (after `cargo leptos build --release --split`)
//
// The app's wasm is split (`--split`): the main module, one module per page
// and chunks that pages share, listed by cargo-leptos in
// pkg/__wasm_split_manifest.json. A page's first load is the main module and
// its page's modules, which the browser fetches before hydrating; the other
// pages' modules come with the service worker's precache, after the load.

import { readFileSync, readdirSync, existsSync } from "node:fs";
import { gzipSync, brotliCompressSync, constants } from "node:zlib";

const site = process.env.LEPTOS_SITE_ROOT ?? "target/site";
const pkg = `${site}/pkg`;
// The service worker's build output (server/build.rs), inlined into /sw.js.
const worker = `${process.env.MOZI_TARGET_DIR ?? "target"}/service-worker/pkg`;
const manifestPath = `${pkg}/__wasm_split_manifest.json`;

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
const sizes = new Map();
function sizeOf(path) {
  if (!sizes.has(path)) {
    if (!existsSync(path)) {
      console.error(`missing ${path}: build first (cargo leptos build --release --split)`);
      process.exit(1);
    }
    const bytes = readFileSync(path);
    sizes.set(path, {
      raw: bytes.length,
      gzip: gzipSync(bytes, { level: 9 }).length,
      brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
    });
  }
  return sizes.get(path);
}
const sum = (paths) =>
  paths.map(sizeOf).reduce((a, b) => ({ raw: a.raw + b.raw, gzip: a.gzip + b.gzip, brotli: a.brotli + b.brotli }), {
    raw: 0,
    gzip: 0,
    brotli: 0,
  });

if (!existsSync(manifestPath)) {
  console.error(`missing ${manifestPath}: build with --split (cargo leptos build --release --split)`);
  process.exit(1);
}
// Page module name ("__schedule_route_view_<hash>") -> its files, without ".wasm".
const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
const mainWasm = `${pkg}/mozi.wasm`;
const pages = Object.entries(manifest)
  .map(([name, modules]) => ({
    name: name.replace(/^_+/, "").replace(/_route_view_\d+$/, ""),
    paths: modules.map((module) => `${pkg}/${module}.wasm`),
  }))
  .sort((a, b) => a.name.localeCompare(b.name));
for (const page of pages) page.firstLoad = sum([mainWasm, ...page.paths]);
const largest = pages.reduce((a, b) => (b.firstLoad.brotli > a.firstLoad.brotli ? b : a));

// Budgets in compressed (brotli) bytes: what a first visit costs on the wire.
const files = [
  // The main module and the largest page's modules (the message thread).
  // Was 420 KB for the whole unsplit wasm (419.3 KB); 364.6 KB with the split.
  { name: "app wasm, first load", size: largest.firstLoad, brotliBudget: 382 * 1024 },
  { name: "app JS glue", size: sizeOf(`${pkg}/mozi.js`), brotliBudget: 12 * 1024 },
  // Loads the split modules; fetched on every first load.
  { name: "split loader JS", size: sizeOf(`${pkg}/__wasm_split.______________________.js`), brotliBudget: 1.4 * 1024 },
  { name: "stylesheet", size: sizeOf(`${pkg}/mozi.css`), brotliBudget: 6 * 1024 },
  // Raised from 70 KB with the outbox replayer: serde-derived JSON for its
  // records is most of the growth.
  { name: "worker wasm", size: sizeOf(`${worker}/mozi_sw_bg.wasm`), brotliBudget: 135 * 1024 },
  { name: "worker JS glue", size: sizeOf(`${worker}/mozi_sw.js`), brotliBudget: 8 * 1024 },
  { name: "worker bootstrap", size: sizeOf("service-worker/bootstrap.js"), brotliBudget: 2 * 1024 },
];

const row = (name, size, rest = "") =>
  console.log(`${name.padEnd(22)} ${kb(size.raw).padEnd(10)} ${kb(size.gzip).padEnd(10)} ${kb(size.brotli).padEnd(10)} ${rest}`);

let over = false;
console.log(`${"file".padEnd(22)} raw        gzip       brotli     budget (brotli)`);
// (/sw.js carries the worker wasm base64-encoded, about a third larger before compression.)
for (const file of files) {
  const fits = file.size.brotli <= file.brotliBudget;
  over ||= !fits;
  row(file.name, file.size, `${kb(file.brotliBudget)}${fits ? "" : "  OVER BUDGET"}`);
}

console.log(`\nfirst load of each page: the main module, then the page's own modules`);
row("main module", sizeOf(mainWasm));
for (const page of pages) {
  row(`${page.name}`, page.firstLoad, `(${page.paths.length} modules, ${kb(page.firstLoad.brotli - sizeOf(mainWasm).brotli)} brotli of them)`);
}

console.log(`\nevery split module (precached by the service worker)`);
const named = new Set([mainWasm, ...pages.flatMap((page) => page.paths)]);
const modules = [...named].filter((path) => path !== mainWasm).sort((a, b) => sizeOf(b).brotli - sizeOf(a).brotli);
for (const path of modules) row(path.slice(pkg.length + 1).replace(/\.wasm$/, "").slice(0, 22), sizeOf(path));
row("all app wasm", sum([...named]));

// A wasm file the manifest does not name is left from an older build; the
// service worker would still precache it on every install.
const stale = readdirSync(pkg).filter((name) => name.endsWith(".wasm") && !named.has(`${pkg}/${name}`));
if (stale.length > 0) {
  console.error(`\nwasm files no page uses (left from an older build? remove ${pkg} and build again): ${stale.join(", ")}`);
  over = true;
}

if (process.argv.includes("--check") && over) {
  console.error("A file is over its size budget, or the site holds stale wasm.");
  process.exit(1);
}
