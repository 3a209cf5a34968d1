//! Fetching every page of an operation ([`Runtime::pages`]): a stream of pages, each one
//! request, the next asked for as the operation's `pagination` says (an offset, a page
//! number, a cursor, a `Link: rel="next"` header or a URL in the body), bounded by
//! `max_pages`.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::stream::{self, BoxStream, Stream};
use serde_json::Value;

use crate::error::Error;
use crate::map::Query;
use crate::request::{PreparedRequest, Unset};
use crate::runtime::{CallOptions, Runtime};
use crate::spec::{PageError, PageStyle, Pagination};

/// The pages a run fetches when neither the call nor the capability bounds it.
pub const DEFAULT_MAX_PAGES: u32 = 100;

/// One page of a run.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Page {
    /// 1 for the first page.
    pub number: u32,
    /// The decoded response body, before the output mapping (what `pagination` and
    /// `--items` paths read).
    pub body: Value,
    /// The mapped output: what [`Runtime::call`] returns for this page.
    pub output: Value,
}

/// Per-run settings.
#[derive(Debug, Clone, Default)]
pub struct PageOptions {
    /// The most pages to fetch (default: the operation's `maxPages`, else
    /// [`DEFAULT_MAX_PAGES`]).
    pub max_pages: Option<u32>,
}

/// The stream [`Runtime::pages`] returns: `Send`, `'static` (it holds a clone of the
/// runtime), one request per page polled.
pub struct Pages {
    inner: BoxStream<'static, Result<Page, Error>>,
}

impl std::fmt::Debug for Pages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pages")
    }
}

impl Stream for Pages {
    type Item = Result<Page, Error>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

/// What the next page's request is made from.
enum Next {
    /// The call's arguments, with the offset, page or cursor advanced.
    Args(Value),
    /// A URL the server gave (the previous request with that URL).
    Url(PreparedRequest),
    /// The next page cannot be asked for: the run ends with this error.
    Fail(Error),
    Done,
}

/// A run in progress.
struct Run {
    rt: Runtime,
    index: usize,
    pagination: Pagination,
    next: Next,
    fetched: u32,
    max_pages: u32,
    /// The first request's origin: a next URL elsewhere is refused.
    origin: Option<reqwest::Url>,
}

impl Runtime {
    /// Every page of `operation`, as a stream (see [`Runtime::pages_with`]).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), naftiko::Error> {
    /// use futures_util::StreamExt;
    /// let rt = naftiko::Runtime::builder(naftiko::Capability::from_path("specs/vital/users.yaml")?).build()?;
    /// let mut pages = rt.pages("get_teams_users_v2_user_get", serde_json::json!({"limit": 100}))?;
    /// while let Some(page) = pages.next().await {
    ///     println!("page {}: {}", page.as_ref().map_or(0, |p| p.number), page?.body["total"]);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn pages(&self, operation: &str, args: Value) -> Result<Pages, Error> {
        self.pages_with(operation, args, &PageOptions::default())
    }

    /// Every page of `operation`, fetched one request per page as the stream is polled,
    /// up to `max_pages`. Fails at once when the operation does not page
    /// ([`PageError::NotPaginated`]); a page that fails ends the stream with its error.
    pub fn pages_with(
        &self,
        operation: &str,
        args: Value,
        options: &PageOptions,
    ) -> Result<Pages, Error> {
        let cap = self.capability();
        let index = cap.operation_index(operation)?;
        let op = &cap.operations[index];
        let Some(pagination) = op.pagination.clone() else {
            return Err(PageError::NotPaginated {
                operation: op.qualified.to_string(),
            }
            .into());
        };
        let max_pages = (options.max_pages)
            .or(pagination.max_pages)
            .unwrap_or(DEFAULT_MAX_PAGES);
        let run = Run {
            rt: self.clone(),
            index,
            pagination,
            next: Next::Args(args),
            fetched: 0,
            max_pages,
            origin: None,
        };
        let inner = stream::unfold(run, |mut run| async move {
            let page = run.step().await?;
            Some((page, run))
        });
        Ok(Pages {
            inner: Box::pin(inner),
        })
    }
}

impl Run {
    /// Fetches the next page; `None` when the run is over.
    async fn step(&mut self) -> Option<Result<Page, Error>> {
        if self.fetched >= self.max_pages {
            return None;
        }
        let req = match std::mem::replace(&mut self.next, Next::Done) {
            Next::Done => return None,
            Next::Fail(e) => return Some(Err(e)),
            Next::Args(args) => {
                let req = (self.rt).prepare_index(
                    self.index,
                    &args,
                    Unset::Fail,
                    &CallOptions::default(),
                );
                self.next = Next::Args(args);
                req
            }
            Next::Url(req) => Ok(req),
        };
        let result = match req {
            Ok(req) => self.fetch(req).await,
            Err(e) => Err(e),
        };
        if result.is_err() {
            self.next = Next::Done;
        }
        Some(result)
    }

    async fn fetch(&mut self, req: PreparedRequest) -> Result<Page, Error> {
        let url = reqwest::Url::parse(req.expose_url()).ok();
        if self.origin.is_none() {
            self.origin = url.clone();
        }
        let (body, headers) = self.rt.fetch(self.index, &req).await?;
        self.fetched += 1;
        if let Err(e) = self.advance(&req, url.as_ref(), &body, &headers) {
            self.next = Next::Fail(e);
        }
        let op = &self.rt.capability().operations[self.index];
        Ok(Page {
            number: self.fetched,
            output: op.output.apply(body.clone()),
            body,
        })
    }

    /// Sets `next` from the page just fetched (or `Done` when it was the last).
    fn advance(
        &mut self,
        req: &PreparedRequest,
        url: Option<&reqwest::Url>,
        body: &Value,
        headers: &[(String, String)],
    ) -> Result<(), Error> {
        let count = (self.pagination.items.as_ref()).map(|q| q.nodes(body).len());
        let next_url = match &self.pagination.style {
            PageStyle::LinkHeader => link_next(headers),
            PageStyle::NextUrl { next } => text_at(next, body),
            _ => {
                let args = match &mut self.next {
                    Next::Args(args) => args,
                    _ => return Ok(()),
                };
                if !advance_args(&self.pagination.style, args, body, count) {
                    self.next = Next::Done;
                }
                return Ok(());
            }
        };
        self.next = match (next_url, url) {
            (Some(next), Some(current)) if count != Some(0) => {
                let resolved = self.follow(req, current, &next)?;
                match resolved.expose_url() == current.as_str() {
                    true => Next::Done,
                    false => Next::Url(resolved),
                }
            }
            _ => Next::Done,
        };
        Ok(())
    }

    /// The previous request sent to `next` (resolved against `current`), if it is on the
    /// first page's origin.
    fn follow(
        &self,
        req: &PreparedRequest,
        current: &reqwest::Url,
        next: &str,
    ) -> Result<PreparedRequest, Error> {
        let operation = req.operation.to_string();
        let url = current.join(next).map_err(|e| PageError::BadNextUrl {
            operation: operation.clone(),
            url: req.redact(next).into_owned(),
            message: e.to_string(),
        })?;
        let origin = self.origin.as_ref().unwrap_or(current);
        if url.origin() != origin.origin() {
            return Err(PageError::OtherOrigin {
                operation,
                url: req.redact(url.as_str()).into_owned(),
                origin: origin.origin().ascii_serialization(),
            }
            .into());
        }
        let mut out = req.clone();
        out.url = url.to_string();
        // The server's URL replaces the built one: its secrets are found by value now.
        out.spots.url.clear();
        Ok(out)
    }
}

/// Advances the offset, page or cursor in `args`; `false` when the page was the last.
fn advance_args(style: &PageStyle, args: &mut Value, body: &Value, count: Option<usize>) -> bool {
    if count == Some(0) {
        return false;
    }
    let count = count.map(|c| c as u64);
    let (name, value) = match style {
        PageStyle::Offset {
            offset,
            limit,
            total,
        } => {
            let limit = (args.get(limit).and_then(Value::as_u64))
                .or_else(|| body.get("limit").and_then(Value::as_u64));
            let total = total.as_ref().and_then(|q| q.extract(body).as_u64());
            let Some(step) = count.or(limit).filter(|s| *s > 0) else {
                return false;
            };
            let next = args.get(offset).and_then(Value::as_u64).unwrap_or(0) + step;
            let short = matches!((count, limit), (Some(c), Some(l)) if c < l);
            let past_end = total.map_or(count.is_none(), |t| next >= t);
            if short || past_end {
                return false;
            }
            (offset, Value::from(next))
        }
        PageStyle::Page {
            page,
            start,
            total_pages,
        } => {
            let current = args.get(page).and_then(Value::as_u64).unwrap_or(*start);
            let pages = total_pages.as_ref().and_then(|q| q.extract(body).as_u64());
            if pages.is_some_and(|p| current >= p) {
                return false;
            }
            (page, Value::from(current + 1))
        }
        PageStyle::Cursor { param, next } => {
            let cursor = next.extract(body);
            let empty = cursor.is_null() || cursor.as_str() == Some("");
            if empty || args.get(param) == Some(&cursor) {
                return false;
            }
            (param, cursor)
        }
        _ => return false,
    };
    match args {
        Value::Object(map) => {
            map.insert(name.clone(), value);
            true
        }
        Value::Null => {
            *args = serde_json::json!({ name.clone(): value });
            true
        }
        _ => false,
    }
}

/// The string at `q` in `body`, if there is a non-empty one.
fn text_at(q: &Query, body: &Value) -> Option<String> {
    let v = q.extract(body);
    v.as_str().filter(|s| !s.is_empty()).map(str::to_string)
}

/// The `rel="next"` target of the `Link` headers (RFC 8288).
fn link_next(headers: &[(String, String)]) -> Option<String> {
    let links = headers.iter().filter(|(k, _)| k == "link");
    links.flat_map(|(_, v)| v.split(',')).find_map(|link| {
        let (target, params) = link.trim().split_once(';')?;
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        let next = params.split(';').any(|p| {
            let Some((k, v)) = p.split_once('=') else {
                return false;
            };
            let rels = v.trim().trim_matches('"');
            k.trim().eq_ignore_ascii_case("rel")
                && rels
                    .split_ascii_whitespace()
                    .any(|r| r.eq_ignore_ascii_case("next"))
        });
        next.then(|| target.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::link_next;

    #[test]
    fn link_next_finds_the_next_target_among_others() {
        let h = |v: &str| vec![("link".to_string(), v.to_string())];
        let cases = [
            (
                r#"<https://a/p2>; rel="next", <https://a/p9>; rel="last""#,
                Some("https://a/p2"),
            ),
            (
                r#"<https://a/p1>; rel="prev", <https://a/p3>; rel=next"#,
                Some("https://a/p3"),
            ),
            (
                r#"<https://a/p3>; title="x"; rel="prefetch next""#,
                Some("https://a/p3"),
            ),
            (r#"<https://a/p9>; rel="last""#, None),
            ("garbage", None),
        ];
        for (value, want) in cases {
            assert_eq!(link_next(&h(value)).as_deref(), want, "{value}");
        }
    }
}
