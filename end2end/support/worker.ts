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

/** Stops every running worker through the DevTools protocol and waits until they are. */
export async function stopAllWorkers(context: BrowserContext, page: Page) {
  const cdp = await context.newCDPSession(page);
  const running = new Map<string, string>();
  cdp.on("ServiceWorker.workerVersionUpdated", ({ versions }) => {
    for (const version of versions) running.set(version.versionId, version.runningStatus);
  });
  await cdp.send("ServiceWorker.enable");
  await cdp.send("ServiceWorker.stopAllWorkers");
  await expect
    .poll(() => [...running.values()].every((status) => status === "stopped") && running.size > 0)
    .toBe(true);
  await cdp.detach();
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
