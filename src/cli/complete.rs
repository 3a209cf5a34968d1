//! Dynamic shell completion (`source <(COMPLETE=bash naftiko)`): clap_complete's
//! environment-driven engine, with the capability on the command line read to complete
//! operation names (`naftiko call specs/vital/users.yaml get_<TAB>`) and argument names
//! (`… get_user_v2_user__user_id__get us<TAB>` → `user_id=`).

use std::ffi::{OsStr, OsString};
use std::path::Path;

use clap_complete::engine::CompletionCandidate;

/// The words being completed, as the shell passed them after `--` (`naftiko call SPEC …`),
/// without the program's name.
fn words() -> Vec<String> {
    let args: Vec<OsString> = std::env::args_os().collect();
    let after = args.iter().position(|a| a == "--").map_or(0, |i| i + 1);
    args.iter()
        .skip(after + 1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}

/// The capability the command line names (the first word after the command that names a
/// YAML or JSON file, else `NAFTIKO_SPEC`), loaded; `None` when there is none or it does
/// not load (completion must stay quiet).
fn capability(words: &[String]) -> Option<(naftiko::Capability, usize)> {
    let at = words.iter().skip(1).position(|w| {
        let lower = w.to_ascii_lowercase();
        [".yaml", ".yml", ".json"]
            .iter()
            .any(|ext| lower.ends_with(ext))
            && Path::new(w).is_file()
    });
    match at {
        Some(i) => Some((naftiko::Capability::from_path(&words[i + 1]).ok()?, i + 1)),
        None => {
            let spec = std::env::var_os("NAFTIKO_SPEC")?;
            Some((naftiko::Capability::from_path(spec).ok()?, 0))
        }
    }
}

/// Operation names (qualified ones too) that start with what is typed, each with its
/// description as the help the shell shows beside it.
pub fn operations(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some((cap, _)) = capability(&words()) else {
        return Vec::new();
    };
    let typed = current.to_string_lossy();
    let mut out = Vec::new();
    for op in cap.operations() {
        for name in [op.name().to_string(), op.qualified_name()] {
            if name.starts_with(typed.as_ref()) && !out.iter().any(|(n, _)| *n == name) {
                out.push((name, op.description().map(str::to_string)));
            }
        }
    }
    out.into_iter()
        .map(|(name, help)| CompletionCandidate::new(name).help(help.map(Into::into)))
        .collect()
}

/// `name=` for each parameter of the operation on the command line (the word after the
/// capability) that starts with what is typed and is not given yet.
pub fn arguments(current: &OsStr) -> Vec<CompletionCandidate> {
    let words = words();
    let Some((cap, spec_at)) = capability(&words) else {
        return Vec::new();
    };
    let Some(op) = words
        .get(spec_at + 1)
        .and_then(|name| cap.operation(name).ok())
    else {
        return Vec::new();
    };
    let typed = current.to_string_lossy();
    let given = |name: &str| {
        words
            .iter()
            .any(|w| w.split_once(['=', ':']).is_some_and(|(n, _)| n == name))
    };
    op.params()
        .iter()
        .filter(|p| p.name().starts_with(typed.as_ref()) && !given(p.name()))
        .map(|p| {
            CompletionCandidate::new(format!("{}=", p.name()))
                .help(p.description().map(|d| d.to_string().into()))
        })
        .collect()
}
