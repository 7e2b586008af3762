//! The catalog (目录) and published modules, as the API shows them.

use schemars::JsonSchema;
use serde::Serialize;

use crate::catalog::Revision;

/// `GET /catalog`: the revision in force today, with what the platform trusts beside it.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct CatalogInForce {
    /// The revision.
    #[serde(flatten)]
    pub revision: Revision,
    /// The platform that serves it.
    pub platform: PlatformInfo,
}

/// What a platform is and trusts.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct PlatformInfo {
    /// `development` or `production`.
    #[schemars(extend("enum" = ["development", "production"]))]
    pub mode: &'static str,
    /// The development publishers a development platform trusts (none in production).
    pub trusted_development_publishers: Vec<String>,
    /// The platform's calendar day (China time), on which it grades.
    pub today: String,
    /// The key its log checkpoints are signed with (`<origin>+<key id>+<key>`).
    pub log_key: String,
}

/// `GET /catalog/revisions`: every revision, oldest first.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Revisions {
    /// The revisions.
    pub revisions: Vec<Revision>,
}

/// `POST /modules`: what was published (or found already published).
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Published {
    /// The product code.
    pub product: String,
    /// The version.
    pub version: String,
    /// The SHA-256 of its component, hex.
    pub sha256: String,
    /// The catalog publisher.
    pub publisher: String,
    /// Whether these bytes were already published (then nothing changed).
    pub unchanged: bool,
    /// The first catalog revision whose range admits the version, if one does.
    pub admitted_by_revision: Option<u32>,
    /// How many conformance vectors it passed.
    pub vectors: usize,
}

/// `GET /modules/{product}`: a product's published versions.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ModuleVersions {
    /// The product code.
    pub product: String,
    /// Its versions, oldest first.
    pub versions: Vec<ModuleVersion>,
}

/// One published version.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ModuleVersion {
    /// The version.
    pub version: String,
    /// The SHA-256 of its component, hex.
    pub sha256: String,
    /// The catalog publisher.
    pub publisher: String,
    /// The grading standard it encodes.
    pub standard: String,
    /// When it was published (UTC, RFC 3339).
    pub published_at: String,
}

/// `GET /log/consistency`: an RFC 6962 consistency proof.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ConsistencyProof {
    /// The older tree's size.
    pub from: u64,
    /// The newer tree's size.
    pub to: u64,
    /// The proof's hashes, base64.
    pub proof: Vec<String>,
}

/// `GET /log/entries`: a range of the log's entries.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct LogEntries {
    /// The entries, in order.
    pub entries: Vec<LogEntry>,
}

/// One log entry: its leaf as stored, and what it says.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct LogEntry {
    /// Its index.
    pub index: u64,
    /// The leaf's bytes, base64.
    pub leaf: String,
    /// The leaf read as an entry; null for a leaf that is not one.
    pub entry: Option<LogEvent>,
}

/// What a log entry records.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct LogEvent {
    /// What happened (`certificate.issue`, `catalog.revision`, …).
    pub kind: String,
    /// The account that did it.
    pub actor: String,
    /// What it is about (a certificate number, a module, …).
    pub subject: String,
    /// When (UTC, RFC 3339).
    pub at: String,
    /// Everything it says.
    pub body: serde_json::Value,
}
