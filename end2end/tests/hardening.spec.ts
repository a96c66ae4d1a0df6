// What a hostile visitor tries, in a real browser: markup in the names and
// messages people see, pages that must work under a strict
// Content-Security-Policy, and the whole app with JavaScript off.

import { Page } from "@playwright/test";
import { test, expect, open, signUp, uniqueName } from "../support/fixtures";

const HOSTILE_NAME = "</title><img src=x onerror=alert(document.domain)>";
const HOSTILE_BODY = "<script>alert('body')</script><img src=x onerror=alert(2)>";

/** Fails the test on any dialog (an alert() that ran) and any CSP violation the page saw. */
function watchAttacks(page: Page): string[] {
  const attacks: string[] = [];
  page.on("dialog", async (dialog) => {
    attacks.push(`dialog: ${dialog.message()}`);
    await dialog.dismiss();
  });
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) attacks.push(`csp: ${message.text()}`);
  });
  return attacks;
}

test("hostile display names and messages show as text everywhere, online and offline", async ({
  browser,
  server,
}) => {
  const attackerName = uniqueName("mal");
  const attacker = await browser.newContext({ baseURL: server.url });
  const attackerPage = await attacker.newPage();
  await open(attackerPage, "/signup");
  await attackerPage.getByRole("textbox", { name: "Username" }).fill(attackerName);
  await attackerPage.getByRole("textbox", { name: "Display name" }).fill(HOSTILE_NAME);
  await attackerPage.getByLabel("Password").fill("correct horse battery");
  await attackerPage.getByRole("button", { name: "Create account" }).click();
  await expect(attackerPage.getByRole("button", { name: "Sign out" })).toBeVisible();

  const victimName = uniqueName("victim");
  const victim = await signUp(browser, server.url, victimName);
  const attacks = watchAttacks(victim.page);

  await open(attackerPage, "/messages");
  await attackerPage.getByRole("textbox", { name: "Usernames" }).fill(victimName);
  await attackerPage.getByRole("button", { name: "Start conversation" }).click();
  await expect(attackerPage).toHaveURL(/\/messages\/[0-9a-f-]{36}$/);
  await attackerPage.getByRole("textbox", { name: "Message" }).fill(HOSTILE_BODY);
  await attackerPage.getByRole("button", { name: "Send" }).click();
  await expect(attackerPage.getByRole("list", { name: "Messages" })).toContainText("Sent");

  await open(victim.page, "/messages");
  const conversation = victim.page.getByRole("list", { name: "Conversations" }).getByRole("link");
  await expect(conversation).toContainText(HOSTILE_NAME);
  await expect(conversation).toContainText(HOSTILE_BODY);
  await conversation.click();
  await expect(victim.page.getByRole("heading", { level: 1 })).toHaveText(HOSTILE_NAME);
  await expect(victim.page.getByRole("list", { name: "Messages" })).toContainText(HOSTILE_BODY);
  expect(await victim.page.title()).toBe(`${HOSTILE_NAME} · MOZI`);
  const threadPath = new URL(victim.page.url()).pathname;

  // The page as the server renders it (not hydrated), and as the worker
  // serves it offline, with the offline page's list of saved titles.
  // The worker installed by the first page must be active to serve the
  // reload: precaching every module of the split wasm takes a moment.
  await victim.page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  await victim.page.reload();
  expect(await victim.page.title()).toBe(`${HOSTILE_NAME} · MOZI`);
  await victim.context.setOffline(true);
  await victim.page.goto(threadPath);
  await expect(victim.page.getByRole("heading", { level: 1 })).toHaveText(HOSTILE_NAME);
  await victim.page.goto("/sessions/99999?never-visited");
  await expect(victim.page.getByRole("heading", { name: "You're offline" })).toBeVisible();
  await expect(victim.page.getByRole("link", { name: `${HOSTILE_NAME} · MOZI` })).toBeVisible();
  await victim.context.setOffline(false);

  expect(await victim.page.locator("img[src=x]").count()).toBe(0);
  expect(attacks).toEqual([]);
  expect(server.cspViolations).toEqual([]);
  await attacker.close();
  await victim.context.close();
});

test("what the policy blocks is reported to the server", async ({ page, ownServer }) => {
  ownServer.allowCspViolations();
  await page.goto(ownServer.url);
  await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
  // An inline script without the page's nonce, as an injection would be.
  await page.evaluate(() => {
    const script = document.createElement("script");
    script.textContent = "document.body.dataset.injected = 'yes'";
    document.body.append(script);
  });
  await expect.poll(() => ownServer.cspViolations.length).toBeGreaterThan(0);
  expect(await page.locator("body[data-injected]").count()).toBe(0);
  expect(ownServer.cspViolations.join("\n")).toMatch(/script-src/);
});

test("with JavaScript off, every action still works through plain forms", async ({ browser, server }) => {
  const context = await browser.newContext({ baseURL: server.url, javaScriptEnabled: false });
  const page = await context.newPage();
  const name = uniqueName("nojs");
  const friend = uniqueName("friend");
  await (await signUp(browser, server.url, friend)).context.close();

  await page.goto("/signup");
  await page.getByRole("textbox", { name: "Username" }).fill(name);
  await page.getByRole("textbox", { name: "Display name" }).fill("No Script");
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();

  await page.goto("/?day=2");
  const card = page.locator(".session-card").nth(1);
  const title = await card.getByRole("heading").innerText();
  await card.getByRole("button", { name: "Add to My schedule" }).click();
  await expect(page).toHaveURL(/\?day=2$/);
  await expect(
    page.locator(".session-card").nth(1).getByRole("button", { name: "Remove from My schedule" }),
  ).toBeVisible();
  await page.goto("/my-schedule");
  await expect(page.getByRole("heading", { name: title })).toBeVisible();

  await page.goto("/messages");
  await page.getByRole("textbox", { name: "Usernames" }).fill(friend);
  await page.getByRole("button", { name: "Start conversation" }).click();
  await expect(page).toHaveURL(/\/messages\/[0-9a-f-]{36}$/);
  await page.getByRole("textbox", { name: "Message" }).fill("sent without a script");
  await page.getByRole("button", { name: "Send" }).click();
  await expect(page.getByRole("list", { name: "Messages" })).toContainText("sent without a script");

  // Starting the same 1:1 again opens the same conversation.
  const thread = page.url();
  await page.goto("/messages");
  await page.getByRole("textbox", { name: "Usernames" }).fill(friend);
  await page.getByRole("button", { name: "Start conversation" }).click();
  await expect(page).toHaveURL(thread);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto("/my-schedule");
  await expect(page).toHaveURL(/\/login\?next=/);
  await context.close();
});
