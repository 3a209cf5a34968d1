//! No function in `src/` runs over 100 lines unless a comment right above it says why
//! (ARCHITECTURE.md: functions short enough to read at once). A function is measured from
//! its `fn` line to the closing brace at the same indentation (the code is rustfmt'd).

use std::path::Path;

use super::the_module_graph::rust_files;

const LIMIT: usize = 100;

/// `(name, first line, lines)` of each function in `text` longer than `LIMIT` lines whose
/// comment block above it (`//` lines, past attributes) does not say "Over 100 lines".
fn unexplained_long_functions(text: &str) -> Vec<(String, usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let code = line.trim_start();
        let indent = &line[..line.len() - code.len()];
        let Some(name) = fn_name(code) else { continue };
        // The body opens on the signature's last line; a declaration without one ends in `;`.
        let Some(open) = (i..lines.len()).find(|&j| {
            let l = lines[j].trim_end();
            l.ends_with('{') || l.ends_with(';')
        }) else {
            continue;
        };
        if lines[open].trim_end().ends_with(';') {
            continue;
        }
        let close = format!("{indent}}}");
        let Some(end) = (open + 1..lines.len()).find(|&j| lines[j] == close) else {
            continue;
        };
        let length = end - i + 1;
        if length > LIMIT && !explained(&lines[..i]) {
            found.push((name.to_string(), i + 1, length));
        }
    }
    found
}

/// The function's name if `code` starts a function item.
fn fn_name(code: &str) -> Option<&str> {
    let mut rest = code;
    for prefix in [
        "pub(crate) ",
        "pub(super) ",
        "pub ",
        "const ",
        "async ",
        "unsafe ",
    ] {
        rest = rest.strip_prefix(prefix).unwrap_or(rest);
    }
    let rest = rest.strip_prefix("fn ")?;
    let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_'))?;
    Some(&rest[..end])
}

/// Whether the comment lines right above (past attributes) explain the length.
fn explained(before: &[&str]) -> bool {
    before
        .iter()
        .rev()
        .map(|l| l.trim())
        .skip_while(|l| l.starts_with("#["))
        .take_while(|l| l.starts_with("//"))
        .any(|l| l.contains("Over 100 lines"))
}

#[test]
fn no_function_in_src_is_over_100_lines_without_saying_why() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut offenders = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read source");
        for (name, line, length) in unexplained_long_functions(&text) {
            let rel = file
                .strip_prefix(&src)
                .unwrap_or(file)
                .display()
                .to_string();
            offenders.push(format!("src/{rel}:{line}: `{name}` is {length} lines"));
        }
    }
    assert!(
        offenders.is_empty(),
        "split these, or say why above them with a comment starting `// Over 100 lines:`\n{}",
        offenders.join("\n")
    );
}

#[test]
fn a_long_function_is_found_and_a_comment_excuses_it() {
    let body = "    x();\n".repeat(LIMIT);
    let plain = format!("pub fn long() {{\n{body}}}\n");
    assert_eq!(
        unexplained_long_functions(&plain),
        vec![("long".to_string(), 1, LIMIT + 2)]
    );
    let excused = format!("/// Doc.\n// Over 100 lines: one table.\n#[inline]\n{plain}");
    assert!(unexplained_long_functions(&excused).is_empty());
    let short = "fn short() {\n    x();\n}\n";
    assert!(unexplained_long_functions(short).is_empty());
}
