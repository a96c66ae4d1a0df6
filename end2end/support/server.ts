// Starts the release server on 127.0.0.1 with a throw-away database, and
// stops it and removes the database afterwards.

import { spawn, ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(__dirname, "../..");

export interface RunningServer {
  url: string;
  /** Lines the server printed, for failure messages. */
  log: string[];
  stop(): Promise<void>;
}

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

async function waitUntilServing(url: string, child: ChildProcess, log: string[]) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`server exited with ${child.exitCode}:\n${log.join("\n")}`);
    }
    try {
      const response = await fetch(`${url}/api/current_user`);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((next) => setTimeout(next, 100));
  }
  throw new Error(`server did not answer within 30 s:\n${log.join("\n")}`);
}

export async function startServer(): Promise<RunningServer> {
  const binary = process.env.MOZI_SERVER_BIN ?? join(root, "target/release/server");
  const dataDir = mkdtempSync(join(tmpdir(), "mozi-e2e-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const log: string[] = [];
  const child = spawn(binary, [], {
    cwd: root,
    env: {
      ...process.env,
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: "target/site",
      LEPTOS_OUTPUT_NAME: "mozi",
      DATABASE_URL: `sqlite://${join(dataDir, "mozi.db")}`,
      RUST_LOG: "info",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const collect = (chunk: Buffer) => log.push(...chunk.toString().split("\n").filter(Boolean));
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<void>((done) => child.once("exit", () => done()));

  const stop = async () => {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitUntilServing(url, child, log);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, log, stop };
}
