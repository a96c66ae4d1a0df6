// An HTTP proxy on 127.0.0.1 between the browser and the server. It passes
// everything through and counts the outbox's batches (POST
// /api/mutations); when told to, it makes a share of those batches fail the
// ways they fail in the field:
//   "503"         the server is overloaded: 503 with no answer per item;
//   "drop before" the connection drops before the server saw the batch;
//   "drop after"  the server applied the batch, then the connection dropped
//                 before its answer arrived (the case that doubles
//                 mutations in naive queues);
//   "kill"        the server process is killed (SIGKILL) a few milliseconds
//                 into the batch and started again; batches sent while it
//                 is down find no server.
// It also notes the bytes of every other answer as sent (`downloads`), can
// rewrite the answer to a GET of a given path (`rewrites`): a file that no
// longer matches its hash, or another version's worker script, and can cut
// the open answers to a path and drop every new request for it until told
// otherwise (`cut`, `restore`): an event stream on a network that failed;
// or stop passing on the bytes of the open answers to a path while keeping
// their connections open (`stall`): a half-open connection after a network
// change, or a balancer that keeps the browser's side open.
//
// Given several servers it is their load balancer: it spreads requests over
// them in turn (`spread`), or sends each to the first that answers
// (failover). A server that refuses the connection (stopped, killed) is
// skipped and the request goes to the next one, as nginx's
// `proxy_next_upstream error` does; "kill" kills the servers in turn.

// CommonJS, as server-process.cjs: the TypeScript tests (update.spec.ts)
// and the ES-module benchmarks (bench/outbox-bench.mjs) both load it.

const { createServer, request } = require("node:http");

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

const FAULTS = ["503", "drop before", "drop after", "kill"];
const BATCH_PATH = "/api/mutations";

/** A seeded generator of numbers in [0, 1) (mulberry32), so a run can be repeated. */
function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class FaultyProxy {
  /** Share of batches that fail, 0 to 1. */
  failureRate = 0;
  /** Batches the browser sent. */
  batches = 0;
  /** Mutations in those batches, resends included. */
  itemsSent = 0;
  /** Mutations the browser got a 2xx answer for. */
  itemsAcknowledged = 0;
  /** Faults injected, by kind. */
  injected = Object.fromEntries(FAULTS.map((fault) => [fault, 0]));
  /** Server restarts done for "kill". */
  restarts = 0;
  restarting = null;
  /** Every answer passed through but batches: `{ path, bytes }`, bytes as sent. */
  downloads = [];
  /** Path → function from the answer's (uncompressed) body to the body sent instead. */
  rewrites = new Map();
  /** Paths whose requests are dropped (`cut`). */
  cutPaths = new Set();
  /** The sockets of answers being sent, with their paths and streams: `{ path, answer, outgoing }`. */
  openAnswers = new Map();

  /** Requests sent so far, for spreading them in turn. */
  requests = 0;

  /**
   * @param servers one server or several, each with a `port` (and `kill()`
   *   and `start()` for the "kill" fault)
   * @param options `{ spread: true }` to send requests to the servers in
   *   turn rather than to the first that answers
   */
  constructor(servers, random, { spread = false } = {}) {
    this.servers = Array.isArray(servers) ? servers : [servers];
    this.spread = spread;
    this.random = random;
    this.http = createServer((incoming, outgoing) => this.handle(incoming, outgoing));
  }

  static async start(servers, random, options) {
    const proxy = new FaultyProxy(servers, random, options);
    await new Promise((done) => proxy.http.listen(0, "127.0.0.1", done));
    proxy.url = `http://127.0.0.1:${proxy.http.address().port}`;
    return proxy;
  }

  async close() {
    this.http.closeAllConnections();
    await new Promise((done) => this.http.close(done));
    await this.restarting;
  }

  /** Cuts the answers to `path` being sent and drops new requests for it. */
  cut(path) {
    this.cutPaths.add(path);
    for (const [socket, open] of this.openAnswers) {
      if (open.path === path) socket.destroy();
    }
  }

  /**
   * Stops passing on the answers to `path` being sent, without closing
   * them: the browser hears nothing more on those connections. New
   * requests for it go through as before.
   */
  stall(path) {
    for (const open of this.openAnswers.values()) {
      if (open.path === path) open.answer.unpipe(open.outgoing);
    }
  }

  /** Lets requests for `path` through again. */
  restore(path) {
    this.cutPaths.delete(path);
  }

  handle(incoming, outgoing) {
    const path = new URL(incoming.url, this.url).pathname;
    if (this.cutPaths.has(path)) {
      // A network error, not an HTTP one: an EventSource tries again.
      incoming.socket.destroy();
      return;
    }
    if (incoming.method === "GET" && this.rewrites.has(path)) {
      this.forwardRewritten(incoming, outgoing, this.rewrites.get(path));
      return;
    }
    if (incoming.method !== "POST" || path !== BATCH_PATH) {
      this.forward(incoming, outgoing);
      return;
    }
    this.batches += 1;
    const fault =
      this.random() < this.failureRate ? FAULTS[Math.floor(this.random() * FAULTS.length)] : null;
    if (fault) this.injected[fault] += 1;
    const chunks = [];
    incoming.on("data", (chunk) => chunks.push(chunk));
    incoming.on("end", () => {
      const body = Buffer.concat(chunks);
      this.itemsSent += itemCount(body);
      switch (fault) {
        case "503":
          outgoing.writeHead(503, { "content-type": "text/plain" }).end("injected");
          return;
        case "drop before":
          incoming.socket.destroy();
          return;
        case "drop after":
          this.forward(incoming, outgoing, body, () => incoming.socket.destroy());
          return;
        case "kill":
          this.forward(incoming, outgoing, body);
          setTimeout(() => this.restart(), Math.floor(this.random() * 20));
          return;
        default:
          this.forward(incoming, outgoing, body);
      }
    });
  }

  /**
   * Sends the request on to the server and its answer back; with `body`,
   * a batch already read, whose acknowledged items are counted (or, with
   * `dropAnswer`, whose answer is swallowed and the connection cut).
   */
  forward(incoming, outgoing, body, dropAnswer, candidates = this.candidates()) {
    const [server, ...others] = candidates;
    const upstream = request(
      {
        host: "127.0.0.1",
        port: server.port,
        method: incoming.method,
        path: incoming.url,
        // A batch's answer is read here, so it comes uncompressed.
        headers:
          body === undefined ? incoming.headers : { ...incoming.headers, "accept-encoding": "identity" },
      },
      (answer) => {
        if (body === undefined) {
          const download = { path: new URL(incoming.url, this.url).pathname, bytes: 0 };
          answer.on("data", (chunk) => (download.bytes += chunk.length));
          answer.on("end", () => this.downloads.push(download));
          this.openAnswers.set(incoming.socket, { path: download.path, answer, outgoing });
          outgoing.on("close", () => this.openAnswers.delete(incoming.socket));
          // The server went away in the middle of its answer (killed): the
          // browser's connection drops too, as behind a real balancer.
          answer.on("close", () => {
            if (!answer.complete) incoming.socket.destroy();
          });
          outgoing.writeHead(answer.statusCode, answer.headers);
          answer.pipe(outgoing);
          return;
        }
        const chunks = [];
        answer.on("data", (chunk) => chunks.push(chunk));
        answer.on("end", () => {
          if (dropAnswer) {
            dropAnswer();
            return;
          }
          const reply = Buffer.concat(chunks);
          if (answer.statusCode >= 200 && answer.statusCode < 300) {
            this.itemsAcknowledged += acknowledgedCount(reply);
          }
          outgoing.writeHead(answer.statusCode, answer.headers);
          outgoing.end(reply);
        });
        answer.on("error", () => incoming.socket.destroy());
      },
    );
    upstream.on("error", (error) => {
      // A server that refused the connection never saw the request: the
      // next one may take it. A body being streamed cannot be sent twice.
      const resendable = body !== undefined || incoming.method === "GET";
      if (error.code === "ECONNREFUSED" && others.length > 0 && resendable) {
        this.forward(incoming, outgoing, body, dropAnswer, others);
        return;
      }
      // No server (killed, or starting again): the browser sees the
      // connection drop, as it would.
      incoming.socket.destroy();
    });
    // The browser went away first (a closed tab, an event stream ended).
    outgoing.on("close", () => {
      if (!outgoing.writableFinished) upstream.destroy();
    });
    if (body !== undefined) upstream.end(body);
    else if (incoming.method === "GET") upstream.end();
    else incoming.pipe(upstream);
  }

  /** The servers to try for the next request, in order. */
  candidates() {
    if (!this.spread) return this.servers;
    const first = this.requests++ % this.servers.length;
    return [...this.servers.slice(first), ...this.servers.slice(0, first)];
  }

  /**
   * Fetches the answer whole and uncompressed, with no validators (a
   * rewritten answer must not be revalidated as the original), and sends
   * `rewrite(body)` in its place.
   */
  forwardRewritten(incoming, outgoing, rewrite) {
    const headers = { ...incoming.headers, "accept-encoding": "identity" };
    delete headers["if-none-match"];
    const upstream = request(
      { host: "127.0.0.1", port: this.servers[0].port, method: "GET", path: incoming.url, headers },
      (answer) => {
        const chunks = [];
        answer.on("data", (chunk) => chunks.push(chunk));
        answer.on("end", () => {
          const body = rewrite(Buffer.concat(chunks));
          const sent = { ...answer.headers, "content-length": String(body.length) };
          delete sent.etag;
          outgoing.writeHead(answer.statusCode, sent);
          outgoing.end(body);
        });
        answer.on("error", () => incoming.socket.destroy());
      },
    );
    upstream.on("error", () => incoming.socket.destroy());
    upstream.end();
  }

  /** Kills a server (each in turn) and starts it again; one restart at a time. */
  restart() {
    if (this.restarting) return;
    const server = this.servers[this.restarts % this.servers.length];
    this.restarts += 1;
    this.restarting = (async () => {
      await server.kill();
      await sleep(200);
      await server.start();
    })().finally(() => {
      this.restarting = null;
    });
  }
}

function itemCount(body) {
  try {
    return JSON.parse(body.toString()).items?.length ?? 0;
  } catch {
    return 0;
  }
}

/** Items of a batch answer that the server applied or had applied before. */
function acknowledgedCount(reply) {
  try {
    const results = JSON.parse(reply.toString()).results ?? [];
    return results.filter((result) => result.status === 200).length;
  } catch {
    return 0;
  }
}

module.exports = { FAULTS, FaultyProxy, seededRandom };
