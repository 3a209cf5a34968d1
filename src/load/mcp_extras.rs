//! `resources` and `prompts` of an MCP adapter. A resource is a folder of files
//! (`location`) or a call (`call`/`steps`, parsed as a tool is); a prompt is inline
//! `template` messages or a file (`location`). Files are read when served, not here.

use super::exposes::{text, tool, Ctx};
use super::skills::folder;
use super::tree::Node;
use crate::spec::{McpResource, Prompt, PromptBody, ResourceSource, Severity};

/// `resources:` of the MCP adapter `ns` at `path`.
pub(super) fn resources(ctx: &mut Ctx<'_>, ns: &str, node: &Node, path: &str) -> Vec<McpResource> {
    let mut out: Vec<McpResource> = Vec::new();
    for (i, r) in entries(node, "resources").iter().enumerate() {
        let at = format!("{path}.resources[{i}]");
        let (Some(name), Some(uri)) = (text(r, "name"), text(r, "uri")) else {
            let loc = ctx.loc(r, &at);
            ctx.push(
                Severity::Warning,
                loc,
                "a resource needs a `name` and a `uri`; it is not served".into(),
            );
            continue;
        };
        let source = match text(r, "location") {
            Some(l) => ResourceSource::Files(folder(ctx, &l)),
            None => match tool(ctx, ns, r, &at) {
                Some(t) => ResourceSource::Call(Box::new(t)),
                None => continue,
            },
        };
        if out.iter().any(|o| o.uri == uri) {
            let loc = ctx.loc(r, &at);
            ctx.push(
                Severity::Warning,
                loc,
                format!("resource `{name}`: uri `{uri}` is declared twice; the first is served"),
            );
            continue;
        }
        out.push(McpResource {
            title: text(r, "label").unwrap_or_else(|| name.clone()),
            name,
            uri,
            description: text(r, "description"),
            mime_type: text(r, "mimeType"),
            source,
        });
    }
    out
}

/// `prompts:` of an MCP adapter at `path`.
pub(super) fn prompts(ctx: &mut Ctx<'_>, node: &Node, path: &str) -> Vec<Prompt> {
    let mut out: Vec<Prompt> = Vec::new();
    for (i, p) in entries(node, "prompts").iter().enumerate() {
        let at = format!("{path}.prompts[{i}]");
        let loc = ctx.loc(p, &at);
        let Some(name) = text(p, "name") else {
            ctx.push(
                Severity::Warning,
                loc,
                "a prompt without a `name` is not served".into(),
            );
            continue;
        };
        let body = match (p.get("template"), text(p, "location")) {
            (Some(t), None) => PromptBody::Inline(messages(t)),
            (None, Some(l)) => PromptBody::File(folder(ctx, &l)),
            _ => {
                ctx.push(
                    Severity::Warning,
                    loc,
                    format!("prompt `{name}` needs exactly one of `template` and `location`; it is not served"),
                );
                continue;
            }
        };
        let arguments = entries(p, "arguments")
            .iter()
            .filter_map(|a| {
                let required = matches!(
                    a.get("required").map(|r| &r.kind),
                    Some(super::tree::Kind::Bool(true))
                );
                Some((text(a, "name")?, text(a, "description"), required))
            })
            .collect();
        out.push(Prompt {
            name,
            title: text(p, "label"),
            description: text(p, "description"),
            arguments,
            body,
        });
    }
    out
}

/// `template:` messages (`{role, content}`; a bare string is a `user` message).
fn messages(node: &Node) -> Vec<(String, String)> {
    if let Some(text) = node.scalar_text() {
        return vec![("user".into(), text)];
    }
    node.as_seq()
        .unwrap_or_default()
        .iter()
        .filter_map(|m| {
            let role = text(m, "role").unwrap_or_else(|| "user".into());
            Some((role, m.get("content")?.scalar_text()?))
        })
        .collect()
}

fn entries<'a>(node: &'a Node, key: &str) -> &'a [Node] {
    node.get(key).and_then(Node::as_seq).unwrap_or_default()
}
