//! W3C Trace Context (`traceparent`): read from an inbound request, sent upstream with the
//! same trace id and a new span id per upstream call, so a tracing backend links the hops.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A parsed `traceparent` header (version `00`).
///
/// ```
/// # fn main() -> Result<(), &'static str> {
/// let t = naftiko::TraceParent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
///     .ok_or("not a traceparent")?;
/// assert_eq!(t.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
/// let child = t.child();
/// assert_eq!(child.trace_id(), t.trace_id());
/// assert_ne!(child.span_id(), t.span_id());
/// assert!(naftiko::TraceParent::parse("00-00000000000000000000000000000000-00f067aa0ba902b7-01").is_none());
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TraceParent {
    trace_id: [u8; 32],
    span_id: [u8; 16],
    flags: [u8; 2],
}

impl TraceParent {
    /// Parses `00-<32 hex>-<16 hex>-<2 hex>`; `None` for anything else, or all-zero ids
    /// (invalid per the spec: the caller then starts no trace).
    pub fn parse(header: &str) -> Option<TraceParent> {
        let mut parts = header.trim().split('-');
        let (version, trace, span, flags) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        // A future version may append fields; version 00 has exactly four.
        if version.len() != 2 || !hex(version) || version == "ff" {
            return None;
        }
        if version == "00" && parts.next().is_some() {
            return None;
        }
        if trace.len() != 32 || span.len() != 16 || flags.len() != 2 {
            return None;
        }
        if !hex(trace) || !hex(span) || !hex(flags) {
            return None;
        }
        if trace.bytes().all(|b| b == b'0') || span.bytes().all(|b| b == b'0') {
            return None;
        }
        let mut t = TraceParent {
            trace_id: [0; 32],
            span_id: [0; 16],
            flags: [0; 2],
        };
        t.trace_id
            .copy_from_slice(trace.to_ascii_lowercase().as_bytes());
        t.span_id
            .copy_from_slice(span.to_ascii_lowercase().as_bytes());
        t.flags
            .copy_from_slice(flags.to_ascii_lowercase().as_bytes());
        Some(t)
    }

    /// The same trace with a new span id: what an upstream call carries.
    pub fn child(&self) -> TraceParent {
        let mut c = *self;
        let id = loop {
            let id = random_u64();
            if id != 0 {
                break id;
            }
        };
        const HEX: &[u8; 16] = b"0123456789abcdef";
        for (i, slot) in c.span_id.iter_mut().enumerate() {
            *slot = HEX[((id >> (60 - 4 * i)) & 0xf) as usize];
        }
        c
    }

    /// The 32 hex digits of the trace id.
    pub fn trace_id(&self) -> &str {
        std::str::from_utf8(&self.trace_id).unwrap_or_default()
    }

    /// The 16 hex digits of this span's id.
    pub fn span_id(&self) -> &str {
        std::str::from_utf8(&self.span_id).unwrap_or_default()
    }
}

impl fmt::Display for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let flags = std::str::from_utf8(&self.flags).unwrap_or("00");
        write!(f, "00-{}-{}-{flags}", self.trace_id(), self.span_id())
    }
}

impl fmt::Debug for TraceParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceParent({self})")
    }
}

fn hex(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// splitmix64 over a counter seeded by the clock: unique enough for span ids.
fn random_u64() -> u64 {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut z = STATE
        .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
        .wrapping_add(seed);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
