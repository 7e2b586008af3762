//! The platform's log key and its checkpoints, in the formats of C2SP signed-note and
//! tlog-checkpoint (the Go checksum database's `note` and `tlog` packages):
//!
//! ```text
//! qgrade.example.gov.cn/log        ← origin: the log's name, also the key's name
//! 1024                             ← tree size
//! nND/nri//U0xuHUrYSy0HtMeal2vzD9V4k/BO79C+QeI=   ← root hash, base64
//!
//! — qgrade.example.gov.cn/log Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=
//! ```
//!
//! A secret key file holds `PRIVATE+KEY+<origin>+<key id>+<base64>` and a public key file
//! `<origin>+<key id>+<base64>`, the forms `note.NewSigner` and `note.NewVerifier` read.

use base64::{Engine as _, engine::general_purpose::STANDARD};
use signed_note::{
    Note, Signer as _, StandardSigner, StandardVerifier, Verifier as _, VerifierList,
};
use tlog_tiles::{checkpoint::Checkpoint, tlog::Hash};

use super::LogError;

/// The algorithm byte of an ed25519 key in a signed note.
const ED25519: u8 = 0x01;

/// The key the platform signs checkpoints with.
pub struct LogKey {
    signer: StandardSigner,
    verifier_key: String,
}

impl std::fmt::Debug for LogKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LogKey({})", self.verifier_key)
    }
}

impl LogKey {
    /// A fresh key for the log named `origin` (e.g. `qgrade.example.gov.cn/log`): the
    /// secret key text, to be kept, and the key.
    pub fn generate(origin: &str) -> Result<(String, LogKey), LogError> {
        if !signed_note::is_key_name_valid(origin) {
            return Err(LogError::Key(format!(
                "{origin:?} is not a valid log name (no spaces or '+', e.g. qgrade.example.gov.cn/log)"
            )));
        }
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| LogError::Key(format!("no randomness: {e}")))?;
        let public = ed25519_dalek::SigningKey::from_bytes(&seed)
            .verifying_key()
            .to_bytes();
        let id = signed_note::key_id(origin, &[&[ED25519], public.as_slice()].concat());
        let secret = format!(
            "PRIVATE+KEY+{origin}+{id:08x}+{}",
            STANDARD.encode([&[ED25519], seed.as_slice()].concat())
        );
        let key = LogKey::parse(&secret)?;
        Ok((secret, key))
    }

    /// Parse a secret key file's text.
    pub fn parse(secret: &str) -> Result<LogKey, LogError> {
        let secret = secret.trim();
        let signer = StandardSigner::new(secret).map_err(|e| {
            LogError::Key(format!(
                "not a log secret key (PRIVATE+KEY+<origin>+<id>+<key>): {e}"
            ))
        })?;
        // PRIVATE+KEY+<name>+<id>+<base64 key>: the name has no '+', the key may.
        let seed: [u8; 32] = secret
            .strip_prefix("PRIVATE+KEY+")
            .and_then(|rest| rest.splitn(3, '+').nth(2))
            .and_then(|key| STANDARD.decode(key).ok())
            .and_then(|key| key.get(1..).and_then(|s| s.try_into().ok()))
            .ok_or_else(|| LogError::Key("not a log secret key".into()))?;
        let public = ed25519_dalek::SigningKey::from_bytes(&seed)
            .verifying_key()
            .to_bytes();
        let with_alg = [&[ED25519], public.as_slice()].concat();
        let origin = signer.name();
        let verifier_key = format!(
            "{origin}+{:08x}+{}",
            signed_note::key_id(origin, &with_alg),
            STANDARD.encode(&with_alg)
        );
        Ok(LogKey {
            signer,
            verifier_key,
        })
    }

    /// The log's name.
    pub fn origin(&self) -> &str {
        self.signer.name()
    }

    /// The public key, `<origin>+<key id>+<base64>`: what verifiers pin.
    pub fn verifier_key(&self) -> &str {
        &self.verifier_key
    }

    /// A signed checkpoint of the tree of `size` leaves with root `root`.
    pub fn sign(&self, size: u64, root: Hash) -> SignedCheckpoint {
        let body = Checkpoint::new(self.origin(), size, root, "")
            .expect("the origin is a valid key name")
            .to_bytes();
        let mut note = Note::new(&body, &[]).expect("a checkpoint is a valid note text");
        note.add_sigs(&[&self.signer])
            .expect("signing with an in-memory ed25519 key");
        SignedCheckpoint {
            size,
            root,
            note: String::from_utf8(note.to_bytes()).expect("a note is UTF-8"),
        }
    }
}

/// A checkpoint with its signature.
#[derive(Clone, Debug, PartialEq)]
pub struct SignedCheckpoint {
    /// The tree size.
    pub size: u64,
    /// The tree's root hash.
    pub root: Hash,
    /// The signed note, as served and saved.
    pub note: String,
}

/// Checks checkpoints against a pinned public key.
pub struct LogVerifier {
    verifier_key: String,
    origin: String,
}

impl LogVerifier {
    /// From a public key `<origin>+<key id>+<base64>` (a `.pub` file's text).
    pub fn parse(verifier_key: &str) -> Result<LogVerifier, LogError> {
        let verifier_key = verifier_key.trim();
        let verifier = StandardVerifier::new(verifier_key).map_err(|e| {
            LogError::Key(format!("not a log public key (<origin>+<id>+<key>): {e}"))
        })?;
        Ok(LogVerifier {
            origin: verifier.name().to_string(),
            verifier_key: verifier_key.to_string(),
        })
    }

    /// The log's name.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The checkpoint in `note`, if it is signed by this key for this log.
    pub fn open(&self, note: &str) -> Result<SignedCheckpoint, LogError> {
        let verifier =
            StandardVerifier::new(&self.verifier_key).map_err(|e| LogError::Key(e.to_string()))?;
        let parsed = Note::from_bytes(note.as_bytes())
            .map_err(|e| LogError::Key(format!("not a signed note: {e}")))?;
        parsed
            .verify(&VerifierList::new(vec![Box::new(verifier)]))
            .map_err(|e| {
                LogError::Key(format!(
                    "its signature does not verify against the log key {}: {e}",
                    self.origin
                ))
            })?;
        let checkpoint = Checkpoint::from_bytes(parsed.text())
            .map_err(|_| LogError::Key("its text is not a checkpoint".into()))?;
        if checkpoint.origin() != self.origin {
            return Err(LogError::Key(format!(
                "it is a checkpoint of {:?}, not of {:?}",
                checkpoint.origin(),
                self.origin
            )));
        }
        Ok(SignedCheckpoint {
            size: checkpoint.size(),
            root: *checkpoint.hash(),
            note: note.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_verifies_with_its_key_only() {
        let (secret, key) = LogKey::generate("qgrade.test/log").unwrap();
        assert!(secret.starts_with("PRIVATE+KEY+qgrade.test/log+"));
        assert_eq!(
            LogKey::parse(&secret).unwrap().verifier_key(),
            key.verifier_key()
        );
        let root = Hash([7; 32]);
        let signed = key.sign(42, root);
        assert!(
            signed.note.starts_with("qgrade.test/log\n42\n"),
            "{}",
            signed.note
        );
        assert!(
            signed.note.contains("\n\n— qgrade.test/log "),
            "{}",
            signed.note
        );
        let verifier = LogVerifier::parse(key.verifier_key()).unwrap();
        assert_eq!(verifier.open(&signed.note).unwrap(), signed);

        let (_, other) = LogKey::generate("qgrade.test/log").unwrap();
        assert!(
            LogVerifier::parse(other.verifier_key())
                .unwrap()
                .open(&signed.note)
                .is_err()
        );
        let altered = signed.note.replacen("\n42\n", "\n43\n", 1);
        assert!(verifier.open(&altered).is_err());
    }
}
