//! Files served from a declared folder (a skill's `location`, an MCP resource's): every
//! path checked segment by segment and kept inside the folder, symlinks included. Shared by
//! the skill adapter and MCP resources; blocking (run it on `spawn_blocking`).

use std::path::{Path, PathBuf};

/// At most this many files are listed.
pub(crate) const MAX_FILES: usize = 10_000;

/// Why a listing or a file cannot be had.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum FileError {
    /// Over `MAX_FILES` files.
    TooMany,
    /// No such regular file inside the folder (or it leads out through a symlink).
    Missing,
}

/// A request path segment that may name a file: letters, digits, `.`, `_`, `-`, and not
/// `.` or `..`.
pub(crate) fn safe_segment(s: &str) -> bool {
    !s.is_empty()
        && s != "."
        && s != ".."
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The regular files under `root` (canonical), symlinks followed only while they stay
/// inside it, sorted by relative path (`/`-separated): `(relative, real path, size)`.
pub(crate) fn walk(root: &Path) -> Result<Vec<(String, PathBuf, u64)>, FileError> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(real) = std::fs::canonicalize(entry.path()) else {
                continue;
            };
            if !real.starts_with(root) {
                continue;
            }
            let Ok(meta) = std::fs::metadata(&real) else {
                continue;
            };
            if meta.is_dir() {
                stack.push(entry.path());
            } else if meta.is_file() {
                let rel = entry
                    .path()
                    .strip_prefix(root)
                    .map(relative)
                    .unwrap_or_default();
                out.push((rel, real, meta.len()));
                if out.len() > MAX_FILES {
                    return Err(FileError::TooMany);
                }
            }
        }
    }
    out.sort();
    Ok(out)
}

fn relative(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// The real path of `rel` (checked segments) inside `root` (canonical), if it is a regular
/// file there: `(path, size)`.
pub(crate) fn resolve(root: &Path, rel: &[String]) -> Result<(PathBuf, u64), FileError> {
    let real = std::fs::canonicalize(root.join(rel.iter().collect::<PathBuf>()))
        .map_err(|_| FileError::Missing)?;
    let meta = std::fs::metadata(&real).map_err(|_| FileError::Missing)?;
    if !real.starts_with(root) || !meta.is_file() {
        return Err(FileError::Missing);
    }
    Ok((real, meta.len()))
}

/// The media type of a file, by its extension.
pub(crate) fn media_type(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("md" | "markdown") => "text/markdown",
        Some("txt") => "text/plain",
        Some("json") => "application/json",
        Some("yaml" | "yml") => "application/yaml",
        Some("html" | "htm") => "text/html",
        Some("csv") => "text/csv",
        Some("xml") => "application/xml",
        Some("py") => "text/x-python",
        Some("js") => "text/javascript",
        Some("sh") => "application/x-sh",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("svg") => "image/svg+xml",
        Some("pdf") => "application/pdf",
        Some("zip") => "application/zip",
        _ => "application/octet-stream",
    }
}
