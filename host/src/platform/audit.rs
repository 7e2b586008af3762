//! `qgrade audit verify`: the database against its own transparency log, and the log
//! against a checkpoint saved earlier.
//!
//! The log walk (`registry/log/verify.rs`) finds truncation, rewriting and reordering.
//! This adds what only the platform knows: every certificate row must say exactly what
//! its issue leaf says, a row's status must agree with the log's revocations (a
//! certificate revoked in the log and shown as valid is found, whatever the row says),
//! and no row may be missing from the log or the log's certificates from the table. The
//! rows are read in pages in log order beside the walk, so memory stays bounded (only
//! the revocations still ahead of the walk are held). Every spot check's row must name a
//! spot-check leaf of its certificate, with its number and finding, and every spot-check
//! leaf must have its row.

use std::collections::HashMap;

use serde_json::Value;
use sqlx::Row;

use super::{
    Certificate, PlatformError,
    certificates::rows::{from_row_for_audit, select_certificates_after},
    spot_checks,
};
use crate::registry::{
    Registry,
    log::{LogReport, LogVerifier, SignedCheckpoint},
};

/// Rows read per query.
const PAGE: i64 = 500;

/// What an audit found.
#[derive(Clone, Debug, PartialEq)]
pub struct Audit {
    /// The log as walked (entries, root, and what is wrong with the log itself).
    pub log: LogReport,
    /// Every finding, the log's and the rows', as sentences naming the entry.
    pub findings: Vec<String>,
}

/// Audit `registry`: its log against `checkpoint` (if given) and against the earlier
/// checkpoints that `verifier` accepts, and its certificate rows against the log.
pub async fn verify(
    registry: &Registry,
    checkpoint: Option<SignedCheckpoint>,
    verifier: Option<&LogVerifier>,
) -> Result<Audit, PlatformError> {
    let earlier = match verifier {
        None => Vec::new(),
        Some(v) => registry
            .stored_checkpoints()
            .await?
            .iter()
            .filter_map(|note| v.open(note).ok())
            .collect(),
    };
    let mut walk = registry.walk_log(checkpoint, earlier);
    let mut rows = Rows::new(registry);
    let mut findings = Vec::new();
    // Revocations the rows point to and the walk has not reached: leaf index → number.
    let mut expected: HashMap<u64, (String, Value)> = HashMap::new();
    // Spot checks by the leaf their row names (few beside certificates: held whole).
    let mut checks = spot_checks(registry).await?;
    while let Some(entry) = walk.next().await? {
        match entry.kind.as_str() {
            "certificate.issue" => {
                while let Some((c, _)) = rows.next_before(entry.index).await? {
                    findings.push(format!(
                        "certificate {} names log entry {} as its issue, but that entry is not",
                        c.number,
                        c.log_index.unwrap_or_default()
                    ));
                }
                match rows.take_at(entry.index).await? {
                    None => findings.push(format!(
                        "log entry {} issued certificate {}, which the database no longer has",
                        entry.index, entry.subject
                    )),
                    Some((c, status)) => {
                        let record = c.record();
                        let difference = if entry.subject != c.number {
                            Some(format!("its number is {} in the log", entry.subject))
                        } else if entry.at != c.issued_at {
                            Some(format!(
                                "issued_at is {:?} in the database but {:?} in the log",
                                c.issued_at, entry.at
                            ))
                        } else {
                            differs(&record, &entry.body)
                        };
                        if let Some(difference) = difference {
                            findings.push(format!(
                                "certificate {} disagrees with its log entry {}: {difference}",
                                c.number, entry.index
                            ));
                        }
                        match (&c.revocation, c.revocation_log_index, status.as_str()) {
                            (None, None, "valid") => {}
                            (Some(r), Some(at), "revoked") => {
                                expected.insert(at, (c.number.clone(), r.record(&c.number)));
                            }
                            _ => findings.push(format!(
                                "certificate {}'s status ({status}) disagrees with its revocation fields",
                                c.number
                            )),
                        }
                    }
                }
            }
            "certificate.revoke" => match expected.remove(&entry.index) {
                Some((number, body)) if number == entry.subject => {
                    if let Some(difference) = differs(&body, &entry.body) {
                        findings.push(format!(
                            "certificate {number}'s revocation disagrees with log entry {}: {difference}",
                            entry.index
                        ));
                    }
                }
                Some((number, _)) => findings.push(format!(
                    "certificate {number} names log entry {} as its revocation, but that entry revokes {}",
                    entry.index, entry.subject
                )),
                None => findings.push(format!(
                    "certificate {} is shown as {}, but log entry {} revoked it",
                    entry.subject,
                    shown(registry, &entry.subject).await?,
                    entry.index
                )),
            },
            spot_checks::KIND => match checks.remove(&entry.index) {
                Some((id, number, finding))
                    if number == entry.subject
                        && entry.body["id"] == id
                        && entry.body["finding"] == finding.as_str() => {}
                Some((id, number, finding)) => findings.push(format!(
                    "spot check {id} ({number}, {finding}) disagrees with its log entry {} ({}, spot check {}, {})",
                    entry.index, entry.subject, entry.body["id"], entry.body["finding"]
                )),
                None => findings.push(format!(
                    "log entry {} records a spot check of {} that the database no longer has",
                    entry.index, entry.subject
                )),
            },
            _ => {}
        }
    }
    let log = walk.finish().await?;
    while let Some((c, _)) = rows.next_before(u64::MAX).await? {
        findings.push(format!(
            "certificate {} names log entry {}, past the end of the log",
            c.number,
            c.log_index.unwrap_or_default()
        ));
    }
    for (index, (number, _)) in expected {
        findings.push(format!(
            "certificate {number} names log entry {index} as its revocation, but there is no such revocation"
        ));
    }
    for (index, (id, number, _)) in checks {
        findings.push(format!(
            "spot check {id} of {number} names log entry {index}, which is not a spot check"
        ));
    }
    for number in unlogged(registry).await? {
        findings.push(format!("certificate {number} is not in the log at all"));
    }
    let mut all: Vec<String> = log.findings.iter().map(ToString::to_string).collect();
    all.extend(findings);
    Ok(Audit { log, findings: all })
}

/// The first field where two records differ, as a sentence.
fn differs(database: &Value, log: &Value) -> Option<String> {
    if database == log {
        return None;
    }
    let (Some(a), Some(b)) = (database.as_object(), log.as_object()) else {
        return Some("the record is not an object".into());
    };
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter().find(|k| a.get(*k) != b.get(*k)).map(|k| {
        let short = |v: Option<&Value>| {
            let text = v.map_or("nothing".to_string(), Value::to_string);
            if text.chars().count() > 60 {
                format!("{}…", text.chars().take(60).collect::<String>())
            } else {
                text
            }
        };
        format!(
            "{k} is {} in the database but {} in the log",
            short(a.get(k)),
            short(b.get(k))
        )
    })
}

/// How a certificate row shows, for a finding.
async fn shown(registry: &Registry, number: &str) -> Result<String, PlatformError> {
    let row = sqlx::query("SELECT status FROM certificates WHERE number = $1")
        .bind(number)
        .fetch_optional(registry.pool())
        .await?;
    Ok(match row {
        None => "missing".into(),
        Some(r) => r.try_get::<String, _>("status")?,
    })
}

/// Every spot check's row: leaf index → (number, certificate, finding).
async fn spot_checks(
    registry: &Registry,
) -> Result<HashMap<u64, (i64, String, String)>, PlatformError> {
    let rows = sqlx::query("SELECT seq, certificate, finding, log_index FROM spot_checks")
        .fetch_all(registry.pool())
        .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get::<i64, _>("log_index")? as u64,
                (
                    r.try_get("seq")?,
                    r.try_get("certificate")?,
                    r.try_get("finding")?,
                ),
            ))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(PlatformError::from)
}

/// Certificates with no issue leaf.
async fn unlogged(registry: &Registry) -> Result<Vec<String>, PlatformError> {
    let rows = sqlx::query(
        "SELECT number FROM certificates WHERE log_index IS NULL ORDER BY seq LIMIT 1000",
    )
    .fetch_all(registry.pool())
    .await?;
    rows.iter()
        .map(|r| r.try_get("number"))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(PlatformError::from)
}

/// Certificate rows in log order, read in pages.
struct Rows<'a> {
    registry: &'a Registry,
    page: std::collections::VecDeque<(Certificate, String)>,
    after: i64,
    done: bool,
}

impl<'a> Rows<'a> {
    fn new(registry: &'a Registry) -> Self {
        Rows {
            registry,
            page: Default::default(),
            after: -1,
            done: false,
        }
    }

    async fn peek(&mut self) -> Result<Option<u64>, PlatformError> {
        if self.page.is_empty() && !self.done {
            let rows = sqlx::query(select_certificates_after())
                .bind(self.after)
                .bind(PAGE)
                .fetch_all(self.registry.pool())
                .await?;
            self.done = (rows.len() as i64) < PAGE;
            for row in &rows {
                let c = from_row_for_audit(row)?;
                self.after = c.log_index.map_or(self.after, |i| i as i64);
                self.page.push_back((c, row.try_get("status")?));
            }
        }
        Ok(self.page.front().and_then(|(c, _)| c.log_index))
    }

    /// The next row if it names an entry before `index`.
    async fn next_before(
        &mut self,
        index: u64,
    ) -> Result<Option<(Certificate, String)>, PlatformError> {
        Ok(match self.peek().await? {
            Some(at) if at < index => self.page.pop_front(),
            _ => None,
        })
    }

    /// The next row if it names entry `index`.
    async fn take_at(
        &mut self,
        index: u64,
    ) -> Result<Option<(Certificate, String)>, PlatformError> {
        Ok(match self.peek().await? {
            Some(at) if at == index => self.page.pop_front(),
            _ => None,
        })
    }
}
