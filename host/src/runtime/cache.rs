//! The host's own cache of compiled modules.
//!
//! Compiling a component takes tens of milliseconds; loading the compiled form takes a
//! fraction of one. The cache is keyed by the engine's compatibility hash (wasmtime
//! version and every setting that affects code generation) and the module's SHA-256, so
//! a different wasmtime or configuration never even looks at a stale artifact; wasmtime
//! also checks compatibility itself when deserialising, and a failure there only means a
//! recompile.
//!
//! Deserialising compiled code is trusting it: the only files ever deserialised are the
//! ones this cache wrote, into a directory it created with owner-only permissions, under
//! a name derived from the digest of the component bytes it was handed. A precompiled
//! artifact from anywhere else is never loaded: the public API takes component bytes only.

use std::{
    fs,
    hash::{DefaultHasher, Hash, Hasher},
    io,
    path::{Path, PathBuf},
};

use wasmtime::{Engine, component::Component};

use super::ModuleDigest;

/// A directory of compiled modules for one engine configuration.
#[derive(Debug, Clone)]
pub struct CompileCache {
    dir: PathBuf,
}

impl CompileCache {
    /// The cache under `root` for `engine`'s configuration.
    pub fn open(root: &Path, engine: &Engine) -> io::Result<CompileCache> {
        let mut hasher = DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let dir = root.join(format!("wasmtime-{:016x}", hasher.finish()));
        fs::create_dir_all(&dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for d in [root, dir.as_path()] {
                fs::set_permissions(d, fs::Permissions::from_mode(0o700))?;
            }
        }
        Ok(CompileCache { dir })
    }

    /// The default location: `$XDG_CACHE_HOME/qgrade`, else `~/.cache/qgrade`.
    pub fn default_root() -> Option<PathBuf> {
        std::env::var_os("XDG_CACHE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
            .map(|d| d.join("qgrade"))
    }

    /// The compiled component for `bytes`, from the cache or freshly compiled (and then
    /// cached). The flag says whether it came from the cache.
    pub fn component(
        &self,
        engine: &Engine,
        bytes: &[u8],
        digest: ModuleDigest,
    ) -> wasmtime::Result<(Component, bool)> {
        let path = self.dir.join(format!("{digest}.cwasm"));
        if path.exists() {
            // SAFETY: the file is one this cache wrote from `Component::serialize` of the
            // component whose digest names it (see the module docs); wasmtime checks
            // that it matches this engine.
            match unsafe { Component::deserialize_file(engine, &path) } {
                Ok(component) => return Ok((component, true)),
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "discarding a cached module");
                    let _ = fs::remove_file(&path);
                }
            }
        }
        let component = Component::new(engine, bytes)?;
        if let Err(e) = self.store(&path, &component) {
            // A cache that cannot be written only costs a recompile next time.
            tracing::warn!(path = %path.display(), error = %e, "cannot cache a compiled module");
        }
        Ok((component, false))
    }

    fn store(&self, path: &Path, component: &Component) -> anyhow::Result<()> {
        let serialized = component.serialize().map_err(anyhow::Error::from)?;
        // Write then rename: a concurrent reader sees the whole file or none.
        let tmp = tempfile::NamedTempFile::new_in(&self.dir)?;
        fs::write(tmp.path(), serialized)?;
        tmp.persist(path)?;
        Ok(())
    }
}
