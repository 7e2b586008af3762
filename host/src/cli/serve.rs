//! `qgrade serve`: the grading platform.

use std::{net::SocketAddr, path::PathBuf, process::ExitCode, sync::Arc};

use clap::Args;

use super::{exit, registry::DbArgs};
use crate::{
    http,
    platform::{Platform, publish_pilots},
    runtime::Sandbox,
};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Where to listen.
    #[arg(long, env = "QGRADE_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    #[command(flatten)]
    db: DbArgs,
    /// Publish the pilot modules the build left here, signed with `--dev-key`.
    #[arg(long, env = "QGRADE_PILOT_MODULES_DIR", default_value = crate::MODULES_DIR)]
    pilots: PathBuf,
    /// The development publisher's secret key (catalog/dev/; not for production).
    #[arg(
        long,
        env = "QGRADE_DEV_KEY",
        default_value = "catalog/dev/dev-publisher.key"
    )]
    dev_key: PathBuf,
    /// Publish no pilot modules (a production platform).
    #[arg(long)]
    no_pilots: bool,
    /// The public base URL labels' QR codes point under (default: http:// and the address
    /// it listens on).
    #[arg(long, env = "QGRADE_PUBLIC_URL")]
    public_url: Option<String>,
    /// The first admin's bearer token (default: a fresh one, printed once).
    #[arg(long, env = "QGRADE_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
}

pub fn serve(sandbox: Sandbox, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let registry = args.db.open().await?;
        // Bound first, so that the default public URL has the real port (with port 0 too).
        let listener = tokio::net::TcpListener::bind(args.listen).await?;
        let public_url = match &args.public_url {
            Some(url) => url.clone(),
            None => format!("http://{}", listener.local_addr()?),
        };
        let platform =
            Arc::new(Platform::new(registry, Arc::new(sandbox)).with_public_url(public_url));
        if !args.no_pilots {
            for p in publish_pilots(&platform, &args.pilots, &args.dev_key).await? {
                let state = if p.unchanged {
                    "already published"
                } else {
                    "published"
                };
                println!(
                    "pilot module {} {} {state} (sha256 {})",
                    p.product,
                    p.version,
                    &p.digest[..16]
                );
            }
        }
        if let Some(token) = platform.bootstrap_admin(args.admin_token).await? {
            println!("admin token (shown once; keep it): {token}");
        }
        println!(
            "qgrade platform listening on http://{}/api/v1 (database {})",
            listener.local_addr()?,
            args.db.db.database_url
        );
        axum::serve(listener, http::app(platform))
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
        Ok(ExitCode::from(exit::OK))
    })
}
