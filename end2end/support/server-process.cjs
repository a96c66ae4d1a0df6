// The release server as a child process on 127.0.0.1, for the end-to-end
// tests (server.ts) and the benchmarks (bench/harness.mjs) alike: started
// with a given site and database, answering before `start()` returns, and
// killable and startable again on the same port and data. CommonJS, so the
// TypeScript tests and the ES-module scripts both load it.

const { execFileSync, spawn } = require("node:child_process");
const { createServer } = require("node:net");
const { join, resolve } = require("node:path");

const workspaceRoot = resolve(__dirname, "../..");
const ansi = /\u001b\[[0-9;]*m/g;

/**
 * A new, empty database on the throw-away PostgreSQL of the test command
 * (`MOZI_POSTGRES_URL`, set by scripts/postgres.sh), for servers to share.
 */
function scratchPostgres() {
  const server = process.env.MOZI_POSTGRES_URL;
  if (!server) {
    throw new Error("MOZI_POSTGRES_URL is not set: run scripts/test, which starts a throw-away PostgreSQL");
  }
  const name = `mozi_e2e_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e9).toString(36)}`;
  execFileSync("psql", [server, "--quiet", "--command", `CREATE DATABASE ${name}`]);
  return `${server.slice(0, server.lastIndexOf("/"))}/${name}`;
}

/** A port nothing listens on now. */
function freePort() {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once("error", fail);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => done(port));
    });
  });
}

class ServerProcess {
  /**
   * @param {{ binary: string, siteRoot: string, dataDir: string, port: number, logLevel: string, databaseUrl?: string }} options
   *   `databaseUrl`: a database shared with other servers (PostgreSQL);
   *   by default a SQLite file in `dataDir`
   */
  constructor({ binary, siteRoot, dataDir, port, logLevel, databaseUrl }) {
    Object.assign(this, { binary, siteRoot, dataDir, port, logLevel });
    this.databaseUrl = databaseUrl ?? `sqlite://${join(dataDir, "mozi.db")}`;
    this.url = `http://127.0.0.1:${port}`;
    /** Every line it printed, across restarts, colour codes removed. */
    this.log = [];
    this.child = null;
    this.exited = Promise.resolve();
  }

  /** Starts the process (again), on the same port and database. */
  async start() {
    if (this.child) throw new Error("the server is already running");
    const child = spawn(this.binary, [], {
      cwd: workspaceRoot,
      env: {
        ...process.env,
        LEPTOS_SITE_ADDR: `127.0.0.1:${this.port}`,
        LEPTOS_SITE_ROOT: this.siteRoot,
        LEPTOS_OUTPUT_NAME: "mozi",
        DATABASE_URL: this.databaseUrl,
        RUST_LOG: this.logLevel,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const collect = (chunk) =>
      this.log.push(...chunk.toString().replace(ansi, "").split("\n").filter(Boolean));
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    this.exited = new Promise((done) => child.once("exit", () => done()));
    this.child = child;
    try {
      await this.untilServing();
    } catch (error) {
      await this.kill();
      throw error;
    }
  }

  // A site whose files were never compressed (a clean clone's first start)
  // compresses them all at the best levels before it serves: on two cores
  // that alone takes about half a minute.
  async untilServing() {
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`server exited:\n${this.log.join("\n")}`);
      try {
        if ((await fetch(`${this.url}/api/current_user`)).ok) return;
      } catch {
        // Not listening yet.
      }
      await new Promise((next) => setTimeout(next, 50));
    }
    throw new Error(`server did not answer within 120 s:\n${this.log.join("\n")}`);
  }

  /** SIGKILL: gone at once, whatever it was doing; no more answers, not even errors. */
  async kill() {
    if (!this.child) return;
    this.child.kill("SIGKILL");
    await this.exited;
    this.child = null;
  }

  /** SIGTERM, SIGKILL after 5 s. */
  async stop() {
    const child = this.child;
    if (!child) return;
    child.kill("SIGTERM");
    const killer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await this.exited;
    clearTimeout(killer);
    this.child = null;
  }
}

module.exports = { freePort, scratchPostgres, ServerProcess, workspaceRoot };
