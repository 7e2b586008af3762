//! A test's own world: keys, a catalog, and a database (a SQLite file, or a fresh schema
//! on the PostgreSQL server at 127.0.0.1:5432), with the artifacts its scenarios publish.

use qgrade::{
    artifact::{Artifact, SecretKey, generate_key},
    catalog::Catalog,
    registry::{Registry, log::Entry},
};

use super::{fixture_path, module_path, root};

#[derive(Clone, Copy, Debug)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// A test's own keys, catalog and database.
pub struct World {
    _dir: tempfile::TempDir,
    pub url: String,
    pub schema: Option<String>,
    pub registry: Registry,
    pub kettle_key: SecretKey,
    pub ctes_key: SecretKey,
    pub catalog_dir: std::path::PathBuf,
}

pub fn run<F, Fut>(db: Db, scenario: F)
where
    F: FnOnce(World) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let world = world(db).await;
        let schema = world.schema.clone();
        scenario(world).await;
        if let Some(schema) = schema {
            drop_schema(&schema).await;
        }
    });
}

/// Drop a schema [`postgres_schema`] made, with everything in it.
pub async fn drop_schema(schema: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&postgres_base()).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&mut conn)
        .await
        .unwrap();
}

async fn world(db: Db) -> World {
    let dir = tempfile::tempdir().unwrap();
    let (url, schema) = match db {
        Db::Sqlite => (
            format!("sqlite://{}", dir.path().join("registry.db").display()),
            None,
        ),
        Db::Postgres => {
            let schema = postgres_schema().await;
            (postgres_url(&schema), Some(schema))
        }
    };
    let (kettle_key, ctes_key) = (generate_key().unwrap(), generate_key().unwrap());
    let catalog_dir = dir.path().join("catalog");
    std::fs::create_dir_all(catalog_dir.join("revisions")).unwrap();
    std::fs::write(
        catalog_dir.join("revisions/0001.toml"),
        revision(1, "2026-01-01", "^1.0", &kettle_key, &ctes_key),
    )
    .unwrap();
    let registry = Registry::open(&url).await.unwrap();
    registry
        .record_catalog(&Catalog::load(&catalog_dir).unwrap(), "admin")
        .await
        .unwrap();
    World {
        _dir: dir,
        url,
        schema,
        registry,
        kettle_key,
        ctes_key,
        catalog_dir,
    }
}

/// Run `sql` against the test's database, as someone with database access would.
pub async fn tamper(w: &World, sql: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::AnyConnection::connect(&w.url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

pub fn postgres_base() -> String {
    std::env::var("QGRADE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// The URL of the test server with `schema` first on every connection's search path.
pub fn postgres_url(schema: &str) -> String {
    format!("{}?options=-csearch_path%3D{schema}", postgres_base())
}

/// A fresh schema on the PostgreSQL server, so tests never see each other's rows.
pub async fn postgres_schema() -> String {
    use sqlx::Connection;
    let base = postgres_base();
    let mut conn = sqlx::PgConnection::connect(&base)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at {base} is required for these tests: {e}"));
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let schema = format!(
        "qgrade_test_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut conn)
        .await
        .unwrap();
    schema
}

pub fn revision(
    number: u32,
    effective: &str,
    kettle: &str,
    kettle_key: &SecretKey,
    ctes_key: &SecretKey,
) -> String {
    format!(
        r#"number = {number}
effective = "{effective}"

[[publishers]]
id = "kettle-body"
name = "电水壶标准化组 Kettle standards group"
key = "{}"

[[publishers]]
id = "ctes"
name = "中国纺织经济研究会 CTES"
key = "{}"

[[products]]
code = "kettle"
name_zh = "电水壶"
name_en = "Electric kettles"
standard = {{ code = "T/KETTLE 1-2026", title = "电水壶 kettles", level = "group" }}
module = "{kettle}"
publisher = "kettle-body"
status = "active"

[[products]]
code = "down-jacket"
name_zh = "羽绒服装"
name_en = "Down garments"
standard = {{ code = "T/CTES 1080-2025", title = "羽绒服装", level = "group" }}
module = "^1.0"
publisher = "ctes"
status = "active"
"#,
        kettle_key.public(),
        ctes_key.public()
    )
}

/// Record catalog revision 2, which admits kettle `^2.0` from `effective`.
pub async fn admit_kettle_2(w: &World, effective: &str) {
    std::fs::write(
        w.catalog_dir.join("revisions/0002.toml"),
        revision(2, effective, "^2.0", &w.kettle_key, &w.ctes_key),
    )
    .unwrap();
    w.registry
        .record_catalog(&Catalog::load(&w.catalog_dir).unwrap(), "admin")
        .await
        .unwrap();
}

pub fn kettle(version: &str, key: &SecretKey) -> Vec<u8> {
    let name = format!("kettle-{}", version.replace('.', "-"));
    let component = std::fs::read(fixture_path(&name)).unwrap();
    let vectors = std::fs::read(
        root()
            .join("tests/fixtures")
            .join(&name)
            .join("vectors.json"),
    )
    .unwrap();
    Artifact::package(&component, &vectors, key).unwrap()
}

/// The down-jacket pilot packaged as an artifact signed with `key`.
pub fn down_jacket(key: &SecretKey) -> Vec<u8> {
    let component = std::fs::read(module_path("down-jacket")).unwrap();
    let vectors = std::fs::read(module_path("down-jacket").with_extension("vectors.json")).unwrap();
    Artifact::package(&component, &vectors, key).unwrap()
}

/// Published versions and log entries: what a refused publish must leave untouched.
pub async fn count(registry: &Registry) -> (usize, u64) {
    let mut versions = 0;
    for product in ["kettle", "down-jacket"] {
        versions += registry.versions(product).await.unwrap().len();
    }
    (versions, registry.log_size().await.unwrap())
}

/// The log's entries, parsed.
pub async fn entries(registry: &Registry) -> Vec<Entry> {
    let size = registry.log_size().await.unwrap();
    registry
        .log_entries(0, size)
        .await
        .unwrap()
        .iter()
        .map(|(_, leaf)| Entry::parse(leaf).unwrap())
        .collect()
}

/// What an audit of the database finds (nothing, for an honest one).
pub async fn audit(registry: &Registry) -> Vec<String> {
    qgrade::platform::audit::verify(registry, None, None)
        .await
        .unwrap()
        .findings
}
