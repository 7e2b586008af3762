//! The module that grades a product on a date, resolved through the registry and kept
//! for a moment: resolving reads the catalog and the module's bytes, which a grading
//! should not pay for every time.
//!
//! A resolution lives [`TTL`] and names its module by digest (it never holds a module
//! loaded): a catalog revision or publish made by this process clears the cache at once;
//! one made by another process sharing the database is seen within the TTL. That is safe
//! by the versioning rules: a release the cache has not seen yet grades every earlier
//! vector alike, and a catalog revision takes effect on a date.
//!
//! A module is loaded under the limits its product's catalog profile gives it on the
//! grading's day; a resolution carries them, and a module loaded under other limits (the
//! profile changed with a revision) is loaded again under the new ones. A module asked for
//! by digest alone (a certificate's page, a spot check) is the one loaded, or is loaded
//! under its product's limits of today.
//!
//! Modules are loaded when first needed (from the compile cache, or compiled), off the
//! async threads, and at most [`DEFAULT_LOADED`] (`--max-loaded-modules`) stay loaded, the
//! least recently used leaving first: a catalog of hundreds of products costs the memory
//! of the ones in use, and a product graded again after a while is loaded from the cache
//! in about a millisecond.

use std::{
    collections::HashMap,
    num::NonZeroUsize,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use lru::LruCache;

use super::{Platform, PlatformError};
use crate::{
    model,
    registry::RegistryError,
    runtime::{CompileError, GradingModule, Limits, LoadError},
};

/// How long a resolution is reused.
pub const TTL: Duration = Duration::from_secs(2);

/// Loaded modules kept by default.
pub const DEFAULT_LOADED: usize = 64;

/// A resolved, loaded module.
#[derive(Debug)]
pub struct ResolvedModule {
    /// The catalog revision in force.
    pub revision: u32,
    /// The module's version.
    pub version: String,
    /// Its SHA-256.
    pub digest: String,
    /// The standard it encodes.
    pub standard: String,
    /// The loaded module.
    pub module: Arc<GradingModule>,
}

/// Which module grades a product on a date, without the module itself: a resolution must
/// not keep a module loaded that the LRU has let go.
#[derive(Clone, Debug)]
struct Resolution {
    revision: u32,
    version: String,
    digest: String,
    standard: String,
    limits: Limits,
}

/// A resolution and when it was made, by (product, date).
type Resolutions = HashMap<(String, String), (Instant, Resolution)>;

/// Resolutions by (product, date), and loaded modules by digest.
pub(super) struct ResolutionCache {
    resolved: Mutex<Resolutions>,
    /// Held while a resolution is made (see `Platform::resolve_once`).
    resolving: tokio::sync::Mutex<()>,
    modules: Mutex<LruCache<String, Arc<GradingModule>>>,
}

impl Default for ResolutionCache {
    fn default() -> Self {
        ResolutionCache::new(DEFAULT_LOADED)
    }
}

impl Resolution {
    fn with(self, module: Arc<GradingModule>) -> ResolvedModule {
        ResolvedModule {
            revision: self.revision,
            version: self.version,
            digest: self.digest,
            standard: self.standard,
            module,
        }
    }
}

impl ResolutionCache {
    /// A cache keeping at most `loaded` modules loaded (at least one).
    pub fn new(loaded: usize) -> ResolutionCache {
        ResolutionCache {
            resolved: Mutex::default(),
            resolving: tokio::sync::Mutex::default(),
            modules: Mutex::new(LruCache::new(
                NonZeroUsize::new(loaded).unwrap_or(NonZeroUsize::MIN),
            )),
        }
    }

    /// Forget every resolution (after a catalog revision or a publish).
    pub fn invalidate(&self) {
        self.resolved.lock().expect("not poisoned").clear();
    }

    /// How many modules are loaded.
    pub fn loaded(&self) -> usize {
        self.modules.lock().expect("not poisoned").len()
    }

    /// The resolution of `key` made within the TTL.
    fn fresh(&self, key: &(String, String)) -> Option<Resolution> {
        self.resolved
            .lock()
            .expect("not poisoned")
            .get(key)
            .filter(|(at, _)| at.elapsed() < TTL)
            .map(|(_, hit)| hit.clone())
    }
}

impl Platform {
    /// The module that grades `product` on `on`, with catalog errors as field errors.
    pub(super) async fn resolve(
        &self,
        product: &str,
        on: model::Date,
    ) -> Result<ResolvedModule, PlatformError> {
        let key = (product.to_string(), on.to_string());
        let resolution = match self.resolutions.fresh(&key) {
            Some(hit) => hit,
            None => self.resolve_once(product, on, key).await?,
        };
        // The module's bytes are read only if it is not loaded already.
        let module = self
            .loaded(&resolution.digest, None, &resolution.limits)
            .await?;
        Ok(resolution.with(module))
    }

    /// The resolution of `key` (`product` on `on`), made by this request or by the one
    /// that made it while this one waited. One resolution is made at a time: the requests
    /// that arrive while it is made (every lab at once, when a resolution expires under
    /// load or a new day begins) take it rather than each reading the registry again.
    /// (`qgrade seed` on PostgreSQL read a module's bytes for most of its gradings
    /// before.) The module is loaded after, outside the turn: a module compiled for the
    /// first time holds up no other product's resolution.
    async fn resolve_once(
        &self,
        product: &str,
        on: model::Date,
        key: (String, String),
    ) -> Result<Resolution, PlatformError> {
        let _turn = self.resolutions.resolving.lock().await;
        if let Some(hit) = self.resolutions.fresh(&key) {
            return Ok(hit);
        }
        let (revision, _, record) = match self.registry.resolve_record(product, on).await {
            Ok(r) => r,
            Err(RegistryError::UnknownProduct { product, revision }) => {
                return Err(PlatformError::field(
                    "product",
                    format!("product {product} is not in catalog revision {revision}"),
                ));
            }
            Err(e @ (RegistryError::Withdrawn { .. } | RegistryError::NoRevision(_))) => {
                return Err(PlatformError::field("product", e.to_string()));
            }
            Err(e) => return Err(e.into()),
        };
        let catalog = self.registry.catalog().await?;
        let resolution = Resolution {
            revision,
            version: record.version.to_string(),
            digest: record.digest,
            standard: record.standard,
            limits: catalog.limits(product, on, self.sandbox.limits()),
        };
        let mut resolutions = self.resolutions.resolved.lock().expect("not poisoned");
        // Expired resolutions go now, not when their key is asked for again (one per
        // product and day would pile up).
        resolutions.retain(|_, (at, _)| at.elapsed() < TTL);
        resolutions.insert(key, (Instant::now(), resolution.clone()));
        Ok(resolution)
    }

    /// The module with SHA-256 `digest`, as the registry stores it: what graded a
    /// certificate, whatever has superseded it since. The loaded one, or loaded under its
    /// product's limits of today.
    pub async fn module_by_digest(
        &self,
        digest: &str,
    ) -> Result<Arc<GradingModule>, PlatformError> {
        if let Some(m) = self.cached_module(digest) {
            return Ok(m);
        }
        let product = self
            .registry
            .product_of(digest)
            .await?
            .ok_or_else(|| PlatformError::NotFound(format!("no module {digest}")))?;
        let limits =
            self.registry
                .catalog()
                .await?
                .limits(&product, self.today(), self.sandbox.limits());
        self.loaded(digest, None, &limits).await
    }

    /// How many modules are loaded now (at most `--max-loaded-modules`).
    pub fn loaded_modules(&self) -> usize {
        self.resolutions.loaded()
    }

    fn cached_module(&self, digest: &str) -> Option<Arc<GradingModule>> {
        let mut modules = self.resolutions.modules.lock().expect("not poisoned");
        modules.get(digest).cloned()
    }

    /// The module `digest` loaded under `limits`: the loaded one if it was loaded under
    /// them, or loaded from `bytes` (read from the registry when `None`) off the async
    /// threads (compiling takes a compiler process's time) and kept.
    async fn loaded(
        &self,
        digest: &str,
        bytes: Option<Vec<u8>>,
        limits: &Limits,
    ) -> Result<Arc<GradingModule>, PlatformError> {
        if let Some(m) = self.cached_module(digest).filter(|m| m.limits() == limits) {
            return Ok(m);
        }
        let bytes = match bytes {
            Some(bytes) => bytes,
            None => self
                .registry
                .blob(digest)
                .await?
                .ok_or_else(|| PlatformError::NotFound(format!("no module {digest}")))?,
        };
        let sandbox = self.sandbox.clone();
        let limits = limits.clone();
        let m = tokio::task::spawn_blocking(move || {
            GradingModule::load_stored(&sandbox, &bytes, limits)
        })
        .await
        .map_err(|e| PlatformError::Internal(format!("loading module {digest}: {e}")))?
        .map_err(|e| match e {
            // A stored module compiled within its budget when it was published: past
            // several times it now, the machine is busy, and the request can be made
            // again.
            LoadError::Compile(CompileError::OverTime(_)) => PlatformError::Busy(format!(
                "the module {} is being compiled on a busy machine; try again in a moment",
                &digest[..digest.len().min(12)]
            )),
            e => PlatformError::Internal(format!("stored module {digest}: {e}")),
        })?;
        let m = Arc::new(m);
        self.resolutions
            .modules
            .lock()
            .expect("not poisoned")
            .put(digest.to_string(), m.clone());
        Ok(m)
    }
}
