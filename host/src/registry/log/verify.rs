//! Walking the stored log and recomputing its tree from the leaves alone, to compare with
//! a checkpoint saved earlier.
//!
//! Nothing stored is believed: each leaf's hashes are recomputed from its bytes and
//! compared with the stored ones, each leaf must name its own position, and the tree of
//! the checkpoint's size must have the checkpoint's root. The walk reads the log in pages
//! and keeps only the roots of the complete subtrees in memory (`log₂ n` hashes), so it
//! verifies a log of any length in constant memory.

use std::{collections::HashMap, collections::VecDeque, fmt};

use sqlx::Row;
use tlog_tiles::tlog::{self, Hash};

use super::{
    Entry, LogError, SignedCheckpoint,
    tree::{InMemory, row_hashes},
};
use crate::registry::Registry;

/// Leaves read per query.
const PAGE: i64 = 1_000;

/// Something wrong with the stored log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finding {
    /// Entries are missing at the end: the log is shorter than a checkpoint says.
    Truncated {
        /// Entries the log has.
        have: u64,
        /// Entries the checkpoint covers.
        checkpoint: u64,
    },
    /// An index has no entry: the log jumps from `index - 1` to `next`.
    Missing {
        /// The missing position.
        index: u64,
        /// The next stored position.
        next: u64,
    },
    /// An entry's bytes are not a leaf this log writes.
    Unreadable {
        /// Its position.
        index: u64,
    },
    /// An entry names another position: entries were reordered.
    Moved {
        /// Where it is stored.
        index: u64,
        /// Where it says it belongs.
        names: u64,
    },
    /// An entry's bytes do not match the hashes stored when it was written: it was
    /// rewritten afterwards.
    Rewritten {
        /// Its position.
        index: u64,
    },
    /// The log's first `size` entries do not hash to a signed checkpoint's root: they
    /// were rewritten, reordered or replaced since it was signed.
    DiffersFromCheckpoint {
        /// The checkpoint's size.
        size: u64,
        /// Whether it is the checkpoint given to the walk (else one stored earlier).
        given: bool,
    },
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::Truncated { have, checkpoint } => write!(
                f,
                "the log has {have} entries but the checkpoint covers {checkpoint}: entries {have}–{} were removed",
                checkpoint - 1
            ),
            Finding::Missing { index, next } => write!(
                f,
                "entry {index} is missing (the log jumps to entry {next})"
            ),
            Finding::Unreadable { index } => {
                write!(
                    f,
                    "entry {index} is not a log leaf (its bytes were altered)"
                )
            }
            Finding::Moved { index, names } => write!(
                f,
                "entry {index} is the leaf written as entry {names}: the log was reordered"
            ),
            Finding::Rewritten { index } => write!(
                f,
                "entry {index} does not match the hashes stored when it was written: it was rewritten"
            ),
            Finding::DiffersFromCheckpoint { size, given: true } => write!(
                f,
                "the log's first {size} entries do not hash to the checkpoint's root: they were rewritten or reordered since it was signed"
            ),
            Finding::DiffersFromCheckpoint { size, given: false } => write!(
                f,
                "the log's first {size} entries do not hash to the root of the checkpoint of that size the platform signed earlier"
            ),
        }
    }
}

/// The outcome of a walk.
#[derive(Clone, Debug, PartialEq)]
pub struct LogReport {
    /// Entries walked.
    pub entries: u64,
    /// The root of the whole log as recomputed.
    pub root: Hash,
    /// Everything found wrong, in log order.
    pub findings: Vec<Finding>,
}

/// A walk over the stored log, one entry at a time (see the module docs).
pub struct LogWalk<'a> {
    registry: &'a Registry,
    checkpoint: Option<SignedCheckpoint>,
    /// Checkpoints the platform signed earlier that verify with the log key, by size.
    signed: HashMap<u64, Hash>,
    /// Leaves read ahead, with the hashes their rows store.
    leaves: VecDeque<(u64, Vec<u8>, Vec<u8>)>,
    next_leaf_page: i64,
    /// The position the next entry must have.
    expected: u64,
    /// Roots of the complete subtrees of the tree walked so far, by stored-hash index.
    frontier: HashMap<u64, Hash>,
    findings: Vec<Finding>,
}

impl Registry {
    /// Walk the log, comparing it with `checkpoint` (opened with the log's key) and with
    /// the `earlier` checkpoints the platform signed and stored.
    pub fn walk_log(
        &self,
        checkpoint: Option<SignedCheckpoint>,
        earlier: Vec<SignedCheckpoint>,
    ) -> LogWalk<'_> {
        LogWalk {
            registry: self,
            checkpoint,
            signed: earlier.into_iter().map(|c| (c.size, c.root)).collect(),
            leaves: VecDeque::new(),
            next_leaf_page: 0,
            expected: 0,
            frontier: HashMap::new(),
            findings: Vec::new(),
        }
    }

    /// The checkpoints the platform signed, as stored (their signatures unchecked).
    pub async fn stored_checkpoints(&self) -> Result<Vec<String>, LogError> {
        let rows = sqlx::query("SELECT note FROM log_checkpoints ORDER BY size")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| r.try_get("note"))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(LogError::from)
    }
}

impl LogWalk<'_> {
    /// The next entry, checked; `None` at the end. An unreadable entry is reported as a
    /// finding and skipped.
    pub async fn next(&mut self) -> Result<Option<Entry>, LogError> {
        loop {
            if self.leaves.is_empty() && !self.fill_leaves().await? {
                return Ok(None);
            }
            let (index, leaf, stored) = self.leaves.pop_front().expect("filled");
            if index != self.expected {
                self.findings.push(Finding::Missing {
                    index: self.expected,
                    next: index,
                });
                self.expected = index;
            }
            self.hash(index, &leaf, &stored)?;
            self.expected = index + 1;
            self.compare_root(index + 1);
            match Entry::parse(&leaf) {
                None => self.findings.push(Finding::Unreadable { index }),
                Some(entry) => {
                    if entry.index != index {
                        self.findings.push(Finding::Moved {
                            index,
                            names: entry.index,
                        });
                    }
                    return Ok(Some(entry));
                }
            }
        }
    }

    /// Walk to the end (the entries themselves unread by the caller) and report.
    pub async fn finish(mut self) -> Result<LogReport, LogError> {
        while self.next().await?.is_some() {}
        let entries = self.expected;
        if let Some(c) = &self.checkpoint
            && c.size > entries
        {
            self.findings.push(Finding::Truncated {
                have: entries,
                checkpoint: c.size,
            });
        }
        let root = tlog::tree_hash(entries, &InMemory(&self.frontier))
            .map_err(|e| LogError::Corrupt(e.to_string()))?;
        Ok(LogReport {
            entries,
            root,
            findings: self.findings,
        })
    }

    /// Record leaf `index`'s hashes, computed from its bytes, and compare them with the
    /// ones its row stores.
    fn hash(&mut self, index: u64, leaf: &[u8], stored: &[u8]) -> Result<(), LogError> {
        let computed = tlog::stored_hashes(index, leaf, &InMemory(&self.frontier))
            .map_err(|e| LogError::Corrupt(format!("entry {index}: {e}")))?;
        let first = tlog::stored_hash_index(0, index);
        if row_hashes(index, stored).ok().as_deref() != Some(computed.as_slice()) {
            self.findings.push(Finding::Rewritten { index });
        }
        for (offset, hash) in computed.into_iter().enumerate() {
            self.frontier.insert(first + offset as u64, hash);
        }
        // Keep only the roots of the complete subtrees of the tree so far.
        let keep = tlog::sub_tree_index(0, index + 1, vec![]);
        self.frontier.retain(|id, _| keep.contains(id));
        Ok(())
    }

    fn compare_root(&mut self, size: u64) {
        let given = self
            .checkpoint
            .as_ref()
            .filter(|c| c.size == size)
            .map(|c| c.root);
        let earlier = self.signed.get(&size).copied();
        if given.is_none() && earlier.is_none() {
            return;
        }
        let Ok(root) = tlog::tree_hash(size, &InMemory(&self.frontier)) else {
            return;
        };
        if given.is_some_and(|r| r != root) {
            self.findings
                .push(Finding::DiffersFromCheckpoint { size, given: true });
        }
        if earlier.is_some_and(|r| r != root) {
            self.findings
                .push(Finding::DiffersFromCheckpoint { size, given: false });
        }
    }

    async fn fill_leaves(&mut self) -> Result<bool, LogError> {
        let rows = sqlx::query(
            "SELECT idx, hashes, leaf FROM log_entries WHERE idx >= $1 ORDER BY idx LIMIT $2",
        )
        .bind(self.next_leaf_page)
        .bind(PAGE)
        .fetch_all(&self.registry.pool)
        .await?;
        for row in &rows {
            let index: i64 = row.try_get("idx")?;
            self.next_leaf_page = index + 1;
            self.leaves
                .push_back((index as u64, row.try_get("leaf")?, row.try_get("hashes")?));
        }
        Ok(!rows.is_empty())
    }
}
