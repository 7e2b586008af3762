//! The module registry: catalog revisions, published module versions and their bytes,
//! and the transparency log, in a database (SQLite by default, PostgreSQL to scale out).
//!
//! - [`Registry::open`] connects and migrates; the URL's scheme picks the backend;
//! - [`Registry::record_catalog`] records catalog revisions (immutable once recorded);
//! - [`publish`](Registry::publish) takes a signed artifact through every check;
//! - [`resolve`](Registry::resolve) picks the module that grades a product on a date;
//! - [`log`] is the transparency log: every audited event is a leaf of a Merkle tree
//!   whose checkpoints the platform signs.

pub mod log;

mod db;
mod error;
mod publish;
mod resolve;

pub use db::{Backend, Registry, placeholders};
pub use error::{PublishError, RegistryError};
pub use publish::{Candidate, PublishLimits, Published, VectorChange};
pub use resolve::{ModuleRecord, Resolved, choose};
