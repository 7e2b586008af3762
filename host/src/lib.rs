//! qgrade: product quality grading standards as sandboxed WebAssembly components.
//!
//! Each catalogued product's grading standard is a component that exports the
//! `qgrade:grading/grader` interface (`wit/`), built by its standards body with the
//! `qgrade-sdk` crate. This crate is the host that runs them:
//!
//! - [`runtime`] — the wasmtime sandbox ([`runtime::Sandbox`], [`runtime::Limits`]) and
//!   loaded modules ([`runtime::GradingModule`]): the structure read before compiling,
//!   compilation in a bounded child process, the authenticated compile cache, fuel, memory
//!   caps, deadlines, a fresh instance per grading, and the contract every output is
//!   checked against;
//! - [`grading`] — the JSON [`grading::Submission`], the one [`grading::grade`] path, the
//!   [`grading::Graded`] result and conformance vectors ([`grading::VectorSet`]);
//! - [`catalog`] — the product directory (目录): revisions, products, publishers, rules;
//! - [`artifact`] — the signed module artifact (component + vectors + ed25519 signature);
//! - [`registry`] — the database: catalog revisions, published modules, versioning,
//!   resolution by date, and the transparency log ([`registry::log`]) (SQLite or
//!   PostgreSQL through sqlx);
//! - [`platform`] and [`http`] — the grading platform's service layer (certificates,
//!   bundles, the audit of the database against its log) and its HTTP API with the
//!   server's own defences;
//! - [`web`] — the unified label and the public pages;
//! - [`wire`] — the JSON the CLI and the HTTP API share: one error shape,
//!   `{"error": {"code", "message", "field"?}}`;
//! - [`cli`] — the `qgrade` command: `serve`, `run`, `test`, `inspect`, `grade-batch`,
//!   `verify`, `keygen`, `package`, `publish`, `resolve`, `impact`, `audit`, `catalog`;
//! - [`clock`] (the platform's calendar day, in China) and [`text`] (limits and escaping
//!   for text from outside) serve every layer.
//!
//! Lower layers never import higher ones:
//! `cli` → `http` → `platform`, `web`, `wire` → `registry` → `artifact`, `catalog` →
//! `grading` → `clock` → `runtime` → `text`.

pub mod artifact;
pub mod catalog;
pub mod cli;
pub mod clock;
pub mod grading;
pub mod http;
pub mod platform;
pub mod registry;
pub mod runtime;
pub mod text;
pub mod web;
pub mod wire;

/// Where the build leaves the pilot modules (`target/modules`), fixed at compile time.
pub const MODULES_DIR: &str = env!("QGRADE_MODULES_DIR");

/// The pilot modules the build produced, by product code.
pub fn pilot_modules() -> Vec<&'static str> {
    env!("QGRADE_PILOT_MODULES")
        .split(',')
        .filter(|s| !s.is_empty())
        .collect()
}
