//! The connection, the schema, and the write transaction both backends share.

use std::{
    str::FromStr,
    sync::{Arc, Mutex},
};

use sqlx::{
    AnyPool, Row,
    any::{AnyConnectOptions, AnyPoolOptions},
};

use super::{RegistryError, log};
use crate::catalog::{Catalog, Revision};

/// `($1, $2), ($3, $4), …` (PostgreSQL) or `(?, ?), (?, ?), …` (SQLite): the VALUES of a
/// multi-row INSERT on `conn` of `rows` rows of `columns` columns. A group of rows costs
/// one statement: with SQLite a statement, not the data, is what a write costs. SQLite
/// gets anonymous parameters, bound in order: the driver looks a numbered parameter up by
/// name, and SQLite finds a name by walking the statement's list of them, which made a
/// batch of a few thousand parameters cost millions of comparisons (a profile of the
/// grading load found 6 % of the CPU there).
pub fn placeholders(conn: &sqlx::AnyConnection, rows: usize, columns: usize) -> String {
    let numbered = conn.backend_name() != "SQLite";
    let mut out = String::with_capacity(rows * columns * 5);
    for row in 0..rows {
        out.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..columns {
            if column > 0 {
                out.push_str(", ");
            }
            if numbered {
                out.push('$');
                out.push_str(&(row * columns + column + 1).to_string());
            } else {
                out.push('?');
            }
        }
        out.push(')');
    }
    out
}

/// A pool of at most `connections`, each set up for `backend`.
fn pool_options(backend: Backend, connections: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(connections)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if backend == Backend::Postgres {
                    // A log leaf holds a certificate's whole record (about 2 KB), which
                    // PostgreSQL compresses as it stores it: with lz4 rather than its
                    // default pglz, the log's share of a group commit falls by a third.
                    // A server built without lz4 keeps pglz.
                    if let Err(e) = sqlx::query("SET default_toast_compression = 'lz4'")
                        .execute(&mut *conn)
                        .await
                    {
                        tracing::debug!(error = %e, "PostgreSQL without lz4: pglz");
                    }
                }
                if backend == Backend::Sqlite {
                    // WAL: readers never wait for the writer. synchronous = FULL: a
                    // commit is on disk before it returns, so an acknowledged certificate
                    // survives even a power cut (group commit in the platform keeps that
                    // affordable). The busy timeout makes a second process wait its turn
                    // instead of failing.
                    for pragma in [
                        "PRAGMA journal_mode = WAL",
                        "PRAGMA synchronous = FULL",
                        "PRAGMA busy_timeout = 10000",
                        "PRAGMA foreign_keys = ON",
                    ] {
                        sqlx::query(pragma).execute(&mut *conn).await?;
                    }
                }
                Ok(())
            })
        })
}

/// Which database a URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file (WAL): the embedded default.
    Sqlite,
    /// A PostgreSQL server: several `qgrade serve` processes share it.
    Postgres,
}

/// The registry's database.
#[derive(Clone, Debug)]
pub struct Registry {
    /// Reads.
    pub(super) pool: AnyPool,
    /// Write transactions, on connections of their own: a writer never waits for a
    /// connection behind a queue of readers (at national load the readers are many), only
    /// for the write lock.
    writes: AnyPool,
    backend: Backend,
    /// The parsed catalog (see `catalog`).
    catalog: Arc<Mutex<Option<ParsedCatalog>>>,
}

/// The latest revision number a parsed catalog holds, when the database last said it was
/// the latest, and the catalog.
type ParsedCatalog = (i64, std::time::Instant, Arc<Catalog>);

/// How long the parsed catalog is used without asking the database whether a revision was
/// added: every public page reads the catalog, and a revision recorded by another process
/// is seen within this delay (one recorded by this process, at once).
pub const CATALOG_TTL: std::time::Duration = std::time::Duration::from_secs(1);

impl Registry {
    /// Connect to `url` (`sqlite://FILE` creates the file; `postgres://…`) and apply the
    /// migrations.
    pub async fn open(url: &str) -> Result<Registry, RegistryError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(RegistryError::UnsupportedUrl(url.into()));
        };
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
            }
            _ => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let (readers, writers) = match backend {
            // SQLite has one writer at a time: one connection writes, the others read
            // beside it (WAL).
            Backend::Sqlite => (8, 1),
            // The write lock (see `write`) lets one through; a second connection waits
            // for it inside PostgreSQL rather than for a connection.
            Backend::Postgres => (8, 2),
        };
        let pool = pool_options(backend, readers)
            .connect_with(options.clone())
            .await?;
        let writes = pool_options(backend, writers).connect_with(options).await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        let registry = Registry {
            pool,
            writes,
            backend,
            catalog: Arc::default(),
        };
        registry.carry_over().await?;
        registry.check_autovacuum().await?;
        Ok(registry)
    }

    /// PostgreSQL plans each query from statistics its autovacuum keeps. A server with
    /// autovacuum off never gathers them for tables that grew after they were created,
    /// and plans every lookup against millions of certificates as a scan of tiny tables:
    /// a hash join over the whole table per group of certificates issued (measured: the
    /// seed slowed from 2,900 to 1,450 certificates/s within 200,000). Say so once, at
    /// start.
    async fn check_autovacuum(&self) -> Result<(), RegistryError> {
        if self.backend != Backend::Postgres {
            return Ok(());
        }
        let on: String = sqlx::query("SELECT current_setting('autovacuum') AS setting")
            .fetch_one(&self.pool)
            .await?
            .try_get("setting")?;
        if on != "on" {
            tracing::warn!(
                "PostgreSQL's autovacuum is off: the planner's statistics go stale as certificates are issued, and lookups become scans; turn it on, or run ANALYZE as the database grows"
            );
        }
        Ok(())
    }

    /// Gather the planner's statistics on the tables that grow with every certificate
    /// (PostgreSQL's `ANALYZE`, what its autovacuum does as a table grows): for a bulk
    /// load such as `qgrade seed`, which grows them faster than autovacuum looks. SQLite's
    /// planner needs none: without statistics it prefers an index.
    pub async fn refresh_statistics(&self) -> Result<(), RegistryError> {
        if self.backend == Backend::Postgres {
            sqlx::query(
                "ANALYZE certificates, certificate_gtins, report_claims, certificate_counts, log_entries",
            )
            .execute(&self.pool)
            .await?;
        }
        Ok(())
    }

    /// A database from before the transparency log keeps its history: its recorded
    /// catalog revisions and its audit chain's entries (verbatim, hashes included) become
    /// the log's first leaves, once. The platform carries its certificates over
    /// (`Platform::carry_over_certificates`).
    async fn carry_over(&self) -> Result<(), RegistryError> {
        let empty = sqlx::query("SELECT idx FROM log_entries LIMIT 1")
            .fetch_optional(&self.pool)
            .await?
            .is_none();
        if !empty {
            return Ok(());
        }
        let mut tx = self.write().await?;
        let revisions = revisions(&mut tx).await?;
        let old = sqlx::query(
            "SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit_log ORDER BY seq",
        )
        .fetch_all(&mut *tx)
        .await?;
        if revisions.is_empty() && old.is_empty() {
            return Ok(());
        }
        let mut events: Vec<log::Event> = revisions
            .iter()
            .map(|revision| revision_event(revision, "carried-over"))
            .collect();
        for row in &old {
            let text = |c: &str| row.try_get::<String, _>(c);
            let detail = text("detail")?;
            events.push(log::Event {
                kind: "legacy.audit",
                actor: text("actor")?,
                subject: text("subject")?,
                at: text("at")?,
                body: log::Body::Json(serde_json::json!({
                    "seq": row.try_get::<i64, _>("seq")?,
                    "action": text("action")?,
                    "detail": serde_json::from_str::<serde_json::Value>(&detail)
                        .unwrap_or(serde_json::Value::String(detail)),
                    "prev_hash": text("prev_hash")?,
                    "hash": text("hash")?,
                })),
            });
        }
        let carried = log::append(&mut tx, &events).await?;
        for (revision, index) in revisions.iter().zip(&carried) {
            set_revision_leaf(&mut tx, revision.number, *index).await?;
        }
        tx.commit().await?;
        tracing::info!(
            entries = carried.len(),
            "carried the database's history into the transparency log"
        );
        Ok(())
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The connection pool, for the platform's own tables.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A transaction holding the registry's write lock: writers (publishes, revisions,
    /// certificates, audit appends) run one at a time across every process sharing the
    /// database, so checks made inside it still hold at commit.
    pub async fn write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.writes.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => {
                let mut tx = self.writes.begin().await?;
                sqlx::query("LOCK TABLE log_entries IN EXCLUSIVE MODE")
                    .execute(&mut *tx)
                    .await?;
                Ok(tx)
            }
        }
    }

    /// Record the revisions of `catalog` that are not recorded yet. A recorded revision
    /// must be identical to the file of the same number. Returns the numbers recorded.
    pub async fn record_catalog(
        &self,
        catalog: &Catalog,
        actor: &str,
    ) -> Result<Vec<u32>, RegistryError> {
        let mut tx = self.write().await?;
        let recorded = revisions(&mut tx).await?;
        // The recorded ones followed by the new ones must still keep the rules.
        let mut all = recorded.clone();
        let mut new = Vec::new();
        for revision in catalog.revisions() {
            match recorded.iter().find(|r| r.number == revision.number) {
                Some(r) if r == revision => {}
                Some(_) => return Err(RegistryError::RevisionChanged(revision.number)),
                None => {
                    all.push(revision.clone());
                    new.push(revision);
                }
            }
        }
        Catalog::new(all)?;
        for revision in &new {
            sqlx::query(
                "INSERT INTO catalog_revisions (number, effective, body, recorded_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(i64::from(revision.number))
            .bind(revision.effective.to_string())
            .bind(revision.to_json())
            .bind(crate::clock::now())
            .execute(&mut *tx)
            .await?;
            let index = log::append(&mut tx, &[revision_event(revision, actor)]).await?[0];
            set_revision_leaf(&mut tx, revision.number, index).await?;
        }
        tx.commit().await?;
        // This process sees its own revision at once.
        *self.catalog.lock().expect("not poisoned") = None;
        Ok(new.iter().map(|r| r.number).collect())
    }

    /// The recorded catalog. Revisions are only ever added, never changed, so the parsed
    /// catalog is kept until the database holds another revision (by any process): within
    /// [`CATALOG_TTL`] of the last look a read costs nothing, after it one indexed query,
    /// however many products the catalog lists.
    pub async fn catalog(&self) -> Result<Arc<Catalog>, RegistryError> {
        if let Some((_, looked, catalog)) = &*self.catalog.lock().expect("not poisoned")
            && looked.elapsed() < CATALOG_TTL
        {
            return Ok(catalog.clone());
        }
        let mut conn = self.pool.acquire().await?;
        let latest: Option<i64> = sqlx::query("SELECT MAX(number) AS n FROM catalog_revisions")
            .fetch_one(&mut *conn)
            .await?
            .try_get("n")?;
        let latest = latest.unwrap_or(0);
        let now = std::time::Instant::now();
        if let Some((number, looked, catalog)) = &mut *self.catalog.lock().expect("not poisoned")
            && *number == latest
        {
            *looked = now;
            return Ok(catalog.clone());
        }
        let catalog = Arc::new(Catalog::new(revisions(&mut conn).await?)?);
        *self.catalog.lock().expect("not poisoned") = Some((latest, now, catalog.clone()));
        Ok(catalog)
    }

    /// The log leaf that recorded catalog revision `number`.
    pub async fn revision_leaf(&self, number: u32) -> Result<Option<u64>, RegistryError> {
        let row = sqlx::query("SELECT log_index FROM catalog_revisions WHERE number = $1")
            .bind(i64::from(number))
            .fetch_optional(&self.pool)
            .await?;
        Ok(row
            .map(|r| r.try_get::<Option<i64>, _>("log_index"))
            .transpose()?
            .flatten()
            .map(|i| i as u64))
    }

    /// The bytes stored under `digest`.
    pub async fn blob(&self, digest: &str) -> Result<Option<Vec<u8>>, RegistryError> {
        let row = sqlx::query("SELECT bytes FROM blobs WHERE digest = $1")
            .bind(digest)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get::<Vec<u8>, _>("bytes")).transpose()?)
    }
}

/// A catalog revision's recording, as a log event: its leaf holds the whole revision, so
/// that a certificate's bundle can prove which publishers and keys were in force.
fn revision_event(revision: &Revision, actor: &str) -> log::Event {
    log::Event {
        kind: "catalog.revision",
        actor: actor.into(),
        subject: format!("revision {}", revision.number),
        at: crate::clock::now(),
        body: serde_json::to_value(revision)
            .expect("a revision serialises")
            .into(),
    }
}

async fn set_revision_leaf(
    tx: &mut sqlx::AnyConnection,
    number: u32,
    index: u64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE catalog_revisions SET log_index = $1 WHERE number = $2")
        .bind(index as i64)
        .bind(i64::from(number))
        .execute(&mut *tx)
        .await
        .map(drop)
}

async fn revisions(conn: &mut sqlx::AnyConnection) -> Result<Vec<Revision>, RegistryError> {
    sqlx::query("SELECT body FROM catalog_revisions ORDER BY number")
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| {
            let body: String = row.try_get("body")?;
            serde_json::from_str(&body)
                .map_err(|e| RegistryError::Corrupt(format!("catalog revision: {e}")))
        })
        .collect()
}
