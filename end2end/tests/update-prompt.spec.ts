import { test, expect, open, signUp, startConversation, uniqueName } from "../support/fixtures";
import { RunningServer, builtSite } from "../support/server";
import { becomeControlled } from "../support/worker";
import { pending, send, storedBodies } from "../support/outbox";
import { appendFileSync, cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "@playwright/test";

/** The version of the worker the server now serves. */
async function servedVersion(server: RunningServer): Promise<string> {
  const script = await (await fetch(`${server.url}/sw.js`)).text();
  return /MOZI service worker (\w+)/.exec(script)?.[1] ?? "";
}

/** Publishes a new version: a changed CSS rule, then a restart. */
async function deploy(server: RunningServer, site: string, rule: string) {
  await server.stop();
  appendFileSync(join(site, "pkg/mozi.css"), `\n${rule}\n`);
  await server.restart();
  return servedVersion(server);
}

/** The browser's periodic check, made now. */
const checkForUpdate = (page: Page) =>
  page.evaluate(async () => {
    const registration = await navigator.serviceWorker.getRegistration();
    await registration?.update();
  });

function countNavigations(page: Page) {
  const count = { value: 0 };
  page.on("framenavigated", (frame) => {
    if (frame === page.mainFrame()) count.value += 1;
  });
  return count;
}

test("every tab offers the new version and moves to it with exactly one reload", async ({ browser }) => {
  const site = mkdtempSync(join(tmpdir(), "mozi-site-"));
  cpSync(builtSite, site, { recursive: true });
  const server = await RunningServer.start(site);
  const bobName = uniqueName("bob");
  await (await signUp(browser, server.url, bobName)).context.close();
  const { context, page: first } = await signUp(browser, server.url, uniqueName("ada"));
  try {
    const v1 = await servedVersion(server);
    await open(first, "/");
    await becomeControlled(first);
    // The second tab holds a half-written message through the update.
    const second = await context.newPage();
    const thread = await startConversation(second, bobName, "Hello");
    await open(second, thread);
    // The first tab queues a message while offline.
    await open(first, thread);
    await context.setOffline(true);
    await send(first, "queued before the update");
    await expect(pending(first)).toHaveText("1 pending");
    await context.setOffline(false);
    await open(first, "/");
    const composer = second.getByRole("textbox", { name: "Message" });
    await composer.fill("half-written, not sent");
    const toast = (page: Page) => page.getByRole("status").filter({ hasText: "New version available" });
    for (const page of [first, second]) {
      await expect(page.locator(".version")).toHaveText(v1);
      await expect(toast(page)).toHaveCount(0);
    }

    const v2 = await deploy(server, site, ".release-two { color: red; }");
    expect(v2).not.toBe(v1);
    await checkForUpdate(first);
    for (const page of [first, second]) await expect(toast(page)).toBeVisible();

    const navigations = [countNavigations(first), countNavigations(second)];
    await toast(first).getByRole("button", { name: "Reload" }).click();
    for (const page of [first, second]) await expect(page.locator(".version")).toHaveText(v2);
    await expect(composer).toHaveValue("half-written, not sent");
    // The queued message arrived, once.
    await expect(second.getByRole("list", { name: "Messages" }).getByRole("listitem")).toHaveCount(2);
    await expect.poll(() => storedBodies(context, thread)).toEqual(["Hello", "queued before the update"]);
    await expect(pending(first)).toHaveCount(0);
    await expect(toast(first)).toHaveCount(0);
    await expect(toast(second)).toHaveCount(0);
    expect(navigations.map((count) => count.value)).toEqual([1, 1]);

    // Another update arrives while the prompt is up: the tap goes to the newest.
    const v3 = await deploy(server, site, ".release-three { color: green; }");
    await checkForUpdate(second);
    await expect(toast(second)).toBeVisible();
    const v4 = await deploy(server, site, ".release-four { color: blue; }");
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
    const after = [countNavigations(first), countNavigations(second)];
    await toast(second).getByRole("button", { name: "Reload" }).click();
    for (const page of [first, second]) await expect(page.locator(".version")).toHaveText(v4);
    expect(after.map((count) => count.value)).toEqual([1, 1]);
  } finally {
    await context.close();
    await server.dispose();
    rmSync(site, { recursive: true, force: true });
  }
});
