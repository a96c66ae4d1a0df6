// MOZI service-worker bootstrap.
//
// Browsers only deliver events to listeners added during the script's first
// evaluation, while wasm instantiation is asynchronous; so every listener is
// added here, synchronously, and hands its event to Rust once the module it
// needs is instantiated. A failed instantiation is forgotten so the next
// event tries again instead of leaving this worker broken.
//
// The server puts `self.__MOZI` (version, precache manifest, the name
// of this version's precache, and the URLs of the two wasm files, named by
// their content hashes) before this bootstrap, and both modules'
// wasm-bindgen glue (globals `wasm_bindgen`, `mozi_outbox`) after it. The wasm
// files are precached: taken from Cache Storage, the worker starts without
// the network; only the first install (or an upgrade to a new wasm)
// downloads them, through the HTTP cache, which the precache then reuses.
// The worker's own module answers every event but Background Sync (and,
// while a cold start instantiates it, the two answers `answerCold` gives);
// the outbox replayer, most of the weight, is instantiated only to send.
"use strict";

let started = null;

// A wasm file's bytes, which the caller compiles and instantiates
// synchronously: for a module this small, streaming compilation's hand-offs
// between threads cost a cold start more than compiling on the worker's own
// thread does. Looked up in this version's precache alone first (matching
// across every cache opens each of them), then in any cache (an update's
// install, before its precache is filled), then on the network.
async function wasmBytes(url) {
  let response =
    (await caches.match(url, { cacheName: self.__MOZI.precacheName })) ?? (await caches.match(url));
  if (!response) {
    response = await fetch(url);
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  }
  return response.arrayBuffer();
}

/** `instantiate` run once, or again after it failed. */
function once(instantiate) {
  let instantiation = null;
  return () => {
    if (!instantiation) {
      instantiation = instantiate().catch((error) => {
        instantiation = null;
        throw error;
      });
    }
    return instantiation;
  };
}

// Each module's bytes are awaited before its glue's global is touched: the
// glue follows this bootstrap in the script, and the first instantiation
// starts before it has been evaluated.
const rust = once(async () => {
  const module = await wasmBytes(self.__MOZI.wasm);
  wasm_bindgen.initSync({ module });
  wasm_bindgen.start(self.__MOZI);
  started = wasm_bindgen;
  return wasm_bindgen;
});

const outbox = once(async () => {
  const module = await wasmBytes(self.__MOZI.outbox);
  mozi_outbox.initSync({ module });
  return mozi_outbox;
});

// Start instantiating at once; a failure here is retried by the next event.
rust().catch(() => {});

// A while after the worker starts, the outbox sends whatever is due: not
// while the worker answers the request it was started for (loading the
// replayer, opening the database and taking the lock would cost that
// request milliseconds), and long before an idle worker is stopped (30 s).
const REPLAY_AFTER_START_MS = 2000;
setTimeout(() => {
  outbox()
    .then((replayer) => replayer.replay_due())
    .catch((error) => console.warn("MOZI outbox:", error));
}, REPLAY_AFTER_START_MS);

self.addEventListener("install", (event) => {
  event.waitUntil(rust().then((worker) => worker.install()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(rust().then((worker) => worker.activate()));
});

self.addEventListener("fetch", (event) => {
  // Once Rust runs, it decides synchronously which requests it answers.
  if (started && !started.handles(event.request)) return;
  event.respondWith(started ? answer(event) : answerCold(event));
});

function answer(event) {
  return rust()
    .then((worker) => worker.respond(event))
    .catch(() => fetch(event.request));
}

// A cold start: the request came before the module runs, which takes
// reading its bytes from Cache Storage and compiling them (about 10 ms).
// Two answers need nothing of Rust and take no decision of their own, so
// they do not wait for it:
// - a GET whose URL is in this version's precache gets that copy, as the
//   precache route (first of Rust's routes for a GET) would give it;
// - a navigation whose preload response (requested by the browser while
//   the worker started) arrives first gets it, as the navigation route's
//   network-first strategy would; Rust then keeps the copy and tells the
//   pages the network answered, as it does for every navigation.
// Anything else, a miss, or a module that is ready first, is Rust's.
async function answerCold(event) {
  const { request } = event;
  if (request.method === "GET") {
    const precached = await caches
      .match(request.url, { cacheName: self.__MOZI.precacheName })
      .catch(() => null);
    if (precached) return precached;
    if (request.mode === "navigate") {
      const ready = rust().then(
        () => null,
        () => null,
      );
      const preloaded = await Promise.race([event.preloadResponse, ready]).catch(() => null);
      if (preloaded) {
        const copy = preloaded.clone();
        event.waitUntil(rust().then((worker) => worker.navigation_answered(event, copy)));
        return preloaded;
      }
    }
  }
  return answer(event);
}

self.addEventListener("message", (event) => {
  event.waitUntil(rust().then((worker) => worker.on_message(event)));
});

// Background Sync: the replayer sends the queue (the rejection of a sync
// that could not reach the server makes the browser try again later).
self.addEventListener("sync", (event) => {
  const lastChance = event.lastChance === true;
  event.waitUntil(outbox().then((replayer) => replayer.on_sync(event.tag, lastChance)));
});
