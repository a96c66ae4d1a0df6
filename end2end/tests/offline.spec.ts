import { test, expect, open, signUp, startConversation, submitSignIn, uniqueName, waitForHydration, watchErrors } from "../support/fixtures";
import { becomeControlled, stopAllWorkers, savedPages, withoutWorkerNetworkInspection } from "../support/worker";
import { pending } from "../support/outbox";
import type { RunningServer } from "../support/server";
import { chromium, type BrowserContext } from "@playwright/test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromiumFlags } from "../playwright.config";

type Outage = "server stopped" | "browser offline";

async function goOffline(outage: Outage, server: RunningServer, context: BrowserContext) {
  if (outage === "server stopped") await server.stop();
  else await context.setOffline(true);
}

async function comeBack(outage: Outage, server: RunningServer, context: BrowserContext) {
  if (outage === "server stopped") await server.restart();
  else await context.setOffline(false);
}

for (const outage of ["server stopped", "browser offline"] as Outage[]) {
  test(`visited pages load with their content when the ${outage}`, async ({ browser, ownServer }) => {
    const server = ownServer;
    const bobName = uniqueName("bob");
    const bob = await signUp(browser, server.url, bobName);
    await bob.context.close();
    const { context, page } = await signUp(browser, server.url, uniqueName("ada"));

    // First visit installs the worker; the reload is controlled by it.
    await open(page, "/");
    await becomeControlled(page);

    const card = page.locator(".session-card").nth(1);
    const bookmarked = await card.getByRole("heading").innerText();
    await card.getByRole("button", { name: "Add to My schedule" }).click();
    await expect(card.getByRole("button", { name: "Remove from My schedule" })).toBeVisible();
    // Delivered before the page that will be saved is loaded.
    await expect(pending(page)).toHaveCount(0);
    await open(page, "/my-schedule");
    await expect(page.getByRole("heading", { name: bookmarked })).toBeVisible();
    const thread = await startConversation(page, bobName, "See you offline");
    await open(page, thread);
    await open(page, "/");
    await expect.poll(() => savedPages(page)).toEqual(expect.arrayContaining(["/", "/my-schedule", thread]));

    await goOffline(outage, server, context);
    const offline = page.getByRole("status").filter({ hasText: "Offline" });

    await open(page, "/");
    await expect(page.getByRole("heading", { name: /Day 1 keynote/ })).toBeVisible();
    await expect(offline).toBeVisible();
    await open(page, "/my-schedule");
    await expect(page.getByRole("heading", { name: bookmarked })).toBeVisible();
    await expect(offline).toBeVisible();
    await open(page, thread);
    await expect(page.getByRole("list", { name: "Messages" })).toContainText("See you offline");
    await expect(offline).toBeVisible();
    // Going there inside the app, to a page only ever loaded whole: the saved copy.
    await page.getByRole("navigation").getByRole("link", { name: "Schedule", exact: true }).click();
    await expect(page.getByRole("heading", { name: /Day 1 keynote/ })).toBeVisible();

    // Tracking parameters do not hide the saved copy.
    await open(page, "/?utm_source=x&fbclid=y");
    await expect(page.getByRole("heading", { name: /Day 1 keynote/ })).toBeVisible();

    // A page never visited gets the offline page, linking what is available.
    await page.goto("/sessions/40");
    await expect(page.getByRole("heading", { name: "You're offline" })).toBeVisible();
    const available = page.getByRole("list").getByRole("link");
    await expect(available).toContainText(["My schedule · MOZI"]);
    await available.filter({ hasText: "My schedule" }).click();
    await expect(page.getByRole("heading", { name: bookmarked })).toBeVisible();

    // Images that were never fetched get the placeholder.
    const image = await page.evaluate(async () => (await fetch("/images/speakers/never-seen.svg")).text());
    expect(image).toContain("Picture not available offline");

    // A cold worker (stopped by the browser) starts without the network.
    await stopAllWorkers(context, page);
    await open(page, "/my-schedule");
    await expect(page.getByRole("heading", { name: bookmarked })).toBeVisible();

    // Back online, the indicator goes.
    await comeBack(outage, server, context);
    await open(page, "/");
    await expect(page.getByRole("heading", { name: /Day 1 keynote/ })).toBeVisible();
    await expect(offline).toHaveCount(0);
    await context.close();
  });
}

test("pages a cold worker opens are kept for offline like any other", async ({ browser, ownServer }) => {
  // A worker stopped by the browser starts again for the navigation; the
  // page it answers (often with the navigation's preload response, before
  // its own module runs) is saved and shows the app online.
  const server = ownServer;
  await withoutWorkerNetworkInspection(async () => {
    const { context, page } = await signUp(browser, server.url, uniqueName("ada"));
    await open(page, "/");
    await becomeControlled(page);
    const offline = page.getByRole("status").filter({ hasText: "Offline" });
    const titles = new Map<string, string>();
    for (const path of ["/sessions/2", "/sessions/3", "/sessions/4"]) {
      await stopAllWorkers(context, page);
      await open(page, path);
      titles.set(path, await page.getByRole("heading", { level: 1 }).innerText());
      await expect(offline).toHaveCount(0);
    }
    await expect.poll(() => savedPages(page)).toEqual(expect.arrayContaining([...titles.keys()]));

    await server.stop();
    for (const [path, title] of titles) {
      await open(page, path);
      await expect(page.getByRole("heading", { level: 1, name: title })).toBeVisible();
      await expect(offline).toBeVisible();
    }
    await context.close();
  });
});

test("a page whose code cannot be downloaded is loaded whole, and hydrates once it can be", async ({ browser, server }) => {
  // No worker: nothing is precached, as on a first visit before the worker
  // has stored the app. The session page's own module fails to download.
  const context = await browser.newContext({ baseURL: server.url, serviceWorkers: "block" });
  const page = await context.newPage();
  const errors = watchErrors(page);
  const sessionCode = "**/pkg/split_session_route_view*.wasm";
  await page.route(sessionCode, (route) => route.abort("internetdisconnected"));
  await open(page, "/");
  const link = page.locator(".session-card").first().getByRole("heading").getByRole("link");
  const title = await link.innerText();

  // Reached inside the app, the page is asked of the server whole.
  const wholeLoad = page.waitForRequest((request) => request.isNavigationRequest());
  await link.click();
  expect(new URL((await wholeLoad).url()).pathname).toBe("/sessions/1");
  await expect(page.getByRole("heading", { level: 1, name: title })).toBeVisible();
  // The server's page, which hydrates once its code downloads: tried again
  // every few seconds while the browser is online.
  await expect(page.locator("body[data-hydrated]")).toHaveCount(0);
  await page.unroute(sessionCode);
  await expect(page.locator("body[data-hydrated]")).toHaveCount(1, { timeout: 15_000 });
  await page.getByRole("link", { name: "Schedule" }).first().click();
  await expect(page.locator(".session-card").first()).toBeVisible();
  expect(errors.filter((error) => /panicked|unreachable/i.test(error))).toEqual([]);
  await context.close();
});

test("a signed-out user's pages never show to the next user", async ({ browser, ownServer }) => {
  const server = ownServer;
  const adaName = uniqueName("ada");
  const bobName = uniqueName("bob");
  (await signUp(browser, server.url, bobName)).context.close();
  const { context, page } = await signUp(browser, server.url, adaName);
  await open(page, "/");
  await becomeControlled(page);
  await page.locator(".session-card").first().getByRole("button", { name: "Add to My schedule" }).click();
  await open(page, "/my-schedule");
  const thread = await startConversation(page, bobName, "Ada's secret");
  await open(page, thread);
  await expect.poll(() => savedPages(page)).toEqual(expect.arrayContaining(["/my-schedule", thread]));

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await waitForHydration(page);
  await submitSignIn(page, bobName);
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
  await open(page, "/");

  await server.stop();
  for (const path of ["/", "/my-schedule", thread, "/messages"]) {
    await page.goto(path);
    await expect(page.locator("body")).not.toContainText("Ada's secret");
    await expect(page.locator("body")).not.toContainText(adaName.toUpperCase());
  }
  await page.goto(thread);
  await expect(page.getByRole("heading", { name: "You're offline" })).toBeVisible();
  await context.close();
});

test("Chromium reports the app installable", async ({ server }) => {
  // Installability needs a real profile: Chromium refuses it in incognito contexts.
  const profile = mkdtempSync(join(tmpdir(), "mozi-profile-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    args: chromiumFlags,
    baseURL: server.url,
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await open(page, "/");
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });
    const cdp = await context.newCDPSession(page);
    await expect
      .poll(async () => (await cdp.send("Page.getInstallabilityErrors")).installabilityErrors)
      .toEqual([]);
    const manifest = await (await page.request.get("/manifest.webmanifest")).json();
    expect(manifest.display).toBe("standalone");
    expect(manifest.start_url).toBe("/?utm_source=web_app_manifest");
    expect(manifest.icons.map((icon: { purpose: string }) => icon.purpose)).toContain("maskable");
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
});
