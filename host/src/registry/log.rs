//! The transparency log: every audited event is a leaf of an append-only Merkle tree
//! (RFC 6962 / RFC 9162 hashing), stored the way the Go checksum database stores its log
//! (`tlog_tiles`, a port of `golang.org/x/mod/sumdb/tlog`), and the platform signs
//! checkpoints of it with its own ed25519 key in the C2SP signed-note /
//! tlog-checkpoint format, which standard transparency tooling reads.
//!
//! - [`Event`] is what happened; [`leaf`] encodes it canonically (the bytes the leaf hash
//!   covers: a certificate's leaf holds everything the certificate says);
//! - `tree.rs` appends leaves inside the registry's write transaction and computes tree
//!   heads and proofs from the stored hashes (one query each);
//! - [`LogKey`] signs checkpoints, [`LogVerifier`] opens them;
//! - `verify.rs` streams the stored log against a checkpoint saved earlier, so that
//!   truncation, rewriting and reordering are found whatever the database says.
//!
//! Anyone holding an old checkpoint can ask for a consistency proof to a newer one (the
//! log was only ever extended), and any leaf can be proven to be in it.

pub mod leaf;

mod key;
mod tree;
mod verify;

pub use key::{LogKey, LogVerifier, SignedCheckpoint};
pub use leaf::{Body, Entry, Event};
pub use tlog_tiles::tlog::Hash;
pub use tree::{Frontier, append, append_at, check_consistency, check_inclusion, record};
pub use verify::{Finding, LogReport, LogWalk};

/// Why a log operation failed.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A stored hash or entry is missing or malformed.
    #[error("the stored log is inconsistent: {0}")]
    Corrupt(String),
    /// A request outside the log (an index past its size).
    #[error("{0}")]
    OutOfRange(String),
    /// A key or checkpoint that does not parse or verify.
    #[error("{0}")]
    Key(String),
}
