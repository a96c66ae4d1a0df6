// What a browser keeps of MOZI on the device, read from inside a page of
// the app's origin: localStorage, the IndexedDB stores and Cache Storage.

import type { Page } from "@playwright/test";

export interface CachedEntry {
  cache: string;
  path: string;
  /** When the worker stored it (its `x-mozi-cached-at` stamp), in ms. */
  cachedAt: number;
  /** Those of the searched texts its body contains. */
  holds: string[];
}

export interface DeviceData {
  localStorage: [string, string][];
  /** The `applied` JSON of each entry in the `delivered` store. */
  delivered: string[];
  /** The page views waiting in the `views` store. */
  views: { path: string; viewedAt: number }[];
  /** Every entry of every runtime cache (all but the precache). */
  runtime: CachedEntry[];
  /** The precache's name and how many files it holds. */
  precache: { name: string; files: number }[];
}

/** Reads everything the app keeps on the device; `needles` are searched in cached bodies. */
export async function deviceData(page: Page, needles: string[]): Promise<DeviceData> {
  return page.evaluate(async (needles) => {
    const storage: [string, string][] = [];
    for (let index = 0; index < localStorage.length; index += 1) {
      const key = localStorage.key(index)!;
      storage.push([key, localStorage.getItem(key) ?? ""]);
    }

    // Opening a database that does not exist would create an empty one,
    // which the app would then fail to upgrade: look first.
    const stored = async (name: string): Promise<Record<string, unknown>[]> => {
      if (!(await indexedDB.databases()).some((database) => database.name === "mozi")) return [];
      const database = await new Promise<IDBDatabase>((done, fail) => {
        const request = indexedDB.open("mozi");
        request.onsuccess = () => done(request.result);
        request.onerror = () => fail(request.error);
      });
      try {
        return await new Promise((done, fail) => {
          const request = database.transaction(name).objectStore(name).getAll();
          request.onsuccess = () => done(request.result);
          request.onerror = () => fail(request.error);
        });
      } finally {
        database.close();
      }
    };
    const delivered = (await stored("delivered")).map((entry) => String(entry.applied));
    const views = (await stored("views")).map((entry) => {
      const view = JSON.parse(String(entry.view));
      return { path: view.path as string, viewedAt: view.viewed_at as number };
    });

    const runtime = [];
    const precache = [];
    for (const name of await caches.keys()) {
      const cache = await caches.open(name);
      const requests = await cache.keys();
      if (name.startsWith("mozi-precache-")) {
        precache.push({ name, files: requests.length });
        continue;
      }
      for (const request of requests) {
        const response = (await cache.match(request))!;
        const body = await response.text();
        const url = new URL(request.url);
        runtime.push({
          cache: name,
          path: url.pathname + url.search,
          cachedAt: Number(response.headers.get("x-mozi-cached-at")),
          holds: needles.filter((needle) => body.includes(needle)),
        });
      }
    }
    return { localStorage: storage, delivered, views, runtime, precache };
  }, needles);
}
