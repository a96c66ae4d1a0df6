// Two release servers on one PostgreSQL, as behind a load balancer: what
// one server writes reaches a page served by the other, live, and a page
// whose server dies reconnects to the other and misses nothing.

import { scratchPostgres } from "../support/server-process.cjs";
import { FaultyProxy } from "../support/faulty-proxy.cjs";
import { expect, open, signUp, test, uniqueName, watchErrors } from "../support/fixtures";
import { RunningServer } from "../support/server";

test("a message crosses servers live, and a page whose server dies resumes on the other", async ({ browser }) => {
  const database = scratchPostgres();
  const one = await RunningServer.start(undefined, database);
  const two = await RunningServer.start(undefined, database);
  // Bob's load balancer sends him to server 2 while it answers, else to 1.
  const balancer = await FaultyProxy.start([two, one], Math.random);
  const adaName = uniqueName("ada");
  const bobName = uniqueName("bob");
  const ada = await signUp(browser, one.url, adaName);
  const bob = await signUp(browser, balancer.url, bobName);
  const bobErrors = watchErrors(bob.page);
  try {
    await open(ada.page, "/messages");
    await ada.page.getByRole("textbox", { name: "Usernames" }).fill(bobName);
    await ada.page.getByRole("button", { name: "Start conversation" }).click();
    await expect(ada.page).toHaveURL(/\/messages\/[0-9a-f-]{36}$/);
    const thread = new URL(ada.page.url()).pathname;
    const adaMessages = ada.page.getByRole("list", { name: "Messages" }).getByRole("listitem");
    const send = async (text: string, count: number) => {
      await ada.page.getByRole("textbox", { name: "Message" }).fill(text);
      await ada.page.getByRole("button", { name: "Send" }).click();
      await expect(adaMessages).toHaveCount(count);
      await expect(adaMessages.last()).toContainText("Sent");
    };

    // Ada writes through server 1; Bob's page, served by server 2, gets it
    // live: server 2 learns of it from the database.
    await send("one", 1);
    await open(bob.page, thread);
    const bobMessages = bob.page.getByRole("list", { name: "Messages" }).getByRole("listitem");
    await expect(bobMessages).toHaveText([/one/]);
    await send("two", 2);
    await expect(bobMessages).toHaveText([/one/, /two/]);
    expect(two.requestsSince(0).filter((path) => path.startsWith("/api/events"))).not.toEqual([]);

    // Server 2 dies. Ada goes on; Bob's page reconnects through the
    // balancer, now to server 1, names the last event it got, and gets
    // what was sent meanwhile: once, in order.
    const beforeFailover = one.log.length;
    await two.stop();
    await send("three", 3);
    await send("four", 4);
    await expect(bobMessages).toHaveText([/one/, /two/, /three/, /four/], { timeout: 15_000 });
    await send("five", 5);
    await expect(bobMessages).toHaveText([/one/, /two/, /three/, /four/, /five/]);
    expect(one.requestsSince(beforeFailover).filter((path) => path.startsWith("/api/events"))).not.toEqual([]);

    // Only the dropped stream itself may show, as a failed load.
    const droppedStream = /net::ERR_(INCOMPLETE_CHUNKED_ENCODING|EMPTY_RESPONSE|CONNECTION_[A-Z_]+)/;
    expect(bobErrors.filter((error) => !droppedStream.test(error))).toEqual([]);
  } finally {
    await ada.context.close();
    await bob.context.close();
    await balancer.close();
    await one.dispose();
    await two.dispose();
  }
});
