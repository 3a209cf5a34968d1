//! The route table of a REST adapter, built once: each distinct path pattern with the
//! operations declared on it (by method) and the forward of its resource, ordered so that
//! literal segments win over placeholders and a one-segment placeholder over the
//! multi-segment `{{path}}`. Matching a request path is a walk over its segments.

use std::borrow::Cow;

use crate::spec::{Adapter, Method, PathPart};

/// One path pattern.
#[derive(Debug)]
pub(crate) struct Route {
    pub(crate) parts: Vec<PathPart>,
    /// The pattern as written (for errors and OpenAPI).
    pub(crate) pattern: String,
    /// `(method, resource index, operation index)`.
    pub(crate) operations: Vec<(Method, usize, usize)>,
    /// The resource whose `forward` takes the other methods.
    pub(crate) forward: Option<usize>,
}

/// A matched route and its captured path variables (decoded; `{{path}}` raw).
pub(crate) struct Matched<'r> {
    pub(crate) route: &'r Route,
    pub(crate) captures: Vec<(&'r str, String)>,
}

/// All routes of an adapter, most specific first.
#[derive(Debug, Default)]
pub(crate) struct Table {
    pub(crate) routes: Vec<Route>,
}

impl Table {
    pub(crate) fn build(adapter: &Adapter) -> Table {
        let mut routes: Vec<Route> = Vec::new();
        for (ri, r) in adapter.resources.iter().enumerate() {
            if r.problem.is_some() {
                continue;
            }
            for (oi, op) in r.operations.iter().enumerate() {
                let route = find_or_add(&mut routes, &op.parts, &op.path);
                if !route.operations.iter().any(|(m, ..)| *m == op.method) {
                    route.operations.push((op.method, ri, oi));
                }
            }
            if r.forward.is_some() {
                let parts = crate::spec::split_path(&r.path).unwrap_or_default();
                let route = find_or_add(&mut routes, &parts, &r.path);
                route.forward.get_or_insert(ri);
            }
        }
        routes.sort_by_key(|r| rank(&r.parts));
        Table { routes }
    }

    /// The route for a request path (as received, percent-encoded).
    pub(crate) fn find<'r>(&'r self, path: &str) -> Option<Matched<'r>> {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        self.routes.iter().find_map(|r| matches(r, &segments))
    }
}

fn find_or_add<'a>(routes: &'a mut Vec<Route>, parts: &[PathPart], pattern: &str) -> &'a mut Route {
    let same = |r: &Route| {
        r.parts.len() == parts.len()
            && r.parts.iter().zip(parts).all(|(a, b)| match (a, b) {
                (PathPart::Lit(x), PathPart::Lit(y)) => x == y,
                (PathPart::Var(_), PathPart::Var(_)) | (PathPart::Rest(_), PathPart::Rest(_)) => {
                    true
                }
                _ => false,
            })
    };
    let i = match routes.iter().position(same) {
        Some(i) => i,
        None => {
            routes.push(Route {
                parts: parts.to_vec(),
                pattern: pattern.to_string(),
                operations: Vec::new(),
                forward: None,
            });
            routes.len() - 1
        }
    };
    &mut routes[i]
}

/// Sort key: literals first, segment by segment; then longer patterns.
fn rank(parts: &[PathPart]) -> (Vec<u8>, std::cmp::Reverse<usize>) {
    let key = parts
        .iter()
        .map(|p| match p {
            PathPart::Lit(_) => 0,
            PathPart::Var(_) => 1,
            PathPart::Rest(_) => 2,
        })
        .collect();
    (key, std::cmp::Reverse(parts.len()))
}

fn decode(s: &str) -> Cow<'_, str> {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy()
}

fn matches<'r>(route: &'r Route, segments: &[&str]) -> Option<Matched<'r>> {
    let mut captures = Vec::new();
    let mut i = 0;
    for part in &route.parts {
        match part {
            PathPart::Lit(l) => {
                if segments.get(i).map(|s| decode(s)) != Some(Cow::Borrowed(l.as_str())) {
                    return None;
                }
                i += 1;
            }
            PathPart::Var(name) => {
                captures.push((name.as_str(), decode(segments.get(i)?).into_owned()));
                i += 1;
            }
            PathPart::Rest(name) => {
                captures.push((name.as_str(), segments[i.min(segments.len())..].join("/")));
                i = segments.len();
            }
        }
    }
    (i == segments.len()).then_some(Matched { route, captures })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::split_path;

    fn table(patterns: &[&str]) -> Table {
        let mut routes: Vec<Route> = patterns
            .iter()
            .map(|p| Route {
                parts: split_path(p).unwrap(),
                pattern: p.to_string(),
                operations: Vec::new(),
                forward: None,
            })
            .collect();
        routes.sort_by_key(|r| rank(&r.parts));
        Table { routes }
    }

    #[test]
    fn literals_win_over_placeholders_and_path_takes_the_rest() {
        let t = table(&["/ships/{imo}", "/ships/active", "/proxy/{{path}}", "/ships"]);
        let cases = [
            ("/ships/active", Some("/ships/active"), vec![]),
            (
                "/ships/IMO%201",
                Some("/ships/{imo}"),
                vec![("imo", "IMO 1")],
            ),
            ("/ships/", Some("/ships"), vec![]),
            (
                "/proxy/a/b%2Fc",
                Some("/proxy/{{path}}"),
                vec![("path", "a/b%2Fc")],
            ),
            ("/proxy", Some("/proxy/{{path}}"), vec![("path", "")]),
            ("/ships/a/b", None, vec![]),
            ("/nowhere", None, vec![]),
        ];
        for (path, want, caps) in cases {
            let m = t.find(path);
            assert_eq!(m.as_ref().map(|m| m.route.pattern.as_str()), want, "{path}");
            if let Some(m) = m {
                let got: Vec<(&str, &str)> =
                    m.captures.iter().map(|(k, v)| (*k, v.as_str())).collect();
                assert_eq!(got, caps, "{path}");
            }
        }
    }
}
