//! Writing to stdout: JSON pretty on a terminal (in colour unless `NO_COLOR` is set) and
//! compact otherwise, YAML, tables, raw bytes, lines. A closed pipe (`naftiko … | head`)
//! ends the output quietly instead of panicking.

use std::io::{self, IsTerminal, Write};

use serde::Serialize;
use serde_json::Value;

use super::Failure;

mod colour;
pub mod snippet;
mod table;
mod yaml;

/// How `call -o` prints its output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Style {
    /// JSON: indented (and coloured) on a terminal, one line otherwise.
    Json,
    /// YAML, block style.
    Yaml,
    /// A table: an array of objects, one column per key (the union of their keys, in the
    /// order they first appear); anything else is printed as YAML.
    Table,
}

/// Prints a value in `style`.
pub fn styled(style: Style, value: &Value) -> Result<(), Failure> {
    match style {
        Style::Json => json(value),
        Style::Yaml => line(yaml::render(value).trim_end()),
        Style::Table => match table::render(value) {
            Some(text) => line(text.trim_end()),
            None => line(yaml::render(value).trim_end()),
        },
    }
}

/// Colour on stdout: only on a terminal, and never when `NO_COLOR` is set (to anything
/// but the empty string, as no-color.org says).
fn colour() -> bool {
    io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Prints a JSON value and a newline: indented on a terminal (coloured, unless `NO_COLOR`
/// is set), one line otherwise.
pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<(), Failure> {
    if colour() {
        let value = serde_json::to_value(value)
            .map_err(|e| Failure::invalid(format!("cannot write the output as JSON: {e}")))?;
        return line(&colour::json(&value));
    }
    let text = if io::stdout().is_terminal() {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    }
    .map_err(|e| Failure::invalid(format!("cannot write the output as JSON: {e}")))?;
    line(&text)
}

/// Prints a line of text.
pub fn line(text: &str) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    finish(
        out.write_all(text.as_bytes())
            .and_then(|()| out.write_all(b"\n"))
            .and_then(|()| out.flush()),
    )
}

/// Prints bytes exactly as they are.
pub fn raw(bytes: &[u8]) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    finish(out.write_all(bytes).and_then(|()| out.flush()))
}

fn finish(result: io::Result<()>) -> Result<(), Failure> {
    match result {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::invalid(format!("cannot write to stdout: {e}"))),
    }
}

/// Writes diagnostic lines (the `-v` request and response) to stderr.
pub fn stderr_lines<'a>(lines: impl IntoIterator<Item = &'a str>) {
    let mut err = io::stderr().lock();
    for l in lines {
        let _ = writeln!(err, "{l}");
    }
}
