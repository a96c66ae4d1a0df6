// Helpers for the device outbox, as a person (or the server) sees it.

import { expect, BrowserContext, Page } from "@playwright/test";

/** The header's "N pending" status. */
export const pending = (page: Page) => page.getByRole("status").filter({ hasText: /\d+ pending$/ });

/** The thread's messages. */
export const messages = (page: Page) => page.getByRole("list", { name: "Messages" }).getByRole("listitem");

/** Types and sends a message; waits until it is queued (the box empties). */
export async function send(page: Page, text: string) {
  const box = page.getByRole("textbox", { name: "Message" });
  await box.fill(text);
  await page.getByRole("button", { name: "Send" }).click();
  await expect(box).toHaveValue("");
}

/** The conversation id of a thread path. */
export const conversationOf = (threadPath: string) => threadPath.split("/").pop() ?? "";

/** Every message body the server has for a conversation, oldest first, page by page, asked with the context's session. */
export async function storedBodies(context: BrowserContext, threadPath: string): Promise<string[]> {
  let bodies: string[] = [];
  let before = "";
  do {
    const reply = await context.request.get(`/api/thread?id=${conversationOf(threadPath)}&before=${before}`);
    if (!reply.ok()) return bodies;
    const thread = await reply.json();
    bodies = [...thread.messages.map((message: { body: string }) => message.body), ...bodies];
    before = thread.older ?? "";
  } while (before);
  return bodies;
}

/** Titles of the sessions in the server's "My schedule". */
export async function storedBookmarks(context: BrowserContext): Promise<string[]> {
  const reply = await context.request.get("/api/my_schedule");
  if (!reply.ok()) return [];
  return (await reply.json()).map((session: { title: string }) => session.title);
}
