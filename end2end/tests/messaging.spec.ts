import { test, expect, open, signUp, uniqueName, watchErrors } from "../support/fixtures";

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
