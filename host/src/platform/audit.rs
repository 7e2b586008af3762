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
//! leaf must have its row. The barcode index (`certificate_gtins`, what a scan reads) must
//! list exactly the GTINs each issue leaf covers: a missing row would hide a certificate from
//! a scan, an extra one would lend a barcode a grade.

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
    let mut barcodes = Barcodes::default();
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
                        barcodes
                            .expect(registry, &entry.subject, &entry.body, &mut findings)
                            .await?;
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
    barcodes.finish(registry, &mut findings).await?;
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

/// The barcode index held to the leaves: the GTINs each issue leaf covers are looked up by
/// the index's key a few hundred at a time, and the index may hold no other row. Only when
/// it holds more rows than the leaves name is it read whole, to name them.
#[derive(Default)]
struct Barcodes {
    /// (GTIN, certificate, product) named by leaves and not yet looked up.
    pending: Vec<(String, String, String)>,
    /// How many the leaves named in all.
    named: i64,
}

impl Barcodes {
    /// Pairs looked up per query (two parameters each).
    const CHUNK: usize = 300;

    /// Certificate `number`'s issue leaf (its `body`) names its GTINs, if any.
    async fn expect(
        &mut self,
        registry: &Registry,
        number: &str,
        body: &Value,
        findings: &mut Vec<String>,
    ) -> Result<(), PlatformError> {
        let product = body["product"].as_str().unwrap_or_default();
        for gtin in body["gtin"].as_array().into_iter().flatten() {
            let gtin = gtin.as_str().unwrap_or_default();
            self.pending
                .push((gtin.to_string(), number.to_string(), product.to_string()));
            self.named += 1;
        }
        if self.pending.len() >= Self::CHUNK {
            self.look_up(registry, findings).await?;
        }
        Ok(())
    }

    /// Each pending pair must be a row of the index, for the same product.
    async fn look_up(
        &mut self,
        registry: &Registry,
        findings: &mut Vec<String>,
    ) -> Result<(), PlatformError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let pairs = (0..self.pending.len())
            .map(|i| format!("(gtin = ${} AND certificate = ${})", 2 * i + 1, 2 * i + 2))
            .collect::<Vec<_>>()
            .join(" OR ");
        let sql = format!("SELECT gtin, certificate, product FROM certificate_gtins WHERE {pairs}");
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (gtin, number, _) in &self.pending {
            query = query.bind(gtin.as_str()).bind(number.as_str());
        }
        let mut found: HashMap<(String, String), String> = HashMap::new();
        for row in query.fetch_all(registry.pool()).await? {
            found.insert(
                (row.try_get("gtin")?, row.try_get("certificate")?),
                row.try_get("product")?,
            );
        }
        for (gtin, number, product) in self.pending.drain(..) {
            match found.get(&(gtin.clone(), number.clone())) {
                None => findings.push(format!(
                    "certificate {number} covers GTIN {gtin} in its log entry, but the barcode index does not list it: a scan of {gtin} would not find it"
                )),
                Some(listed) if *listed != product => findings.push(format!(
                    "the barcode index lists GTIN {gtin} under certificate {number} as {listed}, but the certificate is of {product}"
                )),
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// The last pairs looked up, and no row beyond those the leaves name.
    async fn finish(
        mut self,
        registry: &Registry,
        findings: &mut Vec<String>,
    ) -> Result<(), PlatformError> {
        self.look_up(registry, findings).await?;
        let rows: i64 = sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM certificate_gtins")
            .fetch_one(registry.pool())
            .await?
            .try_get("n")?;
        if rows <= self.named {
            return Ok(());
        }
        // Some row no leaf names: read the index whole, a page at a time, to name it.
        let mut after = (String::new(), String::new());
        loop {
            let page = sqlx::query(
                "SELECT g.gtin, g.certificate, log_entries.leaf AS leaf FROM certificate_gtins g LEFT JOIN certificates c ON c.number = g.certificate LEFT JOIN log_entries ON log_entries.idx = c.log_index WHERE (g.gtin, g.certificate) > ($1, $2) ORDER BY g.gtin, g.certificate LIMIT $3",
            )
            .bind(after.0.as_str())
            .bind(after.1.as_str())
            .bind(PAGE)
            .fetch_all(registry.pool())
            .await?;
            for row in &page {
                let (gtin, number): (String, String) =
                    (row.try_get("gtin")?, row.try_get("certificate")?);
                let leaf: Option<Vec<u8>> = row.try_get("leaf")?;
                let covered = leaf
                    .and_then(|l| serde_json::from_slice::<Value>(&l).ok())
                    .is_some_and(|l| {
                        l["body"]["gtin"]
                            .as_array()
                            .is_some_and(|g| g.iter().any(|g| g == gtin.as_str()))
                    });
                if !covered {
                    findings.push(format!(
                        "the barcode index lists GTIN {gtin} under certificate {number}, whose log entry does not cover it: a scan of {gtin} would show that certificate's grade"
                    ));
                }
                after = (gtin, number);
            }
            if (page.len() as i64) < PAGE {
                return Ok(());
            }
        }
    }
}
