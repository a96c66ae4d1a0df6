import { test, expect, open, signUp, startConversation, uniqueName } from "../support/fixtures";
import { RunningServer } from "../support/server";
import { Release } from "../support/release";
import { becomeControlled, precachedFiles, savedCopy, savedPages } from "../support/worker";
import { messages, pending, send, storedBodies } from "../support/outbox";
import type { Page } from "@playwright/test";

/** The version of the worker the server now serves. */
async function servedVersion(server: RunningServer): Promise<string> {
  const script = await (await fetch(`${server.url}/sw.js`)).text();
  return /MOZI service worker (\w+)/.exec(script)?.[1] ?? "";
}

/** Publishes a new version of `release` (`change` rebuilds it), then restarts; returns the new version. */
async function deploy(server: RunningServer, change: () => void) {
  await server.stop();
  change();
  await server.restart();
  return servedVersion(server);
}

/** The browser's periodic check, made now. */
const checkForUpdate = (page: Page) =>
  page.evaluate(async () => {
    const registration = await navigator.serviceWorker.getRegistration();
    await registration?.update();
  });

/** Counts the page's document loads (a reload is one more). */
function countLoads(page: Page) {
  const count = { value: 0 };
  page.on("load", () => (count.value += 1));
  return count;
}

const toast = (page: Page) => page.getByRole("status").filter({ hasText: "New version available" });
const footer = (page: Page) => page.locator("footer.site-footer");

/** A server too busy for changes: it asks the device to come back in an hour. */
const busyServer = "**/api/mutations";
const busyAnswer = {
  status: 503,
  headers: { "retry-after": "3600" },
  contentType: "application/json",
  body: JSON.stringify({ code: "unavailable", message: "Busy, come back later." }),
};

test("every tab offers the new version and moves to it with one reload; drafts and queued changes survive", async ({
  browser,
}) => {
  const release = Release.copy();
  const server = await RunningServer.start(release);
  const bobName = uniqueName("bob");
  const adaName = uniqueName("ada");
  await (await signUp(browser, server.url, bobName)).context.close();
  const { context, page: first } = await signUp(browser, server.url, adaName);
  try {
    const v1 = await servedVersion(server);
    await open(first, "/");
    await becomeControlled(first);
    // The second tab holds a half-written message through the update.
    const second = await context.newPage();
    const thread = await startConversation(second, bobName, "Hello");
    await open(second, thread);
    // The first tab queues a message offline. Back online, the server is
    // too busy to take it, so it is still queued when the new version comes.
    await open(first, thread);
    await context.setOffline(true);
    await send(first, "queued before the update");
    await expect(pending(first)).toHaveText("1 pending");
    let busyAnswers = 0;
    await context.route(busyServer, (route) => {
      busyAnswers += 1;
      return route.fulfill(busyAnswer);
    });
    await context.setOffline(false);
    await expect.poll(() => busyAnswers).toBeGreaterThan(0);
    // A page last seen before the update: its saved copy must follow it.
    await open(first, "/my-schedule");
    await expect.poll(() => savedPages(first)).toContain("/my-schedule");
    await open(first, "/");
    const composer = second.getByRole("textbox", { name: "Message" });
    await composer.fill("half-written, not sent");
    for (const page of [first, second]) {
      await expect(page.locator(".version")).toHaveText(v1);
      await expect(footer(page)).toContainText("the offline-first conference app");
      await expect(footer(page)).toHaveCSS("font-style", "normal");
      await expect(toast(page)).toHaveCount(0);
    }

    // The next release: a changed CSS rule and a changed string.
    const fromLine = server.log.length;
    const v2 = await deploy(server, () => {
      release.addCss(".site-footer { font-style: italic; }");
      release.changeString("offline-first", "offline-ready");
    });
    expect(v2).not.toBe(v1);
    await checkForUpdate(first);
    for (const page of [first, second]) await expect(toast(page)).toBeVisible();
    // Installing it downloaded the changed files and nothing else.
    const files = new Set(server.requestsSince(fromLine).filter((path) => !path.startsWith("/api/")));
    expect([...files].sort()).toEqual(["/pkg/mozi.css", "/pkg/mozi.wasm", "/sw.js"]);

    const loads = [countLoads(first), countLoads(second)];
    await toast(first).getByRole("button", { name: "Reload" }).click();
    for (const page of [first, second]) {
      await expect(page.locator(".version")).toHaveText(v2);
      await expect(footer(page)).toContainText("the offline-ready conference app");
      await expect(footer(page)).toHaveCSS("font-style", "italic");
      await expect(toast(page)).toHaveCount(0);
    }
    expect(loads.map((count) => count.value)).toEqual([1, 1]);
    await expect(composer).toHaveValue("half-written, not sent");
    // The new version has the queued message and sends it, once.
    await expect(messages(second).last()).toContainText(/queued before the update.*Sending…/);
    expect(await storedBodies(context, thread)).toEqual(["Hello"]);
    await first.getByRole("button", { name: "1 pending" }).click();
    const retryNow = first.getByRole("button", { name: "Retry now" });
    await expect(retryNow).toBeVisible();
    await context.unroute(busyServer);
    // Background Sync retries by itself (every few seconds under the
    // test flags) and may deliver it first; otherwise "Retry now" does.
    await retryNow.click({ timeout: 5_000 }).catch(async () => {
      await expect(pending(first)).toHaveCount(0);
    });
    await expect(messages(second).last()).toContainText(/queued before the update.*Sent/);
    await expect(messages(second)).toHaveCount(2);
    await expect(pending(first)).toHaveCount(0);
    expect(await storedBodies(context, thread)).toEqual(["Hello", "queued before the update"]);
    expect(loads.map((count) => count.value)).toEqual([1, 1]);
    // The new version's shell holds files only: nobody's names or messages.
    const shell = await precachedFiles(first, [adaName, adaName.toUpperCase(), bobName, "Hello", "queued before"]);
    expect(shell.map(([path]) => path)).toContain("/pkg/mozi.wasm");
    expect(shell.filter(([path, found]) => path.startsWith("/api/") || found.length > 0)).toEqual([]);
    // The new version made the saved copies again: the copy the worker
    // shows offline of a page last seen before the update matches the app
    // now running it.
    await expect.poll(() => savedCopy(first, "/my-schedule")).toContain("the offline-ready conference app");

    // Another update arrives while the prompt is up: the tap goes to the newest.
    const v3 = await deploy(server, () => release.addCss(".release-three { color: green; }"));
    await checkForUpdate(second);
    await expect(toast(second)).toBeVisible();
    const v4 = await deploy(server, () => release.addCss(".release-four { color: blue; }"));
    await checkForUpdate(second);
    // Installed and waiting in place of the one the prompt first offered.
    await expect
      .poll(() =>
        second.evaluate(async () => {
          const registration = await navigator.serviceWorker.getRegistration();
          return !registration?.installing && !!registration?.waiting;
        }),
      )
      .toBe(true);
    expect(v4).not.toBe(v3);
    const after = [countLoads(first), countLoads(second)];
    await toast(second).getByRole("button", { name: "Reload" }).click();
    for (const page of [first, second]) await expect(page.locator(".version")).toHaveText(v4);
    expect(after.map((count) => count.value)).toEqual([1, 1]);
  } finally {
    await context.close();
    await server.dispose();
    release.dispose();
  }
});

test("a tap on Reload holds until a worker takes over, one that installs after the tap included", async ({ browser }) => {
  const release = Release.copy();
  const server = await RunningServer.start(release);
  const context = await browser.newContext({ baseURL: server.url });
  try {
    const page = await context.newPage();
    await open(page, "/");
    await becomeControlled(page);
    await deploy(server, () => release.addCss(".release-two { color: blue; }"));
    await checkForUpdate(page);
    await expect(toast(page)).toBeVisible();
    // The worker told to take over never acts on it, as one made redundant
    // by a newer install before it does: the page's messages to it are lost
    // until the newer one has installed.
    await page.evaluate(() => {
      const post = ServiceWorker.prototype.postMessage;
      const held = window as unknown as { skipWaitingHeld: boolean; skipWaitingLost: number };
      held.skipWaitingHeld = true;
      held.skipWaitingLost = 0;
      ServiceWorker.prototype.postMessage = function (this: ServiceWorker, ...args: Parameters<ServiceWorker["postMessage"]>) {
        if (held.skipWaitingHeld && (args[0] as { type?: string })?.type === "SKIP_WAITING") {
          held.skipWaitingLost += 1;
          return;
        }
        return post.apply(this, args);
      } as ServiceWorker["postMessage"];
    });
    const loads = countLoads(page);
    await toast(page).getByRole("button", { name: "Reload" }).click();
    await expect
      .poll(() => page.evaluate(() => (window as unknown as { skipWaitingLost: number }).skipWaitingLost))
      .toBeGreaterThan(0);
    // The next version installs after the tap, and takes over without another.
    const v3 = await deploy(server, () => release.addCss(".release-three { color: green; }"));
    await checkForUpdate(page);
    await expect
      .poll(() => page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.installing === null))
      .toBe(true);
    await page.evaluate(() => ((window as unknown as { skipWaitingHeld: boolean }).skipWaitingHeld = false));
    await expect(page.locator(".version")).toHaveText(v3);
    await expect(toast(page)).toHaveCount(0);
    expect(loads.value).toBe(1);
  } finally {
    await context.close();
    await server.dispose();
    release.dispose();
  }
});

test("a first visit installs the app without a prompt or a reload", async ({ browser, server }) => {
  const context = await browser.newContext({ baseURL: server.url });
  try {
    const page = await context.newPage();
    const loads = countLoads(page);
    await open(page, "/");
    const firstVisit = await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
      return !navigator.serviceWorker.controller;
    });
    expect(firstVisit).toBe(true);
    await expect(page.getByRole("heading", { name: /Day 1 keynote/ })).toBeVisible();
    await expect(toast(page)).toHaveCount(0);
    expect(await page.evaluate(() => (performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming).type)).toBe(
      "navigate",
    );
    expect(loads.value).toBe(1);
    // From the next page on the worker is in charge, still without a prompt.
    await open(page, "/my-schedule");
    await expect(page.locator(".version")).not.toBeEmpty();
    await expect(toast(page)).toHaveCount(0);
    expect(loads.value).toBe(2);
  } finally {
    await context.close();
  }
});

test("the app looks for a new version hourly and when shown again, never while offline", async ({ browser }) => {
  const release = Release.copy();
  const server = await RunningServer.start(release);
  const context = await browser.newContext({ baseURL: server.url });
  try {
    const page = await context.newPage();
    await page.clock.install();
    // Counts the checks the page asks for, whatever their outcome.
    await page.addInitScript(() => {
      const update = ServiceWorkerRegistration.prototype.update;
      (window as unknown as { checks: number }).checks = 0;
      ServiceWorkerRegistration.prototype.update = function () {
        (window as unknown as { checks: number }).checks += 1;
        return update.call(this);
      };
    });
    const checks = () => page.evaluate(() => (window as unknown as { checks: number }).checks);
    const shownAgain = () =>
      page.evaluate(() => document.dispatchEvent(new Event("visibilitychange")));
    await open(page, "/");
    await becomeControlled(page);

    // Loading a page looks for a new version.
    const afterLoad = await deploy(server, () => release.addCss(".loaded { color: blue; }"));
    await open(page, "/my-schedule");
    await expect(toast(page)).toBeVisible();
    await toast(page).getByRole("button", { name: "Reload" }).click();
    await expect(page.locator(".version")).toHaveText(afterLoad);

    // An hour later the open tab finds the new version by itself.
    const afterHour = await deploy(server, () => release.addCss(".hourly { color: red; }"));
    await page.clock.fastForward("01:00:00");
    await expect(toast(page)).toBeVisible();
    await toast(page).getByRole("button", { name: "Reload" }).click();
    await expect(page.locator(".version")).toHaveText(afterHour);

    // Shown again (back from another tab or app), it looks at once.
    const afterShown = await deploy(server, () => release.addCss(".visible-again { color: green; }"));
    await shownAgain();
    await expect(toast(page)).toBeVisible();
    await toast(page).getByRole("button", { name: "Reload" }).click();
    await expect(page.locator(".version")).toHaveText(afterShown);

    // Offline, neither an hour nor being shown again asks.
    await context.setOffline(true);
    await expect.poll(() => page.evaluate(() => navigator.onLine)).toBe(false);
    const before = await checks();
    await page.clock.fastForward("01:00:00");
    await shownAgain();
    expect(await checks()).toBe(before);
    // Back online, the next occasion asks again.
    await context.setOffline(false);
    await expect.poll(() => page.evaluate(() => navigator.onLine)).toBe(true);
    await shownAgain();
    expect(await checks()).toBe(before + 1);
  } finally {
    await context.close();
    await server.dispose();
    release.dispose();
  }
});
