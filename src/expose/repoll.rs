//! A future that is polled again at once when it wakes itself during its own poll, instead
//! of going back to tokio's scheduler.
//!
//! Why the accept loop needs it: hyper's HTTP/1 connection task wakes itself each time its
//! request handler takes a chunk of the request body (the body channel wakes its sender,
//! the connection, even after the connection has read the whole body and closed it). tokio
//! treats a task woken during its own poll as one that yields: it goes to the back of the
//! run queue and a parked worker thread is woken to take it, two `futex` calls per POST
//! and the request finished on the other thread (BENCHMARKS.md § MCP, "Where MCP over HTTP
//! loses to the REST route"). Polled again here, inside the same poll, the connection
//! finds nothing more to do and parks on its sockets, on the thread it already runs on.
//!
//! A wake from anywhere else (the socket's readiness, a timer, another thread) while no
//! poll is running goes to tokio as usual. The re-polls are bounded, and stop as soon as
//! the task's cooperative budget is spent, so a future that keeps waking itself still
//! yields to the others.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

/// Re-polls within one poll before yielding to the scheduler after all.
const MAX_REPOLLS: usize = 4;

const IDLE: u8 = 0;
const POLLING: u8 = 1;
const WOKEN: u8 = 2;

/// Wraps `future`: see the module documentation.
pub(crate) fn repoll<F: Future>(future: F) -> Repoll<F> {
    let signal = Arc::new(Signal {
        state: AtomicU8::new(IDLE),
        outer: Mutex::new(None),
    });
    Repoll {
        inner: Box::pin(future),
        waker: Waker::from(Arc::clone(&signal)),
        signal,
    }
}

pub(crate) struct Repoll<F> {
    inner: Pin<Box<F>>,
    signal: Arc<Signal>,
    /// The waker the inner future sees, the same for its whole life (so `will_wake` holds).
    waker: Waker,
}

struct Signal {
    state: AtomicU8,
    /// The task's own waker, from the latest poll.
    outer: Mutex<Option<Waker>>,
}

impl Wake for Signal {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        match self
            .state
            .compare_exchange(POLLING, WOKEN, Ordering::AcqRel, Ordering::Acquire)
        {
            // The poll under way sees WOKEN when it ends, and polls again.
            Ok(_) | Err(WOKEN) => {}
            Err(_) => {
                let outer = self.outer.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(waker) = outer.as_ref() {
                    waker.wake_by_ref();
                }
            }
        }
    }
}

impl<F: Future> Future for Repoll<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        {
            let mut outer = this.signal.outer.lock().unwrap_or_else(|e| e.into_inner());
            if !outer.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *outer = Some(cx.waker().clone());
            }
        }
        let mut inner_cx = Context::from_waker(&this.waker);
        for _ in 0..MAX_REPOLLS {
            this.signal.state.store(POLLING, Ordering::Release);
            let polled = this.inner.as_mut().poll(&mut inner_cx);
            let woken = this.signal.state.swap(IDLE, Ordering::AcqRel) == WOKEN;
            if polled.is_ready() {
                return polled;
            }
            if !woken {
                return Poll::Pending;
            }
            if !tokio::task::coop::has_budget_remaining() {
                break;
            }
        }
        // Still waking itself (or out of budget): yield to the scheduler as tokio would.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// Counts the wakes of the task's own waker.
    struct Counter(AtomicUsize);

    impl Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Wakes itself on each of its first `self_wakes` polls, then finishes.
    struct WakesItself {
        self_wakes: usize,
        polls: usize,
    }

    impl Future for WakesItself {
        type Output = usize;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
            self.polls += 1;
            if self.polls > self.self_wakes {
                return Poll::Ready(self.polls);
            }
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    fn poll_once<F: Future>(f: &mut Repoll<F>, counter: &Arc<Counter>) -> Poll<F::Output> {
        let waker = Waker::from(Arc::clone(counter));
        Pin::new(f).poll(&mut Context::from_waker(&waker))
    }

    #[test]
    fn a_wake_during_its_own_poll_is_a_poll_again_not_a_trip_to_the_scheduler() {
        let counter = Arc::new(Counter(AtomicUsize::new(0)));
        let mut f = repoll(WakesItself {
            self_wakes: 2,
            polls: 0,
        });
        assert_eq!(poll_once(&mut f, &counter), Poll::Ready(3));
        assert_eq!(counter.0.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn a_future_that_keeps_waking_itself_still_yields() {
        let counter = Arc::new(Counter(AtomicUsize::new(0)));
        let mut f = repoll(WakesItself {
            self_wakes: usize::MAX,
            polls: 0,
        });
        assert!(poll_once(&mut f, &counter).is_pending());
        assert_eq!(f.inner.polls, MAX_REPOLLS);
        assert_eq!(counter.0.load(Ordering::SeqCst), 1, "woken to run again");
    }

    #[test]
    fn a_wake_between_polls_reaches_the_task() {
        let counter = Arc::new(Counter(AtomicUsize::new(0)));
        let mut f = repoll(std::future::pending::<()>());
        assert!(poll_once(&mut f, &counter).is_pending());
        f.waker.wake_by_ref();
        assert_eq!(counter.0.load(Ordering::SeqCst), 1);
        // After a poll from another task, its waker is the one woken.
        let second = Arc::new(Counter(AtomicUsize::new(0)));
        assert!(poll_once(&mut f, &second).is_pending());
        let owned = f.waker.clone(); // by value, as a task handing its waker on would
        owned.wake();
        assert_eq!(second.0.load(Ordering::SeqCst), 1);
        assert_eq!(counter.0.load(Ordering::SeqCst), 1);
    }
}
