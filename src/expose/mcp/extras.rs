//! MCP `resources` and `prompts` of a declared adapter.
//!
//! * A resource with `location` lists every file of its folder as `<uri>/<relative path>`
//!   (checked and contained as the skill adapter's files are: `expose::files`); reading
//!   gives its text (or base64 for a non-UTF-8 file), typed by `mimeType` or extension.
//! * A resource with `call`/`steps` runs like a declared tool; a `{param}` in its `uri`
//!   makes it a template (`resources/templates/list`) whose matched segments are the call's
//!   arguments. A failed call is a JSON-RPC error (upstream returns the error body as the
//!   resource's contents, which a client cannot tell from data).
//! * A prompt substitutes `{{argument}}` once (a value is never re-read as a template) in
//!   its `template` messages or its file (one `user` message).

use base64::Engine as _;
use rmcp::model::{
    ErrorData, GetPromptResult, JsonObject, Prompt as McpPrompt, PromptArgument, PromptMessage,
    ReadResourceResult, Resource, ResourceContents, ResourceTemplate, Role,
};
use serde_json::Value;

use super::call::declared;
use super::tools::call_name;
use super::Inner;
use crate::expose::files;
use crate::spec::{McpResource, Prompt, PromptBody, ResourceSource};
use crate::CallOptions;

/// The largest file served as a resource or prompt.
const MAX_FILE: u64 = 16 << 20;

fn resources(inner: &Inner) -> &[McpResource] {
    inner
        .adapter
        .as_ref()
        .map_or(&[][..], |a| a.mcp_resources.as_slice())
}

fn prompts(inner: &Inner) -> &[Prompt] {
    inner
        .adapter
        .as_ref()
        .map_or(&[][..], |a| a.prompts.as_slice())
}

/// Whether the adapter declares resources / prompts (the capabilities announced).
pub(crate) fn declared_kinds(inner: &Inner) -> (bool, bool) {
    (!resources(inner).is_empty(), !prompts(inner).is_empty())
}

fn is_template(uri: &str) -> bool {
    uri.contains('{')
}

/// `resources/list`: the concrete call resources and every file of the folders.
pub(crate) async fn list(inner: &Inner) -> Vec<Resource> {
    let mut out = Vec::new();
    for r in resources(inner) {
        match &r.source {
            ResourceSource::Call(_) if !is_template(&r.uri) => {
                out.push(listed(r, r.uri.clone(), r.title.clone(), mime(r, None)));
            }
            ResourceSource::Call(_) => {}
            ResourceSource::Files(dir) => {
                let dir = dir.clone();
                let found = tokio::task::spawn_blocking(move || {
                    std::fs::canonicalize(&dir)
                        .ok()
                        .and_then(|root| files::walk(&root).ok())
                })
                .await
                .ok()
                .flatten()
                .unwrap_or_default();
                for (rel, _, _) in found {
                    let uri = format!("{}/{rel}", r.uri.trim_end_matches('/'));
                    out.push(listed(r, uri, rel.clone(), mime(r, Some(&rel))));
                }
            }
        }
    }
    out
}

fn listed(r: &McpResource, uri: String, title: String, mime: String) -> Resource {
    let mut res = Resource::new(uri, r.name.clone()).with_title(title);
    if let Some(d) = &r.description {
        res = res.with_description(d.clone());
    }
    res.mime_type = Some(mime);
    res
}

fn mime(r: &McpResource, file: Option<&str>) -> String {
    match (&r.mime_type, file) {
        (Some(m), _) => m.clone(),
        (None, Some(f)) => files::media_type(f).to_string(),
        (None, None) => "application/json".into(),
    }
}

/// `resources/templates/list`: the call resources whose `uri` has placeholders.
pub(crate) fn templates(inner: &Inner) -> Vec<ResourceTemplate> {
    resources(inner)
        .iter()
        .filter(|r| matches!(r.source, ResourceSource::Call(_)) && is_template(&r.uri))
        .map(|r| {
            let mut t =
                ResourceTemplate::new(r.uri.clone(), r.name.clone()).with_title(r.title.clone());
            if let Some(d) = &r.description {
                t = t.with_description(d.clone());
            }
            t.mime_type = Some(mime(r, None));
            t
        })
        .collect()
}

/// `resources/read`.
pub(crate) async fn read(
    inner: &Inner,
    uri: &str,
    opts: &CallOptions,
) -> Result<ReadResourceResult, ErrorData> {
    for r in resources(inner) {
        match &r.source {
            ResourceSource::Call(tool) => {
                let Some(args) = template_match(&r.uri, uri) else {
                    continue;
                };
                return read_call(inner, r, tool, uri, args, opts).await;
            }
            ResourceSource::Files(dir) => {
                let prefix = format!("{}/", r.uri.trim_end_matches('/'));
                let Some(rel) = uri.strip_prefix(&prefix) else {
                    continue;
                };
                return read_file(r, dir.clone(), rel, uri).await;
            }
        }
    }
    Err(ErrorData::invalid_params(
        format!("Unknown resource: {uri}"),
        None,
    ))
}

async fn read_call(
    inner: &Inner,
    r: &McpResource,
    tool: &crate::spec::Tool,
    uri: &str,
    args: JsonObject,
    opts: &CallOptions,
) -> Result<ReadResourceResult, ErrorData> {
    if let Some(p) = &tool.problem {
        return Err(ErrorData::internal_error(
            format!("resource `{}` cannot be read: {p}", r.name),
            None,
        ));
    }
    let target = tool
        .call
        .as_ref()
        .and_then(|c| c.index)
        .map(|i| (i, call_name(&inner.rt, i)));
    let (mut value, failed) = declared(inner, tool, target.as_ref(), args, opts)
        .await
        .into_value();
    crate::secret::redact_json_in_place(&mut value, &inner.secrets, false);
    if failed {
        let msg = value["error"]
            .as_str()
            .unwrap_or("the call failed")
            .to_string();
        return Err(ErrorData::internal_error(
            format!("resource `{}`: {msg}", r.name),
            Some(value),
        ));
    }
    let text = match value {
        Value::String(s) => s,
        other => other.to_string(),
    };
    Ok(ReadResourceResult::new(vec![
        ResourceContents::TextResourceContents {
            uri: uri.to_string(),
            mime_type: Some(mime(r, None)),
            text,
            meta: None,
        },
    ]))
}

async fn read_file(
    r: &McpResource,
    dir: std::path::PathBuf,
    rel: &str,
    uri: &str,
) -> Result<ReadResourceResult, ErrorData> {
    let segments: Vec<String> = rel.split('/').map(str::to_string).collect();
    if let Some(bad) = segments.iter().find(|s| !files::safe_segment(s)) {
        return Err(ErrorData::invalid_params(
            format!("unsafe path segment `{bad}` in {uri}"),
            None,
        ));
    }
    let unknown = || ErrorData::invalid_params(format!("Unknown resource: {uri}"), None);
    let read = tokio::task::spawn_blocking(move || {
        let root = std::fs::canonicalize(&dir).ok()?;
        let (real, size) = files::resolve(&root, &segments).ok()?;
        (size <= MAX_FILE)
            .then(|| std::fs::read(real).ok())
            .flatten()
    });
    let bytes = read.await.ok().flatten().ok_or_else(unknown)?;
    let mime_type = Some(mime(r, Some(rel)));
    let contents = match String::from_utf8(bytes) {
        Ok(text) => ResourceContents::TextResourceContents {
            uri: uri.to_string(),
            mime_type,
            text,
            meta: None,
        },
        Err(e) => ResourceContents::BlobResourceContents {
            uri: uri.to_string(),
            mime_type,
            blob: base64::engine::general_purpose::STANDARD.encode(e.into_bytes()),
            meta: None,
        },
    };
    Ok(ReadResourceResult::new(vec![contents]))
}

/// The placeholders of `template` (`data://users/{id}/profile`) matched against `uri`,
/// each one non-empty path segment; `None` when it does not match.
fn template_match(template: &str, uri: &str) -> Option<JsonObject> {
    let mut args = JsonObject::new();
    let mut rest = uri;
    let mut t = template;
    while let Some(open) = t.find('{') {
        let (lit, after) = t.split_at(open);
        rest = rest.strip_prefix(lit)?;
        let close = after.find('}')?;
        let name = &after[1..close];
        t = &after[close + 1..];
        // The value runs to the next `/` (or to where the next literal starts).
        let next = t.find('{').map_or(t, |i| &t[..i]);
        let end = match next.is_empty() {
            true => rest.find('/').unwrap_or(rest.len()),
            false => rest.find(next).filter(|&e| !rest[..e].contains('/'))?,
        };
        let value = &rest[..end];
        if value.is_empty() || value.contains('/') {
            return None;
        }
        let decoded = percent_encoding::percent_decode_str(value).decode_utf8_lossy();
        args.insert(name.to_string(), Value::String(decoded.into_owned()));
        rest = &rest[end..];
    }
    (rest == t).then_some(args)
}

/// `prompts/list`.
pub(crate) fn list_prompts(inner: &Inner) -> Vec<McpPrompt> {
    prompts(inner)
        .iter()
        .map(|p| {
            let args: Vec<PromptArgument> = p
                .arguments
                .iter()
                .map(|(name, description, required)| {
                    let mut a = PromptArgument::new(name.clone()).with_required(*required);
                    if let Some(d) = description {
                        a = a.with_description(d.clone());
                    }
                    a
                })
                .collect();
            let mut out = McpPrompt::new(p.name.clone(), p.description.clone(), Some(args));
            if let Some(t) = &p.title {
                out = out.with_title(t.clone());
            }
            out
        })
        .collect()
}

/// `prompts/get`: the messages with the arguments substituted. An unknown prompt or a
/// missing required argument is −32602.
pub(crate) async fn get_prompt(
    inner: &Inner,
    name: &str,
    args: Option<JsonObject>,
) -> Result<GetPromptResult, ErrorData> {
    let Some(p) = prompts(inner).iter().find(|p| p.name == name) else {
        return Err(ErrorData::invalid_params(
            format!("Unknown prompt: {name}"),
            None,
        ));
    };
    let args = args.unwrap_or_default();
    if let Some((missing, ..)) = p
        .arguments
        .iter()
        .find(|(n, _, required)| *required && !args.contains_key(n))
    {
        return Err(ErrorData::invalid_params(
            format!("prompt `{name}` needs the argument `{missing}`"),
            None,
        ));
    }
    let raw = match &p.body {
        PromptBody::Inline(m) => m.clone(),
        PromptBody::File(path) => {
            let path = path.clone();
            let text = tokio::task::spawn_blocking(move || std::fs::read_to_string(path))
                .await
                .ok()
                .and_then(Result::ok)
                .ok_or_else(|| {
                    ErrorData::internal_error(
                        format!("prompt `{name}`: its file cannot be read"),
                        None,
                    )
                })?;
            vec![("user".into(), text)]
        }
    };
    let messages = raw
        .iter()
        .map(|(role, text)| {
            let role = if role == "assistant" {
                Role::Assistant
            } else {
                Role::User
            };
            PromptMessage::new_text(role, substitute(text, &args))
        })
        .collect();
    let mut result = GetPromptResult::new(messages);
    if let Some(d) = &p.description {
        result = result.with_description(d.clone());
    }
    Ok(result)
}

/// `{{name}}` (letters, digits, `_`) replaced by the argument's text, in one pass; unknown
/// placeholders are left as written.
fn substitute(text: &str, args: &JsonObject) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let close = after.find("}}");
        let name = close.map(|c| &after[..c]);
        match name
            .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        {
            Some(n) if args.contains_key(n) => {
                match &args[n] {
                    Value::String(s) => out.push_str(s),
                    other => out.push_str(&other.to_string()),
                }
                rest = &after[n.len() + 2..];
            }
            _ => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::{substitute, template_match};
    use serde_json::json;

    #[test]
    fn templates_match_one_segment_per_placeholder() {
        let m = |t: &str, u: &str| template_match(t, u).map(serde_json::Value::Object);
        assert_eq!(
            m("data://users/{id}/profile", "data://users/42/profile"),
            Some(json!({"id": "42"}))
        );
        assert_eq!(
            m("data://users/{id}", "data://users/a%20b"),
            Some(json!({"id": "a b"}))
        );
        assert_eq!(
            m("data://users/{id}/profile", "data://users/4/2/profile"),
            None
        );
        assert_eq!(
            m("data://users/{id}/profile", "data://users//profile"),
            None
        );
        assert_eq!(m("data://users/{id}", "data://users/42/extra"), None);
        assert_eq!(
            m("data://x/{a}-{b}", "data://x/1-2"),
            Some(json!({"a": "1", "b": "2"}))
        );
        assert_eq!(m("data://static", "data://static"), Some(json!({})));
        assert_eq!(m("data://static", "data://static/more"), None);
    }

    #[test]
    fn prompt_arguments_are_substituted_once_and_unknown_ones_left() {
        let args = json!({"name": "{{other}}", "other": "x", "n": 3});
        let args = args.as_object().unwrap();
        assert_eq!(
            substitute("Hi {{name}}, {{n}} {{missing}} {{ bad }}", args),
            "Hi {{other}}, 3 {{missing}} {{ bad }}"
        );
        assert_eq!(substitute("{{", args), "{{");
    }
}
