//! The build's files as a release serves them, where that differs from
//! what the build wrote: the split loader compacted and asking for each
//! module in a task of its own, wasm modules without their custom sections,
//! and the JS compaction the worker's glue shares. A release applies them
//! once, at start-up, before the files are hashed and compressed; under
//! `cargo leptos watch` the site's files are served as the build wrote them.

use crate::static_files::SiteFile;
use axum::body::Bytes;

/// `source` without blank lines, lines that are only a `//` comment,
/// `/* … */` blocks starting a line, and the indentation of every line.
/// Only for JS whose strings and template literals never span lines (a
/// line-based rewrite would change those): the worker's glue and bootstrap,
/// and the split loader.
pub fn compact_js(source: &str) -> String {
    let mut lines = Vec::new();
    let mut in_block_comment = false;
    for line in source.lines().map(str::trim) {
        if in_block_comment || line.starts_with("/*") {
            in_block_comment = !line.ends_with("*/");
        } else if !line.is_empty() && !line.starts_with("//") {
            lines.push(line);
        }
    }
    lines.join("\n")
}

/// A module's wasm-bindgen glue (`no-modules`) without its async init. The
/// glue has two ways to instantiate the module: `initSync`, which the
/// worker's bootstrap calls with the bytes it read from Cache Storage, and
/// a default async init, which fetches and streams them. Nothing calls the
/// second, whose code (`__wbg_load` with its fallbacks and warnings,
/// `__wbg_init`, `__wbg_init_once`) was a twentieth of `/sw.js`, which
/// carries two modules' glue (brotli 7.5 -> 7.1 KB). The glue's global is
/// then a plain object of `initSync` and the exports. Returned unchanged
/// if the glue is not shaped as expected; a test holds the shape of the
/// glue this build embeds.
pub fn without_async_init(glue: &str) -> String {
    const LOADER: &str = "async function __wbg_load(";
    const INIT_SYNC: &str = "function initSync(";
    const ASYNC_INIT: &str = "let __wbg_init_promise;";
    const EXPORT: &str = "return Object.assign(__wbg_init, { initSync }, exports);";
    const SYNC_EXPORT: &str = "return Object.assign({ initSync }, exports);";
    let found = |marker| glue.find(marker);
    let (Some(loader), Some(init_sync), Some(async_init), Some(export)) = (
        found(LOADER),
        found(INIT_SYNC),
        found(ASYNC_INIT),
        found(EXPORT),
    ) else {
        return glue.to_owned();
    };
    if !(loader < init_sync && init_sync < async_init && async_init < export) {
        return glue.to_owned();
    }
    [
        &glue[..loader],
        &glue[init_sync..async_init],
        SYNC_EXPORT,
        &glue[export + EXPORT.len()..],
    ]
    .concat()
}

/// The split loader (`/pkg/__wasm_split.*.js`) as a release serves it:
/// compacted, and asking for each module in a task of its own.
/// - cargo-leptos minifies the app's glue but writes the loader as
///   wasm-split emits it, with a comment naming the pages of every chunk
///   and indentation on every line: two fifths of its brotli bytes, which
///   grow with each split point.
/// - The loader fetches all the modules a page needs from one task, and a
///   first load needs up to forty: each `fetch` costs the main thread a
///   request's set-up, and together they were a long task of their own, as
///   long as hydration's (Lighthouse counts it in Total Blocking Time).
///   Each request now starts in a task of its own, which the browser may
///   run between other work.
///
/// - wasm-split writes out how to fetch and instantiate each module, the
///   same four lines for every one of the eighty but for its name: a
///   release writes them once (`loadModule`), a chunk, which needs no other
///   module, by its number alone (`chunk(<n>)`), and names the loaders of
///   the chunks `$<n>` instead of `__chunk_<n>`, which every page's list of
///   the chunks it needs repeats.
///
/// Left as it is if it holds a template literal, which a line-based rewrite
/// could change.
pub fn compact_split_loader(file: SiteFile) -> SiteFile {
    /// Where the loader's `makeLoad` asks for a module, and how a release
    /// does: once a task of its own has started.
    const FETCH: &str = "const instantiate = fetcher();";
    /// How wasm-split names the loader of a chunk, before its number.
    const CHUNK_LOADER: &str = "__chunk_";
    const FETCH_IN_A_TASK: &str = "const instantiate = await new Promise(nextTask).then(fetcher);";
    // A message the loader posts itself, not a timer: a browser holds back
    // the timers of a tab in the background, not its messages. One channel,
    // one message per module, answered in order.
    const NEXT_TASK: &str = "const taskChannel = new MessageChannel(), queued = [];\ntaskChannel.port1.onmessage = () => queued.shift()();\nconst nextTask = (start) => { queued.push(start); taskChannel.port2.postMessage(0); };";
    let is_loader = file
        .url
        .strip_prefix("/pkg/__wasm_split")
        .is_some_and(|rest| rest.ends_with(".js"));
    match std::str::from_utf8(&file.bytes) {
        Ok(source) if is_loader && !source.contains('`') => {
            let mut served = load_modules_alike(&compact_js(source));
            if !served.contains('$') {
                served = served.replace(CHUNK_LOADER, "$");
            }
            if served.contains(FETCH) {
                served = served.replace(FETCH, FETCH_IN_A_TASK);
                served.push('\n');
                served.push_str(NEXT_TASK);
            }
            SiteFile::new(file.url.clone(), Bytes::from(served))
        }
        _ => file,
    }
}

/// The compacted loader with each module's `makeLoad(() => { … }, deps)`
/// written as `loadModule("name", deps)`, and a chunk's as `chunk(<n>)`,
/// both defined once before the first.
fn load_modules_alike(loader: &str) -> String {
    const FETCHES: &str = "makeLoad(() => {\nconst src = fetch(new URL(\"./";
    const INSTANTIATES: &str = ".wasm\", import.meta.url));\nreturn async (imports) => (WebAssembly.instantiateStreaming(src, imports));\n}\n, ";
    const LOAD_MODULE: &str = "const loadModule = (name, deps) => makeLoad(() => {\nconst src = fetch(new URL(\"./\" + name + \".wasm\", import.meta.url));\nreturn async (imports) => (WebAssembly.instantiateStreaming(src, imports));\n}, deps);\n";
    const LOAD_CHUNK: &str = "const chunk = (number) => loadModule(\"chunk_\" + number, []);\n";
    const NO_DEPS: &str = "[])";
    let Some(first) = loader.find(FETCHES) else {
        return loader.to_owned();
    };
    // On the line before the first module's: `const` is not hoisted.
    let line_start = loader[..first].rfind('\n').map_or(0, |newline| newline + 1);
    let mut served = String::with_capacity(loader.len());
    served.push_str(&loader[..line_start]);
    served.push_str(LOAD_MODULE);
    served.push_str(LOAD_CHUNK);
    let mut rest = &loader[line_start..];
    while let Some(at) = rest.find(FETCHES) {
        let after = &rest[at + FETCHES.len()..];
        let name = after.find(INSTANTIATES).map(|end| &after[..end]);
        let Some(name) = name.filter(|name| {
            !name.is_empty()
                && name
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_')
        }) else {
            // Not the shape wasm-split writes: kept as it is.
            served.push_str(&rest[..at + FETCHES.len()]);
            rest = after;
            continue;
        };
        served.push_str(&rest[..at]);
        rest = &after[name.len() + INSTANTIATES.len()..];
        let chunk = name.strip_prefix("chunk_").filter(|number| {
            !number.is_empty() && number.bytes().all(|byte| byte.is_ascii_digit())
        });
        match chunk {
            Some(number) if rest.starts_with(NO_DEPS) => {
                served.push_str("chunk(");
                served.push_str(number);
                served.push(')');
                rest = &rest[NO_DEPS.len()..];
            }
            _ => {
                served.push_str("loadModule(\"");
                served.push_str(name);
                served.push_str("\", ");
            }
        }
    }
    served.push_str(rest);
    served
}

/// A wasm module of the site as a release serves it: without its custom
/// sections. The toolchain leaves `producers` and `target_features` in
/// every module the split makes, metadata for linkers that a browser
/// ignores; on a page that fetches thirty modules they are half a
/// kilobyte of its first load. A file that is not a well-formed module is
/// left as it is.
pub fn strip_wasm_custom_sections(file: SiteFile) -> SiteFile {
    if !file.url.ends_with(".wasm") {
        return file;
    }
    match wasm_without_custom_sections(&file.bytes) {
        Some(stripped) if stripped.len() < file.bytes.len() => {
            SiteFile::new(file.url.clone(), Bytes::from(stripped))
        }
        _ => file,
    }
}

/// The module's header and every section but the custom ones (id 0), in
/// order; `None` when `module` is not a sequence of well-formed sections.
fn wasm_without_custom_sections(module: &[u8]) -> Option<Vec<u8>> {
    const HEADER: [u8; 8] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    const CUSTOM_SECTION: u8 = 0;
    if !module.starts_with(&HEADER) {
        return None;
    }
    let mut kept = HEADER.to_vec();
    let mut offset = HEADER.len();
    while let Some(&id) = module.get(offset) {
        let (size, size_len) = read_leb128_u32(module.get(offset + 1..)?)?;
        let end = (offset + 1 + size_len).checked_add(usize::try_from(size).ok()?)?;
        let section = module.get(offset..end)?;
        if id != CUSTOM_SECTION {
            kept.extend_from_slice(section);
        }
        offset = end;
    }
    Some(kept)
}

/// An unsigned LEB128 number of at most 32 bits, and how many bytes it takes.
fn read_leb128_u32(bytes: &[u8]) -> Option<(u32, usize)> {
    let mut value: u32 = 0;
    for (index, &byte) in bytes.iter().enumerate().take(5) {
        // The fifth byte holds the top 4 bits only.
        if index == 4 && byte > 0x0f {
            return None;
        }
        value |= u32::from(byte & 0x7f) << (7 * index);
        if byte & 0x80 == 0 {
            return Some((value, index + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::static_files::sha256_hex;

    fn file(url: &str, text: &str) -> SiteFile {
        file_bytes(url, text.as_bytes())
    }

    fn file_bytes(url: &str, bytes: &[u8]) -> SiteFile {
        SiteFile::new(url.to_owned(), Bytes::copy_from_slice(bytes))
    }

    #[test]
    fn compacting_drops_comments_blank_lines_and_indentation_only() {
        let source = "// a comment\n/**\n * docs\n */\n/* chunk_1: a, b */\nfunction f(a) {\n\n    return `//${a}`; // kept: not a whole line\n}\n  /** one line */\nf(1);\n";
        assert_eq!(
            compact_js(source),
            "function f(a) {\nreturn `//${a}`; // kept: not a whole line\n}\nf(1);"
        );
    }

    #[test]
    fn the_split_loader_is_compacted_loads_modules_alike_and_fetches_in_tasks_of_their_own() {
        let loader = file(
            "/pkg/__wasm_split.abc.js",
            "/* a, b */\nconst x = 1;\n    f(x);\n",
        );
        assert_eq!(
            &compact_split_loader(loader).bytes[..],
            b"const x = 1;\nf(x);"
        );
        let fetching = file(
            "/pkg/__wasm_split.abc.js",
            "const loader = async () => {\n    const instantiate = fetcher();\n};\n",
        );
        assert_eq!(
            std::str::from_utf8(&compact_split_loader(fetching).bytes).unwrap(),
            "const loader = async () => {\n\
             const instantiate = await new Promise(nextTask).then(fetcher);\n\
             };\n\
             const taskChannel = new MessageChannel(), queued = [];\n\
             taskChannel.port1.onmessage = () => queued.shift()();\n\
             const nextTask = (start) => { queued.push(start); taskChannel.port2.postMessage(0); };"
        );
        let modules = file(
            "/pkg/__wasm_split.abc.js",
            "function makeLoad(fetcher, deps) {}\n/* a, b */\nconst __chunk_1 = makeLoad(() => {\n    const src = fetch(new URL(\"./chunk_1.wasm\", import.meta.url));\n    return async (imports) => (WebAssembly.instantiateStreaming(src, imports));\n}\n, []);\nexport const __load_a = wrap(makeLoad(() => {\n    const src = fetch(new URL(\"./split_a.wasm\", import.meta.url));\n    return async (imports) => (WebAssembly.instantiateStreaming(src, imports));\n}\n, [__chunk_1]));\n",
        );
        assert_eq!(
            std::str::from_utf8(&compact_split_loader(modules).bytes).unwrap(),
            "function makeLoad(fetcher, deps) {}\n\
             const loadModule = (name, deps) => makeLoad(() => {\n\
             const src = fetch(new URL(\"./\" + name + \".wasm\", import.meta.url));\n\
             return async (imports) => (WebAssembly.instantiateStreaming(src, imports));\n\
             }, deps);\n\
             const chunk = (number) => loadModule(\"chunk_\" + number, []);\n\
             const $1 = chunk(1);\n\
             export const __load_a = wrap(loadModule(\"split_a\", [$1]));"
        );
        let with_template = file(
            "/pkg/__wasm_split.abc.js",
            "/* a */\nconst t = `\n  kept`;\n",
        );
        let unchanged = with_template.bytes.clone();
        assert_eq!(compact_split_loader(with_template).bytes, unchanged);
        let other = file("/pkg/mozi.js", "/* a */\nconst x = 1;\n");
        let unchanged = other.bytes.clone();
        assert_eq!(compact_split_loader(other).bytes, unchanged);
    }

    /// A module: the header, then `(id, body)` sections.
    fn module(sections: &[(u8, &[u8])]) -> Vec<u8> {
        let mut bytes = b"\0asm\x01\0\0\0".to_vec();
        for (id, body) in sections {
            bytes.push(*id);
            bytes.push(u8::try_from(body.len()).unwrap());
            bytes.extend_from_slice(body);
        }
        bytes
    }

    #[test]
    fn wasm_modules_are_served_without_their_custom_sections() {
        let producers: &[u8] = b"\x09producers\x00";
        let types: &[u8] = &[0x01, 0x60, 0x00, 0x00];
        let code: &[u8] = &[0x01, 0x02, 0x00, 0x0b];
        let built = module(&[(1, types), (0, producers), (10, code), (0, producers)]);
        let served = strip_wasm_custom_sections(file_bytes("/pkg/chunk_1.wasm", &built));
        assert_eq!(&served.bytes[..], &module(&[(1, types), (10, code)])[..]);
        assert_eq!(served.sha256, sha256_hex(&served.bytes));
        // A module made of custom sections only is served empty, and stays valid.
        let empty =
            strip_wasm_custom_sections(file_bytes("/pkg/chunk_2.wasm", &module(&[(0, producers)])));
        assert_eq!(&empty.bytes[..], &module(&[])[..]);
    }

    #[test]
    fn files_that_are_not_wasm_modules_are_served_as_they_are() {
        let truncated = [
            &module(&[(1, &[0x01, 0x60, 0x00, 0x00])])[..10],
            &[0x00][..],
        ]
        .concat();
        let long_size = [&module(&[])[..], &[0x00, 0xff, 0xff, 0xff, 0xff, 0x7f][..]].concat();
        for bytes in [b"not wasm".to_vec(), truncated, long_size] {
            let kept = strip_wasm_custom_sections(file_bytes("/pkg/odd.wasm", &bytes));
            assert_eq!(&kept.bytes[..], &bytes[..]);
        }
        let named_otherwise = module(&[(0, b"\x01x")]);
        let kept = strip_wasm_custom_sections(file_bytes("/pkg/data.bin", &named_otherwise));
        assert_eq!(&kept.bytes[..], &named_otherwise[..]);
    }
}
