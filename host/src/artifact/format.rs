//! Reading and writing the artifact's sections.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use wasmparser::{Chunk, Parser, Payload};

use super::{SecretKey, keys::verify};
use crate::{catalog::PublicKey, model::ModuleDigest};

const VECTORS: &str = "qgrade-vectors";
const SIGNATURE: &str = "qgrade-signature";
const DOMAIN: &[u8] = b"qgrade-artifact-v1\n";
const COMPONENT_HEADER: [u8; 8] = [0, b'a', b's', b'm', 0x0d, 0, 1, 0];

/// Why an artifact is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ArtifactError {
    /// Not a WebAssembly component.
    #[error("not a WebAssembly component")]
    NotComponent,
    /// The section structure is broken (truncated, or a size past the end).
    #[error("malformed artifact: {0}")]
    Malformed(String),
    /// No conformance vectors inside.
    #[error("the artifact carries no conformance vectors (qgrade-vectors section)")]
    NoVectors,
    /// No signature inside.
    #[error("the artifact is not signed (qgrade-signature section)")]
    Unsigned,
    /// The signature section is not readable.
    #[error("the signature section is not valid: {0}")]
    BadSignature(String),
    /// Signed with another key than the catalog names.
    #[error(
        "signed with key {signed_by}, but the catalog's key for publisher {publisher} is {expected}"
    )]
    WrongKey {
        /// The key id in the artifact.
        signed_by: String,
        /// The publisher the catalog names.
        publisher: String,
        /// The key id the catalog lists for it.
        expected: String,
    },
    /// The signature does not cover these bytes: the artifact was altered after signing.
    #[error(
        "the signature by key {0} does not match the artifact's contents: it was altered after signing"
    )]
    Tampered(String),
}

/// The signature section's contents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureRecord {
    /// Always `ed25519`.
    pub algorithm: String,
    /// The signer's public key, `ed25519:<hex>`.
    pub key: PublicKey,
    /// The ed25519 signature, hex.
    pub signature: String,
}

/// A parsed artifact.
#[derive(Clone, Debug)]
pub struct Artifact {
    bytes: Vec<u8>,
    /// The component without the qgrade sections (what was signed, with the vectors).
    component: Vec<u8>,
    vectors: Option<Vec<u8>>,
    signature: Option<SignatureRecord>,
}

impl Artifact {
    /// Parse an artifact (or a bare component, which has neither vectors nor signature).
    pub fn parse(bytes: Vec<u8>) -> Result<Artifact, ArtifactError> {
        if bytes.get(..8) != Some(&COMPONENT_HEADER) {
            return Err(ArtifactError::NotComponent);
        }
        let mut component = bytes[..8].to_vec();
        let (mut vectors, mut signature) = (None, None);
        for section in sections(&bytes)? {
            match section.custom {
                Some((VECTORS, data)) => vectors = Some(data.to_vec()),
                Some((SIGNATURE, data)) => {
                    let record: SignatureRecord = serde_json::from_slice(data)
                        .map_err(|e| ArtifactError::BadSignature(e.to_string()))?;
                    signature = Some(record);
                }
                _ => component.extend_from_slice(section.whole),
            }
        }
        Ok(Artifact {
            bytes,
            component,
            vectors,
            signature,
        })
    }

    /// Bundle `component` and `vectors`, signed with `key`. Any qgrade sections the
    /// component already had are replaced.
    pub fn package(
        component: &[u8],
        vectors: &[u8],
        key: &SecretKey,
    ) -> Result<Vec<u8>, ArtifactError> {
        let bare = Artifact::parse(component.to_vec())?.component;
        let signature = key.sign(&signed_message(&bare, vectors));
        let record = SignatureRecord {
            algorithm: "ed25519".into(),
            key: key.public(),
            signature: hex::encode(signature),
        };
        let mut out = bare;
        push_custom(&mut out, VECTORS, vectors);
        push_custom(
            &mut out,
            SIGNATURE,
            &serde_json::to_vec(&record).expect("serialises"),
        );
        Ok(out)
    }

    /// The whole file.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The file's SHA-256: its address, and the module digest certificates record.
    pub fn digest(&self) -> ModuleDigest {
        ModuleDigest::of(&self.bytes)
    }

    /// The conformance vectors (JSON), if any.
    pub fn vectors(&self) -> Option<&[u8]> {
        self.vectors.as_deref()
    }

    /// The signature record, if signed.
    pub fn signature(&self) -> Option<&SignatureRecord> {
        self.signature.as_ref()
    }

    /// Check that the artifact is complete and signed by `key` (publisher `publisher`).
    pub fn verify(&self, publisher: &str, key: &PublicKey) -> Result<(), ArtifactError> {
        let vectors = self.vectors.as_deref().ok_or(ArtifactError::NoVectors)?;
        let record = self.signature.as_ref().ok_or(ArtifactError::Unsigned)?;
        if record.algorithm != "ed25519" {
            return Err(ArtifactError::BadSignature(format!(
                "unknown algorithm {:?}",
                record.algorithm
            )));
        }
        if record.key != *key {
            return Err(ArtifactError::WrongKey {
                signed_by: record.key.key_id(),
                publisher: publisher.into(),
                expected: key.key_id(),
            });
        }
        let signature: [u8; 64] = hex::decode(&record.signature)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| {
                ArtifactError::BadSignature("the signature is not 64 bytes of hex".into())
            })?;
        if !verify(key, &signed_message(&self.component, vectors), &signature) {
            return Err(ArtifactError::Tampered(key.key_id()));
        }
        Ok(())
    }
}

fn signed_message(component: &[u8], vectors: &[u8]) -> Vec<u8> {
    let mut message = DOMAIN.to_vec();
    message.extend_from_slice(&Sha256::digest(component));
    message.extend_from_slice(&Sha256::digest(vectors));
    message
}

struct Section<'a> {
    /// The section with its id and size.
    whole: &'a [u8],
    /// For a custom section, its name and its data after the name.
    custom: Option<(&'a str, &'a [u8])>,
}

/// The top-level sections after the 8-byte header, read with wasmparser: a nested core module
/// or component is one section, its bytes not descended into (they are the runtime's to read).
fn sections(bytes: &[u8]) -> Result<Vec<Section<'_>>, ArtifactError> {
    let malformed = |e: wasmparser::BinaryReaderError| ArtifactError::Malformed(e.to_string());
    let mut parser = Parser::new(0);
    let mut out = Vec::new();
    // Where the parser reads next, and where the section being read began (its id byte):
    // sections lie end to end, so each begins where the one before ended.
    let (mut at, mut start) = (0, COMPONENT_HEADER.len());
    loop {
        let (payload, consumed) = match parser.parse(&bytes[at..], true).map_err(malformed)? {
            Chunk::Parsed { payload, consumed } => (payload, consumed),
            Chunk::NeedMoreData(_) => return Err(ArtifactError::Malformed("truncated".into())),
        };
        at += consumed;
        let custom = match &payload {
            Payload::End(_) => return Ok(out),
            Payload::CustomSection(reader) => Some((reader.name(), reader.data())),
            // The parent parser has already stepped over a nested module's or component's
            // bytes; so do we.
            Payload::ModuleSection {
                unchecked_range, ..
            }
            | Payload::ComponentSection {
                unchecked_range, ..
            } => {
                at = unchecked_range.end;
                None
            }
            _ => None,
        };
        if let Some((_, contents)) = payload.as_section() {
            out.push(Section {
                whole: bytes.get(start..contents.end).ok_or_else(|| {
                    ArtifactError::Malformed(format!("section at byte {start} runs past the end"))
                })?,
                custom,
            });
            start = contents.end;
        }
    }
}

/// A custom section named `name` holding `data`, appended to `out`.
fn push_custom(out: &mut Vec<u8>, name: &str, data: &[u8]) {
    wasm_encoder::Section::append_to(
        &wasm_encoder::CustomSection {
            name: name.into(),
            data: data.into(),
        },
        out,
    );
}
