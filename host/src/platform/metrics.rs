//! Where a grading request's server time goes: how much of it is the sandboxed grading.

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

/// Counters since start.
#[derive(Debug, Default)]
pub struct Metrics {
    grading_requests: AtomicU64,
    grading_request_ns: AtomicU64,
    gradings: AtomicU64,
    grading_ns: AtomicU64,
}

impl Metrics {
    /// A grading request took `time` of server time, end to end.
    pub fn record_request(&self, time: Duration) {
        self.grading_requests.fetch_add(1, Ordering::Relaxed);
        self.grading_request_ns
            .fetch_add(time.as_nanos() as u64, Ordering::Relaxed);
    }

    /// A sandboxed grading took `time`.
    pub fn record_grading(&self, time: Duration) {
        self.gradings.fetch_add(1, Ordering::Relaxed);
        self.grading_ns
            .fetch_add(time.as_nanos() as u64, Ordering::Relaxed);
    }

    /// (grading requests, their total server time, gradings, their total time).
    pub fn snapshot(&self) -> (u64, Duration, u64, Duration) {
        (
            self.grading_requests.load(Ordering::Relaxed),
            Duration::from_nanos(self.grading_request_ns.load(Ordering::Relaxed)),
            self.gradings.load(Ordering::Relaxed),
            Duration::from_nanos(self.grading_ns.load(Ordering::Relaxed)),
        )
    }
}
