import { defineConfig } from "@playwright/test";
import flags from "./chromium-flags.json";

// Debian's Chromium, never a downloaded browser. The flags (shared with the
// benchmarks) keep it from calling out to Google's services, which this
// network refuses.
export const chromiumFlags: string[] = flags;

export default defineConfig({
  testDir: "./tests",
  // Each test file starts its own server; two cores run one file at a time best.
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [["list"]],
  use: {
    browserName: "chromium",
    launchOptions: { executablePath: "/usr/bin/chromium", args: chromiumFlags },
    trace: "retain-on-failure",
  },
  outputDir: "test-results",
});
