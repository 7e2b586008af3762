//! qgrade: product quality grading standards as sandboxed WebAssembly components.
//!
//! Each catalogued product's grading standard is a component that exports the
//! `qgrade:grading/grader` interface (`wit/`), built by its standards body with the
//! `qgrade-sdk` crate. This crate is the host that runs them:
//!
//! - [`model`] — the host's own vocabulary for the general rules: dates, grades, digests,
//!   metadata, submissions, reports, reasons and faults, whatever interface version a
//!   module speaks;
//! - [`runtime`] — the wasmtime sandbox ([`runtime::Sandbox`], [`runtime::Limits`]) and
//!   loaded modules ([`runtime::GradingModule`]): the structure read before compiling,
//!   compilation in a bounded child process, the authenticated compile cache, fuel, memory
//!   caps, deadlines, a fresh instance per grading, the interface versions it runs (each
//!   converting into [`model`]) and the contract every output is checked against;
//! - [`grading`] — the JSON [`grading::Submission`], the one [`grading::grade`] path, the
//!   [`grading::Graded`] result and conformance vectors ([`grading::VectorSet`]);
//! - [`catalog`] — the product directory (目录): revisions, products, publishers, rules;
//! - [`table`] — table modules: a standard written as a TOML table, linted, its vectors'
//!   coverage of every threshold reported, packed into the SDK's engine (compiled once by
//!   the build) as a grading component;
//! - [`artifact`] — the signed module artifact (component + vectors + ed25519 signature);
//! - [`registry`] — the database: catalog revisions, published modules, versioning,
//!   resolution by date, and the transparency log ([`registry::log`]) (SQLite or
//!   PostgreSQL through sqlx);
//! - [`wire`] — the JSON the CLI and the HTTP API share, as types: request bodies,
//!   answers (a certificate, a grading's result, lists) and one error shape,
//!   `{"error": {"code", "message", "field"?}}`; the OpenAPI schemas are generated from
//!   them;
//! - [`platform`] — the grading platform's service layer: accounts, certificates, bundles,
//!   the audit of the database against its log;
//! - [`web`] — the unified label and the public pages;
//! - [`http`] — the HTTP API and the public site, with the server's own defences;
//! - [`cli`] — the `qgrade` command: `serve`, `run`, `test`, `inspect`, `grade-batch`,
//!   `verify`, `module`, `keygen`, `package`, `publish`, `resolve`, `impact`, `audit`,
//!   `catalog`, `seed`;
//! - [`clock`] (the platform's calendar day, in China) and [`text`] (limits and escaping
//!   for text from outside) serve every layer.
//!
//! Lower layers never import higher ones (`tests/all/architecture.rs` holds every module
//! to this line):
//! `cli` → `http` → `web` → `platform` → `wire` → `registry` → `artifact` → `catalog` →
//! `table` → `grading` → `runtime`, `clock` → `model`, `text`.
//!
//! Grading a submission with a module, as every path through the host does it:
//!
//! ```rust,standalone_crate
//! use qgrade::{grading, model::Date, runtime::{GradingModule, Limits, Sandbox}};
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     // The sandbox compiles each component in a bounded child process: this very
//!     // executable, started again as `<exe> __compile`. A program embedding the host
//!     // answers that first thing.
//!     qgrade::runtime::exit_if_compile_child();
//!
//!     let sandbox = Sandbox::new(Limits::default())?;
//!     let bytes = std::fs::read(format!("{}/power-bank.wasm", qgrade::MODULES_DIR))?;
//!     let module = GradingModule::load(&sandbox, &bytes)?;
//!
//!     let sample = std::fs::read_to_string(concat!(
//!         env!("CARGO_MANIFEST_DIR"),
//!         "/../plugins/power-bank/sample.json"
//!     ))?;
//!     let submission = grading::Submission::from_json(&sample)?;
//!     let on = Date::parse("2026-03-20").expect("a date");
//!     let graded = grading::grade(&sandbox, &module, &submission, on)?;
//!
//!     assert_eq!(graded.grade.map(|g| g.as_str()), Some("AAA"));
//!     assert!(graded.fuel > 0);
//!     Ok(())
//! }
//! ```

pub mod artifact;
pub mod catalog;
pub mod cli;
pub mod clock;
pub mod grading;
pub mod http;
pub mod model;
pub mod platform;
pub mod registry;
pub mod runtime;
pub mod table;
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
