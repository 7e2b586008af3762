//! `qgrade verify`: replay certificates anywhere, trusting only the platform's log key.
//!
//! ```text
//! qgrade verify QG202600000057.bundle.json --log-key log.pub      # offline
//! qgrade verify QG202600000057 --server https://… --log-key log.pub
//! ```
//!
//! Each bundle's checkpoint signature, inclusion proofs, module artifact and publisher
//! signature are checked, and the stored submission is graded again in the local
//! sandbox on the certificate's day (see `platform/bundle.rs`). Exit 0 when every
//! certificate verifies, 4 when one verifies but is revoked, 1 naming what differs.

use std::{path::PathBuf, process::ExitCode};

use clap::Args;

use super::{exit, read};
use crate::{
    platform::bundle::{self, Bundle},
    registry::log::LogVerifier,
    runtime::Sandbox,
    text::printable,
};

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Bundle files (`GET /api/v1/certificates/{number}/bundle`), or certificate numbers
    /// with `--server`.
    #[arg(required = true)]
    certificates: Vec<String>,
    /// Fetch each certificate's bundle from this platform (`http://host:port`).
    #[arg(long)]
    server: Option<String>,
    /// The platform's log public key (`<origin>+<id>+<key>`), from a source you trust:
    /// everything else is checked against it.
    #[arg(long)]
    log_key: PathBuf,
}

pub fn run(sandbox: &Sandbox, args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let key = String::from_utf8(read(&args.log_key)?)?;
    let verifier =
        LogVerifier::parse(&key).map_err(|e| anyhow::anyhow!("{}: {e}", args.log_key.display()))?;
    let (mut failed, mut revoked) = (0, 0);
    for target in &args.certificates {
        let bundle = match load(target, args.server.as_deref()) {
            Ok(b) => b,
            Err(e) => {
                println!("FAILED {}: {e}", printable(target));
                failed += 1;
                continue;
            }
        };
        match bundle::verify(&bundle, &verifier, sandbox) {
            Ok(v) => {
                print!(
                    "verified {} · {} {} graded {} · log entry {} of {} ({}) · fuel {}",
                    v.number,
                    v.product,
                    v.grade,
                    v.graded_on,
                    v.index,
                    v.checkpoint_size,
                    verifier.origin(),
                    v.fuel
                );
                match &v.revocation {
                    None => println!(),
                    Some(r) => {
                        revoked += 1;
                        println!(
                            " · REVOKED {} ({}): {}",
                            r["at"].as_str().unwrap_or(""),
                            r["reason"].as_str().unwrap_or(""),
                            printable(r["note"].as_str().unwrap_or(""))
                        );
                    }
                }
            }
            Err(mismatch) => {
                failed += 1;
                println!(
                    "FAILED {}: {}",
                    printable(&bundle.number),
                    printable(&mismatch.to_string())
                );
            }
        }
    }
    Ok(ExitCode::from(if failed > 0 {
        exit::FAILED
    } else if revoked > 0 {
        exit::REVOKED
    } else {
        exit::OK
    }))
}

/// A bundle from a file, or from `server` for a certificate number.
fn load(target: &str, server: Option<&str>) -> anyhow::Result<Bundle> {
    let bytes = match server {
        None => read(&PathBuf::from(target))?,
        Some(server) => {
            let url = format!(
                "{}/api/v1/certificates/{target}/bundle",
                server.trim_end_matches('/')
            );
            let agent = super::client();
            let mut response = agent.get(&url).call()?;
            let status = response.status().as_u16();
            let body = response
                .body_mut()
                .with_config()
                .limit(64 << 20)
                .read_to_vec()?;
            if status != 200 {
                anyhow::bail!("{url}: HTTP {status}: {}", String::from_utf8_lossy(&body));
            }
            body
        }
    };
    serde_json::from_slice(&bytes).map_err(|e| anyhow::anyhow!("not a certificate bundle: {e}"))
}
