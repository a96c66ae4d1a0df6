// Helpers around the service worker, as a person's browser would see it.

import { expect, BrowserContext, Page } from "@playwright/test";
import { waitForHydration } from "./fixtures";

/** Waits until the page's worker is active, then reloads so it controls the page. */
export async function becomeControlled(page: Page) {
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  await page.reload();
  await waitForHydration(page);
  expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
}

/**
 * Runs `body` with Playwright not inspecting the network of the workers
 * that start meanwhile (it reads this variable as each worker's DevTools
 * target attaches). With that inspection on, a navigation that starts a
 * worker `stopAllWorkers` stopped, online, so that the browser preloads
 * it, sometimes crashes Chromium 156's browser process (SIGTRAP): 1 to 4
 * runs in 15 of such a test with a core busy, with this worker and the one
 * before it; none in 45 without the inspection, none with navigation
 * preload off. Such a test cannot route or watch the workers' requests.
 */
export async function withoutWorkerNetworkInspection<T>(body: () => Promise<T>): Promise<T> {
  const name = "PLAYWRIGHT_DISABLE_SERVICE_WORKER_NETWORK";
  const before = process.env[name];
  process.env[name] = "1";
  try {
    return await body();
  } finally {
    if (before === undefined) delete process.env[name];
    else process.env[name] = before;
  }
}

/**
 * Stops every running worker through the DevTools protocol and waits until
 * each has stopped (a page's request may start it again at once: then it
 * started cold, which is what callers want).
 */
export async function stopAllWorkers(context: BrowserContext, page: Page) {
  const cdp = await context.newCDPSession(page);
  const latest = new Map<string, string>();
  const stoppedSinceAsked = new Set<string>();
  let asked = false;
  cdp.on("ServiceWorker.workerVersionUpdated", ({ versions }) => {
    for (const version of versions) {
      latest.set(version.versionId, version.runningStatus);
      if (asked && version.runningStatus === "stopped") stoppedSinceAsked.add(version.versionId);
    }
  });
  await cdp.send("ServiceWorker.enable");
  asked = true;
  await cdp.send("ServiceWorker.stopAllWorkers");
  await expect
    .poll(
      () =>
        latest.size > 0 &&
        [...latest].every(([id, status]) => status === "stopped" || stoppedSinceAsked.has(id)),
    )
    .toBe(true);
  await cdp.detach();
}

/**
 * Fires a Background Sync event for `tag` in the origin's worker through the
 * DevTools protocol, as Chromium does when it retries (`lastChance`: its
 * final try).
 */
export async function dispatchSync(
  context: BrowserContext,
  page: Page,
  origin: string,
  tag: string,
  { lastChance }: { lastChance: boolean },
) {
  const cdp = await context.newCDPSession(page);
  const registrations = new Map<string, string>();
  cdp.on("ServiceWorker.workerRegistrationUpdated", ({ registrations: updated }) => {
    for (const registration of updated) {
      if (!registration.isDeleted) registrations.set(registration.registrationId, registration.scopeURL);
    }
  });
  await cdp.send("ServiceWorker.enable");
  await expect.poll(() => registrations.size).toBeGreaterThan(0);
  for (const registrationId of registrations.keys()) {
    await cdp.send("ServiceWorker.dispatchSyncEvent", { origin, registrationId, tag, lastChance });
  }
  await cdp.detach();
}

/**
 * Paths of the current version's precached files, each with those of
 * `needles` its body contains.
 */
export async function precachedFiles(page: Page, needles: string[]): Promise<[string, string[]][]> {
  return page.evaluate(async (needles) => {
    // Right after an update, activation is still deleting the previous
    // version's precache: wait until one version's is left.
    let precaches: string[] = [];
    for (let tries = 0; tries < 100; tries += 1) {
      precaches = (await caches.keys()).filter((cache) => cache.startsWith("mozi-precache-"));
      if (precaches.length <= 1) break;
      await new Promise((next) => setTimeout(next, 50));
    }
    const name = precaches[0];
    if (!name) return [];
    const cache = await caches.open(name);
    const files: [string, string[]][] = [];
    for (const request of await cache.keys()) {
      const body = await (await cache.match(request))!.text();
      files.push([new URL(request.url).pathname, needles.filter((needle) => body.includes(needle))]);
    }
    return files;
  }, needles);
}

export async function cacheNames(page: Page): Promise<string[]> {
  return page.evaluate(() => caches.keys());
}

/** Page paths saved in the pages cache. */
export async function savedPages(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const cache = await caches.open("mozi-pages");
    return (await cache.keys()).map((request) => new URL(request.url).pathname + new URL(request.url).search);
  });
}

/** The saved copy of a page, as the worker shows it offline ("" if none). */
export async function savedCopy(page: Page, path: string): Promise<string> {
  return page.evaluate(async (path) => {
    const saved = await (await caches.open("mozi-pages")).match(path);
    return saved ? saved.text() : "";
  }, path);
}
