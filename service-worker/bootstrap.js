// MOZI service-worker bootstrap.
//
// Browsers only deliver events to listeners added during the script's first
// evaluation, while wasm instantiation is asynchronous; so every listener is
// added here, synchronously, and hands its event to Rust once the single
// instantiation has finished. A failed instantiation is forgotten so the
// next event tries again instead of leaving this worker broken.
//
// The server prepends `self.__MOZI` (version, precache manifest, and the
// URL of the wasm, named by its content hash) and the wasm-bindgen glue. The
// wasm is a precached file: taken from Cache Storage, the worker starts
// without the network; only the first install (or an upgrade to a new wasm)
// downloads it, through the HTTP cache, which the precache then reuses.
"use strict";

let instantiation = null;
let started = null;

async function wasmResponse(url) {
  const cached = await caches.match(url);
  if (cached) return cached;
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response;
}

function rust() {
  if (!instantiation) {
    instantiation = wasmResponse(self.__MOZI.wasm)
      .then((response) => wasm_bindgen({ module_or_path: response }))
      .then(() => {
        wasm_bindgen.start(self.__MOZI);
        started = wasm_bindgen;
        return wasm_bindgen;
      })
      .catch((error) => {
        instantiation = null;
        throw error;
      });
  }
  return instantiation;
}

// Start instantiating at once; a failure here is retried by the next event.
rust().catch(() => {});

self.addEventListener("install", (event) => {
  event.waitUntil(rust().then((worker) => worker.install()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(rust().then((worker) => worker.activate()));
});

self.addEventListener("fetch", (event) => {
  // Once Rust runs, it decides synchronously which requests it answers.
  if (started && !started.handles(event.request)) return;
  event.respondWith(
    rust()
      .then((worker) => worker.respond(event))
      .catch(() => fetch(event.request)),
  );
});

self.addEventListener("message", (event) => {
  event.waitUntil(rust().then((worker) => worker.on_message(event)));
});

self.addEventListener("sync", (event) => {
  const lastChance = event.lastChance === true;
  event.waitUntil(rust().then((worker) => worker.on_sync(event.tag, lastChance)));
});
