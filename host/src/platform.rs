//! The grading platform's service layer: accounts and their authority, gradings that
//! become certificates, revocation, spot checks of certified products, and the public
//! views. The HTTP layer (`http`) is a
//! thin mapping onto these functions.

mod accounts;
pub mod audit;
pub mod bundle;
mod certificates;
pub mod credit_code;
mod error;
pub mod gtin;
mod hot;
mod idempotency;
mod impact;
mod issuer;
mod metrics;
mod mode;
mod pilots;
mod publishing;
mod resolution_cache;
mod spot_checks;
mod transparency;

use std::sync::Arc;

pub use accounts::{Account, NewAccount, Role};
pub use certificates::{
    Certificate, Cursor, Filter as CertificateFilter, GradingOutcome, MAX_PAGE, PAGE, Page,
    Revocation, RevocationReason, query_plans, superseded,
};
pub use error::PlatformError;
pub use hot::HOT_TTL;
pub use idempotency::{Answer, IdempotencyKey, StoredAnswer};
pub use impact::{ImpactCandidate, Weighed};
pub use metrics::Metrics;
pub use mode::{DEVELOPMENT_KEY, Mode};
pub use pilots::publish_pilots;
pub use resolution_cache::{DEFAULT_LOADED, ResolvedModule};
pub use spot_checks::FINDINGS;

use crate::{
    clock::Clock,
    model,
    registry::{Registry, log::LogKey},
    runtime::Sandbox,
};

/// The platform: the registry, the sandbox, the modules loaded so far, the key its log's
/// checkpoints are signed with, and its calendar.
pub struct Platform {
    registry: Registry,
    sandbox: Arc<Sandbox>,
    resolutions: resolution_cache::ResolutionCache,
    issuer: issuer::Issuer,
    sessions: accounts::Sessions,
    metrics: Metrics,
    public_url: String,
    log_key: Arc<LogKey>,
    checkpoints: transparency::Checkpoints,
    clock: Clock,
    mode: Mode,
    publishing: tokio::sync::Semaphore,
    /// Valid certificates per product and grade, shared for [`HOT_TTL`].
    statistics: hot::Hot<Vec<(String, String, i64)>>,
    /// Moves with each public change this process makes (see `public_changed`).
    public_generation: std::sync::atomic::AtomicU64,
}

impl Platform {
    /// A platform over `registry`, grading in `sandbox`, signing its log with `log_key`.
    /// Starts the certificate writer, so it must be called inside a tokio runtime.
    pub fn new(registry: Registry, sandbox: Arc<Sandbox>, log_key: LogKey) -> Platform {
        Platform {
            issuer: issuer::Issuer::start(registry.clone(), true),
            registry,
            sandbox,
            resolutions: resolution_cache::ResolutionCache::default(),
            sessions: accounts::Sessions::default(),
            metrics: Metrics::default(),
            public_url: "http://127.0.0.1:8080".into(),
            log_key: Arc::new(log_key),
            checkpoints: transparency::Checkpoints::default(),
            clock: Clock::default(),
            mode: Mode::Development,
            // One publish is checked at a time; another is told to come back.
            publishing: tokio::sync::Semaphore::new(1),
            statistics: hot::Hot::default(),
            public_generation: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Grade by `clock` instead of China's calendar (tests; a platform always runs on
    /// its own calendar day).
    pub fn with_clock(mut self, clock: Clock) -> Platform {
        self.clock = clock;
        self
    }

    /// Issue certificates without appending them to the transparency log: the
    /// benchmark's baseline, to measure what the log costs. Never for a platform.
    #[doc(hidden)]
    pub fn without_log_for_benchmark(mut self) -> Platform {
        self.issuer = issuer::Issuer::start(self.registry.clone(), false);
        self
    }

    /// Keep at most `modules` modules loaded (the least recently used are unloaded;
    /// [`resolution_cache::DEFAULT_LOADED`] unless set).
    pub fn with_max_loaded_modules(mut self, modules: usize) -> Platform {
        self.resolutions = resolution_cache::ResolutionCache::new(modules);
        self
    }

    /// Run in `mode` (development by default).
    pub fn with_mode(mut self, mode: Mode) -> Platform {
        self.mode = mode;
        self
    }

    /// Today, the platform's calendar day.
    pub fn today(&self) -> model::Date {
        self.clock.today()
    }

    /// Development or production.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The platform's public base URL, which labels' QR codes point under.
    pub fn with_public_url(mut self, url: impl Into<String>) -> Platform {
        self.public_url = url.into();
        self
    }

    /// The public base URL.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// The registry.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The sandbox.
    pub fn sandbox(&self) -> &Arc<Sandbox> {
        &self.sandbox
    }

    /// Where grading requests spend their time.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }
}
