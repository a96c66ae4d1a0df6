// MOZI service-worker bootstrap.
//
// Browsers only deliver events to listeners added during the script's first
// evaluation, while wasm instantiation is asynchronous; so every listener is
// added here, synchronously, and hands its event to Rust once the single
// instantiation has finished. A failed instantiation is forgotten so the
// next event tries again instead of leaving this worker broken.
//
// The server prepends `self.__MOZI` (version, precache manifest), the
// wasm-bindgen glue and `self.__MOZI_WASM` (the wasm, base64): the worker
// starts without the network, and its script changes whenever the wasm or
// any precached file does.
"use strict";

let instantiation = null;
let started = null;

function decodeBase64(text) {
  // Native decoding where the browser has it: a per-byte callback costs
  // milliseconds of every cold start.
  if (Uint8Array.fromBase64) return Uint8Array.fromBase64(text);
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function rust() {
  if (!instantiation) {
    const bytes = decodeBase64(self.__MOZI_WASM);
    // (The versions of that time called the glue's async init; the glue
    // this test borrows from today's script has only `initSync`.)
    instantiation = Promise.resolve()
      .then(() => {
        wasm_bindgen.initSync({ module: bytes });
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

self.addEventListener("push", (event) => {
  event.waitUntil(rust().then((worker) => worker.on_push(event)));
});

self.addEventListener("sync", (event) => {
  const lastChance = event.lastChance === true;
  event.waitUntil(rust().then((worker) => worker.on_sync(event.tag, lastChance)));
});
