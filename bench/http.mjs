// What the benchmarks that talk to the server over plain HTTP share: a
// same-origin POST, sign-up that waits out rate limits, and wrk's report
// read into figures.

import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { SetupError, sleep } from "./harness.mjs";

export const PASSWORD = "correct horse battery";
const SESSION_COOKIE = "mozi_session";
/** How long a sign-up may stay blocked by the per-address limit. */
const BLOCKED_BUDGET_MS = 2 * 60_000;

/**
 * A POST as the app's own pages send it: same origin, so the server's
 * cross-site check lets it through. Never follows redirects, so the
 * session cookie and Location of a sign-in stay visible.
 */
export async function post(server, path, { form, json, cookie } = {}) {
  const headers = {
    Origin: server.url,
    "Sec-Fetch-Site": "same-origin",
    Accept: "application/json",
  };
  if (cookie) headers.Cookie = cookie;
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else {
    headers["Content-Type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(form ?? {});
  }
  const response = await fetch(`${server.url}${path}`, { method: "POST", headers, body, redirect: "manual" });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text };
}

/** `mozi_session=…` as the reply sets it, or null. */
export function sessionCookie(reply) {
  const set = reply.headers.getSetCookie().find((cookie) => cookie.startsWith(`${SESSION_COOKIE}=`));
  return set ? set.split(";")[0] : null;
}

/** A sign-in or sign-up the server accepted: 200 or a redirect, with a session. */
export const accepted = (reply) =>
  (reply.status === 200 || (reply.status >= 300 && reply.status < 400)) && sessionCookie(reply) !== null;

/** Retry-After in milliseconds (seconds or an HTTP date), or null. */
export function retryAfterMs(reply) {
  const value = reply.headers.get("retry-after");
  if (value === null) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

export const brief = (text) => text.replace(/\s+/g, " ").slice(0, 200);

/**
 * Signs up, waiting out 429s (each Retry-After) for up to 2 minutes: the
 * per-IP limiter may still remember an earlier storm. Returns the session
 * cookie and how long it was blocked.
 */
export async function signUp(server, username) {
  const start = performance.now();
  for (;;) {
    const reply = await post(server, "/api/sign_up", {
      form: { username, display_name: username.toUpperCase(), password: PASSWORD },
    });
    if (accepted(reply)) return { cookie: sessionCookie(reply), blockedMs: performance.now() - start };
    const wait = retryAfterMs(reply);
    if (reply.status !== 429 || performance.now() - start + (wait ?? 1000) > BLOCKED_BUDGET_MS) {
      throw new SetupError(`sign-up of ${username} answered ${reply.status}: ${brief(reply.text)}`);
    }
    await sleep(wait ?? 1000);
  }
}

// Asynchronous, so this process keeps reading the server's log meanwhile,
// as a terminal or a log collector would.
const execWrk = promisify(execFile);

/**
 * Runs wrk (Debian's package; scripts/setup.sh installs it) with `args`
 * and answers its figures: requests per second, p50 and p99 latency in
 * milliseconds (with --latency), and how many answers were not 2xx or 3xx.
 */
export async function wrk(args) {
  const { stdout: report } = await execWrk("wrk", args);
  const latency = (percent) => {
    const match = new RegExp(`^\\s+${percent}%\\s+([\\d.]+)(us|ms|s)\\s*$`, "m").exec(report);
    return match ? Number(match[1]) * { us: 0.001, ms: 1, s: 1000 }[match[2]] : NaN;
  };
  return {
    perSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(report)?.[1] ?? NaN),
    p50: latency(50),
    p99: latency(99),
    notOk: Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(report)?.[1] ?? 0),
  };
}
