//! Public reads every visitor asks for alike — the statistics behind the catalog page and
//! `/api/v1/statistics` — computed once per [`HOT_TTL`] per process and shared.
//!
//! At national load thousands of people a second open the catalog, and each would
//! otherwise sum the certificate counts afresh. The answer is allowed to be [`HOT_TTL`]
//! old: a certificate issued by any process, or revoked by another one, shows within that
//! delay; a revocation made by this process clears it at once (a revoked certificate must
//! not be counted as valid on the platform that revoked it). When the value is stale, one
//! request recomputes it and the others arriving meanwhile wait for that one answer
//! rather than each asking the database.

use std::{
    future::Future,
    sync::Arc,
    time::{Duration, Instant},
};

use super::PlatformError;

/// How old a hot answer may be.
pub const HOT_TTL: Duration = Duration::from_secs(1);

/// One shared answer and when it was computed.
pub(super) struct Hot<T> {
    slot: tokio::sync::Mutex<Option<(Instant, Arc<T>)>>,
}

impl<T> Default for Hot<T> {
    fn default() -> Self {
        Hot {
            slot: tokio::sync::Mutex::new(None),
        }
    }
}

impl<T> Hot<T> {
    /// The answer, computed by `compute` when there is none younger than [`HOT_TTL`].
    pub async fn get<F, Fut>(&self, compute: F) -> Result<Arc<T>, PlatformError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, PlatformError>>,
    {
        let mut slot = self.slot.lock().await;
        if let Some((at, answer)) = &*slot
            && at.elapsed() < HOT_TTL
        {
            return Ok(answer.clone());
        }
        let answer = Arc::new(compute().await?);
        *slot = Some((Instant::now(), answer.clone()));
        Ok(answer)
    }

    /// Forget the answer: the next read computes it.
    pub async fn clear(&self) {
        *self.slot.lock().await = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_answer_is_shared_until_it_is_cleared() {
        let hot = Hot::default();
        let calls = std::sync::atomic::AtomicU32::new(0);
        let compute = || async {
            Ok::<_, PlatformError>(calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst))
        };
        assert_eq!(*hot.get(compute).await.unwrap(), 0);
        assert_eq!(*hot.get(compute).await.unwrap(), 0, "shared within the TTL");
        hot.clear().await;
        assert_eq!(
            *hot.get(compute).await.unwrap(),
            1,
            "computed again once cleared"
        );
    }
}
