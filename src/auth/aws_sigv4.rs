//! `type: aws-sig-v4`: AWS Signature Version 4 (the `Authorization: AWS4-HMAC-SHA256 …`
//! header), signed per attempt over the request as sent: the canonical request (method,
//! the path URI-encoded once more, the sorted strictly-encoded query, the signed headers
//! `host`, `x-amz-content-sha256`, `x-amz-date`, `x-amz-security-token` and the request's
//! own headers, the body's SHA-256), the string to sign and the derived key
//! (`AWS4`+secret → date → region → service → `aws4_request`).
//!
//! Written here with ring rather than with the `aws-sigv4` crate, which brings the AWS
//! smithy runtime (a dozen crates) for one HMAC chain.

use std::fmt;
use std::sync::Arc;

use reqwest::header::HeaderMap;

use super::signing::{self, Cred};
use super::{source, Draft, Render, Scheme, Sign, SignFuture, SignerEnv};
use crate::spec::{Method, Template};

pub(super) struct AwsSigV4<'a> {
    pub(super) access_key_id: &'a Template,
    pub(super) secret_key: &'a Template,
    pub(super) region: &'a Template,
    pub(super) service: &'a Template,
    pub(super) session_token: Option<&'a Template>,
}

impl Scheme for AwsSigV4<'_> {
    fn templates(&self, each: &mut dyn FnMut(&Template)) {
        each(self.access_key_id);
        each(self.secret_key);
        each(self.region);
        each(self.service);
        if let Some(t) = self.session_token {
            each(t);
        }
    }

    fn apply<D: Draft>(&self, d: &mut D) -> Result<(), D::Error> {
        signing::check(
            d,
            "aws-sig-v4",
            &[
                ("accessKeyId", Some(self.access_key_id)),
                ("secretKey", Some(self.secret_key)),
                ("sessionToken", self.session_token),
            ],
        )?;
        // Region and service are not secrets, but they must have values.
        for (field, t) in [("region", self.region), ("service", self.service)] {
            d.render(t, &|| format!("the aws-sig-v4 `{field}`"))?;
        }
        Ok(())
    }

    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "AWS Signature V4 in the `authorization` header, signed per attempt: access key {}; secret key {}; region {}; service {}",
            source(self.access_key_id),
            source(self.secret_key),
            source(self.region),
            source(self.service)
        )?;
        if let Some(t) = self.session_token {
            write!(f, "; session token {}", source(t))?;
        }
        Ok(())
    }

    fn signer(&self, env: &SignerEnv<'_>) -> Option<Arc<dyn Sign>> {
        let text = |t: &Template| (env.resolve)(t).map(|s| s.expose().to_string());
        let render: Render<'_> = &text;
        Some(Arc::new(SigV4Signer {
            access_key_id: Cred::new("accessKeyId", self.access_key_id, render),
            secret_key: Cred::new("secretKey", self.secret_key, render),
            region: Cred::new("region", self.region, render),
            service: Cred::new("service", self.service, render),
            session_token: self
                .session_token
                .map(|t| Cred::new("sessionToken", t, render)),
        }))
    }
}

#[derive(Debug)]
struct SigV4Signer {
    access_key_id: Cred,
    secret_key: Cred,
    region: Cred,
    service: Cred,
    session_token: Option<Cred>,
}

/// What one signature is computed from.
pub(super) struct Request<'a> {
    pub(super) method: &'a str,
    pub(super) url: &'a reqwest::Url,
    /// Every header to sign (the `x-amz-*` ones included), names in lower case.
    pub(super) headers: Vec<(String, String)>,
    pub(super) payload_hash: &'a str,
    /// `20150830T123600Z`.
    pub(super) amz_date: &'a str,
    pub(super) region: &'a str,
    pub(super) service: &'a str,
}

/// The canonical request (AWS's "Create a canonical request").
fn canonical_request(r: &Request<'_>) -> (String, String) {
    let path = match r.url.path() {
        "" => "/".to_string(),
        // The path as sent is already encoded; AWS (except S3) encodes it once more.
        p => percent_encoding::utf8_percent_encode(p, &PATH).to_string(),
    };
    let mut query: Vec<(String, String)> = signing::query_pairs(r.url)
        .iter()
        .map(|(k, v)| (signing::encode(k), signing::encode(v)))
        .collect();
    query.sort();
    let query: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut headers: Vec<(String, String)> = (r.headers.iter())
        .map(|(k, v)| (k.to_ascii_lowercase(), trim_all(v)))
        .collect();
    headers.sort();
    let mut canonical_headers = String::new();
    for (k, v) in &headers {
        canonical_headers.push_str(&format!("{k}:{v}\n"));
    }
    let signed: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
    let signed = signed.join(";");
    let text = format!(
        "{}\n{path}\n{}\n{canonical_headers}\n{signed}\n{}",
        r.method,
        query.join("&"),
        r.payload_hash
    );
    (text, signed)
}

/// The path's encoding: [`signing::STRICT`] but `/` kept.
const PATH: percent_encoding::AsciiSet = signing::STRICT.remove(b'/');

/// Trims and collapses inner runs of spaces, as the canonical headers want.
fn trim_all(v: &str) -> String {
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The `Authorization` header value for `r`.
pub(super) fn authorization(r: &Request<'_>, access_key_id: &str, secret: &str) -> String {
    let date = &r.amz_date[..8.min(r.amz_date.len())];
    let scope = format!("{date}/{}/{}/aws4_request", r.region, r.service);
    let (canonical, signed) = canonical_request(r);
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{}\n{scope}\n{}",
        r.amz_date,
        signing::hex(&signing::sha256(canonical.as_bytes()))
    );
    let mut key = signing::hmac_sha256(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    for part in [r.region, r.service, "aws4_request"] {
        key = signing::hmac_sha256(&key, part.as_bytes());
    }
    let signature = signing::hex(&signing::hmac_sha256(&key, to_sign.as_bytes()));
    format!("AWS4-HMAC-SHA256 Credential={access_key_id}/{scope}, SignedHeaders={signed}, Signature={signature}")
}

/// `YYYYMMDDTHHMMSSZ` for a Unix time.
fn amz_date(unix: u64) -> String {
    let days = unix / 86_400;
    let secs = unix % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// The headers of the attempt that are signed, besides the `x-amz-*` ones: all but those
/// a proxy or the client may change.
fn signable(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "authorization" | "user-agent" | "expect" | "x-amzn-trace-id" | "connection"
            )
        })
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect()
}

impl Sign for SigV4Signer {
    fn sign<'a>(
        &'a self,
        method: Method,
        url: &'a reqwest::Url,
        headers: &'a mut HeaderMap,
        body: Option<&'a [u8]>,
    ) -> SignFuture<'a> {
        Box::pin(async move {
            let payload_hash = signing::hex(&signing::sha256(body.unwrap_or_default()));
            let date = amz_date(signing::now().as_secs());
            signing::set(headers, "x-amz-date", &date, false)?;
            signing::set(headers, "x-amz-content-sha256", &payload_hash, false)?;
            if let Some(t) = &self.session_token {
                signing::set(headers, "x-amz-security-token", t.get()?, true)?;
            }
            let mut signed = signable(headers);
            signed.push(("host".into(), signing::host(url)));
            let value = authorization(
                &Request {
                    method: method.as_str(),
                    url,
                    headers: signed,
                    payload_hash: &payload_hash,
                    amz_date: &date,
                    region: self.region.get()?,
                    service: self.service.get()?,
                },
                self.access_key_id.get()?,
                self.secret_key.get()?,
            );
            signing::set(headers, "authorization", &value, true)
        })
    }

    fn preview(&self, _method: Method, _url: &reqwest::Url, headers: &mut HeaderMap) {
        let region = self.region.get().unwrap_or("***");
        let service = self.service.get().unwrap_or("***");
        let mut names: Vec<String> = signable(headers)
            .into_iter()
            .map(|(k, _)| k)
            .chain(["host", "x-amz-content-sha256", "x-amz-date"].map(String::from))
            .collect();
        if self.session_token.is_some() {
            names.push("x-amz-security-token".into());
            let _ = signing::set(headers, "x-amz-security-token", "***", false);
        }
        names.sort();
        let shape = format!("AWS4-HMAC-SHA256 Credential=***/<yyyymmdd>/{region}/{service}/aws4_request, SignedHeaders={}, Signature=***", names.join(";"));
        let _ = signing::set(headers, "x-amz-date", "<yyyymmddThhmmssZ>", false);
        let _ = signing::set(
            headers,
            "x-amz-content-sha256",
            "<sha-256 of the body>",
            false,
        );
        let _ = signing::set(headers, "authorization", &shape, false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_ID: &str = "AKIDEXAMPLE";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    const EMPTY_HASH: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn vector(method: &str, url: &str, extra: &[(&str, &str)]) -> String {
        let url = reqwest::Url::parse(url).unwrap();
        let mut headers = vec![
            ("host".to_string(), "example.amazonaws.com".to_string()),
            ("x-amz-date".to_string(), "20150830T123600Z".to_string()),
        ];
        headers.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let r = Request {
            method,
            url: &url,
            headers,
            payload_hash: EMPTY_HASH,
            amz_date: "20150830T123600Z",
            region: "us-east-1",
            service: "service",
        };
        authorization(&r, KEY_ID, SECRET)
    }

    /// AWS's published SigV4 test suite (aws-sig-v4-test-suite), cases whose request has
    /// no body: their expected `Authorization` headers.
    #[test]
    fn signatures_match_the_aws_sig_v4_test_suite() {
        let scope = "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date";
        let cases = [
            ("get-vanilla", "GET", "https://example.amazonaws.com/", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
            ("post-vanilla", "POST", "https://example.amazonaws.com/", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
            ("get-vanilla-query-order-key-case", "GET", "https://example.amazonaws.com/?Param2=value2&Param1=value1", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
            ("get-vanilla-query-unreserved", "GET", "https://example.amazonaws.com/?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"),
        ];
        for (name, method, url, sig) in cases {
            assert_eq!(
                vector(method, url, &[]),
                format!("AWS4-HMAC-SHA256 {scope}, Signature={sig}"),
                "{name}"
            );
        }
    }

    #[test]
    fn dates_are_formatted_in_utc() {
        assert_eq!(amz_date(1_440_938_160), "20150830T123600Z");
        assert_eq!(amz_date(951_782_400), "20000229T000000Z");
    }
}
