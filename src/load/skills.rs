//! `type: skill` adapters: each skill's metadata, its tools (`from` a sibling adapter,
//! `instruction` files, or a direct `call`) and the folder its files are served from.
//! Nothing here touches the file system: the folder is checked when it is served.

use std::path::PathBuf;

use super::exposes::{text, Ctx};
use super::tree::Node;
use crate::spec::{Location, Severity, Skill, SkillTool, SkillToolKind};

/// The metadata fields passed through as written, in the order they are answered.
const FIELDS: [&str; 6] = [
    "license",
    "compatibility",
    "argument-hint",
    "allowed-tools",
    "user-invocable",
    "disable-model-invocation",
];

/// `skills:` of a skill adapter at `path`.
pub(super) fn skills(ctx: &mut Ctx<'_>, node: &Node, path: &str) -> Vec<Skill> {
    let mut out: Vec<Skill> = Vec::new();
    for (i, s) in node
        .get("skills")
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let at = format!("{path}.skills[{i}]");
        let Some(name) = text(s, "name") else {
            let loc = ctx.loc(s, &at);
            ctx.push(
                Severity::Warning,
                loc,
                "a skill without a `name` is not served".into(),
            );
            continue;
        };
        if out.iter().any(|o| o.name == name) {
            let loc = ctx.loc(s, &at);
            ctx.push(
                Severity::Warning,
                loc,
                format!("skill `{name}` is declared twice; the first is served"),
            );
            continue;
        }
        out.push(skill(ctx, s, &at, name));
    }
    out
}

fn skill(ctx: &mut Ctx<'_>, node: &Node, path: &str, name: String) -> Skill {
    let fields = FIELDS
        .iter()
        .filter_map(|&k| node.get(k).map(|v| (k, v.to_json())))
        .collect();
    let metadata = node
        .get("metadata")
        .and_then(Node::as_map)
        .unwrap_or_default()
        .iter()
        .filter_map(|(k, v)| Some((k.name.clone(), v.scalar_text()?)))
        .collect();
    let location = text(node, "location").map(|l| folder(ctx, &l));
    let tools = node
        .get("tools")
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .enumerate()
        .filter_map(|(i, t)| {
            let tool = tool(ctx, &name, t, &format!("{path}.tools[{i}]"))?;
            if matches!(tool.kind, SkillToolKind::Instruction(_)) && location.is_none() {
                let loc = ctx.loc(t, path);
                ctx.push(
                    Severity::Warning,
                    loc,
                    format!(
                        "skill `{name}`: tool `{}` names an `instruction` file but the skill has no `location`",
                        tool.name
                    ),
                );
            }
            Some(tool)
        })
        .collect();
    Skill {
        name,
        description: text(node, "description"),
        fields,
        metadata,
        location,
        tools,
    }
}

/// A `location`: a `file://` URI (`file:///opt/skills/x`) or a path, relative ones from
/// the capability file's folder.
pub(super) fn folder(ctx: &Ctx<'_>, location: &str) -> PathBuf {
    let raw = location
        .strip_prefix("file://localhost")
        .or_else(|| location.strip_prefix("file://"))
        .unwrap_or(location);
    let decoded = percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
    let p = PathBuf::from(decoded.as_ref());
    match ctx.file.parent() {
        Some(dir) if p.is_relative() => dir.join(p),
        _ => p,
    }
}

fn tool(ctx: &mut Ctx<'_>, skill: &str, node: &Node, path: &str) -> Option<SkillTool> {
    let location = ctx.loc(node, path);
    let Some(name) = text(node, "name") else {
        ctx.push(
            Severity::Warning,
            location,
            format!("skill `{skill}`: a tool without a `name` is not listed"),
        );
        return None;
    };
    let from = node.get("from");
    let instruction = text(node, "instruction");
    let call = node
        .get("call")
        .and_then(|c| c.scalar_text().or_else(|| text(c, "operation")));
    let kind = match (from, instruction, call) {
        (Some(f), None, _) => derived(ctx, skill, &name, f, &location),
        (None, Some(file), _) => SkillToolKind::Instruction(file),
        (None, None, Some(op)) => SkillToolKind::Call(op),
        (Some(_), Some(_), _) => {
            warn(
                ctx,
                location,
                skill,
                &name,
                "declares both `from` and `instruction`; it is listed without either",
            );
            SkillToolKind::Unknown
        }
        (None, None, None) => {
            warn(
                ctx,
                location,
                skill,
                &name,
                "has no `from`, `instruction` or `call`; it is listed by name only",
            );
            SkillToolKind::Unknown
        }
    };
    Some(SkillTool {
        name,
        description: text(node, "description"),
        kind,
    })
}

/// `from: {sourceNamespace, action}`, its mode the sibling adapter's type.
fn derived(
    ctx: &mut Ctx<'_>,
    skill: &str,
    name: &str,
    from: &Node,
    location: &Location,
) -> SkillToolKind {
    let namespace = text(from, "sourceNamespace").unwrap_or_default();
    let action = text(from, "action").unwrap_or_default();
    let mode = ctx
        .modes
        .iter()
        .find(|(ns, _)| *ns == namespace)
        .map(|(_, m)| *m);
    if mode.is_none() {
        let known: Vec<&str> = ctx.modes.iter().map(|(ns, _)| ns.as_str()).collect();
        let msg = format!(
            "`from.sourceNamespace: {namespace}` names no MCP or REST adapter of this capability (adapters: {}); its mode is `unknown`",
            if known.is_empty() { "none".into() } else { known.join(", ") }
        );
        warn(ctx, location.clone(), skill, name, &msg);
    }
    SkillToolKind::Derived {
        namespace,
        action,
        mode: mode.unwrap_or("unknown"),
    }
}

fn warn(ctx: &mut Ctx<'_>, location: Location, skill: &str, tool: &str, what: &str) {
    ctx.push(
        Severity::Warning,
        location,
        format!("skill `{skill}`, tool `{tool}`: {what}"),
    );
}
