//! The source line under a diagnostic, with a caret under the place it names, as rustc
//! shows it:
//!
//! ```text
//! tests/fixtures/errors/baseuri-one-slash.yaml:6:5: error: namespace `demo`: …
//!   |
//! 6 |     baseUri: "https:/api.example.test"
//!   |              ^^^^^^^^^^^^^^^^^^^^^^^^^
//! ```

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use naftiko::Location;

/// The text of a capability read from stdin (`-`), which cannot be read again; its
/// diagnostics name the file `stdin`.
static STDIN: OnceLock<String> = OnceLock::new();

/// Files already read for their lines: a file is read once however many findings it has.
static FILES: Mutex<Option<HashMap<PathBuf, Option<String>>>> = Mutex::new(None);

/// Keeps the capability read from stdin for the snippets of its diagnostics.
pub fn remember_stdin(text: &str) {
    let _ = STDIN.set(text.to_string());
}

/// The lines that show `at` in its source (each starting with a newline), or nothing when
/// the file cannot be read or has no such line.
/// A place just past the end of the file (where the YAML parser reports an unclosed
/// bracket or quote) is shown after the end of the last line.
pub fn under(at: &Location) -> String {
    let Some((number, line, past_end)) = source_line(&at.file, at.pos.line) else {
        return String::new();
    };
    // Columns count characters; a tab is shown (and counted) as one space.
    let shown: String = line
        .chars()
        .map(|c| if c == '\t' { ' ' } else { c })
        .collect();
    let (col, width) = if past_end {
        (shown.trim_end().chars().count(), 1)
    } else {
        let col = at.pos.col.max(1) - 1;
        (
            col,
            token_width(&shown.chars().skip(col).collect::<String>()),
        )
    };
    let (shown, col, width) = window(shown.trim_end(), col, width);
    let number = number.to_string();
    let gutter = " ".repeat(number.len());
    format!(
        "\n{gutter} |\n{number} | {}\n{gutter} | {}{}",
        shown,
        " ".repeat(col.min(shown.chars().count())),
        "^".repeat(width)
    )
}

/// Line `line` of `file` (its number, its text), or its last non-blank line when `line`
/// is just past the end (`true`).
/// Characters of a source line shown at most (a minified JSON capability is one line).
const WIDTH: usize = 100;

/// A line longer than [`WIDTH`] cut to the part around the column, with `…` where it was
/// cut; the column and the caret's width moved to match.
fn window(line: &str, col: usize, width: usize) -> (String, usize, usize) {
    let chars: Vec<char> = line.chars().collect();
    if chars.len() <= WIDTH {
        return (line.to_string(), col, width);
    }
    let start = col
        .saturating_sub(WIDTH / 3)
        .min(chars.len().saturating_sub(WIDTH));
    let end = (start + WIDTH).min(chars.len());
    let mut out: String = chars[start..end].iter().collect();
    let mut col = col - start;
    if start > 0 {
        out.insert(0, '…');
        col += 1;
    }
    if end < chars.len() {
        out.push('…');
    }
    let width = width.min(out.chars().count().saturating_sub(col)).max(1);
    (out, col, width)
}

fn source_line(file: &Path, line: usize) -> Option<(usize, String, bool)> {
    if file == Path::new("stdin") {
        if let Some(text) = STDIN.get() {
            return pick(text, line);
        }
    }
    let mut files = FILES.lock().ok()?;
    let text = files
        .get_or_insert_with(HashMap::new)
        .entry(file.to_path_buf())
        .or_insert_with(|| std::fs::read_to_string(file).ok())
        .as_ref()?;
    pick(text, line)
}

fn pick(text: &str, line: usize) -> Option<(usize, String, bool)> {
    // The usual case walks the text once, to the line; only a place past the end counts.
    if let Some(l) = text.lines().nth(line.checked_sub(1)?) {
        return Some((line, l.to_string(), false));
    }
    if line > text.lines().count() + 1 {
        return None;
    }
    let (i, last) = (text.lines().enumerate())
        .filter(|(_, l)| !l.trim().is_empty())
        .last()?;
    Some((i + 1, last.to_string(), true))
}

/// How many characters the token starting `rest` spans: a quoted scalar to its closing
/// quote, a key to its `:`, a plain scalar to the end of its word; at least one.
fn token_width(rest: &str) -> usize {
    let mut chars = rest.chars();
    match chars.next() {
        Some(q @ ('"' | '\'')) => match chars.position(|c| c == q) {
            Some(end) => end + 2,
            None => rest.trim_end().chars().count(),
        },
        Some(_) => {
            let mut n = 0;
            let mut it = rest.chars().peekable();
            while let Some(c) = it.next() {
                let ends_key = c == ':' && it.peek().is_none_or(|n| n.is_whitespace());
                if c.is_whitespace() || ends_key || (n > 0 && matches!(c, ',' | ']' | '}')) {
                    break;
                }
                n += 1;
            }
            n.max(1)
        }
        None => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::{token_width, window};

    #[test]
    fn a_long_line_is_cut_around_the_column_with_the_caret_still_under_it() {
        let line = format!("{}\"bad\"{}", "a".repeat(500), "b".repeat(500));
        let (shown, col, width) = window(&line, 500, 5);
        assert!(shown.starts_with('…') && shown.ends_with('…'), "{shown}");
        assert!(shown.chars().count() <= 102);
        let under: String = shown.chars().skip(col).take(width).collect();
        assert_eq!(under, "\"bad\"");
        assert_eq!(window("short", 2, 3), ("short".to_string(), 2, 3));
    }

    #[test]
    fn the_caret_spans_a_quoted_scalar_a_key_or_a_word() {
        for (rest, width) in [
            ("\"https:/a b\" # c", 12),
            ("'x'", 3),
            ("timeout: 5", 7),
            ("https://a.test/x", 16),
            ("[1, 2]", 2),
            ("", 1),
            ("\"open", 5),
        ] {
            assert_eq!(token_width(rest), width, "{rest:?}");
        }
    }
}
