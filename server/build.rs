//! Builds the service worker into the server.
//!
//! Compiles the worker's two crates to wasm (their own target directory):
//! `service-worker`, instantiated at every start, and `service-worker/outbox`,
//! its outbox replayer, instantiated only to send. Runs wasm-bindgen on each
//! for a classic worker (`no-modules`, one global each), and leaves the glue
//! and wasm in OUT_DIR for the server to embed. Running it here makes
//! every build of the server (`cargo leptos build`, `watch`, `cargo test`)
//! carry a worker that matches its sources. A release server gets the
//! size-profile wasm, shrunk by wasm-opt when a working one is on PATH; a
//! debug one (`cargo leptos watch`, tests) gets a quick unoptimised build, so
//! an edit to the worker reaches the open page in seconds.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The first binaryen release that handles wasm-bindgen's reference types.
const MIN_WASM_OPT_VERSION: u32 = 116;
const WASM_OPT_FLAGS: &[&str] = &[
    "-Oz",
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
    // Metadata for linkers, which a browser ignores.
    "--strip-producers",
    "--strip-target-features",
];

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let workspace = manifest_dir
        .parent()
        .expect("server/ is inside the workspace");
    // The worker and the workspace crates it is built from: a change to any
    // of them must reach the worker the server embeds. The paths are
    // relative (to server/) because cargo names a workspace crate's build
    // the same in every checkout: two clones sharing a target directory
    // then each check their own files, not the other's.
    for krate in [
        "service-worker",
        "service-worker/outbox",
        "outbox-browser",
        "outbox",
        "core",
    ] {
        for path in ["src", "Cargo.toml"] {
            println!("cargo:rerun-if-changed=../{krate}/{path}");
        }
    }
    for file in ["Cargo.toml", "Cargo.lock"] {
        println!("cargo:rerun-if-changed=../{file}");
    }

    let target_root = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace.join("target"));
    let worker_target = target_root.join("service-worker");
    let release = env::var("PROFILE").is_ok_and(|profile| profile == "release");
    let (profile, profile_dir) = if release {
        ("wasm-release", "wasm-release")
    } else {
        ("dev", "debug")
    };
    build_wasm(workspace, &worker_target, profile);

    // One folder per profile: a debug build never overwrites the release
    // worker that `bench/` and the size budgets measure.
    let pkg = worker_target.join(format!("pkg-{profile_dir}"));
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("set by cargo"));
    for module in WORKER_MODULES {
        let wasm = worker_target.join(format!(
            "wasm32-unknown-unknown/{profile_dir}/{}.wasm",
            module.crate_file
        ));
        wasm_bindgen_cli_support::Bindgen::new()
            .input_path(&wasm)
            .no_modules(true)
            .expect("no-modules target")
            .no_modules_global(module.global)
            .expect("a no-modules global")
            .typescript(false)
            .out_name(module.out_name)
            .generate(&pkg)
            .expect("wasm-bindgen runs on the service worker");
        let glue = format!("{}.js", module.out_name);
        let wasm = format!("{}_bg.wasm", module.out_name);
        if release {
            optimise(&pkg.join(&wasm));
        }
        for file in [glue, wasm] {
            std::fs::copy(pkg.join(&file), out_dir.join(&file))
                .expect("copy the worker into OUT_DIR");
        }
    }
}

/// A wasm module of the worker: its crate's file name, and the global and
/// file names of its wasm-bindgen glue (in `OUT_DIR`, for the server).
struct WorkerModule {
    crate_file: &'static str,
    global: &'static str,
    out_name: &'static str,
}

/// The worker, instantiated at every start, and its outbox replayer,
/// instantiated only when it may send.
const WORKER_MODULES: [WorkerModule; 2] = [
    WorkerModule {
        crate_file: "service_worker",
        global: "wasm_bindgen",
        out_name: "mozi_sw",
    },
    WorkerModule {
        crate_file: "service_worker_outbox",
        global: "mozi_outbox",
        out_name: "mozi_sw_outbox",
    },
];

fn build_wasm(workspace: &Path, target_dir: &Path, profile: &str) {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(workspace)
        .args([
            "build",
            "--package",
            "service-worker",
            "--package",
            "service-worker-outbox",
            "--lib",
            "--target",
            "wasm32-unknown-unknown",
            "--profile",
            profile,
            "--target-dir",
        ])
        .arg(target_dir)
        // The outer build's flags and clippy's wrapper are for the host crates.
        .env_remove("RUSTFLAGS")
        .env(
            "CARGO_ENCODED_RUSTFLAGS",
            short_source_paths(workspace).join("\x1f"),
        )
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building the service worker failed");
}

/// Flags that shorten the source paths the wasm keeps (in panic locations):
/// dependencies' sources under the crate registry's cache read as
/// `/deps/<crate>`, ours as `/mozi/<crate>`. Fewer bytes, and neither this
/// machine's folders nor the registry's name ship to browsers.
fn short_source_paths(workspace: &Path) -> Vec<String> {
    let cargo_home = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")));
    let registries = cargo_home
        .and_then(|home| std::fs::read_dir(home.join("registry/src")).ok())
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|entry| (entry.path(), "/deps"));
    registries
        .chain(std::iter::once((workspace.to_path_buf(), "/mozi")))
        .map(|(from, to)| format!("--remap-path-prefix={}={to}", from.display()))
        .collect()
}

/// Runs wasm-opt in place when the one on PATH is recent enough; Debian's
/// old binaryen would break the module, and without one the worker is
/// only bigger.
fn optimise(wasm: &Path) {
    let Ok(output) = Command::new("wasm-opt").arg("--version").output() else {
        return;
    };
    let version = String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .find_map(|word| word.parse::<u32>().ok())
        .unwrap_or(0);
    if version < MIN_WASM_OPT_VERSION {
        return;
    }
    let status = Command::new("wasm-opt")
        .args(WASM_OPT_FLAGS)
        .arg(wasm)
        .arg("-o")
        .arg(wasm)
        .status()
        .expect("wasm-opt runs");
    assert!(status.success(), "wasm-opt failed on the service worker");
}
