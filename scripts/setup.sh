# Sourced by scripts/run and scripts/test: installs whatever this Debian
# machine is missing (and nothing else), then sets PATH and the target dir.
# Safe to run again and again.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

CARGO_LEPTOS_VERSION="0.3.10"
# The wasm-bindgen CLI must match the library version in Cargo.lock exactly.
WASM_BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

export PATH="$HOME/.cargo/bin:$PATH"

if ! command -v cargo >/dev/null; then
    echo "Rust is missing: install it with rustup (https://rustup.rs), then run this again." >&2
    exit 1
fi

# Each missing Debian package on its own: a Node.js from another source (whose
# `nodejs` bundles npm) conflicts with Debian's `npm`, and asking for both at
# once would fail even when only Chromium is missing.
# sqlite3: the outbox soak reads the order the server stored messages in.
# wrk: the load generator of bench/ssr-bench.mjs.
apt_updated=""
install_deb() {
    local package="$1"
    if [ -z "$apt_updated" ]; then
        as_root apt-get update -qq
        apt_updated=1
    fi
    say "Installing the Debian package $package"
    as_root apt-get install -y -qq "$package" >/dev/null
}
command -v node >/dev/null || install_deb nodejs
command -v npm >/dev/null || install_deb npm
[ -x /usr/bin/chromium ] || install_deb chromium
command -v sqlite3 >/dev/null || install_deb sqlite3
command -v wrk >/dev/null || install_deb wrk

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "Adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
fi

if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
    say "Building cargo-leptos $CARGO_LEPTOS_VERSION from the crate registry (about 20 minutes, once)"
    cargo install --locked cargo-leptos --version "$CARGO_LEPTOS_VERSION"
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
    say "Building wasm-bindgen-cli $WASM_BINDGEN_VERSION from the crate registry"
    # Without --locked: its lockfile names a crate version the registry no longer has.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -x node_modules/.bin/playwright ] \
    || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "Installing npm packages (binaryen for wasm-opt, Playwright without a browser)"
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-fund --no-audit --loglevel=error
fi

# cargo-leptos takes wasm-opt from PATH: the npm binaryen, ahead of Debian's
# (which breaks wasm-bindgen modules).
export PATH="$ROOT/node_modules/.bin:$PATH"

# Reuse a build cache outside the clone when there is one.
CACHE_TARGET_DIR="${MOZI_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mozi-target}"
if [ -z "${CARGO_TARGET_DIR:-}" ] && [ -d "$CACHE_TARGET_DIR" ]; then
    export CARGO_TARGET_DIR="$CACHE_TARGET_DIR"
fi
export MOZI_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
