//! The audit chain: every catalog revision and every publish (and, later, every grading
//! and revocation) appended as an entry that carries the SHA-256 of the one before, so
//! that changing or deleting any entry breaks every hash after it.

use sha2::{Digest, Sha256};
use sqlx::Row;

use super::{Registry, RegistryError};

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One entry of the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Its position, from 1.
    pub seq: i64,
    /// When (UTC, RFC 3339).
    pub at: String,
    /// Who.
    pub actor: String,
    /// What kind of act (`catalog.revision`, `module.publish`).
    pub action: String,
    /// What it acted on (`revision 2`, `down-jacket 1.1.0`).
    pub subject: String,
    /// Details as JSON (digests, dates).
    pub detail: String,
    /// The previous entry's hash.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

impl Entry {
    /// The hash this entry must carry.
    pub fn expected_hash(&self) -> String {
        let mut h = Sha256::new();
        for field in [
            self.prev_hash.as_str(),
            &self.seq.to_string(),
            &self.at,
            &self.actor,
            &self.action,
            &self.subject,
            &self.detail,
        ] {
            // Length-prefixed, so no two different entries hash the same bytes.
            h.update((field.len() as u64).to_be_bytes());
            h.update(field.as_bytes());
        }
        hex::encode(h.finalize())
    }
}

/// The result of checking the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every entry links to the one before and hashes right.
    Intact {
        /// Entries checked.
        entries: usize,
    },
    /// The first entry that does not.
    Broken {
        /// Its position.
        seq: i64,
        /// What is wrong with it.
        reason: String,
    },
}

/// Now, UTC, RFC 3339 to the second.
pub fn now() -> String {
    timestamp_in(std::time::Duration::ZERO)
}

/// `after` from now, UTC, RFC 3339 to the second.
pub fn timestamp_in(after: std::time::Duration) -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
        + after.as_secs();
    let date = crate::grading::date_of_unix_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{date}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Append an entry inside the caller's write transaction.
pub async fn append(
    tx: &mut sqlx::AnyConnection,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
) -> Result<Entry, sqlx::Error> {
    let last = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut *tx)
        .await?;
    let (seq, prev_hash) = match last {
        Some(row) => (
            row.try_get::<i64, _>("seq")? + 1,
            row.try_get::<String, _>("hash")?,
        ),
        None => (1, GENESIS.to_string()),
    };
    let mut entry = Entry {
        seq,
        at: now(),
        actor: actor.into(),
        action: action.into(),
        subject: subject.into(),
        detail: detail.into(),
        prev_hash,
        hash: String::new(),
    };
    entry.hash = entry.expected_hash();
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(entry.seq)
    .bind(&entry.at)
    .bind(&entry.actor)
    .bind(&entry.action)
    .bind(&entry.subject)
    .bind(&entry.detail)
    .bind(&entry.prev_hash)
    .bind(&entry.hash)
    .execute(&mut *tx)
    .await?;
    Ok(entry)
}

impl Registry {
    /// Every entry, in order.
    pub async fn audit_entries(&self) -> Result<Vec<Entry>, RegistryError> {
        let rows = sqlx::query(
            "SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit_log ORDER BY seq",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Entry {
                    seq: r.try_get("seq")?,
                    at: r.try_get("at")?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    subject: r.try_get("subject")?,
                    detail: r.try_get("detail")?,
                    prev_hash: r.try_get("prev_hash")?,
                    hash: r.try_get("hash")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(RegistryError::from)
    }

    /// Check the whole chain and name the first broken entry.
    pub async fn verify_audit(&self) -> Result<Verdict, RegistryError> {
        Ok(verify(&self.audit_entries().await?))
    }
}

/// Check a chain of entries.
pub fn verify(entries: &[Entry]) -> Verdict {
    let mut prev = GENESIS.to_string();
    for (i, entry) in entries.iter().enumerate() {
        let broken = |reason: String| Verdict::Broken {
            seq: entry.seq,
            reason,
        };
        if entry.seq != i as i64 + 1 {
            return broken(format!(
                "expected entry {}, found {} (an entry is missing)",
                i + 1,
                entry.seq
            ));
        }
        if entry.prev_hash != prev {
            return broken("does not link to the entry before it".into());
        }
        if entry.hash != entry.expected_hash() {
            return broken("its contents do not match its hash (it was altered)".into());
        }
        prev = entry.hash.clone();
    }
    Verdict::Intact {
        entries: entries.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<Entry> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let mut e = Entry {
                    seq,
                    at: "2026-11-27T00:00:00Z".into(),
                    actor: "admin".into(),
                    action: "module.publish".into(),
                    subject: format!("m {seq}"),
                    detail: "{}".into(),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                e.hash = e.expected_hash();
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    #[test]
    fn names_the_first_broken_entry() {
        assert_eq!(verify(&chain(4)), Verdict::Intact { entries: 4 });
        let mut c = chain(4);
        c[2].subject = "m 99".into();
        assert!(matches!(verify(&c), Verdict::Broken { seq: 3, .. }));
        let mut c = chain(4);
        c.remove(1);
        assert!(matches!(verify(&c), Verdict::Broken { seq: 3, .. }));
        let mut c = chain(4);
        c[3].hash = c[3].expected_hash().replace('a', "b");
        c[3].prev_hash = GENESIS.into();
        assert!(matches!(verify(&c), Verdict::Broken { seq: 4, .. }));
    }
}
