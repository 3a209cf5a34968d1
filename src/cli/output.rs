//! Writing to stdout: JSON pretty on a terminal and compact otherwise, raw bytes, lines.
//! A closed pipe (`naftiko … | head`) ends the output quietly instead of panicking.

use std::io::{self, IsTerminal, Write};

use serde::Serialize;

use super::Failure;

/// Prints a JSON value and a newline: indented on a terminal, one line otherwise.
pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<(), Failure> {
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
