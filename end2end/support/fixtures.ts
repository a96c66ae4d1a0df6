// Test fixtures: a server per test file, and helpers that act as a person would.

import { test as base, expect, Browser, BrowserContext, Page } from "@playwright/test";
import { RunningServer } from "./server";

/** Tests share one server per file, unless they stop it: those use `ownServer`. */
export const test = base.extend<{ ownServer: RunningServer }, { server: RunningServer }>({
  server: [
    async ({}, use) => {
      const server = await RunningServer.start();
      await use(server);
      await server.dispose();
    },
    { scope: "worker" },
  ],
  ownServer: async ({}, use) => {
    const server = await RunningServer.start();
    await use(server);
    await server.dispose();
  },
  baseURL: async ({ server }, use) => use(server.url),
});

export { expect };

let counter = 0;
/** A username no other test uses. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}_${Date.now().toString(36)}${counter}`;
}

/** Opens `path` and waits until the page has hydrated (is interactive). */
export async function open(page: Page, path: string) {
  await page.goto(path);
  await waitForHydration(page);
}

export async function waitForHydration(page: Page) {
  await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
}

/** Signs up through the form in a fresh browser context. */
export async function signUp(browser: Browser, baseURL: string, username: string) {
  const context: BrowserContext = await browser.newContext({ baseURL });
  const page = await context.newPage();
  await signUpIn(page, username);
  return { context, page };
}

/** Signs up through the form in `page`; the display name is the username in capitals. */
export async function signUpIn(page: Page, username: string) {
  await open(page, "/signup");
  await page.getByRole("textbox", { name: "Username" }).fill(username);
  await page.getByRole("textbox", { name: "Display name" }).fill(username.toUpperCase());
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
}

/** Fills in and submits the sign-in form shown on the page. */
export async function submitSignIn(page: Page, username: string) {
  await page.getByRole("textbox", { name: "Username" }).fill(username);
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** Collects console errors and uncaught exceptions of a page. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  return errors;
}

/** Starts a conversation from the Messages page and sends its first message; returns the thread's path. */
export async function startConversation(page: Page, usernames: string, firstMessage: string) {
  const { thread, send } = await newConversation(page, usernames);
  // Delivered, not just queued on the device.
  await send(firstMessage);
  return thread;
}

/**
 * Starts a conversation with `usernames` from the Messages page, without a
 * message yet: the thread's path, and `send`, which sends one message and
 * waits until it shows as Sent.
 */
export async function newConversation(page: Page, usernames: string) {
  await open(page, "/messages");
  await page.getByRole("textbox", { name: "Usernames" }).fill(usernames);
  await page.getByRole("button", { name: "Start conversation" }).click();
  await expect(page).toHaveURL(/\/messages\/[0-9a-f-]{36}$/);
  const thread = new URL(page.url()).pathname;
  const messages = page.getByRole("list", { name: "Messages" }).getByRole("listitem");
  const send = async (text: string) => {
    const count = await messages.count();
    await page.getByRole("textbox", { name: "Message" }).fill(text);
    await page.getByRole("button", { name: "Send" }).click();
    await expect(messages).toHaveCount(count + 1);
    await expect(messages.last()).toContainText("Sent");
  };
  return { thread, send };
}
