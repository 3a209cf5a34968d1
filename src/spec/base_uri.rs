//! Checking a literal base URI: part of the model, used at load and again per call when
//! the base URI is given or overridden at run time.

/// Checks a literal base URI: an absolute http(s) URL with a host.
pub(crate) fn check_base_uri(text: &str) -> Result<(), String> {
    // `127.0.0.1:8080` does not parse and `localhost:8080` parses with the scheme
    // `localhost`: both lack the scheme the user meant.
    let lower = text.to_ascii_lowercase();
    if !text.is_empty()
        && !text.contains("://")
        && !lower.starts_with("http:")
        && !lower.starts_with("https:")
        && !text.contains(char::is_whitespace)
    {
        return Err(format!(
            "baseUri `{text}` has no scheme: add http:// or https:// (`http://{text}`)"
        ));
    }
    match reqwest::Url::parse(text) {
        // `https:/host` and `https:host` parse (the parser guesses the host), but what is
        // sent would not be what is written.
        Ok(url)
            if matches!(url.scheme(), "http" | "https")
                && !text
                    .get(url.scheme().len()..)
                    .is_some_and(|rest| rest.starts_with("://")) =>
        {
            Err(format!(
                "baseUri `{text}` must start with `{}://`",
                url.scheme()
            ))
        }
        // The operation's path is appended to the base: after a `?` or `#` it would land in
        // the query or the fragment (never sent).
        Ok(url) if url.query().is_some() || url.fragment().is_some() => Err(format!(
            "baseUri `{text}` must not have a query (`?`) or fragment (`#`): the operation path would be appended after it"
        )),
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(()),
        Ok(url) => Err(format!(
            "baseUri `{text}` must be an http(s) URL with a host, found scheme `{}`",
            url.scheme()
        )),
        Err(e) => Err(format!("baseUri `{text}` is not a valid URL ({e})")),
    }
}

#[cfg(test)]
mod tests {
    use super::check_base_uri;

    #[test]
    fn base_uris_must_be_absolute_http_urls() {
        assert!(check_base_uri("https://api.example.com/v1").is_ok());
        assert!(check_base_uri("https:/api.example.com").is_err());
        assert!(check_base_uri("https://api.example.com?x=1").is_err());
        assert!(check_base_uri("ftp://example.com").is_err());
        assert!(check_base_uri("not a url").is_err());
        for no_scheme in ["127.0.0.1:1", "localhost:8080", "api.example.com/v1"] {
            let e = check_base_uri(no_scheme).unwrap_err();
            assert!(e.contains("add http:// or https://"), "{no_scheme}: {e}");
        }
    }
}
