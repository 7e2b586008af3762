//! Publisher key pairs: `ed25519-secret:<64 hex>` for the secret seed (kept by the
//! standards body), `ed25519:<64 hex>` for the public key (listed in the catalog).

use std::fmt;

use ed25519_dalek::{Signer, SigningKey};

use crate::catalog::PublicKey;

/// A publisher's secret signing key.
pub struct SecretKey(SigningKey);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({})", self.public().key_id())
    }
}

impl SecretKey {
    /// Parse `ed25519-secret:<64 hex>`.
    pub fn parse(text: &str) -> Result<SecretKey, String> {
        let seed: [u8; 32] = text
            .trim()
            .strip_prefix("ed25519-secret:")
            .and_then(|hex| hex::decode(hex).ok())
            .and_then(|b| b.try_into().ok())
            .ok_or("a secret key is of the form ed25519-secret:<64 hex digits>")?;
        Ok(SecretKey(SigningKey::from_bytes(&seed)))
    }

    /// The matching public key.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key().to_bytes())
    }

    /// Sign `message`.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.0.sign(message).to_bytes()
    }

    /// The secret in its file form.
    pub fn to_text(&self) -> String {
        format!("ed25519-secret:{}", hex::encode(self.0.to_bytes()))
    }
}

/// A fresh key pair from the operating system's randomness.
pub fn generate_key() -> anyhow::Result<SecretKey> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(SecretKey(SigningKey::from_bytes(&seed)))
}

/// Whether `signature` by `key` covers `message`.
pub(super) fn verify(key: &PublicKey, message: &[u8], signature: &[u8; 64]) -> bool {
    let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(&key.0) else {
        return false;
    };
    key.verify_strict(message, &ed25519_dalek::Signature::from_bytes(signature))
        .is_ok()
}
