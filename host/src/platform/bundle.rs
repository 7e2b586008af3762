//! A certificate bundle: everything needed to check a certificate without trusting the
//! platform, and the check itself (`qgrade verify`).
//!
//! The bundle holds the certificate's log leaf, the catalog revision it was graded under
//! and its revocation (if any), each with an RFC 6962 inclusion proof in one checkpoint
//! signed by the platform's log key, and the module artifact that graded it. Verifying
//! it, with the log's public key pinned by the verifier:
//!
//! 1. the checkpoint's signature;
//! 2. each leaf's inclusion in the checkpoint's tree;
//! 3. the artifact is the module the certificate names (SHA-256), signed by the
//!    publisher the catalog revision in force assigned the product to;
//! 4. the stored submission, re-graded in the local sandbox on the certificate's day,
//!    gives the same grade, every indicator's outcome and the same fuel.
//!
//! A certificate whose module was later superseded still verifies: the bundle carries
//! the module that graded it, and the catalog revision of that day.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    artifact::Artifact,
    catalog::Revision,
    grading::{self, Submission},
    model,
    registry::log::{self, Entry, Hash, LogVerifier},
    runtime::{GradingModule, Sandbox},
    wire::{self, GradedBody},
};

/// The bundle format this host writes and reads.
pub const BUNDLE_FORMAT: &str = "qgrade-certificate-bundle/1";

/// A certificate and its proofs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    /// `qgrade-certificate-bundle/1`.
    pub format: String,
    /// The certificate number.
    pub number: String,
    /// The signed checkpoint every proof leads to.
    pub checkpoint: String,
    /// The certificate's leaf.
    pub certificate: LeafProof,
    /// The leaf of the catalog revision it was graded under.
    pub catalog: LeafProof,
    /// The leaf of its revocation, if it is revoked.
    #[serde(default)]
    pub revocation: Option<LeafProof>,
    /// The module artifact that graded it, base64.
    #[serde(with = "base64_bytes")]
    #[schemars(with = "String")]
    pub artifact: Vec<u8>,
}

/// One log leaf with its inclusion proof.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LeafProof {
    /// The leaf's index.
    pub index: u64,
    /// The leaf's bytes, base64.
    #[serde(with = "base64_bytes")]
    #[schemars(with = "String")]
    pub leaf: Vec<u8>,
    /// Its RFC 6962 leaf hash, SHA-256(0x00 ‖ leaf): tells a changed leaf from a changed
    /// proof. Base64.
    #[serde(with = "base64_bytes")]
    #[schemars(with = "String")]
    pub leaf_hash: Vec<u8>,
    /// The inclusion proof, leaf to root, each hash base64.
    #[serde(with = "base64_hashes")]
    #[schemars(with = "Vec<String>")]
    pub proof: Vec<Hash>,
}

/// `GET /certificates/{number}/proof`: a certificate's leaf with its inclusion proof in a
/// signed checkpoint.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct CertificateProof {
    /// The leaf and its proof.
    #[serde(flatten)]
    pub leaf: LeafProof,
    /// The size of the tree the proof leads to.
    pub tree_size: u64,
    /// The signed checkpoint of that tree.
    pub checkpoint: String,
}

impl LeafProof {
    /// Leaf `index` with its `proof`.
    pub fn new(index: u64, leaf: Vec<u8>, proof: Vec<Hash>) -> LeafProof {
        LeafProof {
            index,
            leaf_hash: tlog_tiles::tlog::record_hash(&leaf).0.to_vec(),
            leaf,
            proof,
        }
    }

    /// The leaf's entry, if it is in the tree of `size` leaves with root `root`.
    fn open(&self, part: &'static str, size: u64, root: Hash) -> Result<Entry, Mismatch> {
        if self.leaf_hash != tlog_tiles::tlog::record_hash(&self.leaf).0 {
            return Err(Mismatch::new(
                part,
                "the leaf does not match its leaf hash: it was altered",
            ));
        }
        if self.index >= size {
            return Err(Mismatch::new(
                part,
                format!(
                    "entry {} is not in the checkpoint's {size} entries",
                    self.index
                ),
            ));
        }
        log::check_inclusion(&self.proof, size, root, self.index, &self.leaf).map_err(|e| {
            Mismatch::new(
                part,
                format!(
                    "the inclusion proof of entry {} does not lead to the checkpoint's root ({e}): the proof was altered",
                    self.index
                ),
            )
        })?;
        Entry::parse(&self.leaf).ok_or_else(|| Mismatch::new(part, "the leaf is not a log entry"))
    }
}

/// What differs, and in which part of the bundle.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{part}: {message}")]
pub struct Mismatch {
    /// `checkpoint`, `certificate`, `catalog`, `revocation`, `artifact` or `grading`.
    pub part: &'static str,
    /// What differs.
    pub message: String,
}

impl Mismatch {
    fn new(part: &'static str, message: impl Into<String>) -> Mismatch {
        Mismatch {
            part,
            message: message.into(),
        }
    }
}

/// A certificate that verified.
#[derive(Clone, Debug, PartialEq)]
pub struct Verified {
    /// Its number.
    pub number: String,
    /// Its product.
    pub product: String,
    /// Its grade.
    pub grade: String,
    /// Its grading day.
    pub graded_on: String,
    /// The fuel the replay consumed (the certificate's own).
    pub fuel: u64,
    /// Its leaf index.
    pub index: u64,
    /// The checkpoint's size.
    pub checkpoint_size: u64,
    /// Its revocation's leaf, if revoked.
    pub revocation: Option<Value>,
}

/// Check `bundle` against the log key `log` (see the module docs).
pub fn verify(bundle: &Bundle, log: &LogVerifier, sandbox: &Sandbox) -> Result<Verified, Mismatch> {
    if bundle.format != BUNDLE_FORMAT {
        return Err(Mismatch::new(
            "format",
            format!("{:?} is not {BUNDLE_FORMAT}", bundle.format),
        ));
    }
    let checkpoint = log
        .open(&bundle.checkpoint)
        .map_err(|e| Mismatch::new("checkpoint", e.to_string()))?;
    let (size, root) = (checkpoint.size, checkpoint.root);

    let entry = bundle.certificate.open("certificate", size, root)?;
    if entry.kind != "certificate.issue" || entry.subject != bundle.number {
        return Err(Mismatch::new(
            "certificate",
            format!(
                "entry {} is {} of {}, not the issue of certificate {}",
                entry.index, entry.kind, entry.subject, bundle.number
            ),
        ));
    }
    let c = &entry.body;
    let field = |path: &[&str]| -> Result<String, Mismatch> {
        path.iter()
            .try_fold(c, |v, key| v.get(key))
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| Mismatch::new("certificate", format!("no {}", path.join("."))))
    };

    let catalog = bundle.catalog.open("catalog", size, root)?;
    let revision: Revision = serde_json::from_value(catalog.body.clone())
        .map_err(|e| Mismatch::new("catalog", format!("not a catalog revision: {e}")))?;
    let product_code = field(&["product"])?;
    if catalog.kind != "catalog.revision"
        || Some(u64::from(revision.number)) != c["catalog_revision"].as_u64()
    {
        return Err(Mismatch::new(
            "catalog",
            format!(
                "entry {} is not catalog revision {}",
                catalog.index, c["catalog_revision"]
            ),
        ));
    }
    let product = revision.product(&product_code).ok_or_else(|| {
        Mismatch::new(
            "catalog",
            format!("revision {} does not list {product_code}", revision.number),
        )
    })?;
    let publisher = revision.publisher(&product.publisher).ok_or_else(|| {
        Mismatch::new(
            "catalog",
            format!("publisher {} is not listed", product.publisher),
        )
    })?;

    let artifact = Artifact::parse(bundle.artifact.clone())
        .map_err(|e| Mismatch::new("artifact", e.to_string()))?;
    let digest = artifact.digest().to_string();
    if digest != field(&["module", "sha256"])? {
        return Err(Mismatch::new(
            "artifact",
            format!(
                "its SHA-256 is {digest}, not the module the certificate names ({})",
                field(&["module", "sha256"])?
            ),
        ));
    }
    artifact
        .verify(&publisher.id, &publisher.key)
        .map_err(|e| Mismatch::new("artifact", e.to_string()))?;

    let revocation = match &bundle.revocation {
        None => None,
        Some(proof) => {
            let r = proof.open("revocation", size, root)?;
            if r.kind != "certificate.revoke" || r.subject != bundle.number {
                return Err(Mismatch::new(
                    "revocation",
                    format!("entry {} is not a revocation of {}", r.index, bundle.number),
                ));
            }
            Some(r.body)
        }
    };

    // Replay the grading on the certificate's day, in this sandbox.
    let replay = |e: String| Mismatch::new("grading", e);
    // Under the limits the revision gave the product: a module in an interpreted
    // language graded under its profile replays under it too.
    let limits = revision.limits(&product.code, sandbox.limits());
    let module = GradingModule::load_with(sandbox, artifact.bytes(), limits)
        .map_err(|e| replay(e.to_string()))?;
    let version = field(&["module", "version"])?;
    if module.version().to_string() != version || !product.requirement().matches(module.version()) {
        return Err(Mismatch::new(
            "artifact",
            format!(
                "it is {} {}, not version {version} admitted by catalog revision {}",
                module.metadata().product,
                module.version(),
                revision.number
            ),
        ));
    }
    let submission = Submission::from_value(&c["submission"]).map_err(|e| replay(e.to_string()))?;
    let graded_on = field(&["graded_on"])?;
    let on =
        model::Date::parse(&graded_on).ok_or_else(|| replay(format!("graded_on {graded_on:?}")))?;
    let graded =
        grading::grade(sandbox, &module, &submission, on).map_err(|e| replay(e.to_string()))?;
    let grade = graded.grade.map(|g| g.to_string()).unwrap_or_default();
    if grade != field(&["grade"])? {
        return Err(replay(format!(
            "the replay gives grade {grade:?}, the certificate says {}",
            field(&["grade"])?
        )));
    }
    let replayed = wire::to_value(&GradedBody::from(&graded));
    let (here, there) = (&replayed["indicators"], &c["outcome"]["indicators"]);
    if here != there {
        let differing = here
            .as_object()
            .into_iter()
            .flatten()
            .find(|(id, o)| there.get(id.as_str()) != Some(*o))
            .map_or_else(
                || "the set of indicators".to_string(),
                |(id, _)| format!("indicator {id}"),
            );
        return Err(replay(format!(
            "the replay differs from the certificate in {differing}"
        )));
    }
    if Some(graded.fuel) != c["fuel"].as_u64() {
        return Err(replay(format!(
            "the replay consumed {} fuel, the certificate says {}",
            graded.fuel, c["fuel"]
        )));
    }
    Ok(Verified {
        number: bundle.number.clone(),
        product: product_code,
        grade,
        graded_on,
        fuel: graded.fuel,
        index: entry.index,
        checkpoint_size: size,
        revocation,
    })
}

mod base64_bytes {
    use base64::{Engine as _, engine::general_purpose::STANDARD};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD
            .decode(text)
            .map_err(|e| serde::de::Error::custom(format!("not base64: {e}")))
    }
}

mod base64_hashes {
    use base64::{Engine as _, engine::general_purpose::STANDARD};
    use serde::{Deserialize, Deserializer, Serializer, ser::SerializeSeq};

    use crate::registry::log::Hash;

    pub fn serialize<S: Serializer>(hashes: &[Hash], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(hashes.len()))?;
        for h in hashes {
            seq.serialize_element(&STANDARD.encode(h.0))?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Hash>, D::Error> {
        Vec::<String>::deserialize(d)?
            .into_iter()
            .map(|text| {
                STANDARD
                    .decode(text)
                    .ok()
                    .and_then(|b| b.try_into().ok())
                    .map(Hash)
                    .ok_or_else(|| serde::de::Error::custom("a proof hash is 32 bytes of base64"))
            })
            .collect()
    }
}
