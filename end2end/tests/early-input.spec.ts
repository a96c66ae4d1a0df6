// What a person types in their first seconds on a page, before the app's
// code has arrived, is never lost: each step is taken with the page's wasm
// held back, so it happens on the server's HTML, while the page hydrates,
// or before a lazy module arrives, whatever this machine's speed.

import type { Browser, BrowserContext, Page } from "@playwright/test";
import {
  test,
  expect,
  open,
  signUp,
  signUpIn,
  startConversation,
  uniqueName,
  waitForHydration,
} from "../support/fixtures";
import { messages, pending, send, storedBodies } from "../support/outbox";
import { becomeControlled } from "../support/worker";
import { RunningServer } from "../support/server";
import { Release } from "../support/release";

/** The app's main wasm module, at either of its URLs. */
const MAIN_MODULE = /\/pkg\/mozi[^/?]*\.wasm/;
const moduleOf = (name: string) => new RegExp(`/pkg/split_${name}\\.wasm`);

/**
 * Holds back the answers to requests matching `pattern` until `release()`;
 * `held` counts the requests caught. Only in contexts without a worker,
 * whose requests all go to the network.
 */
async function holdBack(context: BrowserContext, pattern: RegExp) {
  let release = () => {};
  const released = new Promise<void>((done) => (release = done));
  const state = { held: 0, release };
  await context.route(pattern, async (route) => {
    state.held += 1;
    await released;
    // The page may have gone meanwhile (a form posted, a reload).
    await route.continue().catch(() => {});
  });
  return state;
}

/** A signed-in context whose pages load everything from the network. */
async function signedInWithoutWorker(page: { browser: Browser; url: string; name: string }) {
  const context = await page.browser.newContext({ baseURL: page.url, serviceWorkers: "block" });
  const tab = await context.newPage();
  await signUpIn(tab, page.name);
  return { context, page: tab };
}

/**
 * Someone signed in without a worker, in a conversation whose one message
 * is "hi bob": the thread's path, with their context and page.
 */
async function inAThread(browser: Browser, url: string) {
  const [adaName, bobName] = [uniqueName("ada"), uniqueName("bob")];
  await (await signUp(browser, url, bobName)).context.close();
  const { context, page } = await signedInWithoutWorker({ browser, url, name: adaName });
  const thread = await startConversation(page, bobName, "hi bob");
  return { context, page, thread };
}

/** The conversations the server lists for the context's user. */
async function conversationCount(context: BrowserContext): Promise<number> {
  const reply = await context.request.get("/api/conversations");
  return reply.ok() ? (await reply.json()).conversations.length : -1;
}

const newConversationForm = (page: Page) => page.locator('form[action="/api/start_conversation"]');
/** The Messages page's own code has hydrated its form (it checks the names itself). */
const formHydrated = (page: Page) => newConversationForm(page).evaluate((form: HTMLFormElement) => form.noValidate);

for (const moment of ["before hydration", "before the page's module arrives", "after hydration"] as const) {
  test(`a username typed before hydration starts the conversation once, pressed ${moment}`, async ({
    browser,
    server,
  }) => {
    const [adaName, bobName] = [uniqueName("ada"), uniqueName("bob")];
    await (await signUp(browser, server.url, bobName)).context.close();
    const { context, page } = await signedInWithoutWorker({ browser, url: server.url, name: adaName });
    const main = await holdBack(context, MAIN_MODULE);
    const routeModule = await holdBack(context, moduleOf("conversations_route_view"));

    await page.goto("/messages", { waitUntil: "commit" });
    const usernames = page.getByRole("textbox", { name: "Usernames" });
    await usernames.fill(bobName);
    if (moment !== "before hydration") {
      main.release();
      await expect.poll(() => routeModule.held).toBeGreaterThan(0);
    }
    if (moment === "after hydration") {
      routeModule.release();
      await expect.poll(() => formHydrated(page)).toBe(true);
      await expect(usernames).toHaveValue(bobName);
    }
    await page.getByRole("button", { name: "Start conversation" }).click();
    await expect(page).toHaveURL(/\/messages\/[0-9a-f-]{36}$/);
    main.release();
    routeModule.release();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(bobName.toUpperCase());
    await expect.poll(() => conversationCount(context)).toBe(1);
    await context.close();
  });
}

test("an empty Usernames press says why, next to the field", async ({ browser, server }) => {
  const { context, page } = await signedInWithoutWorker({ browser, url: server.url, name: uniqueName("ada") });
  await open(page, "/messages");
  await expect.poll(() => formHydrated(page)).toBe(true);
  const usernames = page.getByRole("textbox", { name: "Usernames" });
  await page.getByRole("button", { name: "Start conversation" }).click();
  await expect(newConversationForm(page).getByRole("alert")).toHaveText(
    "Enter at least one username to start a conversation.",
  );
  await expect(usernames).toHaveAttribute("aria-invalid", "true");
  await expect(page).toHaveURL(/\/messages$/);
  expect(await conversationCount(context)).toBe(0);
  await context.close();
});

test("an empty message press says why, before hydration and after it", async ({ browser, server }) => {
  const { context, page, thread } = await inAThread(browser, server.url);
  const main = await holdBack(context, MAIN_MODULE);
  await page.goto(thread, { waitUntil: "commit" });
  const box = page.getByRole("textbox", { name: "Message" });
  const composer = page.locator("form.composer");
  // The browser refuses it and says why, at the box.
  await page.getByRole("button", { name: "Send" }).click();
  expect(await box.evaluate((text: HTMLTextAreaElement) => text.validationMessage)).not.toBe("");
  await expect(page).toHaveURL(new RegExp(`${thread}$`));
  main.release();
  await waitForHydration(page);
  // Only spaces: the app says why, under the box, once its code is there.
  await box.fill("   ");
  await page.getByRole("button", { name: "Send" }).click();
  await expect(composer.getByRole("alert")).toHaveText("A message cannot be empty.");
  await expect(box).toHaveAttribute("aria-invalid", "true");
  expect(await storedBodies(context, thread)).toEqual(["hi bob"]);
  await context.close();
});

for (const moment of ["before hydration", "before the box's module arrives", "after it arrived"] as const) {
  test(`a message typed before hydration is sent once, pressed ${moment}`, async ({ browser, server }) => {
    const { context, page, thread } = await inAThread(browser, server.url);
    const main = await holdBack(context, MAIN_MODULE);
    const composerModule = await holdBack(context, moduleOf("composer"));

    await page.goto(thread, { waitUntil: "commit" });
    const box = page.getByRole("textbox", { name: "Message" });
    const sendButton = page.getByRole("button", { name: "Send" });
    await box.fill("typed early");
    if (moment !== "before hydration") {
      main.release();
      // The box's module is asked for once the page has hydrated.
      await expect.poll(() => composerModule.held).toBeGreaterThan(0);
      await expect(box).toHaveValue("typed early");
    }
    if (moment === "after it arrived") {
      const arrived = page.waitForResponse(moduleOf("composer"));
      composerModule.release();
      await arrived;
    }
    await sendButton.click();
    if (moment === "before the box's module arrives") {
      await expect(sendButton).toHaveAttribute("aria-busy", "true");
      composerModule.release();
    }
    if (moment === "after it arrived") {
      // Queued on the device at once, shown in its place.
      await expect(messages(page).last()).toContainText("typed early");
    }
    main.release();
    composerModule.release();
    await expect(messages(page).last()).toContainText(/typed early.*Sent/);
    await expect(box).toHaveValue("");
    await expect.poll(() => storedBodies(context, thread)).toEqual(["hi bob", "typed early"]);
    // Nothing of it comes back as a draft.
    await page.reload();
    await waitForHydration(page);
    await expect(box).toHaveValue("");
    expect(await storedBodies(context, thread)).toEqual(["hi bob", "typed early"]);
    await context.close();
  });
}

test("a draft typed before hydration is back after a reload and after the tab is closed", async ({
  browser,
  server,
}) => {
  const { context, page, thread } = await inAThread(browser, server.url);
  const main = await holdBack(context, MAIN_MODULE);

  await page.goto(thread, { waitUntil: "commit" });
  const box = page.getByRole("textbox", { name: "Message" });
  await box.fill("half a thought");
  await page.reload({ waitUntil: "commit" });
  await expect(box).toHaveValue("half a thought");
  // Put back by the page itself: none of the app's code has run.
  expect(await page.locator("body[data-hydrated]").count()).toBe(0);
  await box.fill("half a thought, and more");
  await page.close();

  const again = await context.newPage();
  await again.goto(thread, { waitUntil: "commit" });
  const boxAgain = again.getByRole("textbox", { name: "Message" });
  await expect(boxAgain).toHaveValue("half a thought, and more");
  expect(await again.locator("body[data-hydrated]").count()).toBe(0);
  // Hydration keeps it.
  main.release();
  await waitForHydration(again);
  await expect(boxAgain).toHaveValue("half a thought, and more");
  expect(await storedBodies(context, thread)).toEqual(["hi bob"]);
  await context.close();
});

test("sign-up and sign-in typed before hydration work", async ({ browser, server }) => {
  const name = uniqueName("ada");
  const context = await browser.newContext({ baseURL: server.url, serviceWorkers: "block" });
  const main = await holdBack(context, MAIN_MODULE);
  const page = await context.newPage();
  // Typed on the server's HTML, pressed once the page has hydrated.
  await page.goto("/signup", { waitUntil: "commit" });
  await page.getByRole("textbox", { name: "Username" }).fill(name);
  await page.getByRole("textbox", { name: "Display name" }).fill(name.toUpperCase());
  await page.getByLabel("Password").fill("correct horse battery");
  main.release();
  await waitForHydration(page);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
  await context.close();

  // Typed and pressed before hydration: the form posts itself.
  const visitor = await browser.newContext({ baseURL: server.url, serviceWorkers: "block" });
  const held = await holdBack(visitor, MAIN_MODULE);
  const form = await visitor.newPage();
  await form.goto("/login", { waitUntil: "commit" });
  await form.getByRole("textbox", { name: "Username" }).fill(name);
  await form.getByLabel("Password").fill("correct horse battery");
  await form.getByRole("button", { name: "Sign in" }).click();
  await expect(form.getByRole("button", { name: "Sign out" })).toBeVisible();
  held.release();
  await waitForHydration(form);
  await expect(form.getByRole("button", { name: "Sign out" })).toBeVisible();
  await visitor.close();
});

test("a draft typed before hydration is kept through an update's reload", async ({ browser }) => {
  const release = Release.copy();
  const server = await RunningServer.start(release);
  const bobName = uniqueName("bob");
  await (await signUp(browser, server.url, bobName)).context.close();
  const { context, page } = await signUp(browser, server.url, uniqueName("ada"));
  try {
    const thread = await startConversation(page, bobName, "Hello");
    await becomeControlled(page);
    // The worker serves the app's code from its cache here, so the page's
    // own hydration is what waits: its idle callback is held.
    const early = await context.newPage();
    // Only the tab's first load waits: the update's reload does not.
    await early.addInitScript(() => {
      const idle = window.requestIdleCallback.bind(window);
      let held: IdleRequestCallback[] | null = sessionStorage.getItem("released") ? null : [];
      Object.assign(window, {
        releaseHydration: () => {
          sessionStorage.setItem("released", "yes");
          const waiting = held ?? [];
          held = null;
          for (const callback of waiting) idle(callback);
        },
      });
      window.requestIdleCallback = (callback, options) => {
        if (held) {
          held.push(callback);
          return 0;
        }
        return idle(callback, options);
      };
    });
    await early.goto(thread, { waitUntil: "commit" });
    const box = early.getByRole("textbox", { name: "Message" });
    await box.fill("typed before the update");

    await server.stop();
    release.addCss(".site-footer { font-style: italic; }");
    await server.restart();
    await early.evaluate(() => (window as unknown as { releaseHydration: () => void }).releaseHydration());
    await waitForHydration(early);
    await early.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.update());
    const toast = early.getByRole("status").filter({ hasText: "New version available" });
    await expect(toast).toBeVisible();
    await toast.getByRole("button", { name: "Reload" }).click();
    await expect(early.locator("footer.site-footer")).toHaveCSS("font-style", "italic");
    await waitForHydration(early);
    await expect(box).toHaveValue("typed before the update");
  } finally {
    await context.close();
    await server.dispose();
    release.dispose();
  }
});

test("a thread opens at its newest message, and what is sent or arrives is brought into view", async ({
  browser,
  server,
}) => {
  const [adaName, bobName] = [uniqueName("ada"), uniqueName("bob")];
  const bob = await signUp(browser, server.url, bobName);
  const ada = await signUp(browser, server.url, adaName);
  const thread = await startConversation(ada.page, bobName, "message 1");
  const conversation = thread.split("/").pop() ?? "";
  const post = async (body: string) => {
    const reply = await ada.context.request.post("/api/send_message", {
      form: { conversation, id: crypto.randomUUID(), body },
      headers: { origin: server.url, accept: "application/json" },
    });
    expect(reply.ok()).toBe(true);
  };
  for (let n = 2; n <= 50; n += 1) await post(`message ${n}`);

  const page = bob.page;
  await open(page, thread);
  await becomeControlled(page);
  await expect(messages(page)).toHaveCount(50);
  await expect(messages(page).last()).toContainText("message 50");
  await expect(messages(page).last()).toBeInViewport();
  await expect(messages(page).first()).not.toBeInViewport();

  // Another person's message, while the newest is in view: it comes into view.
  await post("while you read");
  await expect(messages(page).last()).toContainText("while you read");
  await expect(messages(page).last()).toBeInViewport();

  // Scrolled up to read: it waits below, and "New messages" takes you there.
  await messages(page).first().scrollIntoViewIfNeeded();
  await post("below the fold");
  const newMessages = page.getByRole("button", { name: "New messages" });
  await expect(newMessages).toBeVisible();
  await expect(messages(page).last()).toContainText("below the fold");
  await expect(messages(page).last()).not.toBeInViewport();
  await newMessages.click();
  await expect(messages(page).last()).toBeInViewport();
  await expect(newMessages).toHaveCount(0);
  await expect(page.getByRole("textbox", { name: "Message" })).toBeFocused();

  // One's own message, scrolled up or not, queued offline: in view, sending.
  await messages(page).first().scrollIntoViewIfNeeded();
  await bob.context.setOffline(true);
  await send(page, "sent offline");
  await expect(pending(page)).toHaveText("1 pending");
  await expect(messages(page).last()).toContainText(/sent offline.*Sending…/);
  await expect(messages(page).last()).toBeInViewport();
  const offline = page.getByRole("status").filter({ hasText: "Offline — your changes are kept and sent when you are back" });
  await expect(offline).toHaveCount(1);
  await bob.context.setOffline(false);
  await expect(offline).toHaveCount(0);
  await expect(messages(page).last()).toContainText(/sent offline.*Sent/);
  await expect(messages(page).last()).toBeInViewport();
  await ada.context.close();
  await bob.context.close();
});
