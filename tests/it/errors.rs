//! `docs/errors.md`, run. The catalogue is the source of truth: every entry (a `### ` heading
//! followed by a ```` ```text ```` block) is parsed here, its command is run with the built
//! `naftiko` binary, and its exit code, stderr and stdout must be exactly what the entry says.
//! The same input is then given to the library, and the error's `Display` must be the one the
//! entry gives (or the CLI's line without `error: ` when the entry gives none).
//!
//! An entry block holds these lines (see "How to read an entry" in the catalogue):
//!
//! * `$ naftiko ARGS…`: the command (single and double quotes work as in a shell);
//! * `env: NAME=VALUE`: the only environment the command gets (it is otherwise empty);
//! * `stdin: TEXT`: what the command reads on stdin;
//! * `server: FAULT`: what the local server behind `{server}` does with every request;
//! * `requests: N`: how many requests that server must have received;
//! * `exit: N`: the exit code;
//! * `stderr: LINE`, `stdout: LINE`: the whole of stderr and stdout, one line each (no
//!   `stdout:` line means stdout is empty);
//! * `library: LINE`: the library's `Display` where it differs from the CLI's line;
//!   `library: -` for a check the CLI makes itself, before the library is involved.
//!
//! `{server}` is a fault-injecting server on 127.0.0.1 (`tests/it/support/fault_server.rs`),
//! `{tls}` an `https://` URL pointing at a plain-HTTP server, `{closed}` a port nothing
//! listens on. They are substituted in commands and in expected lines alike.

use crate::support;
use support::bin::{naftiko, run_cmd, Run};

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use naftiko::{Capability, Error, Runtime, Severity};
use naftiko::{ParamIn, ParamType};
use serde_json::{Map, Value};
use support::fault_server::{Fault, FaultServer};

const DOC: &str = "docs/errors.md";
const FIXTURES: &str = "tests/fixtures/errors";

/// One entry of the catalogue.
#[derive(Debug, Default, Clone)]
struct Entry {
    title: String,
    /// The line of the `### ` heading in the catalogue.
    line: usize,
    argv: Vec<String>,
    env: Vec<(String, String)>,
    stdin: Option<String>,
    server: Option<String>,
    requests: Option<usize>,
    exit: Option<i32>,
    stdout: Vec<String>,
    stderr: Vec<String>,
    library: Option<Vec<String>>,
}

impl Entry {
    fn name(&self) -> String {
        format!("{DOC}:{} `{}`", self.line, self.title)
    }
}

// -----------------------------------------------------------------------------------------
// Parsing the catalogue.

fn parse_doc(text: &str) -> Vec<Entry> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut current: Option<Entry> = None;
    let mut in_block = false;
    let mut in_other_block = false;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if in_other_block {
            if line.starts_with("```") {
                in_other_block = false;
            }
            continue;
        }
        if in_block {
            if line == "```" {
                in_block = false;
                let entry = current.take().expect("a block belongs to an entry");
                assert!(
                    !entry.argv.is_empty(),
                    "{DOC}:{n}: the block has no `$ naftiko` line"
                );
                assert!(
                    entry.exit.is_some(),
                    "{DOC}:{n}: the block has no `exit:` line"
                );
                entries.push(entry);
                continue;
            }
            let entry = current.as_mut().expect("a block belongs to an entry");
            parse_block_line(entry, line, n);
            continue;
        }
        if let Some(title) = line.strip_prefix("### ") {
            assert!(
                current.is_none(),
                "{DOC}:{n}: the entry before this heading has no ```text block"
            );
            current = Some(Entry {
                title: title.trim().to_string(),
                line: n,
                ..Entry::default()
            });
        } else if line.starts_with("## ") || line.starts_with("# ") {
            assert!(
                current.is_none(),
                "{DOC}:{n}: the entry before this heading has no ```text block"
            );
        } else if line == "```text" {
            assert!(
                current.is_some(),
                "{DOC}:{n}: a ```text block belongs to a `### ` entry, one block each"
            );
            in_block = true;
        } else if line.starts_with("```") {
            assert!(
                current.is_none(),
                "{DOC}:{n}: an entry's block must be ```text"
            );
            in_other_block = true;
        }
    }
    assert!(!in_block, "{DOC}: the last block is not closed");
    assert!(
        current.is_none(),
        "{DOC}: the last entry has no ```text block"
    );
    entries
}

fn parse_block_line(entry: &mut Entry, line: &str, n: usize) {
    if let Some(command) = line.strip_prefix("$ ") {
        assert!(entry.argv.is_empty(), "{DOC}:{n}: a second command");
        let words = shell_words(command).unwrap_or_else(|e| panic!("{DOC}:{n}: {e}"));
        assert_eq!(
            words.first().map(String::as_str),
            Some("naftiko"),
            "{DOC}:{n}: commands start with `naftiko`"
        );
        entry.argv = words[1..].to_vec();
        return;
    }
    let Some((key, value)) = line.split_once(':') else {
        panic!("{DOC}:{n}: expected `key: value`, found {line:?}");
    };
    let value = value.strip_prefix(' ').unwrap_or(value);
    match key {
        "env" => {
            let (k, v) = value
                .split_once('=')
                .unwrap_or_else(|| panic!("{DOC}:{n}: env: NAME=VALUE"));
            entry.env.push((k.to_string(), v.to_string()));
        }
        "stdin" => entry.stdin = Some(format!("{value}\n")),
        "server" => entry.server = Some(value.to_string()),
        "requests" => {
            entry.requests = Some(
                value
                    .parse()
                    .unwrap_or_else(|_| panic!("{DOC}:{n}: requests: N")),
            )
        }
        "exit" => {
            entry.exit = Some(
                value
                    .parse()
                    .unwrap_or_else(|_| panic!("{DOC}:{n}: exit: N")),
            )
        }
        "stdout" => entry.stdout.push(value.to_string()),
        "stderr" => entry.stderr.push(value.to_string()),
        "library" => entry
            .library
            .get_or_insert_with(Vec::new)
            .push(value.to_string()),
        other => panic!("{DOC}:{n}: unknown key `{other}`"),
    }
}

/// Splits a command line as a POSIX shell would for the quoting used in the catalogue:
/// spaces separate words, '…' is literal, "…" allows \" and \\.
fn shell_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err("unterminated '".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err("unterminated \"".into()),
                        },
                        Some(c) => word.push(c),
                        None => return Err("unterminated \"".into()),
                    }
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

// -----------------------------------------------------------------------------------------
// The world an entry runs in: the servers behind its placeholders.

/// What `server:` says the server does with every request.
fn parse_fault(spec: &str) -> Fault {
    let words: Vec<&str> = spec.split(' ').collect();
    let rest = |k: usize| words[k.min(words.len())..].join(" ");
    match words[0] {
        "stall" => Fault::Stall(Duration::from_secs_f64(
            words[1].parse().expect("stall SECS"),
        )),
        "reset" => Fault::ResetAfterRead,
        "truncate" => Fault::TruncatedBody {
            declared: words[1].parse().expect("truncate DECLARED BODY"),
            sent: rest(2).into_bytes(),
        },
        "huge" => Fault::HugeBody {
            len: words[1].parse().expect("huge LEN"),
        },
        "huge-chunked" => Fault::HugeChunked {
            len: words[1].parse().expect("huge-chunked LEN"),
        },
        "redirect" => Fault::redirect(words[1].parse().expect("redirect STATUS URL"), words[2]),
        status => {
            let status: u16 = status
                .parse()
                .unwrap_or_else(|_| panic!("unknown server fault {spec:?}"));
            let mut headers = Vec::new();
            let mut k = 1;
            if let Some(v) = words.get(k).and_then(|w| w.strip_prefix("retry-after=")) {
                headers.push(("retry-after".to_string(), v.to_string()));
                k += 1;
            }
            let mut body = Vec::new();
            if let Some(ct) = words.get(k).filter(|w| w.contains('/')) {
                headers.push(("content-type".to_string(), ct.to_string()));
                body = rest(k + 1).into_bytes();
            } else {
                assert!(k >= words.len(), "unknown server fault {spec:?}");
            }
            Fault::Respond {
                status,
                headers,
                body,
            }
        }
    }
}

/// The servers of one run (each run of an entry gets its own, so request counts are exact).
struct World {
    server: Option<FaultServer>,
    /// A plain-HTTP server that answers `400` to whatever arrives, at once: what a TLS
    /// client meets when an `https://` URL points at a server that does not speak TLS.
    tls: Option<FaultServer>,
    closed: Option<(tokio::net::TcpSocket, String)>,
}

impl World {
    async fn new(entry: &Entry) -> World {
        let uses = |p: &str| {
            entry.argv.iter().any(|a| a.contains(p))
                || entry.stderr.iter().any(|l| l.contains(p))
                || entry.stdout.iter().any(|l| l.contains(p))
        };
        let server = match &entry.server {
            Some(spec) => {
                let fault = parse_fault(spec);
                Some(FaultServer::start(move |_| fault.clone()).await)
            }
            None => {
                assert!(
                    !uses("{server}"),
                    "{}: uses {{server}} without a `server:` line",
                    entry.name()
                );
                None
            }
        };
        let tls = if uses("{tls}") {
            let answer =
                b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
            Some(FaultServer::start_raw(answer).await)
        } else {
            None
        };
        // Bound but not listening: connections are refused, and the port stays reserved
        // (no other server of this test can get it) for as long as the world lives.
        let closed = if uses("{closed}") {
            let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
            socket
                .bind("127.0.0.1:0".parse().expect("an address"))
                .expect("bind 127.0.0.1:0");
            let port = socket.local_addr().expect("its address").port();
            Some((socket, format!("http://127.0.0.1:{port}")))
        } else {
            None
        };
        World {
            server,
            tls,
            closed,
        }
    }

    fn subst(&self, text: &str) -> String {
        let mut out = text.to_string();
        if let Some(s) = &self.server {
            out = out.replace("{server}", &s.uri());
        }
        if let Some(s) = &self.tls {
            out = out.replace("{tls}", &format!("https://{}", s.addr()));
        }
        if let Some((_, c)) = &self.closed {
            out = out.replace("{closed}", c);
        }
        out
    }

    fn requests(&self) -> usize {
        self.server.as_ref().map_or(0, |s| s.requests().len())
    }
}

// -----------------------------------------------------------------------------------------
// Running an entry with the binary.

async fn run_cli(entry: &Entry, world: &World) -> Run {
    let argv: Vec<String> = entry.argv.iter().map(|a| world.subst(a)).collect();
    let env = entry.env.clone();
    let stdin = entry.stdin.clone();
    tokio::task::spawn_blocking(move || {
        let mut cmd = naftiko();
        cmd.env_clear()
            .envs(env)
            .args(&argv)
            .timeout(Duration::from_secs(30));
        if let Some(text) = stdin {
            cmd.write_stdin(text);
        }
        run_cmd(&mut cmd)
    })
    .await
    .expect("the command ran")
}

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_string).collect()
}

/// Checks one run of the CLI; returns what differs.
async fn check_cli(entry: &Entry) -> Vec<String> {
    let world = World::new(entry).await;
    let out = run_cli(entry, &world).await;
    let mut problems = Vec::new();
    if out.code != entry.exit {
        problems.push(format!(
            "exit code {:?}, the catalogue says {:?}",
            out.code, entry.exit
        ));
    }
    for (stream, expected, actual) in [
        ("stderr", &entry.stderr, &out.stderr),
        ("stdout", &entry.stdout, &out.stdout),
    ] {
        let expected: Vec<String> = expected.iter().map(|l| world.subst(l)).collect();
        if lines(actual) != expected || (!actual.is_empty() && !actual.ends_with('\n')) {
            problems.push(format!(
                "{stream} differs\n      expected: {expected:#?}\n      actual:   {:#?}",
                lines(actual)
            ));
        }
    }
    if let Some(n) = entry.requests {
        if world.requests() != n {
            problems.push(format!(
                "the server received {} request(s), the catalogue says {n}",
                world.requests()
            ));
        }
    }
    problems
}

// -----------------------------------------------------------------------------------------
// Running an entry with the library: the same capability, operation, arguments, base URI,
// timeout and environment, through `Capability`, `Runtime` and `Query`.

/// What the library says for an entry's input.
#[derive(Debug, PartialEq)]
enum Lib {
    /// The error's `Display` (or, for `validate`, the diagnostics), line by line.
    Lines(Vec<String>),
    /// The CLI refuses the input itself; the library is not involved.
    CliOnly(&'static str),
    /// The library succeeded.
    Ok,
}

fn err_lines(e: impl Into<Error>) -> Lib {
    Lib::Lines(lines(&e.into().to_string()))
}

async fn run_library(entry: &Entry, world: &World) -> Lib {
    if entry.exit == Some(2) {
        return Lib::CliOnly("usage error");
    }
    let argv: Vec<String> = entry.argv.iter().map(|a| world.subst(a)).collect();
    match argv[0].as_str() {
        "validate" => {
            let strict = argv.iter().any(|a| a == "--strict");
            let mut out = Vec::new();
            for path in argv[1..].iter().filter(|a| !a.starts_with("--")) {
                let options = if strict {
                    naftiko::LoadOptions::strict()
                } else {
                    naftiko::LoadOptions::default()
                };
                let diagnostics = match Capability::from_path_with(path, &options) {
                    Ok(cap) => cap.diagnostics().to_vec(),
                    Err(e) => e.diagnostics(),
                };
                out.extend(
                    diagnostics
                        .iter()
                        .filter(|d| strict || d.severity != Severity::Deviation)
                        .map(ToString::to_string),
                );
            }
            Lib::Lines(out)
        }
        "query" => match naftiko::Query::compile(&argv[1]) {
            Ok(_) => Lib::CliOnly("the input document is read by the CLI"),
            Err(e) => Lib::Lines(lines(&e.to_string())),
        },
        "ops" if argv.len() > 2 => Lib::CliOnly("the filter of `ops` is the CLI's"),
        "ops" | "describe" => match Capability::from_path(&argv[1]) {
            Err(e) => err_lines(e),
            Ok(cap) => match argv.get(2).map(|op| cap.operation(op)) {
                Some(Err(e)) => err_lines(e),
                _ => Lib::Ok,
            },
        },
        _ if argv.get(1).is_some_and(|s| s == "-") => Lib::CliOnly("stdin is read by the CLI"),
        "call" => library_call(entry, &argv[1..]).await,
        other => panic!("{}: no library equivalent for `{other}`", entry.name()),
    }
}

/// `naftiko call`, through the library, in the order the CLI works.
async fn library_call(entry: &Entry, argv: &[String]) -> Lib {
    let mut positional = Vec::new();
    let (mut base_uris, mut timeout, mut body, mut dry_run) = (Vec::new(), None, None, false);
    let mut words = argv.iter();
    while let Some(w) = words.next() {
        let mut value = || words.next().cloned().expect("a flag value");
        match w.as_str() {
            "--dry-run" | "--curl" => dry_run = true,
            "--base-uri" => base_uris.push(value()),
            "--timeout" => timeout = Some(value()),
            "--body" => body = Some(value()),
            "--env-file" => return Lib::CliOnly("--env-file is read by the CLI"),
            "-H" | "--header" => return Lib::CliOnly("-H is parsed by the CLI"),
            flag if flag.starts_with('-') => {
                panic!("{}: the library runner does not know {flag}", entry.name())
            }
            _ => positional.push(w.clone()),
        }
    }
    let cap = match Capability::from_path(&positional[0]) {
        Ok(c) => c,
        Err(e) => return err_lines(e),
    };
    let name = positional[1].as_str();
    let op = match cap.operation(name) {
        Ok(op) => op,
        Err(e) => return err_lines(e),
    };
    // name=value (converted by the declared type) and name:=JSON, as the CLI reads them.
    let mut args = Map::new();
    for item in &positional[2..] {
        let Some(eq) = item.find('=') else {
            return Lib::CliOnly("neither name=value nor name:=JSON");
        };
        let (name, raw) = match item[..eq].strip_suffix(':') {
            Some(n) => (n, true),
            None => (&item[..eq], false),
        };
        let text = &item[eq + 1..];
        if name.is_empty() || args.contains_key(name) {
            return Lib::CliOnly("no name, or a name given twice");
        }
        let json = || serde_json::from_str::<Value>(text).ok();
        let value = if raw {
            json()
        } else {
            match op.param(name).map(|p| p.ty()) {
                None | Some(ParamType::String | ParamType::Any) => Some(Value::from(text)),
                Some(ParamType::Integer) => text.parse::<i64>().ok().map(Value::from),
                Some(ParamType::Number) => json().filter(Value::is_number),
                Some(ParamType::Boolean) => match text.to_ascii_lowercase().as_str() {
                    "true" => Some(Value::Bool(true)),
                    "false" => Some(Value::Bool(false)),
                    _ => None,
                },
                Some(ParamType::Object) => json().filter(Value::is_object),
                Some(ParamType::Array) => json().filter(Value::is_array),
            }
        };
        let Some(value) = value else {
            return Lib::CliOnly("the value does not convert to the declared type");
        };
        args.insert(name.to_string(), value);
    }
    if let Some(text) = body {
        let body_params: Vec<&str> = op
            .params()
            .iter()
            .filter(|p| p.location() == ParamIn::Body)
            .map(|p| p.name())
            .collect();
        let ([one], Ok(value)) = (body_params.as_slice(), serde_json::from_str::<Value>(&text))
        else {
            return Lib::CliOnly("--body does not fit the operation");
        };
        if text.starts_with('@') || text == "-" || args.contains_key(*one) {
            return Lib::CliOnly("--body from a file or stdin, or given twice");
        }
        args.insert(one.to_string(), value);
    }
    let namespaces: Vec<String> = cap.namespaces().map(str::to_string).collect();
    let mut builder = Runtime::builder(cap).env(entry.env.clone());
    for item in base_uris {
        match item.split_once('=') {
            Some((ns, url)) if !ns.is_empty() && !ns.contains([':', '/']) => {
                builder = builder.base_uri(ns, url)
            }
            _ if namespaces.len() == 1 => builder = builder.base_uri(&namespaces[0], item),
            _ => return Lib::CliOnly("--base-uri without a namespace"),
        }
    }
    if let Some(t) = timeout {
        builder = builder.timeout(Duration::from_secs_f64(t.parse().expect("--timeout SECS")));
    }
    let rt = match builder.build() {
        Ok(rt) => rt,
        Err(e) => return err_lines(e),
    };
    let args = Value::Object(args);
    let result = if dry_run {
        rt.dry_run(name, args).map(|_| Value::Null)
    } else {
        rt.call(name, args).await
    };
    match result {
        Ok(_) => Lib::Ok,
        Err(e) => err_lines(e),
    }
}

/// A line the CLI shows under a finding: its source line (`6 |     baseUri: …`), or the
/// gutter or caret line around it (`  |`, `  |     ^^^`).
fn is_snippet(line: &str) -> bool {
    line.trim_start_matches(|c: char| c.is_ascii_digit() || c == ' ')
        .starts_with('|')
}

/// Checks the library's `Display` for an entry; returns what differs.
async fn check_library(entry: &Entry) -> Vec<String> {
    let world = World::new(entry).await;
    let actual = run_library(entry, &world).await;
    let expected = match &entry.library {
        Some(l) if l.len() == 1 && l[0] == "-" => Lib::CliOnly("-"),
        Some(l) => Lib::Lines(l.iter().map(|l| world.subst(l)).collect()),
        // clap's usage errors never reach the library.
        None if entry.exit == Some(2) => Lib::CliOnly("-"),
        // The CLI shows the source line under each finding; the library's `Display` is
        // the finding alone.
        None if entry.argv[0] == "validate" => Lib::Lines(
            entry
                .stdout
                .iter()
                .filter(|l| !is_snippet(l))
                .map(|l| world.subst(l))
                .collect(),
        ),
        None if entry.exit == Some(0) => Lib::Ok,
        None => {
            let first = entry
                .stderr
                .first()
                .map(|l| world.subst(l))
                .unwrap_or_default();
            match first.strip_prefix("error: ") {
                Some(msg) => Lib::Lines(vec![msg.to_string()]),
                None => panic!(
                    "{}: the first stderr line does not start with `error: `; give `library:` lines",
                    entry.name()
                ),
            }
        }
    };
    let mut problems = Vec::new();
    match (&expected, &actual) {
        (Lib::CliOnly(_), Lib::CliOnly(_)) => {}
        (Lib::CliOnly(_), other) => problems.push(format!(
            "`library: -`, but the library is involved: {other:?}"
        )),
        (e, a) if e == a => {}
        (e, a) => problems.push(format!(
            "library differs\n      expected: {e:#?}\n      actual:   {a:#?}"
        )),
    }
    if let Some(n) = entry.requests {
        if world.requests() != n {
            problems.push(format!(
                "the library's server received {} request(s), the catalogue says {n}",
                world.requests()
            ));
        }
    }
    problems
}

// -----------------------------------------------------------------------------------------

fn catalogue() -> Vec<Entry> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join(DOC)).expect("docs/errors.md");
    parse_doc(&text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_entry_of_the_error_catalogue_is_exact() {
    let started = Instant::now();
    let entries = catalogue();
    let limit = Arc::new(tokio::sync::Semaphore::new(4));
    let mut tasks = tokio::task::JoinSet::new();
    for (i, entry) in entries.iter().cloned().enumerate() {
        let limit = limit.clone();
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await.expect("semaphore");
            let mut problems = check_cli(&entry).await;
            problems.extend(check_library(&entry).await);
            (i, entry, problems)
        });
    }
    let mut failures = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (i, entry, problems) = joined.expect("an entry's task panicked");
        if !problems.is_empty() {
            failures.push((
                i,
                format!("{}:\n    {}", entry.name(), problems.join("\n    ")),
            ));
        }
    }
    failures.sort();
    let report: Vec<String> = failures.into_iter().map(|(_, f)| f).collect();
    assert!(
        report.is_empty(),
        "{} of {} entries differ from {DOC}:\n{}",
        report.len(),
        entries.len(),
        report.join("\n")
    );
    eprintln!(
        "{} entries checked in {:.1} s",
        entries.len(),
        started.elapsed().as_secs_f64()
    );
}

/// The catalogue covers every exit code, names only fixtures that exist, and every fixture
/// is used by an entry.
#[test]
fn the_catalogue_covers_every_exit_code_and_uses_every_fixture() {
    let entries = catalogue();
    let codes: BTreeSet<i32> = entries.iter().filter_map(|e| e.exit).collect();
    assert_eq!(
        codes,
        BTreeSet::from([0, 1, 2, 3, 4, 5]),
        "exit codes in {DOC}"
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut titles = BTreeSet::new();
    let mut used = BTreeSet::new();
    for e in &entries {
        assert!(
            titles.insert(e.title.clone()),
            "{}: a second entry with this title",
            e.name()
        );
        for arg in &e.argv {
            if let Some(i) = arg.find(FIXTURES) {
                let path = &arg[i..];
                // `missing.*` are the files that must not exist.
                let missing = path.contains("/missing.");
                assert_eq!(
                    root.join(path).is_file(),
                    !missing,
                    "{}: {path} exists or not",
                    e.name()
                );
                used.insert(path.to_string());
            }
        }
    }
    for file in std::fs::read_dir(root.join(FIXTURES)).expect("the fixtures directory") {
        let file = file.expect("a directory entry");
        if file.path().is_file() {
            let path = format!("{FIXTURES}/{}", file.file_name().to_string_lossy());
            assert!(used.contains(&path), "{path} is used by no entry of {DOC}");
        }
    }
}

#[test]
fn shell_words_follow_the_shell() {
    assert_eq!(
        shell_words(r#"naftiko call a.yaml op 'x:="a\r\nb"' "y=1 2" z"q\"r""#).unwrap(),
        [
            "naftiko",
            "call",
            "a.yaml",
            "op",
            r#"x:="a\r\nb""#,
            "y=1 2",
            r#"zq"r"#
        ]
    );
}
