//! `naftiko validate`: every diagnostic as `file:line:col: error|warning: message`, or as
//! JSON, or as GitHub Actions annotations (`--format`).

use std::path::PathBuf;

use clap::Args;
use naftiko::Diagnostic;
use naftiko::LoadOptions;
use serde_json::{json, Value};

use crate::cli::{output, read_spec, Exit, Failure};

/// `naftiko validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Capability files (YAML or JSON)
    #[arg(required = true, value_name = "SPEC")]
    pub specs: Vec<PathBuf>,
    /// Also report every deviation from the 1.0.0-alpha2 schema; report everything as an
    /// error
    #[arg(long)]
    pub strict: bool,
    /// How diagnostics are printed: `text` (`file:line:col: severity: message`), `json` (one
    /// array of objects) or `github` (workflow commands: `::error file=…,line=…::…`, which
    /// GitHub Actions shows as annotations on the pull request)
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// List every warning: by default (text format), past five warnings of one kind only
    /// the first three are listed, then how many more there are
    #[arg(long)]
    pub all: bool,
}

/// Warnings of one kind beyond this many are grouped (text format, without `--all`).
const GROUP_OVER: usize = 5;
/// How many of a grouped kind are still listed.
const GROUP_SHOWN: usize = 3;

/// The output of `validate --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `file:line:col: error|warning: message`, one a line.
    Text,
    /// A JSON array of `{file, line, column, severity, message}`.
    Json,
    /// GitHub Actions workflow commands.
    Github,
}

/// Runs `naftiko validate`. Plain: errors, warnings and notes are shown (notes as
/// warnings), errors fail. Strict: schema deviations are shown too, and warnings and
/// deviations are errors; notes (valid features not supported yet) stay warnings.
pub fn run(a: &ValidateArgs) -> Result<Exit, Failure> {
    let (mut errors, mut warnings) = (0usize, 0usize);
    let mut text = String::new();
    let mut list: Vec<Value> = Vec::new();
    for path in &a.specs {
        let options = if a.strict {
            LoadOptions::strict()
        } else {
            LoadOptions::default()
        };
        let mut diagnostics: Vec<Diagnostic> = match read_spec(path, &options)? {
            Ok(cap) => cap.diagnostics().to_vec(),
            Err(e) => e.diagnostics(),
        };
        // In document order (stable: same-place findings keep the loader's order); imported
        // files keep their place after the file that imports them.
        diagnostics.sort_by_key(|d| {
            (
                d.location.file.as_ref() != path.as_path(),
                d.location.pos.line,
                d.location.pos.col,
            )
        });
        diagnostics.retain(|d| d.is_shown(a.strict));
        let kinds = warning_kinds(&diagnostics, a);
        let mut seen: Vec<(String, usize)> = Vec::new();
        for d in diagnostics {
            if d.is_error(a.strict) {
                errors += 1;
            } else {
                warnings += 1;
            }
            match a.format {
                Format::Text => match group_line(&d, a.strict, &kinds, &mut seen) {
                    Grouped::Show => {
                        text.push_str(&d.render(a.strict));
                        text.push_str(&output::snippet::under(&d.location));
                    }
                    Grouped::Hide => continue,
                    Grouped::Count(line) => text.push_str(&line),
                },
                Format::Github => text.push_str(&github(&d, a.strict)),
                Format::Json => list.push(diagnostic_json(&d, a.strict)),
            }
            text.push('\n');
        }
    }
    if a.format == Format::Json {
        output::json(&list)?;
    } else {
        output::raw(text.as_bytes())?;
    }
    let files = a.specs.len();
    let summary = format!(
        "{files} file{}: {errors} error{}, {warnings} warning{}{}",
        plural(files),
        plural(errors),
        plural(warnings),
        if a.strict { " (strict)" } else { "" }
    );
    output::stderr_lines([summary.as_str()]);
    Ok(if errors > 0 { Exit::Invalid } else { Exit::Ok })
}

/// What becomes of one warning when warnings of a kind are grouped.
enum Grouped {
    Show,
    Hide,
    /// The last one listed, followed by how many are not.
    Count(String),
}

/// A warning's kind: its message before any `;`, with the quoted names left out, so that
/// the same finding about different operations is one kind.
fn kind(message: &str) -> String {
    let head = message.split("; ").next().unwrap_or(message);
    let mut k: String = head
        .split('`')
        .enumerate()
        .map(|(i, part)| if i % 2 == 1 { "…" } else { part })
        .collect();
    // A list of names is one name's kind too.
    while k.contains("…, …") {
        k = k.replace("…, …", "…");
    }
    k
}

/// The kinds of warning to group (more than [`GROUP_OVER`] of them), with their counts.
fn warning_kinds(diagnostics: &[Diagnostic], a: &ValidateArgs) -> Vec<(String, usize)> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    if a.all || a.format != Format::Text {
        return counts;
    }
    for d in diagnostics.iter().filter(|d| !d.is_error(a.strict)) {
        let k = kind(&d.message);
        match counts.iter_mut().find(|(c, _)| *c == k) {
            Some((_, n)) => *n += 1,
            None => counts.push((k, 1)),
        }
    }
    counts.retain(|(_, n)| *n > GROUP_OVER);
    counts
}

/// Whether a warning is listed, hidden, or listed with the count of its hidden kin.
fn group_line(
    d: &Diagnostic,
    strict: bool,
    kinds: &[(String, usize)],
    seen: &mut Vec<(String, usize)>,
) -> Grouped {
    if d.is_error(strict) {
        return Grouped::Show;
    }
    let k = kind(&d.message);
    let Some((_, total)) = kinds.iter().find(|(c, _)| *c == k) else {
        return Grouped::Show;
    };
    let n = match seen.iter_mut().find(|(c, _)| *c == k) {
        Some((_, n)) => {
            *n += 1;
            *n
        }
        None => {
            seen.push((k, 1));
            1
        }
    };
    match n {
        n if n < GROUP_SHOWN => Grouped::Show,
        n if n == GROUP_SHOWN => Grouped::Count(format!(
            "{}{}\n{}: warning: … and {} more like this one (`--all` lists them)",
            d.render(strict),
            crate::cli::output::snippet::under(&d.location),
            d.location.file.display(),
            total - GROUP_SHOWN
        )),
        _ => Grouped::Hide,
    }
}

fn severity(d: &Diagnostic, strict: bool) -> &'static str {
    if d.is_error(strict) {
        "error"
    } else {
        "warning"
    }
}

fn diagnostic_json(d: &Diagnostic, strict: bool) -> Value {
    json!({
        "file": d.location.file.display().to_string(),
        "line": d.location.pos.line,
        "column": d.location.pos.col,
        "severity": severity(d, strict),
        "message": d.message,
    })
}

/// A GitHub Actions workflow command: `::error file=F,line=L,col=C::message`, escaped as
/// the runner expects (`%`, CR and LF everywhere; `:` and `,` in properties too).
fn github(d: &Diagnostic, strict: bool) -> String {
    let data = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let property = |s: &str| data(s).replace(':', "%3A").replace(',', "%2C");
    format!(
        "::{} file={},line={},col={}::{}",
        severity(d, strict),
        property(&d.location.file.display().to_string()),
        d.location.pos.line,
        d.location.pos.col,
        data(&d.message)
    )
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
