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

use sqlx::Row;
use tokio::sync::{mpsc, oneshot};

use super::{
    Certificate, PlatformError,
    certificates::report_used,
    idempotency::{Answer, IdempotencyKey},
};
use crate::{
    clock,
    registry::{Registry, log},
};

/// Most certificates in one transaction.
const MAX_BATCH: usize = 256;

type Reply = oneshot::Sender<Result<Answer<Certificate>, PlatformError>>;

struct Job {
    draft: Certificate,
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
    while let Some(first) = jobs.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if let Err(e) = commit(&registry, &mut batch, logged).await {
            tracing::warn!(error = %e, size = batch.len(), "committing a group of certificates failed; committing each alone");
            for job in batch {
                let mut alone = vec![job];
                if let Err(e) = commit(&registry, &mut alone, logged).await {
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
/// committed, no job is answered, and the jobs are left in `batch`.
async fn commit(
    registry: &Registry,
    batch: &mut Vec<Job>,
    logged: bool,
) -> Result<(), PlatformError> {
    let mut tx = registry.write().await?;
    let mut seq: i64 = sqlx::query("SELECT COALESCE(MAX(seq), 0) AS last FROM certificates")
        .fetch_one(&mut *tx)
        .await?
        .try_get("last")?;

    // Decide each job first: answered before, refused, or to be issued.
    let mut decisions = Vec::with_capacity(batch.len());
    let mut claimed: HashMap<(String, String, String), String> = HashMap::new();
    let mut keyed: HashMap<(String, String), (usize, String)> = HashMap::new();
    for (i, job) in batch.iter().enumerate() {
        if let Some(key) = &job.idempotency {
            if let Some(stored) = key.stored(&mut tx).await? {
                decisions.push(Decision::Answered(Box::new(Ok(Answer::Replayed(stored)))));
                continue;
            }
            match keyed.get(&(key.account.clone(), key.key.clone())) {
                Some((first, hash)) if *hash == key.request_hash => {
                    decisions.push(Decision::SameAs(*first));
                    continue;
                }
                Some(_) => {
                    decisions.push(Decision::Answered(Box::new(Err(PlatformError::field(
                        "Idempotency-Key",
                        "this Idempotency-Key was used for a different request: use a new key for a new request",
                    )))));
                    continue;
                }
                None => {
                    keyed.insert(
                        (key.account.clone(), key.key.clone()),
                        (i, key.request_hash.clone()),
                    );
                }
            }
        }
        let d = &job.draft;
        let claim = (
            d.product.clone(),
            d.testing_body.clone(),
            d.report_number.clone(),
        );
        let backed = match claimed.get(&claim) {
            Some(number) => Some(number.clone()),
            None => sqlx::query(
                "SELECT certificate FROM report_claims WHERE product = $1 AND testing_body = $2 AND report_number = $3",
            )
            .bind(&claim.0)
            .bind(&claim.1)
            .bind(&claim.2)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get("certificate"))
            .transpose()?,
        };
        if let Some(number) = backed {
            decisions.push(Decision::Answered(Box::new(Err(report_used(
                &claim.1, &claim.2, &number,
            )))));
            continue;
        }
        seq += 1;
        // The year is for people; `seq` is what makes the number unique.
        let number = format!("QG{}{:08}", &d.graded_on[..4], seq);
        claimed.insert(claim, number.clone());
        decisions.push(Decision::Issue(number, seq));
    }

    // Number, log and store what is issued.
    let issued_at = clock::now();
    let mut issued: HashMap<usize, (Certificate, i64)> = HashMap::new();
    let mut events = Vec::new();
    for (i, decision) in decisions.iter().enumerate() {
        if let Decision::Issue(number, seq) = decision {
            let mut c = batch[i].draft.clone();
            c.number = number.clone();
            c.issued_at = issued_at.clone();
            events.push(c.issue_event());
            issued.insert(i, (c, *seq));
        }
    }
    let indexes: Vec<Option<u64>> = if logged {
        log::append(&mut tx, &events)
            .await?
            .into_iter()
            .map(Some)
            .collect()
    } else {
        vec![None; events.len()]
    };
    let mut order: Vec<usize> = issued.keys().copied().collect();
    order.sort();
    for (i, index) in order.into_iter().zip(indexes) {
        let (c, seq) = issued.get_mut(&i).expect("issued above");
        c.log_index = index;
        insert(&mut tx, *seq, c).await?;
        if let Some(key) = &batch[i].idempotency {
            // A new certificate is valid on its own grading day.
            let on = crate::grading::parse_date(&c.graded_on).unwrap_or_else(clock::china_today);
            key.store(&mut tx, 201, &c.to_json(on)).await?;
        }
    }
    tx.commit().await?;

    let answer = |i: usize| Ok(Answer::New(issued[&i].0.clone()));
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

async fn insert(
    tx: &mut sqlx::AnyConnection,
    seq: i64,
    c: &Certificate,
) -> Result<(), PlatformError> {
    sqlx::query(
        "INSERT INTO certificates (seq, number, product, grade, enterprise_name, credit_code, model, lab, testing_body, report_number, report_date, module_version, module_digest, standard, catalog_revision, fuel, graded_on, expires_on, status, submission, outcome, issued_at, log_index) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, 'valid', $19, $20, $21, $22)",
    )
    .bind(seq)
    .bind(&c.number)
    .bind(&c.product)
    .bind(&c.grade)
    .bind(&c.enterprise)
    .bind(&c.credit_code)
    .bind(&c.model)
    .bind(&c.lab)
    .bind(&c.testing_body)
    .bind(&c.report_number)
    .bind(&c.report_date)
    .bind(&c.module_version)
    .bind(&c.module_digest)
    .bind(&c.standard)
    .bind(i64::from(c.catalog_revision))
    .bind(c.fuel as i64)
    .bind(&c.graded_on)
    .bind(&c.expires_on)
    .bind(c.submission.to_string())
    .bind(c.outcome.to_string())
    .bind(&c.issued_at)
    .bind(c.log_index.map(|i| i as i64))
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO report_claims (product, testing_body, report_number, certificate) VALUES ($1, $2, $3, $4)",
    )
    .bind(&c.product)
    .bind(&c.testing_body)
    .bind(&c.report_number)
    .bind(&c.number)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
