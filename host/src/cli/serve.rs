//! `qgrade serve`: the grading platform.

use std::{net::SocketAddr, path::PathBuf, process::ExitCode, sync::Arc, time::Duration};

use clap::Args;

use super::{exit, registry::DbArgs};
use crate::{
    http::{self, ServerLimits},
    platform::{Mode, Platform, publish_pilots},
    registry::log::LogKey,
    runtime::Sandbox,
};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Where to listen.
    #[arg(long, env = "QGRADE_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    pilots: PilotArgs,
    /// Publish no pilot modules (a production platform).
    #[arg(long)]
    no_pilots: bool,
    /// The public base URL labels' QR codes point under (default: http:// and the address
    /// it listens on).
    #[arg(long, env = "QGRADE_PUBLIC_URL")]
    public_url: Option<String>,
    /// The first admin's bearer token (default: a fresh one, printed once — never in
    /// production, where it must be given).
    #[arg(long, env = "QGRADE_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    #[command(flatten)]
    log: LogKeyArgs,
    /// Run as a production platform: refuse to start while a catalog revision in force
    /// trusts a development key, publish no pilot modules, never print a token, and sign
    /// the log with an existing key file.
    #[arg(long, env = "QGRADE_PRODUCTION")]
    production: bool,
    /// Give a locked-out platform its administrator back: the `admin` account gets a new
    /// token (`--admin-token`, or a fresh one printed in development) before serving. The
    /// recovery is recorded in the transparency log.
    #[arg(long)]
    recover_admin: bool,
    /// Most open connections; past it a new connection is closed at once.
    #[arg(long, env = "QGRADE_MAX_CONNECTIONS", default_value_t = ServerLimits::default().connections)]
    max_connections: usize,
    /// Most requests handled at once; past it, 503 with Retry-After (load shedding).
    #[arg(long, env = "QGRADE_MAX_REQUESTS", default_value_t = ServerLimits::default().in_flight)]
    max_requests: usize,
    /// Time a client has to send a request's headers, in milliseconds.
    #[arg(long, env = "QGRADE_HEADER_TIMEOUT_MS", default_value_t = ServerLimits::default().header_time.as_millis() as u64)]
    header_timeout_ms: u64,
    /// Time a client has to send a request's body, in milliseconds.
    #[arg(long, env = "QGRADE_BODY_TIMEOUT_MS", default_value_t = ServerLimits::default().body_time.as_millis() as u64)]
    body_timeout_ms: u64,
    /// Largest request body, in MiB: a module artifact is the largest (a Python module's
    /// is ~18 MiB; raise this to publish one).
    #[arg(long, env = "QGRADE_MAX_BODY_MIB", default_value_t = ServerLimits::default().body_bytes >> 20)]
    max_body_mib: usize,
    /// Time to handle one request, in milliseconds (publishing a module is the longest).
    #[arg(long, env = "QGRADE_REQUEST_TIMEOUT_MS", default_value_t = ServerLimits::default().request_time.as_millis() as u64)]
    request_timeout_ms: u64,
    /// Most grading modules kept loaded; past it the least recently used is unloaded (and
    /// loaded again from the compile cache when next needed).
    #[arg(long, env = "QGRADE_MAX_LOADED_MODULES", default_value_t = crate::platform::DEFAULT_LOADED)]
    max_loaded_modules: usize,
    /// How long a public answer (a GET without credentials) is kept and served to whoever
    /// asks the same, in milliseconds; 0 keeps none. Another process's certificate or
    /// revocation shows within this delay; this process's revocations at once.
    #[arg(long, env = "QGRADE_PUBLIC_CACHE_MS", default_value_t = crate::http::SERVE_PUBLIC_CACHE.as_millis() as u64)]
    public_cache_ms: u64,
    /// Failed authentications one address may make in a minute; then 429.
    #[arg(long, env = "QGRADE_AUTH_FAILURES", default_value_t = ServerLimits::default().auth_failures)]
    auth_failures: u32,
}

impl ServeArgs {
    fn limits(&self) -> ServerLimits {
        ServerLimits {
            connections: self.max_connections,
            in_flight: self.max_requests,
            header_time: Duration::from_millis(self.header_timeout_ms),
            body_time: Duration::from_millis(self.body_timeout_ms),
            request_time: Duration::from_millis(self.request_timeout_ms),
            body_bytes: self.max_body_mib << 20,
            public_cache: Duration::from_millis(self.public_cache_ms),
            auth_failures: self.auth_failures,
            ..ServerLimits::default()
        }
    }
}

pub fn serve(sandbox: Sandbox, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let mode = if args.production {
            Mode::Production
        } else {
            Mode::Development
        };
        let registry = args.db.open().await?;
        let catalog = registry.catalog().await?;
        let today = crate::clock::china_today();
        let trusted = catalog
            .in_force(today)
            .map(Mode::development_publishers)
            .unwrap_or_default();
        let log_key = args.log.key(mode)?;
        registry.bind_log_key(&log_key).await?;
        match mode {
            Mode::Production if !trusted.is_empty() => anyhow::bail!(
                "refusing to start in production: the catalog revision in force trusts the development publisher(s) {} whose secret key is public; list each standards body's own key in a new catalog revision",
                trusted.join(", ")
            ),
            Mode::Production => {}
            Mode::Development => eprintln!(
                "DEVELOPMENT MODE: this platform trusts the development publisher(s) {} whose secret key is in catalog/dev/ — anyone can sign modules for it. Use --production for a real platform.",
                if trusted.is_empty() { "(none in force)".to_string() } else { trusted.join(", ") }
            ),
        }
        // Bound first, so that the default public URL has the real port (with port 0 too).
        let listener = tokio::net::TcpListener::bind(args.listen).await?;
        let public_url = match &args.public_url {
            Some(url) => url.clone(),
            None => format!("http://{}", listener.local_addr()?),
        };
        let platform = Arc::new(
            Platform::new(registry, Arc::new(sandbox), log_key)
                .with_public_url(public_url)
                .with_mode(mode)
                .with_max_loaded_modules(args.max_loaded_modules),
        );
        let carried = platform.carry_over_certificates().await?;
        if carried > 0 {
            println!("{carried} certificates issued before the transparency log were logged");
        }
        if !args.no_pilots && mode == Mode::Development {
            for p in publish_pilots(&platform, &args.pilots.pilots, &args.pilots.dev_key).await? {
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
        if mode == Mode::Production && args.admin_token.is_none() && (args.recover_admin || !platform.has_admin().await?) {
            anyhow::bail!(
                "a production platform never prints a token: give the administrator's token in QGRADE_ADMIN_TOKEN (or --admin-token)"
            );
        }
        let given = args.admin_token.clone();
        let token = if args.recover_admin {
            Some(platform.recover_admin(given.clone()).await?)
        } else {
            platform.bootstrap_admin(given.clone()).await?
        };
        match token {
            Some(token) if given.is_none() => {
                println!("admin token (shown once; keep it): {token}")
            }
            Some(_) => println!("admin token set from QGRADE_ADMIN_TOKEN"),
            None => {}
        }
        println!(
            "transparency log: {} entries, public key {}",
            platform.checkpoint().await?.size,
            platform.log_verifier_key()
        );
        println!(
            "qgrade platform listening on http://{}/api/v1 (database {}, {} mode)",
            listener.local_addr()?,
            args.db.db.database_url,
            mode.as_str()
        );
        let limits = args.limits();
        http::serve(listener, http::app_with(platform, &limits), &limits, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
        Ok(ExitCode::from(exit::OK))
    })
}

/// The pilot modules a development platform publishes.
#[derive(Debug, Args)]
pub struct PilotArgs {
    /// Publish the pilot modules the build left here, signed with `--dev-key`.
    #[arg(long, env = "QGRADE_PILOT_MODULES_DIR", default_value = crate::MODULES_DIR)]
    pub pilots: PathBuf,
    /// The development publisher's secret key (catalog/dev/; not for production).
    #[arg(
        long,
        env = "QGRADE_DEV_KEY",
        default_value = "catalog/dev/dev-publisher.key"
    )]
    pub dev_key: PathBuf,
}

/// The key the transparency log is signed with.
#[derive(Debug, Args)]
pub struct LogKeyArgs {
    /// The secret key the transparency log's checkpoints are signed with (`qgrade keygen
    /// --log ORIGIN`). A development platform makes one here when the file is missing;
    /// production needs it.
    #[arg(long, env = "QGRADE_LOG_KEY", default_value = "qgrade-log.key")]
    log_key: PathBuf,
    /// The log's name when a development platform makes its key.
    #[arg(long, default_value = "qgrade.localhost/dev-log")]
    log_origin: String,
}

impl LogKeyArgs {
    /// The log key: read from its file; in development, made there when missing.
    pub fn key(&self, mode: Mode) -> anyhow::Result<LogKey> {
        match std::fs::read_to_string(&self.log_key) {
            Ok(text) => {
                LogKey::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", self.log_key.display()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && mode == Mode::Development => {
                let (secret, key) = LogKey::generate(&self.log_origin)?;
                match super::keys::write_secret(&self.log_key, &secret) {
                    Ok(()) => {
                        eprintln!(
                            "made a development log key in {} (public key {})",
                            self.log_key.display(),
                            key.verifier_key()
                        );
                        Ok(key)
                    }
                    // Another server sharing the database made it a moment ago.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => self.key(mode),
                    Err(e) => Err(anyhow::anyhow!("{}: {e}", self.log_key.display())),
                }
            }
            Err(e) => Err(anyhow::anyhow!(
                "the log key {}: {e} (make one with `qgrade keygen --log ORIGIN --out NAME`)",
                self.log_key.display()
            )),
        }
    }
}
