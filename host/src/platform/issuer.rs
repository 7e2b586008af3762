//! Issuing certificates with group commit.
//!
//! Every certificate must be committed before its 201 is sent, and a commit is an fsync.
//! One writer task takes the certificates that arrived while the previous commit was
//! under way and commits them together, numbering them inside the registry's write lock
//! (unique across every process sharing the database), then answers each request. Under
//! load the fsync is shared; alone, a certificate waits for nothing but its own commit.

use serde_json::json;
use sqlx::Row;
use tokio::sync::{mpsc, oneshot};

use super::{Certificate, PlatformError};
use crate::registry::{Registry, audit};

/// Most certificates in one transaction.
const MAX_BATCH: usize = 256;

struct Job {
    draft: Certificate,
    reply: oneshot::Sender<Result<Certificate, PlatformError>>,
}

/// The handle requests issue through.
pub(super) struct Issuer {
    jobs: mpsc::Sender<Job>,
}

impl Issuer {
    /// Start the writer task (inside a tokio runtime).
    pub fn start(registry: Registry) -> Issuer {
        let (jobs, rx) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(run(registry, rx));
        Issuer { jobs }
    }

    /// Number, store and audit `draft`; returns once it is committed.
    pub async fn issue(&self, draft: Certificate) -> Result<Certificate, PlatformError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { draft, reply })
            .await
            .map_err(|_| PlatformError::Internal("the certificate writer stopped".into()))?;
        answer.await.map_err(|_| {
            PlatformError::Internal("the certificate writer dropped a request".into())
        })?
    }
}

async fn run(registry: Registry, mut jobs: mpsc::Receiver<Job>) {
    while let Some(first) = jobs.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let drafts: Vec<Certificate> = batch.iter().map(|j| j.draft.clone()).collect();
        match commit(&registry, drafts).await {
            Ok(issued) => {
                for (job, certificate) in batch.into_iter().zip(issued) {
                    let _ = job.reply.send(Ok(certificate));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, size = batch.len(), "committing certificates failed");
                for job in batch {
                    let _ = job.reply.send(Err(PlatformError::Internal(format!(
                        "committing the certificate failed: {e}"
                    ))));
                }
            }
        }
    }
}

async fn commit(
    registry: &Registry,
    drafts: Vec<Certificate>,
) -> Result<Vec<Certificate>, sqlx::Error> {
    let mut tx = registry.write().await?;
    let mut seq: i64 = sqlx::query("SELECT COALESCE(MAX(seq), 0) AS last FROM certificates")
        .fetch_one(&mut *tx)
        .await?
        .try_get("last")?;
    let mut issued = Vec::with_capacity(drafts.len());
    for mut c in drafts {
        seq += 1;
        // The year is for people; `seq` is what makes the number unique.
        c.number = format!("QG{}{:08}", &c.graded_on[..4], seq);
        sqlx::query(
            "INSERT INTO certificates (seq, number, product, grade, enterprise_name, credit_code, model, lab, testing_body, report_number, report_date, module_version, module_digest, standard, catalog_revision, fuel, graded_on, expires_on, status, submission, outcome, issued_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, 'valid', $19, $20, $21)",
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
        .bind(audit::now())
        .execute(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            &c.lab,
            "grading.certify",
            &format!("certificate {}", c.number),
            &json!({
                "product": c.product,
                "grade": c.grade,
                "credit_code": c.credit_code,
                "module": c.module_digest,
                "fuel": c.fuel,
            })
            .to_string(),
        )
        .await?;
        issued.push(c);
    }
    tx.commit().await?;
    Ok(issued)
}
