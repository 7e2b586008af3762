//! The grading platform's service layer: accounts and their authority, gradings that
//! become certificates, revocation, and the public views. The HTTP layer (`http`) is a
//! thin mapping onto these functions.

mod accounts;
mod certificates;
pub mod credit_code;
mod error;
mod pilots;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

pub use accounts::{Account, NewAccount, Role};
pub use certificates::{Certificate, GradingOutcome, Revocation, RevocationReason};
pub use error::PlatformError;
pub use pilots::publish_pilots;

use crate::{
    registry::Registry,
    runtime::{GradingModule, Sandbox},
};

/// The platform: the registry, the sandbox, and the modules loaded so far.
pub struct Platform {
    registry: Registry,
    sandbox: Arc<Sandbox>,
    /// Loaded modules by digest: a module is compiled (or read from the cache) once.
    modules: Mutex<HashMap<String, Arc<GradingModule>>>,
}

impl Platform {
    /// A platform over `registry`, grading in `sandbox`.
    pub fn new(registry: Registry, sandbox: Arc<Sandbox>) -> Platform {
        Platform {
            registry,
            sandbox,
            modules: Mutex::new(HashMap::new()),
        }
    }

    /// The registry.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The sandbox.
    pub fn sandbox(&self) -> &Arc<Sandbox> {
        &self.sandbox
    }

    /// The loaded module for `digest`, loading `bytes` the first time.
    fn module(&self, digest: &str, bytes: &[u8]) -> Result<Arc<GradingModule>, PlatformError> {
        if let Some(m) = self.modules.lock().expect("not poisoned").get(digest) {
            return Ok(m.clone());
        }
        let module = Arc::new(
            GradingModule::load(&self.sandbox, bytes)
                .map_err(|e| PlatformError::Internal(format!("stored module {digest}: {e}")))?,
        );
        self.modules
            .lock()
            .expect("not poisoned")
            .insert(digest.into(), module.clone());
        Ok(module)
    }
}
