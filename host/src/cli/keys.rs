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
}

pub fn keygen(args: KeygenArgs) -> anyhow::Result<ExitCode> {
    let key = generate_key()?;
    let secret = args.out.with_extension("key");
    let public = args.out.with_extension("pub");
    for path in [&secret, &public] {
        if path.exists() {
            anyhow::bail!("{} exists; refusing to overwrite a key", path.display());
        }
    }
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

fn write_secret(path: &PathBuf, text: &str) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::{io::Write, os::unix::fs::OpenOptionsExt};
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)?;
        writeln!(file, "{text}")?;
        Ok(())
    }
    #[cfg(not(unix))]
    {
        std::fs::write(path, format!("{text}\n"))?;
        Ok(())
    }
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
    let digest = crate::runtime::ModuleDigest::of(&artifact);
    println!(
        "{} — {} bytes, sha256 {digest}, signed by key {}",
        out.display(),
        artifact.len(),
        key.public().key_id()
    );
    Ok(ExitCode::from(exit::OK))
}
