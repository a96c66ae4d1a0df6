import { test, expect, open, signUp, startConversation, submitSignIn, uniqueName, waitForHydration } from "../support/fixtures";
import { becomeControlled, stopAllWorkers, savedPages } from "../support/worker";
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
