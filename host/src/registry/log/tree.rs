//! The log's Merkle tree in the database: appending leaves, tree heads, and proofs.
//!
//! The hashes are the ones tlog stores: leaf `n` adds its record hash and the hash of
//! every subtree it completes, so a tree head or a proof for any size needs at most
//! `2 log₂ n` stored hashes and never a pass over the leaves. They are kept in the row of
//! the leaf that added them (`hashes`, 32 bytes a level), so that appending a leaf is one
//! row of one table. `tlog_tiles` asks for the hashes it needs through a synchronous reader; the
//! indexes it asks for depend only on the sizes involved, so each computation first runs
//! against a reader that records the indexes, then they are fetched in one query, then
//! it runs again on the fetched hashes.

use std::{cell::RefCell, collections::HashMap, fmt::Write as _};

use sqlx::Row;
use tlog_tiles::tlog::{self, Hash, HashReader};

use super::{Event, LogError, LogKey, SignedCheckpoint};
use crate::{
    clock::now,
    registry::{Registry, placeholders},
};

/// Append `events` inside the caller's write transaction (which holds the registry's
/// write lock, so the size read here is the size written to); their leaf indexes. The
/// leaves and their hashes are written with one statement each, however many there are.
pub async fn append(tx: &mut sqlx::AnyConnection, events: &[Event]) -> Result<Vec<u64>, LogError> {
    let size = size(&mut *tx).await?;
    append_at(tx, events, size, &mut Frontier::default()).await
}

/// The roots of the complete subtrees of the log as a writer last left it: every hash a
/// new leaf can need. A writer that appends often (the certificate issuer) keeps one so
/// that a group costs no read of the hashes; it is used only while the log still has the
/// size it had, so a write by another process is never missed.
#[derive(Debug, Default)]
pub struct Frontier {
    size: Option<u64>,
    hashes: HashMap<u64, Hash>,
}

/// [`append`] for a caller that read the log's `size` inside this transaction, reusing
/// `frontier` when it is current.
pub async fn append_at(
    tx: &mut sqlx::AnyConnection,
    events: &[Event],
    size: u64,
    frontier: &mut Frontier,
) -> Result<Vec<u64>, LogError> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    if frontier.size != Some(size) {
        frontier.hashes = fetch(&mut *tx, &tlog::sub_tree_index(0, size, vec![])).await?;
    }
    // Whatever happens below, the frontier is only trusted again once rebuilt.
    frontier.size = None;
    let known = &mut frontier.hashes;
    let mut leaves = Vec::with_capacity(events.len());
    for (i, event) in events.iter().enumerate() {
        let n = size + i as u64;
        let leaf = event.encode(n);
        let stored = tlog::stored_hashes(n, &leaf, &InMemory(known))
            .map_err(|e| LogError::Corrupt(format!("appending leaf {n}: {e}")))?;
        let first = tlog::stored_hash_index(0, n);
        let mut hashes = Vec::with_capacity(stored.len() * 32);
        for (offset, hash) in stored.into_iter().enumerate() {
            known.insert(first + offset as u64, hash);
            hashes.extend_from_slice(&hash.0);
        }
        leaves.push((n, event, hashes, leaf));
    }
    // Within SQLite's and PostgreSQL's limits on a statement's parameters.
    for chunk in leaves.chunks(1_000) {
        let sql = format!(
            "INSERT INTO log_entries (idx, kind, subject, hashes, leaf) VALUES {}",
            placeholders(&*tx, chunk.len(), 5)
        );
        let mut insert = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (n, event, hashes, leaf) in chunk {
            insert = insert
                .bind(*n as i64)
                .bind(event.kind)
                .bind(&event.subject)
                .bind(hashes.as_slice())
                .bind(leaf.as_slice());
        }
        insert.execute(&mut *tx).await?;
    }
    let end = size + leaves.len() as u64;
    let keep = tlog::sub_tree_index(0, end, vec![]);
    known.retain(|id, _| keep.contains(id));
    frontier.size = Some(end);
    Ok(leaves.iter().map(|(n, ..)| *n).collect())
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
        body: body.into(),
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

/// Where the stored hash `id` is kept: in the row of the leaf that completed its subtree
/// (node (L, k) is completed by leaf (k + 1)·2ᴸ − 1), at position L of its `hashes`.
pub(super) fn stored_at(id: u64) -> (u64, usize) {
    let (level, k) = tlog::split_stored_hash_index(id);
    (((k + 1) << level) - 1, usize::from(level))
}

/// The hashes leaf `index` stored, from its row's `hashes` column.
pub(super) fn row_hashes(index: u64, bytes: &[u8]) -> Result<Vec<Hash>, LogError> {
    if !bytes.len().is_multiple_of(32) {
        return Err(LogError::Corrupt(format!(
            "leaf {index}'s stored hashes are not whole hashes"
        )));
    }
    Ok(bytes
        .chunks_exact(32)
        .map(|h| Hash(h.try_into().expect("32 bytes")))
        .collect())
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
        let _ = write!(list, "{}{}", if i > 0 { "," } else { "" }, stored_at(*id).0);
    }
    // Only integers computed here are spliced into the statement.
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT idx, hashes FROM log_entries WHERE idx IN ({list})"
    )))
    .fetch_all(&mut *conn)
    .await?;
    let mut by_row = HashMap::with_capacity(rows.len());
    for row in rows {
        let index = row.try_get::<i64, _>("idx")? as u64;
        let bytes: Vec<u8> = row.try_get("hashes")?;
        by_row.insert(index, row_hashes(index, &bytes)?);
    }
    let mut out = HashMap::with_capacity(ids.len());
    for &id in ids {
        let (row, level) = stored_at(id);
        if let Some(hash) = by_row.get(&row).and_then(|h| h.get(level)) {
            out.insert(id, *hash);
        }
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

#[cfg(test)]
mod tests {
    //! The published RFC 6962 test vectors (the leaves, roots and proofs of the
    //! certificate-transparency and transparency-dev/merkle test suites), through the
    //! same functions the log appends and proves with.

    use super::*;

    const LEAVES: [&str; 8] = [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ];

    const ROOTS: [&str; 8] = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    fn h(text: &str) -> Hash {
        Hash(hex::decode(text).unwrap().try_into().unwrap())
    }

    /// The stored hashes of a log of the eight vector leaves, as `append` stores them.
    fn stored() -> HashMap<u64, Hash> {
        let mut known = HashMap::new();
        for (n, leaf) in LEAVES.iter().enumerate() {
            let n = n as u64;
            let hashes =
                tlog::stored_hashes(n, &hex::decode(leaf).unwrap(), &InMemory(&known)).unwrap();
            for (offset, hash) in hashes.into_iter().enumerate() {
                known.insert(tlog::stored_hash_index(0, n) + offset as u64, hash);
            }
        }
        known
    }

    #[test]
    fn each_stored_hash_lives_in_the_row_of_the_leaf_that_added_it() {
        let mut known = HashMap::new();
        for n in 0..64u64 {
            let stored = tlog::stored_hashes(n, &n.to_be_bytes(), &InMemory(&known)).unwrap();
            for (level, hash) in stored.into_iter().enumerate() {
                let id = tlog::stored_hash_index(0, n) + level as u64;
                assert_eq!(stored_at(id), (n, level), "stored hash {id}");
                known.insert(id, hash);
            }
        }
    }

    #[test]
    fn tree_heads_match_the_published_roots() {
        let known = stored();
        assert_eq!(
            tlog::tree_hash(0, &InMemory(&known)).unwrap(),
            h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        );
        for (size, root) in ROOTS.iter().enumerate() {
            let size = size as u64 + 1;
            assert_eq!(
                tlog::tree_hash(size, &InMemory(&known)).unwrap(),
                h(root),
                "size {size}"
            );
        }
    }

    #[test]
    fn inclusion_proofs_match_the_published_paths() {
        let known = stored();
        // (leaf index, tree size, audit path) from the published vectors.
        let vectors: [(u64, u64, &[&str]); 4] = [
            (
                0,
                8,
                &[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                5,
                8,
                &[
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
            (
                2,
                3,
                &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
            ),
            (
                1,
                5,
                &[
                    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ],
            ),
        ];
        for (index, size, path) in vectors {
            let proof = tlog::prove_record(size, index, &InMemory(&known)).unwrap();
            let expected: Vec<Hash> = path.iter().map(|p| h(p)).collect();
            assert_eq!(proof, expected, "leaf {index} of {size}");
            let leaf = hex::decode(LEAVES[index as usize]).unwrap();
            let root = h(ROOTS[size as usize - 1]);
            check_inclusion(&proof, size, root, index, &leaf).unwrap();
            // A wrong leaf, index, size or proof is refused.
            assert!(check_inclusion(&proof, size, root, index, b"WrongLeaf").is_err());
            assert!(check_inclusion(&proof, size, root, (index + 1) % size, &leaf).is_err());
            assert!(check_inclusion(&proof[1..], size, root, index, &leaf).is_err());
            let mut flipped = proof.clone();
            flipped[0].0[0] ^= 8;
            assert!(check_inclusion(&flipped, size, root, index, &leaf).is_err());
        }
    }

    #[test]
    fn consistency_proofs_match_the_published_proofs() {
        let known = stored();
        let vectors: [(u64, u64, &[&str]); 4] = [
            (
                1,
                8,
                &[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                6,
                8,
                &[
                    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
            (
                2,
                5,
                &[
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ],
            ),
            (
                6,
                7,
                &[
                    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
        ];
        for (from, to, path) in vectors {
            let proof = tlog::prove_tree(to, from, &InMemory(&known)).unwrap();
            let expected: Vec<Hash> = path.iter().map(|p| h(p)).collect();
            assert_eq!(proof, expected, "{from} → {to}");
            let (old, new) = (h(ROOTS[from as usize - 1]), h(ROOTS[to as usize - 1]));
            check_consistency(&proof, from, old, to, new).unwrap();
            assert!(
                check_consistency(&proof, from, new, to, old).is_err(),
                "swapped roots"
            );
            assert!(check_consistency(&proof[..proof.len() - 1], from, old, to, new).is_err());
        }
    }
}
