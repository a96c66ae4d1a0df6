// Runs the release server on 127.0.0.1 with a throw-away database. A test
// can stop it (the process really exits) and start it again on the same
// port and database, optionally serving another copy of the site.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, ServerProcess, workspaceRoot } from "./server-process.cjs";

export const builtSite = join(workspaceRoot, "target/site");
export const serverBinary = process.env.MOZI_SERVER_BIN ?? join(workspaceRoot, "target/release/server");

export class RunningServer {
  readonly url: string;
  private violationsExpected = false;

  private constructor(
    private readonly process: ServerProcess,
    private readonly dataDir: string,
  ) {
    this.url = process.url;
  }

  /**
   * Serves `release` (its binary and site), or the tests' own build, on
   * its own SQLite database or on `databaseUrl`.
   */
  static async start(
    release?: { binary: string; site: string },
    databaseUrl?: string,
  ): Promise<RunningServer> {
    const dataDir = mkdtempSync(join(tmpdir(), "mozi-e2e-"));
    const process = new ServerProcess({
      binary: release?.binary ?? serverBinary,
      siteRoot: release?.site ?? builtSite,
      dataDir,
      port: await freePort(),
      logLevel: "info",
      databaseUrl,
    });
    await process.start();
    return new RunningServer(process, dataDir);
  }

  /** Every line the server printed, colour codes removed. */
  get log(): string[] {
    return this.process.log;
  }

  /** Starts the process (again), on the same port and database. */
  restart() {
    return this.process.start();
  }

  /** Kills the process: no more answers, not even errors. */
  stop() {
    return this.process.kill();
  }

  /** The port, for a proxy in front. */
  get port(): number {
    return Number(new URL(this.url).port);
  }

  /** The paths of the requests the server answered since `fromLine`. */
  requestsSince(fromLine: number): string[] {
    return this.log
      .slice(fromLine)
      .filter((line) => line.includes("finished processing request"))
      .map((line) => /uri=(\S+)/.exec(line)?.[1] ?? "")
      .filter(Boolean);
  }

  /** CSP violations the browser reported to the server, one line each. */
  get cspViolations(): string[] {
    return this.log.filter((line) => line.includes("CSP violation"));
  }

  /** For the one test that breaks the policy on purpose. */
  allowCspViolations() {
    this.violationsExpected = true;
  }

  /** Stops the server; fails the test if any page broke the Content-Security-Policy. */
  async dispose() {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
    if (!this.violationsExpected && this.cspViolations.length > 0) {
      throw new Error(`pages broke the Content-Security-Policy:\n${this.cspViolations.join("\n")}`);
    }
  }
}
