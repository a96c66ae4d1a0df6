// MOZI service worker, plain JavaScript: a benchmark baseline for the Rust
// worker served at /sw.js (service-worker/). Same routes, same cache names,
// same precache manifest; none of the Rust worker's extras (reusing
// unchanged precache entries across versions, "saved at" stamps and the
// offline marker, CONNECTIVITY messages, the offline page's list of saved
// pages, image expiration, push, background sync).
//
// Not served by the app: bench/sw-bench.mjs copies it into a temporary site
// with the line below replaced by the `self.__MOZI = {...};` line of the
// served /sw.js.
"use strict";

self.__MOZI = null; // MOZI_MANIFEST_PLACEHOLDER
self.__MOZI_PLAIN = true; // tells the benchmark which worker runs

const { version } = self.__MOZI;
// The manifest's text: a line `<url> <hash>` per file.
const precache = self.__MOZI.precache.split("\n").map((line) => line.split(" "));
const PRECACHE = `mozi-precache-${version}`;
const PAGES = "mozi-pages";
const DATA = "mozi-data";
const IMAGES = "mozi-images";
const STATIC = "mozi-static";
const NAVIGATION_TIMEOUT_MS = 3000;
const DATA_TIMEOUT_MS = 4000;
const ACCOUNT_PATHS = ["/api/sign_in", "/api/sign_up", "/api/sign_out"];
const TRACKING = /^(utm_.*|fbclid|gclid|dclid|gbraid|wbraid|msclkid|mc_cid|mc_eid|igshid|yclid|_ga|_gl)$/i;
const PRECACHED = new Set(precache.map(([url]) => url));

// --- Install: download the app shell past the HTTP cache, check each file
// against its hash; any failure fails the install and leaves nothing behind.

self.addEventListener("install", (event) => {
  event.waitUntil(
    fillPrecache().catch(async (error) => {
      await caches.delete(PRECACHE);
      throw error;
    }),
  );
});

async function fillPrecache() {
  const cache = await caches.open(PRECACHE);
  for (const [url, hash] of precache) {
    const response = await fetch(url, { cache: "reload" });
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    const body = await response.arrayBuffer();
    const actual = hex(await crypto.subtle.digest("SHA-256", body));
    // The manifest gives the digest's first hex digits.
    if (!actual.startsWith(hash)) throw new Error(`${url}: expected ${hash}, got ${actual}`);
    const { status, statusText, headers } = response;
    await cache.put(url, new Response(body, { status, statusText, headers }));
  }
}

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

// --- Activate: drop other versions' precaches, turn navigation preload on.

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith("mozi-precache-") && name !== PRECACHE) await caches.delete(name);
      }
      await self.registration.navigationPreload?.enable();
    })(),
  );
});

self.addEventListener("message", (event) => {
  if (event.data?.type === "SKIP_WAITING") event.waitUntil(self.skipWaiting());
});

// --- Routing: the first matching route answers; no route, no respondWith.

self.addEventListener("fetch", (event) => {
  const handler = route(event.request);
  if (handler) event.respondWith(handler(event));
});

function route(request) {
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return null;
  const path = url.pathname;
  if (request.method === "POST") return ACCOUNT_PATHS.includes(path) ? accountChange : null;
  if (request.method !== "GET") return null;
  if (PRECACHED.has(path + url.search)) return precached;
  if (request.mode === "navigate") return navigation;
  if (path.startsWith("/api/")) return path === "/api/events" ? null : dataRead;
  if (request.destination === "image" || path.startsWith("/images/")) return image;
  return otherStatic;
}

// --- Strategies.

async function precached(event) {
  const cached = await lookup(PRECACHE, event.request.url);
  return cached ?? fetch(event.request);
}

async function navigation(event) {
  try {
    return await networkFirst(event, PAGES, NAVIGATION_TIMEOUT_MS);
  } catch {
    return (await lookup(PRECACHE, "/offline.html")) ?? unreachable();
  }
}

async function dataRead(event) {
  try {
    return await networkFirst(event, DATA, DATA_TIMEOUT_MS);
  } catch {
    return unreachable();
  }
}

async function image(event) {
  const key = cacheKey(event.request.url);
  const cached = await lookup(IMAGES, key);
  if (cached) return cached;
  try {
    return keep(event, IMAGES, key, await fetch(event.request));
  } catch {
    return (await lookup(PRECACHE, "/images/placeholder.svg")) ?? unreachable();
  }
}

// Stale-while-revalidate: the stored copy now, a fresh one for next time.
async function otherStatic(event) {
  const key = cacheKey(event.request.url);
  const cached = await lookup(STATIC, key);
  if (!cached) {
    try {
      return keep(event, STATIC, key, await fetch(event.request));
    } catch {
      return unreachable();
    }
  }
  const request = event.request.clone();
  event.waitUntil(
    fetch(request)
      .then((fresh) => isCacheable(fresh) && caches.open(STATIC).then((cache) => cache.put(key, fresh)))
      .catch(() => {}),
  );
  return cached;
}

// Who the user is may change: forget their pages and reads.
async function accountChange(event) {
  try {
    const response = await fetch(event.request);
    if (response.ok) await Promise.all([caches.delete(PAGES), caches.delete(DATA)]);
    return response;
  } catch {
    return unreachable();
  }
}

// The network (the navigation preload response when there is one) if it
// answers in time, else the stored copy; rejects when neither exists.
async function networkFirst(event, cacheName, timeoutMs) {
  const key = cacheKey(event.request.url);
  const network = Promise.resolve(event.preloadResponse).then(
    (preloaded) => preloaded ?? fetch(event.request),
  );
  network.catch(() => {}); // a late failure after the timeout is not an error
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return keep(event, cacheName, key, await Promise.race([network, timeout]));
  } catch (error) {
    const cached = await lookup(cacheName, key);
    if (cached) return cached;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

// --- Helpers.

/** Stores a copy of a good answer under the event's waitUntil; returns it. */
function keep(event, cacheName, key, response) {
  if (isCacheable(response)) {
    const copy = response.clone();
    event.waitUntil(caches.open(cacheName).then((cache) => cache.put(key, copy)));
  }
  return response;
}

function isCacheable(response) {
  return response.status === 200 && response.type === "basic";
}

// One trip to the cache storage, as Workbox's strategies make it.
function lookup(cacheName, key) {
  return caches.match(key, { cacheName });
}

/** The URL without its fragment and tracking parameters (utm_*, fbclid…). */
function cacheKey(url) {
  const [withoutFragment] = url.split("#");
  const start = withoutFragment.indexOf("?");
  if (start < 0) return withoutFragment;
  const kept = withoutFragment
    .slice(start + 1)
    .split("&")
    .filter((pair) => pair && !TRACKING.test(pair.split("=")[0]));
  const base = withoutFragment.slice(0, start);
  return kept.length ? `${base}?${kept.join("&")}` : base;
}

function unreachable() {
  const body = JSON.stringify({
    code: "unreachable",
    message: "Can't reach MOZI right now. Check your connection and try again.",
  });
  return new Response(body, {
    status: 503,
    statusText: "Offline",
    headers: { "content-type": "application/json" },
  });
}
