import { test, expect, open, signUp, submitSignIn, uniqueName } from "../support/fixtures";

test("bad input is explained and changes nothing", async ({ browser, server }) => {
  const adaName = uniqueName("ada");
  const ada = await signUp(browser, server.url, adaName);
  const bobName = uniqueName("bob");
  const bob = await signUp(browser, server.url, bobName);
  const page = ada.page;

  // An unknown person.
  await open(page, "/messages");
  await page.getByRole("textbox", { name: "Usernames" }).fill("ghost_nobody");
  await page.getByRole("button", { name: "Start conversation" }).click();
  // The server refuses it: the queued start says so, with Retry and Discard.
  const start = page.locator(".conversation-start");
  await expect(start).toContainText(/Failed.*There is no user named "ghost_nobody"\./);
  await start.getByRole("button", { name: "Discard" }).click();
  await open(page, "/messages");
  await expect(page.getByText("No conversations yet.")).toBeVisible();
  // A malformed name is refused on the device, before anything is queued.
  await page.getByRole("textbox", { name: "Usernames" }).fill("no spaces? no!");
  await page.getByRole("button", { name: "Start conversation" }).click();
  await expect(page.getByRole("alert")).toBeVisible();
  await expect(page).toHaveURL(/\/messages$/);

  // Empty and oversize messages.
  await page.getByRole("textbox", { name: "Usernames" }).fill(bobName);
  await page.getByRole("button", { name: "Start conversation" }).click();
  await expect(page).toHaveURL(/\/messages\/[0-9a-f-]{36}$/);
  const composer = page.getByRole("textbox", { name: "Message" });
  await composer.fill("   ");
  await page.getByRole("button", { name: "Send" }).click();
  await expect(page.getByRole("alert")).toHaveText("A message cannot be empty.");
  await composer.fill("x".repeat(4_001));
  await page.getByRole("button", { name: "Send" }).click();
  await expect(page.getByRole("alert")).toContainText("at most 4000 characters");
  await expect(composer).toHaveValue("x".repeat(4_001));
  await page.reload();
  await expect(page.getByText("No messages yet. Say hello!")).toBeVisible();
  await ada.context.close();

  // A wrong password, then a taken username.
  const visitor = await browser.newContext({ baseURL: server.url });
  const form = await visitor.newPage();
  await open(form, "/login");
  await form.getByRole("textbox", { name: "Username" }).fill(adaName);
  await form.getByLabel("Password").fill("not the password");
  await form.getByRole("button", { name: "Sign in" }).click();
  await expect(form.getByRole("alert")).toHaveText("Wrong username or password.");
  await expect(form.getByRole("button", { name: "Sign out" })).toHaveCount(0);

  await open(form, "/signup");
  await form.getByRole("textbox", { name: "Username" }).fill(bobName);
  await form.getByRole("textbox", { name: "Display name" }).fill("Impostor");
  await form.getByLabel("Password").fill("another password");
  await form.getByRole("button", { name: "Create account" }).click();
  await expect(form.getByRole("alert")).toContainText("is taken");

  await visitor.close();
  await bob.context.close();
});

test("unknown pages and sessions say what went wrong", async ({ page }) => {
  const missing = await page.goto("/no/such/page");
  expect(missing?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();

  const session = await page.goto("/sessions/99999");
  expect(session?.status()).toBe(404);
  await expect(page.getByRole("alert")).toContainText("There is no session 99999.");
});

test("a personal page sends a visitor to sign in and back", async ({ browser, server }) => {
  const name = uniqueName("kay");
  const account = await signUp(browser, server.url, name);
  await account.context.close();

  const context = await browser.newContext({ baseURL: server.url });
  const page = await context.newPage();
  await page.goto("/my-schedule");
  await expect(page).toHaveURL(/\/login\?next=\/my-schedule$/);
  await page.locator("body[data-hydrated]").waitFor();
  await submitSignIn(page, name);
  await expect(page).toHaveURL(/\/my-schedule$/);
  await expect(page.getByRole("heading", { name: "My schedule" })).toBeVisible();

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto("/messages");
  await expect(page).toHaveURL(/\/login\?next=\/messages$/);
  await context.close();
});

test("the keyboard reaches everything, with visible focus", async ({ browser, server }) => {
  const { context, page } = await signUp(browser, server.url, uniqueName("key"));
  await open(page, "/");
  const button = page.getByRole("button", { name: "Add to My schedule" }).first();
  // Tab until the first bookmark button has focus.
  for (let step = 0; step < 40; step += 1) {
    if (await button.evaluate((element) => element === document.activeElement)) break;
    await page.keyboard.press("Tab");
  }
  await expect(button).toBeFocused();
  const outline = await button.evaluate((element) => getComputedStyle(element).outlineStyle);
  expect(outline).not.toBe("none");
  await page.keyboard.press("Enter");
  await expect(page.getByRole("button", { name: "Remove from My schedule" }).first()).toBeFocused();
  await context.close();
});
