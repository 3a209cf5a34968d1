//! The `pagination:` block of a consumed operation: how to ask for the next page and when
//! to stop. Parsed by `load/pagination.rs`, run by `paginate.rs`.

use crate::map::Query;

/// How an operation's pages are addressed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum PageStyle {
    /// `style: offset`: the `offset` parameter steps by the page's item count (or by
    /// `limit`); stops at `total`, on a short page or on an empty one.
    Offset {
        /// The offset parameter's name (default `offset`).
        offset: String,
        /// The page size parameter's name (default `limit`).
        limit: String,
        /// Where the response gives the total item count (default `$.total`).
        total: Option<Query>,
    },
    /// `style: page`: the `page` parameter counts up from `start`; stops at `totalPages`
    /// or on an empty page.
    Page {
        /// The page parameter's name (default `page`).
        page: String,
        /// The first page's number when the call does not give one (default 1).
        start: u64,
        /// Where the response gives the number of pages.
        total_pages: Option<Query>,
    },
    /// `style: cursor`: the cursor parameter takes the value at `next`; stops when it is
    /// absent, null or empty.
    Cursor {
        /// The cursor parameter's name (default `cursor`).
        param: String,
        /// Where the response gives the next cursor.
        next: Query,
    },
    /// `style: link`: follows the `Link` header's `rel="next"` URL.
    LinkHeader,
    /// `style: nextUrl`: follows the URL at `next` in the response.
    NextUrl {
        /// Where the response gives the next page's URL.
        next: Query,
    },
}

/// An operation's pagination, declared or inferred.
#[derive(Debug, Clone)]
pub struct Pagination {
    pub(crate) style: PageStyle,
    /// The items of one page (`items`): an empty page stops, an offset steps by their count.
    pub(crate) items: Option<Query>,
    /// `maxPages`: the most pages one run fetches (a call's own bound wins).
    pub(crate) max_pages: Option<u32>,
    /// Whether the runtime inferred it (offset and limit query parameters).
    pub(crate) inferred: bool,
}

impl Pagination {
    /// The style.
    pub fn style(&self) -> &PageStyle {
        &self.style
    }
    /// The items of one page, if declared.
    pub fn items(&self) -> Option<&Query> {
        self.items.as_ref()
    }
    /// The most pages a run fetches, if declared.
    pub fn max_pages(&self) -> Option<u32> {
        self.max_pages
    }
    /// Whether the runtime inferred it from `offset` and `limit` query parameters.
    pub fn is_inferred(&self) -> bool {
        self.inferred
    }
}

/// Why an operation's pages cannot be fetched.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PageError {
    /// The operation declares no `pagination`, and none can be inferred.
    #[error("operation `{operation}` does not page: it has no `pagination` block, and no `offset` and `limit` query parameters to infer one from (README \"Pagination\")")]
    NotPaginated {
        /// The operation.
        operation: String,
    },
    /// The next page's URL (a `Link` header, a URL in the body) is not a URL.
    #[error("operation `{operation}`: the next page's URL `{url}` is not a URL ({message})")]
    BadNextUrl {
        /// The operation.
        operation: String,
        /// The URL as the server gave it (secrets redacted).
        url: String,
        /// The parser's message.
        message: String,
    },
    /// The next page's URL is on another origin than the first page: it is not followed,
    /// since the request's credentials would go there.
    #[error("operation `{operation}`: the next page is at `{url}`, another origin than `{origin}`; not followed (the request's credentials would go there)")]
    OtherOrigin {
        /// The operation.
        operation: String,
        /// The next page's URL (secrets redacted).
        url: String,
        /// The first page's origin.
        origin: String,
    },
}
