//! The host's own cache of compiled modules.
//!
//! Compiling a component takes tens of milliseconds (in the compiler process); loading
//! the compiled form takes a fraction of one. The cache is keyed by the engine's
//! compatibility hash (wasmtime version and every setting that affects code generation)
//! and the module's SHA-256, so a different wasmtime or configuration never even looks
//! at a stale entry.
//!
//! Deserialising compiled code is trusting it, so an entry is bound to the module it was
//! compiled from by an HMAC-SHA-256 under a per-host secret kept outside the cache
//! directory (`--cache-key`, by default in the user's configuration directory): someone
//! who can write the cache directory still cannot make one module's digest load another
//! module's code. The directory itself is refused when it is writable by anyone but its
//! owner, or owned by another user. An entry is read into memory, its MAC checked, and
//! deserialised from that same memory. Only modules the host accepted are stored
//! ([`CompileCache::store`] is called once a module passed every gate), and the cache
//! keeps under `--cache-max-mib`, evicting the entries used least recently.

use std::{
    fs,
    hash::{DefaultHasher, Hash, Hasher},
    io,
    path::{Path, PathBuf},
    sync::atomic::{AtomicU64, Ordering},
    time::SystemTime,
};

use hmac::{Hmac, KeyInit, Mac};
use wasmtime::{Engine, component::Component};

use crate::model::ModuleDigest;

type HmacSha256 = Hmac<sha2::Sha256>;

const MAC_LEN: usize = 32;
const DOMAIN: &[u8] = b"qgrade-compile-cache-v1\0";

/// A directory of compiled modules for one engine configuration.
#[derive(Debug)]
pub struct CompileCache {
    dir: PathBuf,
    key: [u8; 32],
    max_bytes: u64,
    /// Bytes in the directory, as this process last counted them.
    bytes: AtomicU64,
}

impl CompileCache {
    /// The cache under `root` for `engine`'s configuration, with entries authenticated by
    /// the secret in `key_file` (created on first use) and at most `max_bytes` on disk.
    pub fn open(
        root: &Path,
        engine: &Engine,
        key_file: &Path,
        max_bytes: u64,
    ) -> io::Result<CompileCache> {
        let mut hasher = DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let dir = root.join(format!("wasmtime-{:016x}", hasher.finish()));
        for d in [root, dir.as_path()] {
            create_private_dir(d)?;
            refuse_if_shared(d)?;
        }
        let cache = CompileCache {
            dir,
            key: secret(key_file)?,
            max_bytes,
            bytes: AtomicU64::new(0),
        };
        cache.bytes.store(cache.count()?, Ordering::Relaxed);
        Ok(cache)
    }

    /// The default location: `$XDG_CACHE_HOME/qgrade`, else `~/.cache/qgrade`.
    pub fn default_root() -> Option<PathBuf> {
        xdg_dir("XDG_CACHE_HOME", ".cache")
    }

    /// The default secret: `$XDG_CONFIG_HOME/qgrade/cache.key`, else
    /// `~/.config/qgrade/cache.key`.
    pub fn default_key_file() -> Option<PathBuf> {
        xdg_dir("XDG_CONFIG_HOME", ".config").map(|d| d.join("cache.key"))
    }

    /// The compiled component for `digest`, if an authentic entry is cached.
    pub fn load(&self, engine: &Engine, digest: ModuleDigest) -> Option<Component> {
        let path = self.path(digest);
        let bytes = fs::read(&path).ok()?;
        let authentic = bytes.len() > MAC_LEN
            && self
                .mac(digest, &bytes[MAC_LEN..])
                .verify_slice(&bytes[..MAC_LEN])
                .is_ok();
        if !authentic {
            tracing::warn!(path = %path.display(), "discarding a cache entry whose MAC does not match its module");
            let _ = fs::remove_file(&path);
            return None;
        }
        // SAFETY: the bytes are authenticated as what this host serialised from the
        // compiled component of the module whose digest names them (see the module
        // docs); wasmtime checks that they match this engine.
        match unsafe { Component::deserialize(engine, &bytes[MAC_LEN..]) } {
            Ok(component) => {
                // Recently used entries are the last to be evicted.
                let _ = fs::File::options()
                    .append(true)
                    .open(&path)
                    .and_then(|f| f.set_modified(SystemTime::now()));
                Some(component)
            }
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "discarding a cached module");
                let _ = fs::remove_file(&path);
                None
            }
        }
    }

    /// Keep the compiled form of an accepted module. A cache that cannot be written only
    /// costs a recompile next time.
    pub fn store(&self, digest: ModuleDigest, compiled: &[u8]) {
        if let Err(e) = self.write(digest, compiled) {
            tracing::warn!(dir = %self.dir.display(), error = %e, "cannot cache a compiled module");
        }
    }

    /// Bytes the cache holds, as last counted.
    pub fn size(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Where the entry for `digest` lives.
    pub fn path(&self, digest: ModuleDigest) -> PathBuf {
        self.dir.join(format!("{digest}.cwasm"))
    }

    fn write(&self, digest: ModuleDigest, compiled: &[u8]) -> io::Result<()> {
        let entry = (MAC_LEN + compiled.len()) as u64;
        if entry > self.max_bytes {
            return Ok(());
        }
        let mut file = self.mac(digest, compiled).finalize().into_bytes().to_vec();
        file.extend_from_slice(compiled);
        // Write then rename: a concurrent reader sees the whole file or none.
        let tmp = tempfile::NamedTempFile::new_in(&self.dir)?;
        fs::write(tmp.path(), &file)?;
        tmp.persist(self.path(digest)).map_err(|e| e.error)?;
        if self.bytes.fetch_add(entry, Ordering::Relaxed) + entry > self.max_bytes {
            self.evict()?;
        }
        Ok(())
    }

    /// Remove the least recently used entries until the cache holds 90 % of its cap.
    fn evict(&self) -> io::Result<()> {
        let mut entries: Vec<(SystemTime, u64, PathBuf)> = fs::read_dir(&self.dir)?
            .filter_map(Result::ok)
            .filter_map(|e| {
                let meta = e.metadata().ok()?;
                Some((meta.modified().ok()?, meta.len(), e.path()))
            })
            .collect();
        entries.sort();
        let mut total: u64 = entries.iter().map(|(_, len, _)| len).sum();
        for (_, len, path) in entries {
            if total <= self.max_bytes / 10 * 9 {
                break;
            }
            if fs::remove_file(&path).is_ok() {
                total -= len;
            }
        }
        self.bytes.store(total, Ordering::Relaxed);
        Ok(())
    }

    fn count(&self) -> io::Result<u64> {
        Ok(fs::read_dir(&self.dir)?
            .filter_map(Result::ok)
            .filter_map(|e| e.metadata().ok())
            .map(|m| m.len())
            .sum())
    }

    fn mac(&self, digest: ModuleDigest, compiled: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("any key length");
        mac.update(DOMAIN);
        mac.update(self.dir.file_name().unwrap_or_default().as_encoded_bytes());
        mac.update(&digest.0);
        mac.update(compiled);
        mac
    }
}

fn xdg_dir(var: &str, fallback: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(fallback)))
        .map(|d| d.join("qgrade"))
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Refuse a directory another user could write into.
fn refuse_if_shared(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let meta = fs::metadata(dir)?;
    // SAFETY: geteuid has no preconditions.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Err(io::Error::other(format!(
            "{} is owned by user {}, not by this user ({me}): another user could replace compiled code",
            dir.display(),
            meta.uid()
        )));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(io::Error::other(format!(
            "{} is writable by its group or by others (mode {:o}): make it private (chmod go-w)",
            dir.display(),
            meta.mode() & 0o777
        )));
    }
    Ok(())
}

/// The per-host secret in `path`, created (owner-only) on first use.
fn secret(path: &Path) -> io::Result<[u8; 32]> {
    match fs::read(path) {
        Ok(bytes) => bytes.try_into().map_err(|_| {
            io::Error::other(format!(
                "{} is not a 32-byte cache key; delete it to make a new one",
                path.display()
            ))
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let parent = path.parent().unwrap_or(Path::new("."));
            create_private_dir(parent)?;
            let mut key = [0u8; 32];
            getrandom::fill(&mut key).map_err(|e| io::Error::other(e.to_string()))?;
            // Written whole, then linked into place (owner-only, as every temporary file
            // is): a concurrent process sees no key or the whole key.
            let tmp = tempfile::NamedTempFile::new_in(parent)?;
            fs::write(tmp.path(), key)?;
            match tmp.persist_noclobber(path) {
                Ok(_) => Ok(key),
                // Another process made it first: use theirs.
                Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => secret(path),
                Err(e) => Err(e.error),
            }
        }
        Err(e) => Err(e),
    }
}
