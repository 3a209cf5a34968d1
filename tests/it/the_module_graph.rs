//! The module graph of the library has no cycles: the data flow spec → load → bind → auth →
//! request → send → decode/map → runtime → expose runs one way (ARCHITECTURE.md). A `use
//! crate::x` from a module that `x` itself reaches through its own imports fails here, with the
//! path that closes the loop.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level module of a file under `src/` (`src/request/build.rs` → `request`), or `None` for
/// the crate root and the CLI binary, which may use everything.
fn top_module(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(name, "lib" | "main" | "cli")).then(|| name.to_string())
}

pub(super) fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level modules a file names through `crate::<module>`, outside `#[cfg(test)]` code
/// (everything after the first `#[cfg(test)]` is taken as test code) and outside comments.
fn crate_refs(text: &str) -> BTreeSet<String> {
    let mut refs = BTreeSet::new();
    for line in text.lines() {
        let code = line.trim_start();
        if code.starts_with("#[cfg(test)]") {
            break;
        }
        if code.starts_with("//") {
            continue;
        }
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if name.chars().next().is_some_and(|c| c.is_ascii_lowercase()) {
                refs.insert(name);
            }
        }
    }
    refs
}

fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let Some(from) = top_module(&src, &file) else {
            continue;
        };
        let text = std::fs::read_to_string(&file).expect("read source");
        let edges = graph.entry(from.clone()).or_default();
        for to in crate_refs(&text) {
            let is_module = src.join(&to).is_dir() || src.join(format!("{to}.rs")).is_file();
            if is_module && to != from {
                edges.insert(to);
            }
        }
    }
    graph
}

/// A cycle through `start`, as the list of modules visited, if there is one.
fn cycle_from(
    graph: &BTreeMap<String, BTreeSet<String>>,
    start: &str,
    node: &str,
    path: &mut Vec<String>,
    seen: &mut BTreeSet<String>,
) -> Option<Vec<String>> {
    for next in graph.get(node).into_iter().flatten() {
        if next == start {
            let mut cycle = path.clone();
            cycle.push(start.to_string());
            return Some(cycle);
        }
        if seen.insert(next.clone()) {
            path.push(next.clone());
            if let Some(c) = cycle_from(graph, start, next, path, seen) {
                return Some(c);
            }
            path.pop();
        }
    }
    None
}

#[test]
fn the_library_module_graph_has_no_cycle() {
    let graph = module_graph();
    assert!(
        graph.len() >= 6,
        "expected the library's modules, found {graph:?}"
    );
    for start in graph.keys() {
        let mut path = vec![start.clone()];
        if let Some(cycle) = cycle_from(&graph, start, start, &mut path, &mut BTreeSet::new()) {
            panic!(
                "module cycle: {}\nfull graph: {graph:#?}",
                cycle.join(" -> ")
            );
        }
    }
}

#[test]
fn the_model_imports_no_later_stage() {
    let graph = module_graph();
    let spec = graph.get("spec").cloned().unwrap_or_default();
    let allowed: BTreeSet<&str> = ["secret", "map", "decode"].into();
    let extra: Vec<_> = spec
        .iter()
        .filter(|m| !allowed.contains(m.as_str()))
        .collect();
    assert!(extra.is_empty(), "src/spec/ (the model) imports {extra:?}");
}
