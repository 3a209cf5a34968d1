//! A small dotenv reader for `--env-file`: `KEY=VALUE` lines, `#` comments, an optional
//! `export ` prefix, and single or double quotes around the value.

use std::path::Path;

use super::Failure;

/// Reads a dotenv file. Values are secrets: no error message ever quotes one.
pub fn read(path: &Path) -> Result<Vec<(String, String)>, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Failure::invalid(format!("cannot read the env file {}: {e}", path.display()))
    })?;
    parse(&text).map_err(|(line, message)| {
        Failure::invalid(format!("{}:{line}: {message}", path.display()))
    })
}

/// Parses dotenv text; an error gives the 1-based line and what is wrong.
pub fn parse(text: &str) -> Result<Vec<(String, String)>, (usize, String)> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line
            .strip_prefix("export ")
            .map(str::trim_start)
            .unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            return Err((i + 1, "expected KEY=VALUE".to_string()));
        };
        let key = key.trim();
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
        {
            return Err((i + 1, format!("`{key}` is not a variable name")));
        }
        out.push((
            key.to_string(),
            unquote(value.trim()).map_err(|m| (i + 1, m))?,
        ));
    }
    Ok(out)
}

fn unquote(value: &str) -> Result<String, String> {
    for quote in ['"', '\''] {
        if let Some(rest) = value.strip_prefix(quote) {
            let Some(end) = rest.find(quote) else {
                return Err(format!("unterminated {quote} quote"));
            };
            let after = rest[end + 1..].trim();
            if !after.is_empty() && !after.starts_with('#') {
                return Err(format!("unexpected text after the closing {quote} quote"));
            }
            let inner = &rest[..end];
            return Ok(if quote == '"' {
                inner.replace("\\n", "\n")
            } else {
                inner.to_string()
            });
        }
    }
    // Unquoted: a ` #` starts a comment.
    let value = match value.find(" #") {
        Some(i) => value[..i].trim_end(),
        None => value,
    };
    Ok(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_comments_export_and_quotes() {
        let text = "# a comment\n\nexport A=1\nB = \"two words\" # note\nC='x#y'\nD=plain # trailing\nE=\n";
        assert_eq!(
            parse(text).unwrap(),
            vec![
                ("A".into(), "1".into()),
                ("B".into(), "two words".into()),
                ("C".into(), "x#y".into()),
                ("D".into(), "plain".into()),
                ("E".into(), String::new()),
            ]
        );
    }

    #[test]
    fn reports_the_line_of_a_bad_entry() {
        assert_eq!(parse("A=1\nnot a pair\n").unwrap_err().0, 2);
        assert_eq!(parse("A=\"open\n").unwrap_err().0, 1);
    }
}
