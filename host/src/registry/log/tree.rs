//! The log's Merkle tree in the database: appending leaves, tree heads, and proofs.
//!
//! The hashes are stored as tlog stores them: leaf `n` adds its record hash and the hash
//! of every subtree it completes, at consecutive stored-hash indexes, so a tree head or a
//! proof for any size needs at most `2 log₂ n` stored hashes and never a pass over the
//! leaves. `tlog_tiles` asks for the hashes it needs through a synchronous reader; the
//! indexes it asks for depend only on the sizes involved, so each computation first runs
//! against a reader that records the indexes, then they are fetched in one query, then
//! it runs again on the fetched hashes.

use std::{cell::RefCell, collections::HashMap, fmt::Write as _};

use sqlx::Row;
use tlog_tiles::tlog::{self, Hash, HashReader};

use super::{Event, LogError, LogKey, SignedCheckpoint};
use crate::{clock::now, registry::Registry};

/// Append `events` inside the caller's write transaction (which holds the registry's
/// write lock, so the size read here is the size written to); their leaf indexes.
pub async fn append(tx: &mut sqlx::AnyConnection, events: &[Event]) -> Result<Vec<u64>, LogError> {
    let size = size(&mut *tx).await?;
    // The roots of the complete subtrees of the current tree: every hash a new leaf can
    // need is one of them or one computed here.
    let mut known = fetch(&mut *tx, &tlog::sub_tree_index(0, size, vec![])).await?;
    let mut indexes = Vec::with_capacity(events.len());
    for (i, event) in events.iter().enumerate() {
        let n = size + i as u64;
        let leaf = event.encode(n);
        let hashes = tlog::stored_hashes(n, &leaf, &InMemory(&known))
            .map_err(|e| LogError::Corrupt(format!("appending leaf {n}: {e}")))?;
        sqlx::query("INSERT INTO log_entries (idx, kind, subject, leaf) VALUES ($1, $2, $3, $4)")
            .bind(n as i64)
            .bind(event.kind)
            .bind(&event.subject)
            .bind(leaf)
            .execute(&mut *tx)
            .await?;
        let first = tlog::stored_hash_index(0, n);
        for (offset, hash) in hashes.into_iter().enumerate() {
            let id = first + offset as u64;
            sqlx::query("INSERT INTO log_hashes (id, hash) VALUES ($1, $2)")
                .bind(id as i64)
                .bind(hash.0.to_vec())
                .execute(&mut *tx)
                .await?;
            known.insert(id, hash);
        }
        indexes.push(n);
    }
    Ok(indexes)
}

/// Append one event, dated now, inside the caller's write transaction; its leaf index.
pub async fn record(
    tx: &mut sqlx::AnyConnection,
    kind: &'static str,
    actor: &str,
    subject: &str,
    body: serde_json::Value,
) -> Result<u64, LogError> {
    let event = Event {
        kind,
        actor: actor.into(),
        subject: subject.into(),
        at: now(),
        body,
    };
    Ok(append(tx, std::slice::from_ref(&event)).await?[0])
}

/// Leaves in the log.
async fn size(conn: &mut sqlx::AnyConnection) -> Result<u64, LogError> {
    let row = sqlx::query("SELECT MAX(idx) AS last FROM log_entries")
        .fetch_one(&mut *conn)
        .await?;
    Ok(row
        .try_get::<Option<i64>, _>("last")?
        .map_or(0, |last| last as u64 + 1))
}

/// The stored hashes at `ids`.
async fn fetch(
    conn: &mut sqlx::AnyConnection,
    ids: &[u64],
) -> Result<HashMap<u64, Hash>, LogError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut list = String::new();
    for (i, id) in ids.iter().enumerate() {
        let _ = write!(list, "{}{id}", if i > 0 { "," } else { "" });
    }
    // Only integers computed here are spliced into the statement.
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT id, hash FROM log_hashes WHERE id IN ({list})"
    )))
    .fetch_all(&mut *conn)
    .await?;
    let mut out = HashMap::with_capacity(rows.len());
    for row in rows {
        let id: i64 = row.try_get("id")?;
        let bytes: Vec<u8> = row.try_get("hash")?;
        let hash = bytes
            .try_into()
            .map_err(|_| LogError::Corrupt(format!("stored hash {id} is not 32 bytes")))?;
        out.insert(id as u64, Hash(hash));
    }
    Ok(out)
}

/// A reader over hashes already in memory.
pub(super) struct InMemory<'a>(pub &'a HashMap<u64, Hash>);

impl HashReader for InMemory<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog::Error> {
        indexes
            .iter()
            .map(|i| self.0.get(i).copied().ok_or(tlog::Error::IndexesNotInTree))
            .collect()
    }
}

/// A reader that notes which hashes a computation needs and answers with placeholders.
#[derive(Default)]
struct Wanted(RefCell<Vec<u64>>);

impl HashReader for Wanted {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog::Error> {
        self.0.borrow_mut().extend_from_slice(indexes);
        Ok(vec![Hash([0; 32]); indexes.len()])
    }
}

impl Registry {
    /// Run `compute` on the stored hashes it needs, read in one query.
    async fn with_hashes<T>(
        &self,
        compute: impl Fn(&dyn Reader) -> Result<T, tlog::Error>,
    ) -> Result<T, LogError> {
        let wanted = Wanted::default();
        compute(&wanted).map_err(|e| LogError::OutOfRange(e.to_string()))?;
        let ids = wanted.0.into_inner();
        let mut conn = self.pool.acquire().await?;
        let known = fetch(&mut conn, &ids).await?;
        compute(&InMemory(&known)).map_err(|e| LogError::Corrupt(e.to_string()))
    }

    /// Leaves in the log.
    pub async fn log_size(&self) -> Result<u64, LogError> {
        size(&mut *self.pool.acquire().await?).await
    }

    /// The root hash of the log's first `size` leaves.
    pub async fn tree_head(&self, size: u64) -> Result<Hash, LogError> {
        self.within(size).await?;
        self.with_hashes(|r| tlog::tree_hash(size, &r)).await
    }

    /// The RFC 6962 inclusion proof of leaf `index` in the tree of `size` leaves.
    pub async fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, LogError> {
        self.within(size).await?;
        if index >= size {
            return Err(LogError::OutOfRange(format!(
                "leaf {index} is not in a tree of {size} leaves"
            )));
        }
        self.with_hashes(|r| tlog::prove_record(size, index, &r))
            .await
    }

    /// The RFC 6962 consistency proof from the tree of `from` leaves to the tree of `to`.
    pub async fn consistency_proof(&self, from: u64, to: u64) -> Result<Vec<Hash>, LogError> {
        self.within(to).await?;
        if from == 0 || from > to {
            return Err(LogError::OutOfRange(format!(
                "there is no consistency proof from {from} to {to} leaves (1 ≤ from ≤ to)"
            )));
        }
        self.with_hashes(|r| tlog::prove_tree(to, from, &r)).await
    }

    /// The leaves `start..end`, with their indexes.
    pub async fn log_entries(&self, start: u64, end: u64) -> Result<Vec<(u64, Vec<u8>)>, LogError> {
        let rows = sqlx::query(
            "SELECT idx, leaf FROM log_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx",
        )
        .bind(start as i64)
        .bind(end as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get::<i64, _>("idx")? as u64, r.try_get("leaf")?)))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(LogError::from)
    }

    /// A checkpoint of the whole log signed with `key`: the stored one when the log has
    /// not grown since, else a new one (stored, so the database keeps their history).
    pub async fn sign_checkpoint(&self, key: &LogKey) -> Result<SignedCheckpoint, LogError> {
        let size = self.log_size().await?;
        let stored = sqlx::query("SELECT note FROM log_checkpoints WHERE size = $1")
            .bind(size as i64)
            .fetch_optional(&self.pool)
            .await?;
        if let Some(row) = stored {
            let note: String = row.try_get("note")?;
            if let Ok(checkpoint) = super::LogVerifier::parse(key.verifier_key())?.open(&note) {
                return Ok(checkpoint);
            }
        }
        let root = self.tree_head(size).await?;
        let checkpoint = key.sign(size, root);
        sqlx::query(
            "INSERT INTO log_checkpoints (size, note, signed_at) VALUES ($1, $2, $3) ON CONFLICT (size) DO NOTHING",
        )
        .bind(size as i64)
        .bind(&checkpoint.note)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(checkpoint)
    }

    /// Tie the log to `key`: the first key a database's log is signed with is the only
    /// one it is ever signed with (a new key would make every saved checkpoint
    /// unverifiable).
    pub async fn bind_log_key(&self, key: &LogKey) -> Result<(), LogError> {
        let mut tx = self.write().await?;
        let bound = sqlx::query("SELECT origin, verifier_key FROM log_identity")
            .fetch_optional(&mut *tx)
            .await?;
        match bound {
            Some(row) => {
                let verifier_key: String = row.try_get("verifier_key")?;
                if verifier_key != key.verifier_key() {
                    return Err(LogError::Key(format!(
                        "this database's log is signed with {verifier_key}, not with the given log key {}: use the log's own key",
                        key.verifier_key()
                    )));
                }
            }
            None => {
                sqlx::query("INSERT INTO log_identity (origin, verifier_key) VALUES ($1, $2)")
                    .bind(key.origin())
                    .bind(key.verifier_key())
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// The public key the log is signed with, once one is bound.
    pub async fn log_verifier_key(&self) -> Result<Option<String>, LogError> {
        let row = sqlx::query("SELECT verifier_key FROM log_identity")
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("verifier_key")).transpose()?)
    }

    async fn within(&self, size: u64) -> Result<(), LogError> {
        let have = self.log_size().await?;
        if size > have {
            return Err(LogError::OutOfRange(format!(
                "the log has {have} leaves, not {size}"
            )));
        }
        Ok(())
    }
}

/// What `with_hashes` hands a computation.
trait Reader: HashReader {}
impl<T: HashReader> Reader for T {}

impl HashReader for &dyn Reader {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog::Error> {
        (**self).read_hashes(indexes)
    }
}

/// Whether `proof` shows `leaf` at `index` in the tree of `size` leaves with root `root`.
pub fn check_inclusion(
    proof: &[Hash],
    size: u64,
    root: Hash,
    index: u64,
    leaf: &[u8],
) -> Result<(), String> {
    tlog::check_record(&proof.to_vec(), size, root, index, tlog::record_hash(leaf))
        .map_err(|e| e.to_string())
}

/// Whether `proof` shows that the tree of `to` leaves (root `to_root`) extends the tree of
/// `from` leaves (root `from_root`).
pub fn check_consistency(
    proof: &[Hash],
    from: u64,
    from_root: Hash,
    to: u64,
    to_root: Hash,
) -> Result<(), String> {
    tlog::check_tree(&proof.to_vec(), to, to_root, from, from_root).map_err(|e| e.to_string())
}
