// Two release servers on one PostgreSQL, as behind a load balancer: what
// one server writes reaches a page served by the other, live, and a page
// whose server dies reconnects to the other and misses nothing.

import { scratchPostgres } from "../support/server-process.cjs";
import { FaultyProxy } from "../support/faulty-proxy.cjs";
import { expect, newConversation, open, signUp, test, uniqueName, watchErrors } from "../support/fixtures";
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
    const { thread, send } = await newConversation(ada.page, bobName);

    // Ada writes through server 1; Bob's page, served by server 2, gets it
    // live: server 2 learns of it from the database.
    await send("one");
    await open(bob.page, thread);
    const bobMessages = bob.page.getByRole("list", { name: "Messages" }).getByRole("listitem");
    await expect(bobMessages).toHaveText([/one/]);
    await send("two");
    await expect(bobMessages).toHaveText([/one/, /two/]);
    expect(two.requestsSince(0).filter((path) => path.startsWith("/api/events"))).not.toEqual([]);

    // Server 2 dies. Ada goes on; Bob's page reconnects through the
    // balancer, now to server 1, names the last event it got, and gets
    // what was sent meanwhile: once, in order.
    const beforeFailover = one.log.length;
    await two.stop();
    await send("three");
    await send("four");
    await expect(bobMessages).toHaveText([/one/, /two/, /three/, /four/], { timeout: 15_000 });
    await send("five");
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
