//! Why a catalog is refused. Every message names the revision and the entry.

/// A catalog that breaks the rules or cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    /// A file could not be read.
    #[error("{path}: {message}")]
    Io {
        /// The path.
        path: String,
        /// The OS error.
        message: String,
    },
    /// A revision file is not valid TOML of the revision format.
    #[error("{file}: {message}")]
    Parse {
        /// The file.
        file: String,
        /// What is wrong, with its line.
        message: String,
    },
    /// A revision breaks a rule.
    #[error("catalog revision {revision}: {entry}: {message}")]
    Rule {
        /// The revision's number.
        revision: u32,
        /// The entry at fault (`product down-jacket`, `publisher x`, `number`).
        entry: String,
        /// The rule it breaks.
        message: String,
    },
}

impl CatalogError {
    pub(super) fn rule(
        revision: u32,
        entry: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        CatalogError::Rule {
            revision,
            entry: entry.into(),
            message: message.into(),
        }
    }
}
