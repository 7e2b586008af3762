//! Certificates in the database: every statement that reads or writes the `certificates`
//! and `report_claims` tables, and the one mapping between a row and a [`Certificate`].
//! (The columns themselves are the migrations'.)

use std::collections::HashMap;

use serde_json::Value;
use sqlx::Row;

use super::{Certificate, Revocation, RevocationReason};
use crate::{
    model::{Date, GradeLevel},
    platform::PlatformError,
    registry::{log::Entry, placeholders},
};

/// The columns `from_row` reads, as a literal so that queries stay static strings.
macro_rules! columns {
    () => {
        "number, product, grade, enterprise_name, credit_code, model, lab, testing_body, report_number, report_date, module_version, module_digest, standard, catalog_revision, fuel, graded_on, expires_on, revoked_reason, revoked_note, revoked_at, revoked_by, submission, outcome, issued_at, log_index, revocation_log_index, log_entries.leaf AS leaf"
    };
}

/// Certificates with their leaves: a logged certificate's submission and outcome are in
/// its leaf only.
macro_rules! from {
    () => {
        " FROM certificates LEFT JOIN log_entries ON log_entries.idx = certificates.log_index"
    };
}

const SELECT_CERTIFICATE_BY_NUMBER: &str =
    concat!("SELECT ", columns!(), from!(), " WHERE number = $1");
const SELECT_CERTIFICATES: &str = concat!(
    "SELECT ",
    columns!(),
    from!(),
    " WHERE ($1 IS NULL OR product = $1) AND ($2 IS NULL OR credit_code = $2 OR enterprise_name = $2) ORDER BY seq DESC LIMIT $3"
);
const SELECT_AFTER_LOG_INDEX: &str = concat!(
    "SELECT status, ",
    columns!(),
    from!(),
    " WHERE log_index > $1 ORDER BY log_index LIMIT $2"
);

/// Certificates (with their `status` column) whose log entry is after `$1`, in log
/// order, at most `$2`: what an audit reads beside the log.
pub(in crate::platform) fn select_certificates_after() -> &'static str {
    SELECT_AFTER_LOG_INDEX
}

const SELECT_UNLOGGED: &str = concat!(
    "SELECT ",
    columns!(),
    from!(),
    " WHERE log_index IS NULL ORDER BY seq LIMIT 500"
);

/// Certificates without a log leaf (issued before the log existed), oldest first.
pub(in crate::platform) fn select_unlogged() -> &'static str {
    SELECT_UNLOGGED
}

const SELECT_REVOKED: &str = concat!(
    "SELECT ",
    columns!(),
    from!(),
    " WHERE status = 'revoked' ORDER BY revoked_at DESC"
);

/// One certificate by number.
pub(in crate::platform) async fn by_number<'c>(
    db: impl sqlx::AnyExecutor<'c>,
    number: &str,
) -> Result<Option<Certificate>, PlatformError> {
    sqlx::query(SELECT_CERTIFICATE_BY_NUMBER)
        .bind(number)
        .fetch_optional(db)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// The newest certificates (at most `limit`) of `product` and of `enterprise` (its credit
/// code or exact name), each filter only when given.
pub(in crate::platform) async fn newest<'c>(
    db: impl sqlx::AnyExecutor<'c>,
    product: Option<&str>,
    enterprise: Option<&str>,
    limit: i64,
) -> Result<Vec<Certificate>, PlatformError> {
    sqlx::query(SELECT_CERTIFICATES)
        .bind(product.map(str::to_string))
        .bind(enterprise.map(str::to_string))
        .bind(limit)
        .fetch_all(db)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// Revoked certificates, the latest revocation first.
pub(in crate::platform) async fn revoked<'c>(
    db: impl sqlx::AnyExecutor<'c>,
) -> Result<Vec<Certificate>, PlatformError> {
    sqlx::query(SELECT_REVOKED)
        .fetch_all(db)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// The stored status (`valid` or `revoked`; expiry is a matter of the day) of a
/// certificate, if there is one.
pub(in crate::platform) async fn stored_status<'c>(
    db: impl sqlx::AnyExecutor<'c>,
    number: &str,
) -> Result<Option<String>, PlatformError> {
    let row = sqlx::query("SELECT status FROM certificates WHERE number = $1")
        .bind(number)
        .fetch_optional(db)
        .await?;
    Ok(row.map(|r| r.try_get("status")).transpose()?)
}

/// Record `revocation` (its log leaf at `index`) on certificate `number`.
pub(in crate::platform) async fn mark_revoked(
    tx: &mut sqlx::AnyConnection,
    number: &str,
    revocation: &Revocation,
    index: u64,
) -> Result<(), PlatformError> {
    sqlx::query(
        "UPDATE certificates SET status = 'revoked', revoked_reason = $1, revoked_note = $2, revoked_at = $3, revoked_by = $4, revocation_log_index = $5 WHERE number = $6",
    )
    .bind(revocation.reason.as_str())
    .bind(&revocation.note)
    .bind(&revocation.at)
    .bind(&revocation.by)
    .bind(index as i64)
    .bind(number)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Valid certificates per product and grade.
pub(in crate::platform) async fn statistics<'c>(
    db: impl sqlx::AnyExecutor<'c>,
) -> Result<Vec<(String, String, i64)>, PlatformError> {
    let rows = sqlx::query(
        "SELECT product, grade, COUNT(*) AS n FROM certificates WHERE status = 'valid' GROUP BY product, grade ORDER BY product, grade",
    )
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("product")?, r.try_get("grade")?, r.try_get("n")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(PlatformError::from)
}

pub(in crate::platform) fn from_row(r: &sqlx::any::AnyRow) -> Result<Certificate, PlatformError> {
    read_row(r, false)
}

/// A certificate row as an audit reads it: a submission or outcome that is in neither the
/// row nor a readable leaf is null (the audit reports the leaf), not an error.
pub(in crate::platform) fn from_row_for_audit(
    r: &sqlx::any::AnyRow,
) -> Result<Certificate, PlatformError> {
    read_row(r, true)
}

fn read_row(r: &sqlx::any::AnyRow, lenient: bool) -> Result<Certificate, PlatformError> {
    let number: String = r.try_get("number")?;
    // Read from the leaf once, and only for a logged certificate.
    let mut leaf_body: Option<Value> = None;
    let mut json = |col: &str| -> Result<Value, PlatformError> {
        let text: String = r.try_get(col)?;
        if !text.is_empty() {
            return serde_json::from_str(&text)
                .map_err(|e| PlatformError::Internal(format!("stored {col}: {e}")));
        }
        if leaf_body.is_none() {
            let leaf: Option<Vec<u8>> = r.try_get("leaf")?;
            leaf_body = leaf.as_deref().and_then(Entry::parse).map(|e| e.body);
        }
        match &leaf_body {
            Some(body) => Ok(body[col].clone()),
            None if lenient => Ok(Value::Null),
            None => Err(PlatformError::Internal(format!(
                "certificate {number}: its {col} is in neither its row nor its log leaf"
            ))),
        }
    };
    let submission = json("submission")?;
    let outcome = json("outcome")?;
    let reason: Option<String> = r.try_get("revoked_reason")?;
    let revocation = match reason {
        None => None,
        Some(reason) => Some(Revocation {
            reason: RevocationReason::parse(&reason).ok_or_else(|| {
                PlatformError::Internal(format!("stored revocation reason {reason:?}"))
            })?,
            note: r
                .try_get::<Option<String>, _>("revoked_note")?
                .unwrap_or_default(),
            at: r
                .try_get::<Option<String>, _>("revoked_at")?
                .unwrap_or_default(),
            by: r
                .try_get::<Option<String>, _>("revoked_by")?
                .unwrap_or_default(),
        }),
    };
    Ok(Certificate {
        number,
        product: r.try_get("product")?,
        grade: stored(r, "grade", GradeLevel::parse)?,
        enterprise: r.try_get("enterprise_name")?,
        credit_code: r.try_get("credit_code")?,
        model: r.try_get("model")?,
        lab: r.try_get("lab")?,
        testing_body: r.try_get("testing_body")?,
        report_number: r.try_get("report_number")?,
        report_date: stored(r, "report_date", Date::parse)?,
        module_version: r.try_get("module_version")?,
        module_digest: r.try_get("module_digest")?,
        standard: r.try_get("standard")?,
        catalog_revision: r.try_get::<i64, _>("catalog_revision")? as u32,
        fuel: r.try_get::<i64, _>("fuel")? as u64,
        graded_on: stored(r, "graded_on", Date::parse)?,
        expires_on: stored(r, "expires_on", Date::parse)?,
        revocation,
        submission,
        outcome,
        issued_at: r.try_get("issued_at")?,
        log_index: r.try_get::<Option<i64>, _>("log_index")?.map(|i| i as u64),
        revocation_log_index: r
            .try_get::<Option<i64>, _>("revocation_log_index")?
            .map(|i| i as u64),
    })
}

/// The certificates the batch's reports already back, by (product, body, number).
pub(in crate::platform) async fn claims(
    tx: &mut sqlx::AnyConnection,
    drafts: &[&Certificate],
) -> Result<HashMap<(String, String, String), String>, PlatformError> {
    let mut claimed = HashMap::new();
    for chunk in drafts.chunks(200) {
        // A row-value IN on the primary key: one index probe per report.
        let sql = format!(
            "SELECT product, testing_body, report_number, certificate FROM report_claims WHERE (product, testing_body, report_number) IN (VALUES {})",
            placeholders(chunk.len(), 3)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for d in chunk {
            query = query
                .bind(&d.product)
                .bind(&d.testing_body)
                .bind(&d.report_number);
        }
        for row in query.fetch_all(&mut *tx).await? {
            claimed.insert(
                (
                    row.try_get("product")?,
                    row.try_get("testing_body")?,
                    row.try_get("report_number")?,
                ),
                row.try_get("certificate")?,
            );
        }
    }
    Ok(claimed)
}

/// Store the issued certificates and the reports they claim, one statement per table.
pub(in crate::platform) async fn insert(
    tx: &mut sqlx::AnyConnection,
    issued: &[(usize, Certificate, i64)],
) -> Result<(), PlatformError> {
    for chunk in issued.chunks(200) {
        let sql = format!(
            "INSERT INTO certificates (seq, number, product, grade, enterprise_name, credit_code, model, lab, testing_body, report_number, report_date, module_version, module_digest, standard, catalog_revision, fuel, graded_on, expires_on, status, submission, outcome, issued_at, log_index) VALUES {}",
            placeholders(chunk.len(), 23)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (_, c, seq) in chunk {
            query = query
                .bind(*seq)
                .bind(&c.number)
                .bind(&c.product)
                .bind(c.grade.as_str())
                .bind(&c.enterprise)
                .bind(&c.credit_code)
                .bind(&c.model)
                .bind(&c.lab)
                .bind(&c.testing_body)
                .bind(&c.report_number)
                .bind(c.report_date.to_string())
                .bind(&c.module_version)
                .bind(&c.module_digest)
                .bind(&c.standard)
                .bind(i64::from(c.catalog_revision))
                .bind(c.fuel as i64)
                .bind(c.graded_on.to_string())
                .bind(c.expires_on.to_string())
                .bind("valid")
                // A logged certificate's submission and outcome are in its leaf.
                .bind(match c.log_index {
                    Some(_) => String::new(),
                    None => c.submission.to_string(),
                })
                .bind(match c.log_index {
                    Some(_) => String::new(),
                    None => c.outcome.to_string(),
                })
                .bind(&c.issued_at)
                .bind(c.log_index.map(|i| i as i64));
        }
        query.execute(&mut *tx).await?;
        let sql = format!(
            "INSERT INTO report_claims (product, testing_body, report_number, certificate) VALUES {}",
            placeholders(chunk.len(), 4)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (_, c, _) in chunk {
            query = query
                .bind(&c.product)
                .bind(&c.testing_body)
                .bind(&c.report_number)
                .bind(&c.number);
        }
        query.execute(&mut *tx).await?;
    }
    Ok(())
}

/// A column stored as text, parsed into the host's type.
fn stored<T>(
    r: &sqlx::any::AnyRow,
    column: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T, PlatformError> {
    let text: String = r.try_get(column)?;
    parse(&text).ok_or_else(|| PlatformError::Internal(format!("stored {column} {text:?}")))
}
