//! Issuing certificates with group commit.
//!
//! Every certificate must be committed (with its log leaf) before its 201 is sent, and a
//! commit is an fsync. One writer task takes the certificates that arrived while the
//! previous commit was under way and commits them together, numbering them inside the
//! registry's write lock (unique across every process sharing the database), then
//! answers each request. Under load the fsync is shared; alone, a certificate waits for
//! nothing but its own commit.
//!
//! A group never fails as a whole for one member: a draft whose report already backs a
//! certificate, or whose Idempotency-Key was answered before, is answered on its own and
//! left out; and if the group's transaction still fails, each member is committed again
//! alone, so that only the one that cannot be written fails.

use std::collections::HashMap;

use serde_json::Value;
use sqlx::Row;
use tokio::sync::{mpsc, oneshot};

use super::{
    Certificate, PlatformError,
    certificates::{gtin_covered, report_used, rows},
    idempotency::{Answer, IdempotencyKey},
};
use crate::{
    clock,
    registry::{Registry, log},
    wire,
};

/// A certificate's number: `QG`, the year it was graded in and its sequence number, at
/// least eight digits. The year is for people; `seq` is what makes the number unique.
fn number(year: u16, seq: i64) -> String {
    format!("QG{year:04}{seq:08}")
}

/// Whether `text` has the shape of a number this writer makes: what is not is no
/// certificate's, and is not looked up (a search tries every query as a number).
pub(super) fn shaped_as_number(text: &str) -> bool {
    text.strip_prefix("QG")
        .is_some_and(|digits| digits.len() >= 12 && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// Most certificates in one transaction.
const MAX_BATCH: usize = 256;

type Reply = oneshot::Sender<Result<Answer<Certificate>, PlatformError>>;

struct Job {
    draft: Certificate,
    /// The draft's record, encoded by the request (see `log::Body`).
    record: Vec<u8>,
    idempotency: Option<IdempotencyKey>,
    reply: Reply,
}

/// The handle requests issue through.
pub(super) struct Issuer {
    jobs: mpsc::Sender<Job>,
}

impl Issuer {
    /// Start the writer task (inside a tokio runtime). Without `logged`, certificates are
    /// not appended to the transparency log: only the benchmark's baseline does that.
    pub fn start(registry: Registry, logged: bool) -> Issuer {
        let (jobs, rx) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(run(registry, rx, logged));
        Issuer { jobs }
    }

    /// Number, store and log `draft`; returns once it is committed.
    pub async fn issue(
        &self,
        draft: Certificate,
        idempotency: Option<IdempotencyKey>,
    ) -> Result<Answer<Certificate>, PlatformError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job {
                record: log::leaf::canonical(&draft.record()),
                draft,
                idempotency,
                reply,
            })
            .await
            .map_err(|_| PlatformError::Internal("the certificate writer stopped".into()))?;
        answer.await.map_err(|_| {
            PlatformError::Internal("the certificate writer dropped a request".into())
        })?
    }
}

async fn run(registry: Registry, mut jobs: mpsc::Receiver<Job>, logged: bool) {
    // The log's frontier as this writer left it (see `log::Frontier`); forgotten after
    // any failure, when what was written is not known.
    let mut frontier = log::Frontier::default();
    while let Some(first) = jobs.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if let Err(e) = commit(&registry, &mut batch, logged, &mut frontier).await {
            frontier = log::Frontier::default();
            tracing::warn!(error = %e, size = batch.len(), "committing a group of certificates failed; committing each alone");
            for job in batch {
                let mut alone = vec![job];
                if let Err(e) = commit(&registry, &mut alone, logged, &mut frontier).await {
                    frontier = log::Frontier::default();
                    tracing::error!(error = %e, "committing a certificate failed");
                    for job in alone {
                        let _ = job.reply.send(Err(PlatformError::Internal(format!(
                            "committing the certificate failed: {e}"
                        ))));
                    }
                }
            }
        }
    }
}

/// What becomes of one job of a group.
enum Decision {
    /// Answered without issuing (answered before, or refused).
    Answered(Box<Result<Answer<Certificate>, PlatformError>>),
    /// Issued under this number and sequence.
    Issue(String, i64),
    /// The same Idempotency-Key as an earlier job of the group: its answer.
    SameAs(usize),
}

/// Commit `batch` in one transaction and answer every job in it; on a failure, nothing is
/// committed, no job is answered, and the jobs are left in `batch`. Every table is read or
/// written with one statement for the whole group: a statement, not its rows, is what a
/// commit costs.
async fn commit(
    registry: &Registry,
    batch: &mut Vec<Job>,
    logged: bool,
    frontier: &mut log::Frontier,
) -> Result<(), PlatformError> {
    let mut tx = registry.write().await?;
    // The last number and the log's size, in one round trip.
    let row = sqlx::query(
        "SELECT COALESCE((SELECT MAX(seq) FROM certificates), 0) AS last, (SELECT MAX(idx) FROM log_entries) AS leaf",
    )
    .fetch_one(&mut *tx)
    .await?;
    let mut seq: i64 = row.try_get("last")?;
    let log_size = row
        .try_get::<Option<i64>, _>("leaf")?
        .map_or(0, |last| last as u64 + 1);
    let keys: Vec<&IdempotencyKey> = batch
        .iter()
        .filter_map(|j| j.idempotency.as_ref())
        .collect();
    let answered = IdempotencyKey::stored_many(&mut tx, &keys).await?;
    let drafts: Vec<&Certificate> = batch.iter().map(|job| &job.draft).collect();
    let mut claimed = rows::claims(&mut tx, &drafts).await?;
    // A group's drafts are graded on the platform's day (the earliest, should a group
    // straddle midnight: a certificate valid on either day then counts).
    let today = batch
        .iter()
        .map(|job| job.draft.graded_on)
        .min()
        .expect("a group is never empty");
    let mut covered = rows::covered(&mut tx, &drafts, today).await?;

    // Decide each job first: answered before, refused, or to be issued.
    let mut decisions = Vec::with_capacity(batch.len());
    let mut keyed: HashMap<(String, String), (usize, String)> = HashMap::new();
    for (i, job) in batch.iter().enumerate() {
        if let Some(key) = &job.idempotency {
            let id = (key.account.clone(), key.key.clone());
            if let Some(answer) = answered.get(&id) {
                decisions.push(Decision::Answered(Box::new(key.replay(answer))));
                continue;
            }
            match keyed.get(&id) {
                Some((first, hash)) if *hash == key.request_hash => {
                    decisions.push(Decision::SameAs(*first));
                    continue;
                }
                Some(_) => {
                    decisions.push(Decision::Answered(Box::new(Err(IdempotencyKey::reused()))));
                    continue;
                }
                None => {
                    keyed.insert(id, (i, key.request_hash.clone()));
                }
            }
        }
        let d = &job.draft;
        let claim = (
            d.product.clone(),
            d.testing_body.clone(),
            d.report_number.clone(),
        );
        if let Some(number) = claimed.get(&claim) {
            decisions.push(Decision::Answered(Box::new(Err(report_used(
                &claim.1, &claim.2, number,
            )))));
            continue;
        }
        let taken = d.gtin.iter().enumerate().find_map(|(i, gtin)| {
            let by = covered.get(&(d.product.clone(), gtin.clone()))?;
            Some(gtin_covered(i, gtin, &d.product, by))
        });
        if let Some(refused) = taken {
            decisions.push(Decision::Answered(Box::new(Err(refused))));
            continue;
        }
        seq += 1;
        let number = number(d.graded_on.year, seq);
        claimed.insert(claim, number.clone());
        for gtin in &d.gtin {
            covered.insert((d.product.clone(), gtin.clone()), number.clone());
        }
        decisions.push(Decision::Issue(number, seq));
    }

    // Number, log and store what is issued.
    let issued_at = clock::now();
    let mut issued: Vec<(usize, Certificate, i64)> = Vec::new();
    for (i, decision) in decisions.iter().enumerate() {
        if let Decision::Issue(number, seq) = decision {
            let mut c = batch[i].draft.clone();
            c.number = number.clone();
            c.issued_at = issued_at.clone();
            issued.push((i, c, *seq));
        }
    }
    if logged {
        let events: Vec<_> = issued
            .iter()
            // Cloned, not taken: a group that fails is committed again member by member.
            .map(|(i, c, _)| c.issue_event(Some(batch[*i].record.clone())))
            .collect();
        let indexes = log::append_at(&mut tx, &events, log_size, frontier).await?;
        for ((_, c, _), index) in issued.iter_mut().zip(indexes) {
            c.log_index = Some(index);
        }
    }
    rows::insert(&mut tx, &issued).await?;
    let replies: Vec<(&IdempotencyKey, Value)> = issued
        .iter()
        .filter_map(|(i, c, _)| {
            // A new certificate is valid on its own grading day.
            Some((
                batch[*i].idempotency.as_ref()?,
                wire::to_value(&c.body(c.graded_on)),
            ))
        })
        .collect();
    IdempotencyKey::store_many(&mut tx, 201, &replies).await?;
    tx.commit().await?;

    let by_job: HashMap<usize, &Certificate> = issued.iter().map(|(i, c, _)| (*i, c)).collect();
    let answer = |i: usize| Ok(Answer::New(by_job[&i].clone()));
    let answers: Vec<_> = decisions
        .into_iter()
        .enumerate()
        .map(|(i, decision)| match decision {
            Decision::Answered(answer) => *answer,
            Decision::Issue(..) => answer(i),
            Decision::SameAs(first) => answer(first),
        })
        .collect();
    for (job, answer) in batch.drain(..).zip(answers) {
        let _ = job.reply.send(answer);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{number, shaped_as_number};

    /// A lookup skipped for a text of another shape must never skip a real number.
    #[test]
    fn every_number_the_writer_makes_has_the_shape_looked_up() {
        for (year, seq) in [(2026, 1), (2026, 99_999_999), (2031, 123_456_789_012)] {
            let made = number(year, seq);
            assert!(shaped_as_number(&made), "{made}");
        }
        for text in [
            "",
            "QG",
            "QG2026",
            "QG20260000001",
            "QG202600000001X",
            "qg202600000001",
            "QG2026 00000001",
            "91350100M000100Y43",
        ] {
            assert!(!shaped_as_number(text), "{text:?}");
        }
    }
}
