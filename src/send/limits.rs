//! The response body limit: bodies are streamed and refused beyond the limit, and memory
//! follows the bytes that arrive, not the length a server announces.

use bytes::Bytes;
use http_body::Body;
use http_body_util::BodyExt;

use super::direct::BoxError;
use super::{Incoming, SendError};

pub(super) enum ReadError {
    TooLarge(SendError),
    Broken(BoxError),
}

/// The largest buffer allocated ahead of the bytes, whatever `Content-Length` announces.
const PREALLOC_MAX: usize = 1024 * 1024;

/// Reads the whole body, refusing it as soon as it is known to exceed `limit`.
pub(super) async fn read_limited(
    mut body: Incoming,
    limit: usize,
    operation: &str,
) -> Result<Bytes, ReadError> {
    let too_large = || {
        ReadError::TooLarge(SendError::BodyTooLarge {
            operation: operation.to_string(),
            limit,
        })
    };
    let content_length = body.size_hint().exact();
    if content_length.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    // Memory follows the bytes that arrived, not the length announced: a server announcing
    // 32 MiB and sending a few bytes must not cost 32 MiB per call. The announced length
    // only sizes the first allocation, up to `PREALLOC_MAX`; beyond that the buffer grows
    // as data comes.
    let announced = content_length.map_or(0, |n| n as usize);
    let mut buf: Vec<u8> = Vec::new();
    let mut first: Option<Bytes> = None;
    while let Some(frame) = body.frame().await {
        let Ok(chunk) = frame.map_err(ReadError::Broken)?.into_data() else {
            continue; // trailers
        };
        if first.is_none() && buf.is_empty() {
            // Most bodies arrive in one chunk: keep it without copying.
            first = Some(chunk);
            continue;
        }
        if let Some(f) = first.take() {
            buf.reserve(announced.min(PREALLOC_MAX).max(f.len() + chunk.len()));
            buf.extend_from_slice(&f);
        }
        if buf.len() + chunk.len() > limit {
            return Err(too_large());
        }
        buf.extend_from_slice(&chunk);
    }
    match first {
        Some(f) if buf.is_empty() => {
            if f.len() > limit {
                return Err(too_large());
            }
            Ok(f)
        }
        _ => Ok(Bytes::from(buf)),
    }
}
