//! The fast path of both transports: a single JSON-RPC `tools/call`, `tools/list` or
//! `ping` is answered here, with one parse and one serialisation, instead of going through
//! rmcp's service, task and channels (over HTTP, about 200 µs of CPU per stateless call).
//! HTTP takes it for requests without a session; stdio once the client has initialised a
//! session before 2026-07-28 (`stdio`). The answers come from the same functions as the rmcp
//! handler's (`McpServer::call_tool_answer`, `McpServer::list_tools_page`).
//!
//! Only requests whose rmcp treatment is plain are taken: anything rmcp would check or
//! route differently (an `Origin` header, a Host rmcp may refuse, an `MCP-Protocol-Version`
//! that is unknown or names the 2026-07-28 lifecycle, a `params._meta`, an id that is not a
//! string or an i64, extra members, params rmcp would not parse) is left to rmcp, which
//! answers it as before.

use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, ErrorData, PaginatedRequestParams, ProtocolVersion,
    ServerResult,
};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::call::Answer;
use super::McpServer;

/// What rmcp's streamable HTTP server allows by default (its `allowed_hosts`).
const DEFAULT_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// A JSON-RPC request as the fast path takes it: nothing else in it (an extra member, a
/// name given twice or a string with escapes in `jsonrpc` or `method` leaves the request to
/// rmcp), `params` kept as text until the method says what it holds.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Rpc<'a> {
    jsonrpc: &'a str,
    id: Value,
    method: &'a str,
    #[serde(borrow, default)]
    params: Option<&'a RawValue>,
}

/// The answer to the HTTP request `parts` + `body`, or `None` when rmcp must answer it.
pub(super) async fn answer(
    server: &McpServer,
    allowed_hosts: Option<&[String]>,
    parts: &Parts,
    body: &[u8],
) -> Option<Response> {
    if !headers_plain(&parts.headers) || !host_allowed(parts, allowed_hosts) {
        return None;
    }
    let request = Fast::take(body)?;
    let trace = parts
        .headers
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .and_then(crate::TraceParent::parse);
    Some(json_response(request.answer(server, trace).await))
}

/// A request the fast path answers, parsed: its id and what it asks.
pub(super) struct Fast {
    id: Value,
    ask: Ask,
}

enum Ask {
    Call(CallToolRequestParams),
    List(Option<PaginatedRequestParams>),
    Ping,
}

impl Fast {
    /// The request in `body` when it is one the fast path takes (see the module's notes);
    /// `None` leaves it to rmcp. The transport's own checks come first.
    pub(super) fn take(body: &[u8]) -> Option<Fast> {
        let rpc: Rpc = serde_json::from_slice(body).ok()?;
        if rpc.jsonrpc != "2.0" || !(rpc.id.is_string() || rpc.id.is_i64()) {
            return None;
        }
        let ask = match rpc.method {
            "tools/call" => {
                Ask::Call(parse(rpc.params?).filter(|p: &CallToolRequestParams| p.meta.is_none())?)
            }
            "tools/list" => Ask::List(match rpc.params {
                None => None,
                Some(p) => Some(parse::<PaginatedRequestParams>(p).filter(|p| p.meta.is_none())?),
            }),
            "ping" if rpc.params.is_none() => Ask::Ping,
            _ => return None,
        };
        Some(Fast { id: rpc.id, ask })
    }

    /// The request's id (a string or an i64).
    pub(super) fn id(&self) -> &Value {
        &self.id
    }

    /// The JSON-RPC response's bytes, as rmcp would write them for a peer before 2026-07-28.
    pub(super) async fn answer(
        self,
        server: &McpServer,
        trace: Option<crate::TraceParent>,
    ) -> Vec<u8> {
        let id = &self.id;
        let result = match self.ask {
            Ask::Call(request) => match server.call_tool_answer(request, trace).await {
                Ok(Answer::Json {
                    text,
                    wrapped,
                    is_error,
                    ..
                }) => return tool_reply(id, &text, wrapped, is_error),
                Ok(other) => Ok(ServerResult::from(CallToolResponse::from(
                    other.into_result(),
                ))),
                Err(e) => Err(e),
            },
            Ask::List(request) => server
                .list_tools_page(request)
                .map(ServerResult::ListToolsResult),
            Ask::Ping => Ok(ServerResult::empty(())),
        };
        reply(id, result.and_then(legacy_shape))
    }
}

/// What rmcp's `ServerHandler` does to a result for a peer before 2026-07-28 (every request
/// taken here is one): no `resultType`, no non-object tool output.
fn legacy_shape(mut result: ServerResult) -> Result<ServerResult, ErrorData> {
    if matches!(result, ServerResult::InputRequiredResult(_)) {
        return Err(ErrorData::invalid_request(
            "InputRequiredResult requires negotiated protocol version 2026-07-28 or newer",
            None,
        ));
    }
    result.strip_result_type_for_legacy_peer();
    result.strip_non_object_output_for_legacy_peer();
    Ok(result)
}

/// `params` as `T`; `None` (rmcp decides) for anything but an object `T` accepts.
fn parse<T: serde::de::DeserializeOwned>(params: &RawValue) -> Option<T> {
    let text = params.get();
    text.starts_with('{')
        .then(|| serde_json::from_str(text).ok())
        .flatten()
}

/// No header that rmcp would act on: `Origin` (its own origin rules), and an
/// `MCP-Protocol-Version` other than a known one from before the 2026-07-28 lifecycle
/// (which brings per-request metadata and SEP-2243 header checks).
fn headers_plain(headers: &HeaderMap) -> bool {
    if headers.contains_key(header::ORIGIN) {
        return false;
    }
    let mut versions = headers.get_all("mcp-protocol-version").iter();
    match (versions.next(), versions.next()) {
        (None, _) => true,
        (Some(v), None) => v.to_str().is_ok_and(answered_like_rmcp),
        _ => false,
    }
}

/// A protocol version rmcp knows, from before the 2026-07-28 lifecycle: for it, rmcp answers
/// a plain request as this module does (both transports check the version they are given).
pub(super) fn answered_like_rmcp(version: &str) -> bool {
    version < ProtocolVersion::V_2026_07_28.as_str()
        && ProtocolVersion::KNOWN_VERSIONS
            .iter()
            .any(|k| k.as_str() == version)
}

/// rmcp's Host check (DNS rebinding), for the hosts the router was given: `None` means
/// rmcp's default list, empty means any. When unsure, `false`: rmcp then decides. Compared
/// in place, without parsing or allocating (it runs on every request).
fn host_allowed(parts: &Parts, allowed: Option<&[String]>) -> bool {
    let authority = match parts.headers.get(header::HOST) {
        Some(h) => match h.to_str() {
            Ok(h) => h,
            Err(_) => return false,
        },
        None => match parts.uri.authority() {
            Some(a) => a.as_str(),
            None => return false,
        },
    };
    let Some((host, port)) = split_authority(authority) else {
        return false;
    };
    let matches = |allowed: &str| {
        let allowed = allowed.trim();
        // An entry that is not `host[:port]` (a bare IPv6 address) is a host with any port.
        let (a_host, a_port) = split_authority(allowed).unwrap_or((allowed, None));
        !allowed.is_empty()
            && a_host.trim_matches(['[', ']']).eq_ignore_ascii_case(host)
            && a_port.is_none_or(|p| Some(p) == port)
    };
    match allowed {
        None => DEFAULT_HOSTS.iter().any(|a| matches(a)),
        Some([]) => true,
        Some(list) => list.iter().any(|a| matches(a)),
    }
}

/// `host[:port]` or `[v6][:port]` split into the host (brackets removed) and the port;
/// `None` for anything else (an empty host, a port that is not a number, userinfo, a path).
fn split_authority(s: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = match s.strip_prefix('[') {
        Some(v6) => {
            let (host, rest) = v6.split_once(']')?;
            match rest {
                "" => (host, None),
                _ => (host, Some(rest.strip_prefix(':')?)),
            }
        }
        None => match s.split_once(':') {
            Some((_, p)) if p.contains(':') => return None,
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        },
    };
    let bad = |c: char| c.is_whitespace() || matches!(c, '/' | '@' | '?' | '#' | '[' | ']');
    if host.is_empty() || host.contains(bad) {
        return None;
    }
    let port = match port {
        None => None,
        Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => Some(p.parse().ok()?),
        Some(_) => return None,
    };
    Some((host, port))
}

#[derive(Serialize)]
struct Reply<'a> {
    jsonrpc: &'static str,
    id: &'a Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<ServerResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorData>,
}

/// One serialisation. The HTTP transport answers it with 200 and `application/json` either
/// way, as rmcp answers a stateless request in JSON mode.
fn reply(id: &Value, result: Result<ServerResult, ErrorData>) -> Vec<u8> {
    let (result, error) = match result {
        Ok(r) => (Some(r), None),
        Err(e) => (None, Some(e)),
    };
    let body = Reply {
        jsonrpc: "2.0",
        id,
        result,
        error,
    };
    serde_json::to_vec(&body).unwrap_or_else(|e| {
        let error = ErrorData::internal_error(format!("cannot serialise the answer: {e}"), None);
        let body = Reply {
            jsonrpc: "2.0",
            id,
            result: None,
            error: Some(error),
        };
        // An error of a message and an id (a string or an i64) always serialises.
        serde_json::to_vec(&body).unwrap_or_default()
    })
}

fn json_response(bytes: Vec<u8>) -> Response {
    let json = [(header::CONTENT_TYPE, "application/json")];
    (StatusCode::OK, json, bytes).into_response()
}

/// The bytes [`reply`] would write for a tool's [`Answer::Json`], from its text alone: the
/// text block is `text` as a JSON string, the structured content is `text` as it is
/// (no second serialisation of the value, no third for the escaped copy).
fn tool_reply(id: &Value, text: &str, wrapped: bool, is_error: bool) -> Vec<u8> {
    // Room for the escapes too (a JSON object's text is about one quote in eight bytes).
    let mut out = Vec::with_capacity(2 * text.len() + text.len() / 4 + 128);
    out.extend_from_slice(br#"{"jsonrpc":"2.0","id":"#);
    // An id is a string or an i64 here (`answer` checked): neither can fail to serialise.
    let _ = serde_json::to_writer(&mut out, id);
    out.extend_from_slice(br#","result":{"content":[{"type":"text","text":""#);
    push_as_json_string(&mut out, text);
    out.extend_from_slice(br#""}],"structuredContent":"#);
    match wrapped {
        true => {
            out.extend_from_slice(br#"{"result":"#);
            out.extend_from_slice(text.as_bytes());
            out.push(b'}');
        }
        false => out.extend_from_slice(text.as_bytes()),
    }
    out.extend_from_slice(match is_error {
        true => br#","isError":true}}"#.as_slice(),
        false => br#","isError":false}}"#.as_slice(),
    });
    out
}

/// The inside of a JSON string holding `json`, compact JSON from serde_json: such text has
/// no control characters (its strings hold them escaped), so only `"` and `\` are escaped,
/// exactly as serde_json's writer would.
fn push_as_json_string(out: &mut Vec<u8>, json: &str) {
    let bytes = json.as_bytes();
    let mut start = 0;
    for i in memchr::memchr2_iter(b'"', b'\\', bytes) {
        out.extend_from_slice(&bytes[start..i]);
        out.push(b'\\');
        out.push(bytes[i]);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

#[cfg(test)]
mod tests {
    use super::{headers_plain, host_allowed, legacy_shape, tool_reply, Reply};
    use super::{CallToolResponse, ServerResult};
    use crate::expose::mcp::call::Answer;
    use axum::http::Request;
    use serde_json::{json, Value};

    #[test]
    fn only_plain_json_rpc_requests_parse_for_the_fast_path() {
        let parses = |body: &str| serde_json::from_str::<super::Rpc>(body).is_ok();
        assert!(parses(
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}"#
        ));
        assert!(parses(r#"{"jsonrpc":"2.0","id":"a","method":"ping"}"#));
        for rmcp_decides in [
            r#"{"jsonrpc":"2.0","id":1,"method":"ping","extra":true}"#,
            r#"{"jsonrpc":"2.0","id":1,"id":2,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools\/list"}"#,
            r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#,
        ] {
            assert!(!parses(rmcp_decides), "{rmcp_decides}");
        }
        let meta = r#"{"_meta":{"progressToken":1},"name":"x"}"#;
        let raw = serde_json::value::RawValue::from_string(meta.into()).unwrap();
        let p: rmcp::model::CallToolRequestParams = super::parse(&raw).unwrap();
        assert!(p.meta.is_some(), "a request with _meta is seen as one");
        let not_object = serde_json::value::RawValue::from_string("[1]".into()).unwrap();
        assert!(super::parse::<rmcp::model::CallToolRequestParams>(&not_object).is_none());
    }

    #[test]
    fn a_tool_reply_written_from_its_text_is_what_serde_writes_for_the_result() {
        let values = [
            json!({"name": "Ann \"the\" O'Neil", "path": "C:\\dir\\", "tab": "a\tb\n\u{1}"}),
            json!({"ünï": "cödé ☃ 𝄞", "n": [1, -2.5, null, true], "empty": {}}),
            json!([{"a": 1}, "two"]),
            json!("just a string with \\ and \""),
            json!(null),
        ];
        for (i, v) in values.iter().enumerate() {
            let id = if i % 2 == 0 {
                json!(7)
            } else {
                json!("req-\"1\"")
            };
            let text = serde_json::to_string(v).unwrap();
            for is_error in [false, true] {
                let answer = Answer::Json {
                    text: text.clone(),
                    structured: Some(match v {
                        Value::Object(_) => v.clone(),
                        other => json!({ "result": other }),
                    }),
                    wrapped: !v.is_object(),
                    is_error,
                };
                let wrapped = !v.is_object();
                let result = ServerResult::from(CallToolResponse::from(answer.into_result()));
                let expected = Reply {
                    jsonrpc: "2.0",
                    id: &id,
                    result: Some(legacy_shape(result).unwrap()),
                    error: None,
                };
                let expected = serde_json::to_vec(&expected).unwrap();
                let written = tool_reply(&id, &text, wrapped, is_error);
                assert_eq!(
                    String::from_utf8(written).unwrap(),
                    String::from_utf8(expected).unwrap()
                );
            }
        }
    }

    fn parts(headers: &[(&str, &str)]) -> axum::http::request::Parts {
        let mut b = Request::builder().method("POST").uri("/mcp");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).unwrap().into_parts().0
    }

    #[test]
    fn only_requests_rmcp_treats_plainly_take_the_fast_path() {
        assert!(headers_plain(&parts(&[]).headers));
        let v = |s| parts(&[("mcp-protocol-version", s)]).headers;
        assert!(headers_plain(&v("2025-06-18")));
        assert!(headers_plain(&v("2025-11-25")));
        assert!(!headers_plain(&v("2026-07-28")));
        assert!(!headers_plain(&v("1999-01-01")));
        assert!(!headers_plain(
            &parts(&[("origin", "http://localhost")]).headers
        ));
    }

    #[test]
    fn the_host_check_follows_rmcps_rules_and_refuses_when_unsure() {
        let host = |h| parts(&[("host", h)]);
        assert!(host_allowed(&host("127.0.0.1:3001"), None));
        assert!(host_allowed(&host("localhost"), None));
        assert!(host_allowed(&host("[::1]:80"), None));
        assert!(!host_allowed(&host("evil.example"), None));
        assert!(!host_allowed(&parts(&[]), None));
        assert!(host_allowed(&host("evil.example"), Some(&[])));
        let list = ["api.example:8080".to_string()];
        assert!(host_allowed(&host("api.example:8080"), Some(&list)));
        assert!(!host_allowed(&host("api.example:9090"), Some(&list)));
        assert!(host_allowed(&host("LOCALHOST:3001"), None));
        for unsure in [
            "",
            ":80",
            "localhost:",
            "localhost:x",
            "a@localhost",
            "[::1",
            "::1:80",
        ] {
            assert!(!host_allowed(&host(unsure), None), "{unsure:?}");
        }
        let bare_v6 = ["::1".to_string()];
        assert!(host_allowed(&host("[::1]:3001"), Some(&bare_v6)));
    }
}
