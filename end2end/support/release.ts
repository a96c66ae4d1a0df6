// A private copy of the built release (server binary and site) that a test
// serves and then publishes new versions of, as a developer's next build
// would: a changed CSS rule, a changed string in the pages and the app.

import { appendFileSync, copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { builtSite, serverBinary } from "./server";

export class Release {
  readonly site: string;
  readonly binary: string;

  private constructor(private readonly dir: string) {
    this.site = join(dir, "site");
    this.binary = join(dir, "server");
  }

  /** Copies the built release; the tests' own build stays untouched. */
  static copy(): Release {
    const release = new Release(mkdtempSync(join(tmpdir(), "mozi-release-")));
    cpSync(builtSite, release.site, { recursive: true });
    // The compressed copies of the site's files, kept by content hash: the
    // copy starts without compressing every file again at the best level.
    const compressed = `${builtSite}.precompressed`;
    if (existsSync(compressed)) cpSync(compressed, `${release.site}.precompressed`, { recursive: true });
    copyFileSync(serverBinary, release.binary);
    return release;
  }

  /** Adds a CSS rule to the stylesheet. */
  addCss(rule: string) {
    appendFileSync(join(this.site, "pkg/mozi.css"), `\n${rule}\n`);
  }

  /**
   * Changes a string of the app's source where the build puts it: the
   * server's rendered pages (in its binary) and the browser's wasm. The
   * replacement has the same length in bytes, so both stay valid, and the
   * result is what rebuilding with the changed string gives, without a
   * second build. The server must be stopped (a running binary cannot be
   * written).
   */
  changeString(from: string, to: string) {
    const [before, after] = [Buffer.from(from), Buffer.from(to)];
    if (before.length !== after.length) throw new Error(`"${from}" and "${to}" differ in length`);
    for (const file of [this.binary, join(this.site, "pkg/mozi.wasm")]) {
      const bytes = readFileSync(file);
      let replaced = 0;
      for (let at = bytes.indexOf(before); at !== -1; at = bytes.indexOf(before, at + after.length)) {
        after.copy(bytes, at);
        replaced += 1;
      }
      if (replaced === 0) throw new Error(`"${from}" is not in ${file}`);
      writeFileSync(file, bytes);
    }
  }

  dispose() {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
