// Runs the release server on 127.0.0.1 with a throw-away database. A test
// can stop it (the process really exits) and start it again on the same
// port and database, optionally serving another copy of the site.

import { spawn, ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const workspaceRoot = resolve(__dirname, "../..");
export const builtSite = join(workspaceRoot, "target/site");

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}

const ansi = /\u001b\[[0-9;]*m/g;

export class RunningServer {
  readonly url: string;
  /** Every line the server printed, colour codes removed. */
  readonly log: string[] = [];
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();

  private constructor(
    private readonly port: number,
    private readonly dataDir: string,
    public siteRoot: string,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  static async start(siteRoot = builtSite): Promise<RunningServer> {
    const server = new RunningServer(
      await freePort(),
      mkdtempSync(join(tmpdir(), "mozi-e2e-")),
      siteRoot,
    );
    await server.restart();
    return server;
  }

  /** Starts the process (again), on the same port and database. */
  async restart() {
    if (this.child) throw new Error("the server is already running");
    const binary = process.env.MOZI_SERVER_BIN ?? join(workspaceRoot, "target/release/server");
    const child = spawn(binary, [], {
      cwd: workspaceRoot,
      env: {
        ...process.env,
        LEPTOS_SITE_ADDR: `127.0.0.1:${this.port}`,
        LEPTOS_SITE_ROOT: this.siteRoot,
        LEPTOS_OUTPUT_NAME: "mozi",
        DATABASE_URL: `sqlite://${join(this.dataDir, "mozi.db")}`,
        RUST_LOG: "info",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const collect = (chunk: Buffer) =>
      this.log.push(...chunk.toString().replace(ansi, "").split("\n").filter(Boolean));
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    this.exited = new Promise((done) => child.once("exit", () => done()));
    this.child = child;
    try {
      await this.waitUntilServing();
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  private async waitUntilServing() {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (this.child?.exitCode !== null) {
        throw new Error(`server exited:\n${this.log.join("\n")}`);
      }
      try {
        if ((await fetch(`${this.url}/api/current_user`)).ok) return;
      } catch {
        // Not listening yet.
      }
      await new Promise((next) => setTimeout(next, 100));
    }
    throw new Error(`server did not answer within 30 s:\n${this.log.join("\n")}`);
  }

  /** Kills the process: no more answers, not even errors. */
  async stop() {
    if (!this.child) return;
    this.child.kill("SIGKILL");
    await this.exited;
    this.child = null;
  }

  /** The paths of the requests the server answered since `fromLine`. */
  requestsSince(fromLine: number): string[] {
    return this.log
      .slice(fromLine)
      .filter((line) => line.includes("finished processing request"))
      .map((line) => /uri=(\S+)/.exec(line)?.[1] ?? "")
      .filter(Boolean);
  }

  async dispose() {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
