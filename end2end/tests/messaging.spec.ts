import { test, expect, newConversation, open, signUp, uniqueName, watchErrors } from "../support/fixtures";
import { FaultyProxy } from "../support/faulty-proxy.cjs";

test("two people message each other live, and a reload keeps everything", async ({ browser, server }) => {
  const adaName = uniqueName("ada");
  const bobName = uniqueName("bob");
  const ada = await signUp(browser, server.url, adaName);
  const bob = await signUp(browser, server.url, bobName);
  const adaErrors = watchErrors(ada.page);
  const bobErrors = watchErrors(bob.page);

  // Ada starts the conversation.
  await open(ada.page, "/messages");
  await ada.page.getByRole("textbox", { name: "Usernames" }).fill(bobName);
  await ada.page.getByRole("button", { name: "Start conversation" }).click();
  await expect(ada.page).toHaveURL(/\/messages\/[0-9a-f-]{36}$/);
  const threadUrl = ada.page.url();
  // Queued on her device first; the thread gets Bob's name once the server has it.
  await expect(ada.page.getByRole("heading", { level: 1 })).toHaveText(bobName.toUpperCase());

  // Bob watches his conversation list; Ada's message arrives without a reload.
  await open(bob.page, "/messages");
  const conversation = bob.page.getByRole("list", { name: "Conversations" }).getByRole("listitem");
  await expect(conversation).toHaveCount(1);
  await expect(conversation).toContainText("No messages yet");

  await ada.page.getByRole("textbox", { name: "Message" }).fill("Hello Bob, see you at the keynote?");
  await ada.page.getByRole("button", { name: "Send" }).click();
  const adaMessages = ada.page.getByRole("list", { name: "Messages" }).getByRole("listitem");
  await expect(adaMessages).toHaveCount(1);
  await expect(adaMessages.first()).toContainText("Hello Bob, see you at the keynote?");
  await expect(ada.page.getByRole("textbox", { name: "Message" })).toHaveValue("");

  await expect(conversation).toContainText("Hello Bob, see you at the keynote?");
  await expect(conversation.getByLabel("1 unread")).toBeVisible();

  // Bob opens the thread; the next message appears live there too.
  await conversation.getByRole("link").click();
  await expect(bob.page).toHaveURL(threadUrl);
  const bobMessages = bob.page.getByRole("list", { name: "Messages" }).getByRole("listitem");
  await expect(bobMessages).toHaveCount(1);

  await ada.page.getByRole("textbox", { name: "Message" }).fill("Room 101, 10:00.");
  await ada.page.getByRole("button", { name: "Send" }).click();
  await expect(bobMessages).toHaveCount(2);
  await expect(bobMessages.last()).toContainText("Room 101, 10:00.");

  // Bob answers; Ada sees it live.
  await bob.page.getByRole("textbox", { name: "Message" }).fill("Deal!");
  await bob.page.getByRole("button", { name: "Send" }).click();
  await expect(adaMessages).toHaveCount(3);
  await expect(adaMessages.last()).toContainText("Deal!");

  // Having read the thread, Bob has nothing unread.
  await bob.page.getByRole("link", { name: "← All conversations" }).click();
  await expect(conversation).toContainText("Deal!");
  await expect(conversation.getByLabel(/unread/)).toHaveCount(0);

  // A reload keeps everything.
  await ada.page.reload();
  await expect(adaMessages).toHaveText([/Hello Bob/, /Room 101/, /Deal!/]);
  await bob.page.goto(threadUrl);
  await expect(bobMessages).toHaveText([/Hello Bob/, /Room 101/, /Deal!/]);

  expect(adaErrors).toEqual([]);
  expect(bobErrors).toEqual([]);
  await ada.context.close();
  await bob.context.close();
});

test("a group conversation reaches every member", async ({ browser, server }) => {
  const names = [uniqueName("ann"), uniqueName("ben"), uniqueName("cat")];
  const [ann, ben, cat] = await Promise.all(names.map((name) => signUp(browser, server.url, name)));
  await open(ann.page, "/messages");
  await ann.page.getByRole("textbox", { name: "Usernames" }).fill(`${names[1]}, ${names[2]}`);
  await ann.page.getByRole("button", { name: "Start conversation" }).click();
  await expect(ann.page).toHaveURL(/\/messages\/[0-9a-f-]{36}$/);
  await ann.page.getByRole("textbox", { name: "Message" }).fill("Lunch?");
  await ann.page.getByRole("button", { name: "Send" }).click();
  await expect(ann.page.getByRole("list", { name: "Messages" })).toContainText(/Lunch\?.*Sent/);
  for (const member of [ben, cat]) {
    await open(member.page, "/messages");
    const item = member.page.getByRole("list", { name: "Conversations" }).getByRole("listitem");
    await expect(item).toContainText("Lunch?");
    await expect(item).toContainText(names[0].toUpperCase());
  }
  for (const member of [ann, ben, cat]) await member.context.close();
});

test("a live stream that drops resumes where it stopped: nothing missed, nothing twice", async ({ browser, server }) => {
  // Bob reaches the server through a proxy that can cut his event stream;
  // Ada goes straight to it.
  const proxy = await FaultyProxy.start({ port: Number(new URL(server.url).port) }, Math.random);
  const adaName = uniqueName("ada");
  const bobName = uniqueName("bob");
  const ada = await signUp(browser, server.url, adaName);
  const bob = await signUp(browser, proxy.url, bobName);
  const bobErrors = watchErrors(bob.page);

  const { thread, send } = await newConversation(ada.page, bobName);

  // Once the server has the conversation (the first message is sent), Bob
  // opens it; the next message comes live.
  await send("one");
  await open(bob.page, thread);
  const bobMessages = bob.page.getByRole("list", { name: "Messages" }).getByRole("listitem");
  await expect(bobMessages).toHaveText([/one/]);
  await send("two");
  await expect(bobMessages).toHaveText([/one/, /two/]);

  // Bob's stream drops and cannot come back for a while; Ada goes on.
  proxy.cut("/api/events");
  await send("three");
  await send("four");
  await expect(bobMessages).toHaveCount(2);

  // The browser reconnects by itself and names the last event it got: the
  // server sends what Bob missed, once, in order. (The page does not
  // refetch on reconnecting: only the resumed stream can bring these.)
  proxy.restore("/api/events");
  await expect(bobMessages).toHaveText([/one/, /two/, /three/, /four/], { timeout: 15_000 });
  await send("five");
  await expect(bobMessages).toHaveText([/one/, /two/, /three/, /four/, /five/]);

  // Only the cut itself may show, as a failed load.
  const cutStream = /net::ERR_(INCOMPLETE_CHUNKED_ENCODING|EMPTY_RESPONSE|CONNECTION_[A-Z_]+)/;
  expect(bobErrors.filter((error) => !cutStream.test(error))).toEqual([]);
  await ada.context.close();
  await bob.context.close();
  await proxy.close();
});

test("a live stream that goes silent without closing is replaced, and resumes where it stopped", async ({
  browser,
  server,
}) => {
  // Two keep-alives' silence, then the new stream: under a minute.
  test.setTimeout(120_000);
  const proxy = await FaultyProxy.start({ port: Number(new URL(server.url).port) }, Math.random);
  const bobName = uniqueName("bob");
  const ada = await signUp(browser, server.url, uniqueName("ada"));
  const bob = await signUp(browser, proxy.url, bobName);
  const streams: string[] = [];
  bob.page.on("request", (request) => {
    if (new URL(request.url()).pathname === "/api/events") streams.push(request.url());
  });

  const { thread, send } = await newConversation(ada.page, bobName);
  await send("one");
  await open(bob.page, thread);
  const bobMessages = bob.page.getByRole("list", { name: "Messages" }).getByRole("listitem");
  await send("two");
  await expect(bobMessages).toHaveText([/one/, /two/]);
  const opened = streams.length;

  // The connection stays open but carries nothing more, as after a network
  // change; the browser alone would wait on it for ever.
  proxy.stall("/api/events");
  await send("three");
  await expect(bobMessages).toHaveText([/one/, /two/, /three/], { timeout: 40_000 });
  // A new stream, resumed after the last event the page had.
  expect(streams.length).toBeGreaterThan(opened);
  expect(streams.at(-1)).toMatch(/[?&]last_event_id=\d+/);
  await send("four");
  await expect(bobMessages).toHaveText([/one/, /two/, /three/, /four/]);
  await ada.context.close();
  await bob.context.close();
  await proxy.close();
});
