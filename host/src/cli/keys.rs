//! `qgrade keygen` and `qgrade package`: what a standards body runs to release a module.

use std::{path::PathBuf, process::ExitCode};

use anyhow::Context as _;
use clap::Args;

use super::{exit, read};
use crate::artifact::{Artifact, SecretKey, generate_key};

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Write `<OUT>.key` (the secret, owner-only) and `<OUT>.pub` (the public key).
    #[arg(long, short)]
    out: PathBuf,
    /// Make the platform's transparency-log key for the log named ORIGIN (e.g.
    /// `qgrade.example.gov.cn/log`) instead of a publisher key.
    #[arg(long, value_name = "ORIGIN")]
    log: Option<String>,
}

pub fn keygen(args: KeygenArgs) -> anyhow::Result<ExitCode> {
    let secret = args.out.with_extension("key");
    let public = args.out.with_extension("pub");
    for path in [&secret, &public] {
        if path.exists() {
            anyhow::bail!("{} exists; refusing to overwrite a key", path.display());
        }
    }
    if let Some(origin) = &args.log {
        let (text, key) = crate::registry::log::LogKey::generate(origin)?;
        write_secret(&secret, &text)?;
        std::fs::write(&public, format!("{}\n", key.verifier_key()))?;
        println!(
            "log secret key  {} (keep it; never commit it)",
            secret.display()
        );
        println!(
            "log public key  {} — {}",
            public.display(),
            key.verifier_key()
        );
        return Ok(ExitCode::from(exit::OK));
    }
    let key = generate_key()?;
    write_secret(&secret, &key.to_text())?;
    std::fs::write(&public, format!("{}\n", key.public()))?;
    println!(
        "secret key  {} (keep it; never commit it)",
        secret.display()
    );
    println!("public key  {} — {}", public.display(), key.public());
    println!("key id      {}", key.public().key_id());
    Ok(ExitCode::from(exit::OK))
}

/// Write a secret key file, owner-only, whole or not at all; an existing file is never
/// overwritten (`AlreadyExists`).
pub(super) fn write_secret(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    // A temporary file is owner-only from the start.
    let tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::fs::write(tmp.path(), format!("{text}\n"))?;
    tmp.persist_noclobber(path).map(drop).map_err(|e| e.error)
}

#[derive(Debug, Args)]
pub struct PackageArgs {
    /// The secret key file (`ed25519-secret:…`).
    #[arg(long)]
    key: PathBuf,
    /// The module component.
    module: PathBuf,
    /// Its conformance vectors (JSON).
    vectors: PathBuf,
    /// The artifact to write (default: `<module>.artifact.wasm`).
    #[arg(long, short)]
    out: Option<PathBuf>,
}

pub fn package(args: PackageArgs) -> anyhow::Result<ExitCode> {
    let key_text = std::fs::read_to_string(&args.key)
        .with_context(|| format!("cannot read {}", args.key.display()))?;
    let key =
        SecretKey::parse(&key_text).map_err(|e| anyhow::anyhow!("{}: {e}", args.key.display()))?;
    let component = read(&args.module)?;
    let vectors = read(&args.vectors)?;
    crate::grading::VectorSet::from_json(std::str::from_utf8(&vectors)?)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.vectors.display()))?;
    let artifact = Artifact::package(&component, &vectors, &key)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.module.display()))?;
    let out = args
        .out
        .unwrap_or_else(|| args.module.with_extension("artifact.wasm"));
    std::fs::write(&out, &artifact)?;
    let digest = crate::model::ModuleDigest::of(&artifact);
    println!(
        "{} — {} bytes, sha256 {digest}, signed by key {}",
        out.display(),
        artifact.len(),
        key.public().key_id()
    );
    Ok(ExitCode::from(exit::OK))
}
