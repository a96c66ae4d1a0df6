import { pending } from "../support/outbox";
import { test, expect, open, signUp, uniqueName, watchErrors } from "../support/fixtures";

test("the schedule has a tab per day and each session its own page", async ({ page }) => {
  const errors = watchErrors(page);
  await open(page, "/");
  const days = page.getByRole("navigation", { name: "Conference days" }).getByRole("link");
  await expect(days).toHaveCount(3);
  await expect(days.first()).toHaveAttribute("aria-current", "page");

  await days.nth(2).click();
  await expect(page).toHaveURL(/\?day=3$/);
  await expect(page.getByRole("heading", { name: /Day 3 keynote/ })).toBeVisible();

  await page.getByRole("link", { name: /Day 3 keynote/ }).click();
  await expect(page).toHaveURL(/\/sessions\/\d+$/);
  await expect(page.getByRole("heading", { level: 1, name: /Day 3 keynote/ })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Speakers" })).toBeVisible();
  await page.reload();
  await expect(page.getByRole("heading", { level: 1, name: /Day 3 keynote/ })).toBeVisible();
  expect(errors).toEqual([]);
});

test("a first visit gets the page's wasm modules compressed against the main module", async ({ page }) => {
  const errors = watchErrors(page);
  const wasm: { path: string; encoding?: string; dictionary?: string; caching?: string; bytes: number }[] = [];
  page.on("response", async (response) => {
    const url = new URL(response.url());
    if (!url.pathname.endsWith(".wasm")) return;
    const headers = await response.allHeaders();
    wasm.push({
      path: url.pathname + url.search,
      encoding: headers["content-encoding"],
      dictionary: headers["use-as-dictionary"],
      caching: headers["cache-control"],
      bytes: Number(headers["content-length"]),
    });
  });
  await open(page, "/");
  // The page's own module is asked for last, each module in a task of its
  // own; its response may be read after the page hydrated.
  await expect
    .poll(() => wasm.find((file) => file.path.startsWith("/pkg/split_schedule_route_view"))?.encoding)
    .toBe("dcb");

  // What the page loaded before hydrating: the main module at its
  // first-visit URL, marked as a dictionary, then the page's own modules,
  // compressed against it (and decoded, or the page would not have hydrated).
  // A module of a few hundred bytes may come as plain brotli, or as it is:
  // whichever is smallest, and the dictionary's header alone is 36 bytes.
  const main = wasm.filter((file) => file.path.startsWith("/pkg/mozi.wasm"));
  expect(main).toHaveLength(1);
  expect(main[0].path).toMatch(/^\/pkg\/mozi\.wasm\?v=[0-9a-f]{16}$/);
  expect(main[0].dictionary).toBe('match="/pkg/*.wasm"');
  expect(main[0].caching).toContain("immutable");
  const modules = wasm.filter((file) => !file.path.startsWith("/pkg/mozi.wasm"));
  expect(modules.length).toBeGreaterThan(1);
  expect(modules.filter((file) => file.encoding !== "dcb" && !(file.bytes < 1024))).toEqual([]);
  expect(modules.filter((file) => file.encoding === "dcb").length).toBeGreaterThan(modules.length / 2);
  expect(errors).toEqual([]);
});

test("bookmarks toggle, show in My schedule and survive a reload", async ({ browser, server }) => {
  const { context, page } = await signUp(browser, server.url, uniqueName("ada"));
  const errors = watchErrors(page);
  await open(page, "/?day=2");
  const card = page.locator(".session-card").nth(2);
  const title = await card.getByRole("heading").innerText();

  const add = card.getByRole("button", { name: "Add to My schedule" });
  await expect(add).toHaveAttribute("aria-pressed", "false");
  await add.click();
  const remove = card.getByRole("button", { name: "Remove from My schedule" });
  await expect(remove).toHaveAttribute("aria-pressed", "true");
  await expect(remove).toHaveAttribute("aria-busy", "false");

  await page.reload();
  await expect(
    page.locator(".session-card").nth(2).getByRole("button", { name: "Remove from My schedule" }),
  ).toHaveAttribute("aria-pressed", "true");

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "My schedule" }).click();
  await expect(page).toHaveURL(/\/my-schedule$/);
  await expect(page.getByRole("heading", { name: title })).toBeVisible();
  await expect(page.locator(".session-card")).toHaveCount(1);

  await page.getByRole("button", { name: "Remove from My schedule" }).click();
  await expect(page.getByText("Nothing here yet.")).toBeVisible();
  await page.reload();
  await expect(page.getByText("Nothing here yet.")).toBeVisible();
  expect(errors).toEqual([]);
  await context.close();
});

test("My schedule lists bookmarks in time order", async ({ browser, server }) => {
  const { context, page } = await signUp(browser, server.url, uniqueName("grace"));
  await open(page, "/?day=3");
  await page.locator(".session-card").first().getByRole("button", { name: "Add to My schedule" }).click();
  await expect(page.locator(".session-card").first().getByRole("button", { name: "Remove from My schedule" })).toBeVisible();
  await open(page, "/?day=1");
  await page.locator(".session-card").last().getByRole("button", { name: "Add to My schedule" }).click();
  await expect(page.locator(".session-card").last().getByRole("button", { name: "Remove from My schedule" })).toBeVisible();
  // Queued on the device, then delivered.
  await expect(pending(page)).toHaveCount(0);

  await open(page, "/my-schedule");
  const times = page.locator(".session-card .time");
  await expect(times).toHaveCount(2);
  await expect(times.first()).toContainText("Day 1");
  await expect(times.last()).toContainText("Day 3");
  await context.close();
});
