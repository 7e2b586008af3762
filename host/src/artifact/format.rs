//! Reading and writing the artifact's sections.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

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
            match section.custom_name {
                Some(VECTORS) => vectors = Some(section.data.to_vec()),
                Some(SIGNATURE) => {
                    let record: SignatureRecord = serde_json::from_slice(section.data)
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
    /// For a custom section, its name.
    custom_name: Option<&'a str>,
    /// For a custom section, its data after the name.
    data: &'a [u8],
}

/// The top-level sections after the 8-byte header.
fn sections(bytes: &[u8]) -> Result<Vec<Section<'_>>, ArtifactError> {
    let mut out = Vec::new();
    let mut at = 8;
    while at < bytes.len() {
        let start = at;
        let id = bytes[at];
        at += 1;
        let size = leb128(bytes, &mut at)? as usize;
        let end = at
            .checked_add(size)
            .filter(|e| *e <= bytes.len())
            .ok_or_else(|| {
                ArtifactError::Malformed(format!("section at byte {start} runs past the end"))
            })?;
        let (custom_name, data) = if id == 0 {
            let mut p = at;
            let len = leb128(bytes, &mut p)? as usize;
            let name_end = p.checked_add(len).filter(|e| *e <= end).ok_or_else(|| {
                ArtifactError::Malformed(format!("custom section name at byte {start}"))
            })?;
            let name = std::str::from_utf8(&bytes[p..name_end]).map_err(|_| {
                ArtifactError::Malformed(format!("custom section name at byte {start}"))
            })?;
            (Some(name), &bytes[name_end..end])
        } else {
            (None, &bytes[at..end])
        };
        out.push(Section {
            whole: &bytes[start..end],
            custom_name,
            data,
        });
        at = end;
    }
    Ok(out)
}

fn leb128(bytes: &[u8], at: &mut usize) -> Result<u32, ArtifactError> {
    let mut value: u64 = 0;
    for shift in (0..35).step_by(7) {
        let byte = *bytes
            .get(*at)
            .ok_or_else(|| ArtifactError::Malformed("truncated".into()))?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return u32::try_from(value)
                .map_err(|_| ArtifactError::Malformed("size too large".into()));
        }
    }
    Err(ArtifactError::Malformed("overlong size".into()))
}

fn push_custom(out: &mut Vec<u8>, name: &str, data: &[u8]) {
    let mut payload = Vec::new();
    push_leb128(&mut payload, name.len() as u32);
    payload.extend_from_slice(name.as_bytes());
    payload.extend_from_slice(data);
    out.push(0);
    push_leb128(out, payload.len() as u32);
    out.extend_from_slice(&payload);
}

fn push_leb128(out: &mut Vec<u8>, mut value: u32) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}
