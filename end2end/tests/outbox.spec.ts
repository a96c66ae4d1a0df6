import {
  test,
  expect,
  open,
  signUp,
  signUpIn,
  startConversation,
  submitSignIn,
  uniqueName,
  watchErrors,
} from "../support/fixtures";
import { becomeControlled, dispatchSync, savedPages } from "../support/worker";
import { conversationOf, messages, pending, send, storedBodies, storedBookmarks } from "../support/outbox";

test("changes made offline reach the server once, in order, with the page closed", async ({ browser, server }) => {
  const [adaName, bobName, catName] = [uniqueName("ada"), uniqueName("bob"), uniqueName("cat")];
  await (await signUp(browser, server.url, bobName)).context.close();
  await (await signUp(browser, server.url, catName)).context.close();
  const { context, page } = await signUp(browser, server.url, adaName);
  const errors = watchErrors(page);
  await becomeControlled(page);
  const toBob = await startConversation(page, bobName, "online first");
  const toCat = await startConversation(page, catName, "hello cat");
  // Pages seen online are kept for offline use.
  await open(page, "/");
  const cards = page.locator(".session-card");
  const titles = await cards.getByRole("heading").allInnerTexts();
  // A session page opened in the app: its data is kept too.
  await cards.nth(1).getByRole("link", { name: titles[1] }).click();
  await expect(page.getByRole("heading", { level: 1, name: titles[1] })).toBeVisible();
  await open(page, "/my-schedule");
  await open(page, toCat);
  await open(page, toBob);

  await context.setOffline(true);
  for (const text of ["one", "two", "three"]) await send(page, text);
  await expect(messages(page)).toHaveText([/online first.*Sent/, /one.*Sending…/, /two.*Sending…/, /three.*Sending…/]);
  await open(page, toCat);
  for (const text of ["four", "five"]) await send(page, text);
  await open(page, "/");
  await cards.nth(0).getByRole("button", { name: "Add to My schedule" }).click();
  await cards.nth(1).getByRole("button", { name: "Add to My schedule" }).click();
  // Adding and removing before anything was sent cancels out.
  await cards.nth(0).getByRole("button", { name: "Remove from My schedule" }).click();
  await expect(cards.nth(0).getByRole("button", { name: "Add to My schedule" })).toBeVisible();
  await expect(pending(page)).toHaveText("6 pending");
  // My schedule already has the session added on the device.
  await open(page, "/my-schedule");
  await expect(page.getByRole("heading", { name: titles[1] })).toBeVisible();
  await expect(page.getByRole("heading", { name: titles[0] })).toHaveCount(0);
  await pending(page).click();
  await expect(page.getByRole("region", { name: "Not sent yet" }).getByRole("listitem")).toHaveCount(6);

  // Nothing reached the server; the page goes; the network comes back:
  // Background Sync wakes the worker, which sends everything.
  expect(await storedBodies(context, toBob)).toEqual(["online first"]);
  await page.close();
  await context.setOffline(false);
  await expect.poll(() => storedBodies(context, toBob), { timeout: 30_000 }).toEqual(["online first", "one", "two", "three"]);
  await expect.poll(() => storedBodies(context, toCat)).toEqual(["hello cat", "four", "five"]);
  expect(await storedBookmarks(context)).toEqual([titles[1]]);

  // A new page shows nothing pending and every message as sent.
  const again = await context.newPage();
  await open(again, toBob);
  await expect(messages(again)).toHaveText([/online first.*Sent/, /one.*Sent/, /two.*Sent/, /three.*Sent/]);
  await expect(pending(again)).toHaveCount(0);
  expect(errors.filter((error) => !/net::ERR_INTERNET_DISCONNECTED|Failed to fetch|Failed to load resource/.test(error))).toEqual([]);
  await context.close();
});

test("a server killed in the middle of a batch loses and doubles nothing", async ({ browser, ownServer }) => {
  // Typing 150 messages and replaying them took 38 to 54 s on two cores:
  // too close to the default limit, which a slow run crossed.
  test.setTimeout(150_000);
  const [adaName, bobName] = [uniqueName("ada"), uniqueName("bob")];
  await (await signUp(browser, ownServer.url, bobName)).context.close();
  const { context, page } = await signUp(browser, ownServer.url, adaName);
  await becomeControlled(page);
  const thread = await startConversation(page, bobName, "m000");
  const written = ["m000"];
  await context.setOffline(true);
  for (let n = 1; n <= 150; n += 1) {
    const text = `m${String(n).padStart(3, "0")}`;
    written.push(text);
    await send(page, text);
  }
  await expect(pending(page)).toHaveText("150 pending");

  // The first batch request (from the page or the worker) is cut off while
  // the server is applying it.
  let killed: Promise<void> | undefined;
  context.on("request", (request) => {
    if (!killed && request.url().endsWith("/api/mutations")) {
      killed = new Promise((done) => setTimeout(() => void ownServer.stop().then(done), 30));
    }
  });
  await context.setOffline(false);
  await expect.poll(() => killed !== undefined).toBe(true);
  await killed;
  await ownServer.restart();

  await expect(pending(page)).toHaveCount(0, { timeout: 40_000 });
  expect(await storedBodies(context, thread)).toEqual(written);
  // The thread shows its latest page, with a way to the older ones.
  await page.reload();
  await expect(messages(page).last()).toContainText("m150");
  await page.getByRole("link", { name: "Older messages" }).click();
  await expect(messages(page).first()).toContainText("m051");
  await expect(messages(page)).toHaveCount(50);
  await context.close();
});

test("when Background Sync gives up, the change stays and says it goes when the app is next open", async ({
  browser,
  ownServer,
}) => {
  const bobName = uniqueName("bob");
  await (await signUp(browser, ownServer.url, bobName)).context.close();
  const { context, page } = await signUp(browser, ownServer.url, uniqueName("ada"));
  await becomeControlled(page);
  const thread = await startConversation(page, bobName, "before the outage");
  await open(page, thread);
  await expect.poll(() => savedPages(page)).toContain(thread);

  // The server is gone (the device still thinks it is online); the tab is closed.
  await ownServer.stop();
  await send(page, "during the outage");
  await expect(messages(page).last()).toContainText(/during the outage.*Sending…/);
  await page.close();

  // Chromium's last try: the worker cannot deliver either.
  const blank = await context.newPage();
  await dispatchSync(context, blank, ownServer.url, "mozi-outbox", { lastChance: true });
  const reopened = await context.newPage();
  await open(reopened, thread);
  await expect(messages(reopened).last()).toContainText(
    /during the outage.*Sending….*Will be retried when the app is next open\./,
  );
  await expect(pending(reopened)).toHaveText("1 pending");

  // The app is open and the server back: it goes, once.
  await ownServer.restart();
  await expect(messages(reopened).last()).toContainText(/during the outage.*Sent/, { timeout: 30_000 });
  expect(await storedBodies(context, thread)).toEqual(["before the outage", "during the outage"]);
  await context.close();
});

test("page views made offline reach the server with their age; those over a day old are only counted", async ({
  browser,
  ownServer,
}) => {
  const { context, page } = await signUp(browser, ownServer.url, uniqueName("ada"));
  await becomeControlled(page);
  const go = async (link: string, shows: RegExp) => {
    await page.getByRole("navigation").getByRole("link", { name: link, exact: true }).click();
    await expect(page.getByRole("heading", { name: shows }).first()).toBeVisible();
  };
  // Seen online first, so their data is saved for offline use.
  await go("My schedule", /^My schedule$/);
  await go("Schedule", /Day 1 keynote/);
  await go("Messages", /^Messages$/);
  await expect.poll(() => ownServer.log.some((line) => /page view path="\/messages"/.test(line))).toBe(true);
  const from = ownServer.log.length;

  // Two views a day and an hour ago, one now; all while offline.
  await context.setOffline(true);
  await page.clock.setFixedTime(Date.now() - 25 * 60 * 60 * 1000);
  await go("My schedule", /^My schedule$/);
  await go("Schedule", /Day 1 keynote/);
  await page.clock.setFixedTime(Date.now());
  await go("Messages", /^Messages$/);

  await context.setOffline(false);
  const logged = (pattern: RegExp) => ownServer.log.slice(from).filter((line) => pattern.test(line));
  await expect.poll(() => logged(/page views reported.* dropped=2\b/)).toHaveLength(1);
  // The recent view arrives with its age; the old ones do not arrive.
  expect(logged(/page view path="\/messages" ago_ms=\d+/)).toHaveLength(1);
  expect(logged(/page view path="\/my-schedule"/)).toEqual([]);
  await context.close();
});

test("the same batch delivered twice is applied once", async ({ browser, server }) => {
  const [adaName, bobName] = [uniqueName("ada"), uniqueName("bob")];
  await (await signUp(browser, server.url, bobName)).context.close();
  const { context, page } = await signUp(browser, server.url, adaName);
  const thread = await startConversation(page, bobName, "hello");
  const batches: string[] = [];
  context.on("request", (request) => {
    if (request.url().endsWith("/api/mutations")) batches.push(request.postData() ?? "");
  });
  page.on("request", (request) => {
    if (request.url().endsWith("/api/mutations")) batches.push(request.postData() ?? "");
  });
  await send(page, "only once");
  await expect(messages(page).last()).toContainText("Sent");
  expect(batches.length).toBeGreaterThan(0);

  // The device's own request, delivered again (a proxy retrying, a lost answer).
  const replayed = await context.request.post("/api/mutations", {
    data: batches[0],
    headers: { "content-type": "application/json" },
  });
  expect(replayed.status()).toBe(200);
  expect((await replayed.json()).results[0].status).toBe(200);
  expect(await storedBodies(context, thread)).toEqual(["hello", "only once"]);
  await context.close();
});

test("a refused change shows Failed with the reason; Retry and Discard work", async ({ browser, server }) => {
  const [adaName, ghostName] = [uniqueName("ada"), uniqueName("ghost")];
  const { context, page } = await signUp(browser, server.url, adaName);

  // Only oneself: the server refuses with 422 and its reason.
  await open(page, "/messages");
  await page.getByRole("textbox", { name: "Usernames" }).fill(adaName);
  await page.getByRole("button", { name: "Start conversation" }).click();
  const start = page.locator(".conversation-start");
  await expect(start).toContainText("Failed");
  await expect(start).toContainText("Add at least one other person to start a conversation.");
  const mark = server.log.length;
  await start.getByRole("button", { name: "Retry" }).click();
  await expect.poll(() => server.requestsSince(mark).filter((uri) => uri === "/api/mutations").length).toBeGreaterThan(0);
  await expect(start).toContainText("Failed");
  await expect(pending(page)).toHaveText("1 pending");
  await start.getByRole("button", { name: "Discard" }).click();
  await expect(pending(page)).toHaveCount(0);

  // Someone who does not exist yet: refused; once they do, Retry delivers.
  await open(page, "/messages");
  await page.getByRole("textbox", { name: "Usernames" }).fill(ghostName);
  await page.getByRole("button", { name: "Start conversation" }).click();
  await expect(start).toContainText("Failed");
  await send(page, "are you there?");
  await expect(messages(page)).toHaveText([/are you there\?.*Sending…/]);
  await (await signUp(browser, server.url, ghostName)).context.close();
  await start.getByRole("button", { name: "Retry" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(ghostName.toUpperCase());
  await expect(messages(page)).toHaveText([/are you there\?.*Sent/]);
  await expect(pending(page)).toHaveCount(0);
  await context.close();
});

test("focus stays with its message when the rows move, and goes to the list when its control goes", async ({
  browser,
  server,
}) => {
  const [adaName, bobName] = [uniqueName("ada"), uniqueName("bob")];
  const bob = await signUp(browser, server.url, bobName);
  // No worker: the page sends its queue itself, through the route below.
  const context = await browser.newContext({ baseURL: server.url, serviceWorkers: "block" });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await signUpIn(page, adaName);
  const thread = await startConversation(page, bobName, "hi bob");
  const conversation = conversationOf(thread);
  // Bob writes a full page: the thread shows only the newest rows, and each
  // new message slides every row up by one.
  const bobSays = (body: string) =>
    bob.context.request.post("/api/send_message", {
      form: { conversation, id: crypto.randomUUID(), body },
      headers: { origin: server.url, "sec-fetch-site": "same-origin", accept: "application/json" },
    });
  for (let n = 1; n <= 50; n++) expect((await bobSays(`bob ${n}`)).ok()).toBe(true);
  // From here the server refuses Ada's messages: each is sent to a conversation that does not exist.
  await context.route("**/api/mutations", (route) =>
    route.continue({ postData: (route.request().postData() ?? "").replaceAll(conversation, crypto.randomUUID()) }),
  );
  await open(page, thread);
  await send(page, "mine");
  const rows = messages(page);
  const mine = rows.filter({ hasText: "mine" });
  await expect(mine).toContainText("Failed");
  await expect(rows.last()).toContainText("mine");

  // A new message slides the rows: focus stays on this message's Retry.
  await mine.getByRole("button", { name: "Retry" }).focus();
  expect((await bobSays("bob 51")).ok()).toBe(true);
  await expect(rows.last()).toContainText("bob 51");
  await expect(rows.nth(-2)).toContainText("mine");
  await expect(mine.getByRole("button", { name: "Retry" })).toBeFocused();

  // Discarded from the keyboard: the row shows another message now, and focus is on the list.
  await mine.getByRole("button", { name: "Discard" }).focus();
  await page.keyboard.press("Enter");
  await expect(mine).toHaveCount(0);
  await expect(page.getByRole("list", { name: "Messages" })).toBeFocused();
  await expect(pending(page)).toHaveCount(0);
  expect(errors).toEqual([]);
  await Promise.all([context.close(), bob.context.close()]);
});

test("after the session ends, changes wait and go once the user signs in again", async ({ browser, server }) => {
  const [adaName, bobName] = [uniqueName("ada"), uniqueName("bob")];
  await (await signUp(browser, server.url, bobName)).context.close();
  const { context, page } = await signUp(browser, server.url, adaName);
  const thread = await startConversation(page, bobName, "before");
  await open(page, thread);
  // Offline, the page's code comes from the worker's precache.
  await becomeControlled(page);
  await context.setOffline(true);
  await send(page, "after expiry");
  await expect(pending(page)).toHaveText("1 pending");
  // The session ends while the device is offline; back online, the server
  // refuses the queue, which waits.
  await context.clearCookies();
  await context.setOffline(false);
  await expect(page.getByRole("alert").filter({ hasText: "Your session has ended" })).toHaveText(
    "Your session has ended. Sign in again to send 1 change.",
  );
  await expect(pending(page)).toHaveText("1 pending");

  await page.getByRole("link", { name: "Sign in again" }).click();
  await submitSignIn(page, adaName);
  await expect(page).toHaveURL(new RegExp(`${thread}$`));
  await expect(pending(page)).toHaveCount(0);
  expect(await storedBodies(context, thread)).toEqual(["before", "after expiry"]);
  await context.close();
});

test("two tabs show the same queue and one replayer sends it once", async ({ browser, server }) => {
  const [adaName, bobName] = [uniqueName("ada"), uniqueName("bob")];
  await (await signUp(browser, server.url, bobName)).context.close();
  const { context, page: first } = await signUp(browser, server.url, adaName);
  await becomeControlled(first);
  const thread = await startConversation(first, bobName, "hi");
  const second = await context.newPage();
  await open(second, thread);

  await context.setOffline(true);
  await send(first, "from the first tab");
  await send(second, "from the second tab");
  for (const tab of [first, second]) await expect(pending(tab)).toHaveText("2 pending");

  const sent: string[] = [];
  context.on("request", (request) => {
    if (request.url().endsWith("/api/mutations")) sent.push(request.postData() ?? "");
  });
  for (const tab of [first, second]) {
    tab.on("request", (request) => {
      if (request.url().endsWith("/api/mutations")) sent.push(request.postData() ?? "");
    });
  }
  await context.setOffline(false);
  for (const tab of [first, second]) await expect(pending(tab)).toHaveCount(0);
  expect(await storedBodies(context, thread)).toEqual(["hi", "from the first tab", "from the second tab"]);
  // Every key went out in one request, not one per tab.
  const keys = sent.flatMap((body) => (body ? JSON.parse(body).items.map((item: { key: string }) => item.key) : []));
  expect(new Set(keys).size).toBe(2);
  await context.close();
});

test("one person's queue is never sent as another's", async ({ browser, server }) => {
  const [adaName, bobName] = [uniqueName("ada"), uniqueName("bob")];
  await (await signUp(browser, server.url, bobName)).context.close();
  const { context, page } = await signUp(browser, server.url, adaName);
  const thread = await startConversation(page, bobName, "hi bob");
  await open(page, thread);
  // Offline, the page's code comes from the worker's precache: before the
  // worker controls the page, a module still on its way waits for the
  // network, and so would the message.
  await becomeControlled(page);
  await context.setOffline(true);
  await send(page, "ada, offline");

  // Signing out warns; Ada keeps waiting.
  await page.getByRole("button", { name: "Sign out" }).click();
  const warning = page.getByRole("alertdialog");
  await expect(warning).toContainText("1 change is not sent yet");
  await warning.getByRole("button", { name: "Keep waiting" }).click();
  await expect(warning).toHaveCount(0);

  // Meanwhile Ada's session ends and Bob signs in on this device.
  await context.request.post("/api/sign_out");
  const signIn = await context.request.post("/api/sign_in", {
    form: { username: bobName, password: "correct horse battery", next: "/" },
  });
  expect(signIn.ok()).toBe(true);
  const mark = server.log.length;
  await context.setOffline(false);
  await open(page, "/messages");
  await expect(page.locator(".who")).toHaveText(bobName.toUpperCase());
  await expect(pending(page)).toHaveCount(0);
  // Ada's batch went out under Bob's session and was refused: nothing of hers is stored.
  await expect.poll(() => server.requestsSince(mark).includes("/api/mutations")).toBe(true);
  expect(await storedBodies(context, thread)).toEqual(["hi bob"]);

  // Ada signs in again: her message goes, once.
  await page.getByRole("button", { name: "Sign out" }).click();
  await open(page, "/login");
  await submitSignIn(page, adaName);
  await expect(page.locator(".who")).toHaveText(adaName.toUpperCase());
  await expect.poll(() => storedBodies(context, thread)).toEqual(["hi bob", "ada, offline"]);

  // With something unsent (here refused), "Discard and sign out" drops it
  // and signs out.
  await open(page, "/messages");
  await page.getByRole("textbox", { name: "Usernames" }).fill(adaName);
  await page.getByRole("button", { name: "Start conversation" }).click();
  await expect(page.locator(".conversation-start")).toContainText("Failed");
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("alertdialog").getByRole("button", { name: "Discard and sign out" }).click();
  await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();
  await expect(pending(page)).toHaveCount(0);
  expect(await page.evaluate(() => new Promise((done) => {
    const request = indexedDB.open("mozi");
    request.onsuccess = () => {
      const all = request.result.transaction("outbox").objectStore("outbox").count();
      all.onsuccess = () => done(all.result);
    };
  }))).toBe(0);
  await context.close();
});

test("a message sent before the box's own code has arrived waits for it, then goes once", async ({
  browser,
  server,
}) => {
  const [adaName, bobName] = [uniqueName("ada"), uniqueName("bob")];
  await (await signUp(browser, server.url, bobName)).context.close();
  // No worker: the page's modules come from the network, where the
  // message box's module is held back until the test lets it go.
  const context = await browser.newContext({ baseURL: server.url, serviceWorkers: "block" });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await signUpIn(page, adaName);
  const thread = await startConversation(page, bobName, "hi bob");
  let letGo = () => {};
  const heldBack = new Promise<void>((done) => (letGo = done));
  let held = 0;
  await context.route("**/pkg/split_composer.wasm*", async (route) => {
    held += 1;
    await heldBack;
    await route.continue();
  });
  await open(page, thread);

  const box = page.getByRole("textbox", { name: "Message" });
  const sendButton = page.getByRole("button", { name: "Send" });
  await box.fill("sent before the code");
  await sendButton.click();
  // Waiting: the text stays in the box, and the button says it is busy.
  await expect(sendButton).toHaveAttribute("aria-busy", "true");
  await expect.poll(() => held).toBeGreaterThan(0);
  await expect(box).toHaveValue("sent before the code");
  expect(await storedBodies(context, thread)).toEqual(["hi bob"]);

  letGo();
  await expect(box).toHaveValue("");
  await expect(sendButton).toHaveAttribute("aria-busy", "false");
  await expect(messages(page).last()).toContainText("sent before the code");
  await expect.poll(() => storedBodies(context, thread)).toEqual(["hi bob", "sent before the code"]);
  expect(errors).toEqual([]);
  await context.close();
});

test("a long thread shows its newest 50 messages, and earlier ones on asking", async ({ browser, server }) => {
  const [adaName, bobName] = [uniqueName("ada"), uniqueName("bob")];
  await (await signUp(browser, server.url, bobName)).context.close();
  const { context, page } = await signUp(browser, server.url, adaName);
  await becomeControlled(page);
  const thread = await startConversation(page, bobName, "first");
  await context.setOffline(true);
  const queued = Array.from({ length: 60 }, (_, n) => `queued ${n + 1}`);
  for (const text of queued) await send(page, text);
  await expect(pending(page)).toHaveText("60 pending");

  // 61 messages: the newest 50 are in the page, the 11 before them wait.
  await expect(messages(page)).toHaveCount(50);
  await expect(messages(page).first()).toContainText("queued 11");
  await expect(messages(page).last()).toContainText("queued 60");
  await page.getByRole("button", { name: "Show 11 earlier messages" }).click();
  await expect(messages(page)).toHaveCount(61);
  await expect(messages(page).first()).toContainText("first");
  await expect(page.getByRole("button", { name: /earlier messages?$/ })).toHaveCount(0);

  // Sent, they keep their places.
  await context.setOffline(false);
  await expect(pending(page)).toHaveCount(0, { timeout: 30_000 });
  await expect(messages(page).last()).toContainText(/queued 60.*Sent/);
  expect(await storedBodies(context, thread)).toEqual(["first", ...queued]);
  await context.close();
});
