// Sign-out leaves nothing of the user on the device: no draft in
// localStorage, nothing in the `delivered` and `views` IndexedDB stores,
// nothing of theirs in the worker's runtime caches (the precache, the app
// itself, stays). Once through the Sign out button, once through a plain
// form post with JavaScript off, which runs none of the page's code.

import { test, expect, open, signUp, startConversation, uniqueName } from "../support/fixtures";
import { becomeControlled } from "../support/worker";
import { deviceData, type DeviceData } from "../support/device";
import type { BrowserContext, Page } from "@playwright/test";

const MESSAGE = "the secret plan";
const DRAFT = "a half-written confession";
const RUNTIME_CACHES = ["mozi-data", "mozi-images", "mozi-pages", "mozi-static"];

/** Texts that would give the user away: their names, a message, the draft. */
const tracesOf = (username: string) => [username, username.toUpperCase(), MESSAGE, DRAFT];

/**
 * The server answers page-view reports with 503, so the views stay queued
 * on the device as they would offline, and sign-out has them to forget.
 */
async function keepViewsQueued(context: BrowserContext) {
  await context.route("**/api/views", (route) =>
    route.fulfill({ status: 503, contentType: "application/json", body: '{"code":"unreachable","message":"busy"}' }),
  );
}

/**
 * Uses the app as a person would, so that every place the device keeps
 * something holds something of the user; returns what was kept.
 */
async function useTheApp(page: Page, username: string, bobName: string): Promise<DeviceData> {
  await open(page, "/sessions/1"); // speaker photos: the images cache
  await open(page, "/my-schedule");
  // A delivered message: the `delivered` store.
  const thread = await startConversation(page, bobName, MESSAGE);
  await open(page, thread);
  await page.getByRole("textbox", { name: "Message" }).fill(DRAFT);
  // Nothing the app loads today lies outside the precache; a file that
  // does (this one, with a query) is what the static cache is for.
  await page.evaluate(async () => {
    await fetch("/pkg/mozi.css?from=sign-out-test");
  });

  let kept: DeviceData | undefined;
  await expect(async () => {
    kept = await deviceData(page, tracesOf(username));
    expect(kept.localStorage).toContainEqual([expect.stringMatching(/^mozi-draft:/), DRAFT]);
    expect(kept.delivered.join("\n")).toContain(MESSAGE);
    expect(kept.views.map((view) => view.path)).toContain(thread);
    expect([...new Set(kept.runtime.map((entry) => entry.cache))].sort()).toEqual(RUNTIME_CACHES);
    expect(kept.runtime.filter((entry) => entry.path === thread)).toEqual([
      expect.objectContaining({ cache: "mozi-pages", holds: expect.arrayContaining([MESSAGE]) }),
    ]);
    expect(kept.precache).toHaveLength(1);
  }).toPass({ timeout: 10_000 });
  return kept!;
}

/**
 * Nothing kept before `signedOutAt` is left, and nothing that names the
 * user; what is there now (the sign-in page, its views and reads) belongs
 * to the signed-out visitor. The precache is as it was.
 */
async function expectNothingLeft(page: Page, username: string, signedOutAt: number, before: DeviceData) {
  await expect(async () => {
    const now = await deviceData(page, tracesOf(username));
    expect(now.localStorage).toEqual([]);
    expect(now.delivered).toEqual([]);
    expect(now.views.filter((view) => view.viewedAt < signedOutAt)).toEqual([]);
    expect(now.runtime.filter((entry) => entry.cachedAt < signedOutAt || entry.holds.length > 0)).toEqual([]);
    expect(now.precache).toEqual(before.precache);
  }).toPass({ timeout: 10_000 });
}

test("signing out with the button leaves nothing of the user on the device", async ({ browser, server }) => {
  const bobName = uniqueName("bob");
  await (await signUp(browser, server.url, bobName)).context.close();
  const adaName = uniqueName("ada");
  const { context, page } = await signUp(browser, server.url, adaName);
  await keepViewsQueued(context);
  await becomeControlled(page);
  const before = await useTheApp(page, adaName, bobName);

  const signedOutAt = Date.now();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole("link", { name: "Sign in", exact: true })).toBeVisible();

  await expectNothingLeft(page, adaName, signedOutAt, before);
  await context.close();
});

test("signing out by a plain form post, without JavaScript, leaves nothing either", async ({ browser, server }) => {
  const bobName = uniqueName("bob");
  await (await signUp(browser, server.url, bobName)).context.close();
  const adaName = uniqueName("ada");
  // One device, three tabs in turn: JavaScript on, off, on again. No tab
  // of the app is open while the one without JavaScript signs out.
  const { context, page: using } = await signUp(browser, server.url, adaName);
  try {
    await keepViewsQueued(context);
    await becomeControlled(using);
    const before = await useTheApp(using, adaName, bobName);
    await using.close();

    // JavaScript off: the header's Sign out is a plain form, posted by
    // the browser and answered with a redirect to the sign-in page.
    const withoutScript = await context.newPage();
    const devtools = await context.newCDPSession(withoutScript);
    await devtools.send("Emulation.setScriptExecutionDisabled", { value: true });
    await withoutScript.goto("/my-schedule");
    await expect(withoutScript.getByRole("heading", { name: "My schedule" })).toBeVisible();
    const signedOutAt = Date.now();
    await withoutScript.getByRole("button", { name: "Sign out" }).click();
    await expect(withoutScript).toHaveURL(/\/login$/);
    await expect(withoutScript.getByRole("link", { name: "Sign in", exact: true })).toBeVisible();
    await withoutScript.close();

    const page = await context.newPage();
    // A page without the app's code (from the precache): what the sign-out
    // itself left. The worker saw the post go by and emptied its runtime
    // caches; the draft is still there, as no code of the page ran.
    await page.goto("/offline.html");
    const untouched = await deviceData(page, tracesOf(adaName));
    expect(untouched.runtime.filter((entry) => entry.cachedAt < signedOutAt || entry.holds.length > 0)).toEqual([]);
    expect(untouched.localStorage).toContainEqual([expect.stringMatching(/^mozi-draft:/), DRAFT]);

    // The app, starting and finding nobody signed in, forgets the rest.
    await open(page, "/");
    await expect(page.getByRole("link", { name: "Sign in", exact: true })).toBeVisible();
    await expectNothingLeft(page, adaName, signedOutAt, before);
  } finally {
    await context.close();
  }
});
